// Configuration parameters (GUCs): parsing values with units and ranges, the context rules of
// who may change what and when, and the per-session stack that makes SET transactional —
// SET LOCAL ends with its transaction, SET is undone by ROLLBACK or ROLLBACK TO SAVEPOINT, and
// function SET clauses restore the old value on exit. Rules GUC1–GUC8 are in README.md.

import { PgError, SqlState, assert } from '@palisade/common';
import { builtinDefinitions, type GucContext, type GucDefinition } from './definitions.ts';
import { formatG, showRealWithUnit, showWithUnit, toBaseUnit, unitHint } from './units.ts';

export type GucValue = boolean | number | string;

/** Where a value comes from (PostgreSQL's GucSource, simplified). */
export type GucSource = 'default' | 'configuration file' | 'command line' | 'client' | 'session' | 'override';

/** Validates and canonicalizes a parsed value (PostgreSQL's check hooks); throws a PgError to refuse it. */
export type CheckHook = (value: GucValue, name: string) => GucValue;

/** Integer parameters that SHOW prints in octal (file modes). */
const OCTAL_SHOWN = new Set(['unix_socket_permissions', 'log_file_mode', 'data_directory_mode']);

/** The most custom parameters one registry holds (placeholders created by SET of dotted names). */
const MAX_CUSTOM_PARAMETERS = 10_000;

/** Definitions of all parameters an instance knows, shared by its sessions. */
export class GucRegistry {
  private readonly defs = new Map<string, GucDefinition>(builtinDefinitions);
  private readonly hooks = new Map<string, CheckHook>();
  private readonly reservedPrefixes = new Set<string>();
  private customCount = 0;

  /** Adds or replaces a parameter definition (an extension's parameter, say). */
  define(def: GucDefinition): void {
    this.defs.set(def.name.toLowerCase(), def);
  }
  /** GUC8: no placeholder may be created under this prefix (an extension owns it). */
  reservePrefix(prefix: string): void {
    this.reservedPrefixes.add(prefix.toLowerCase());
  }
  setCheckHook(name: string, hook: CheckHook): void {
    this.hooks.set(name.toLowerCase(), hook);
  }
  lookup(name: string): GucDefinition | undefined {
    return this.defs.get(name.toLowerCase());
  }
  all(): GucDefinition[] {
    return [...this.defs.values()].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  }

  /** GUC1: an unknown name is an error, unless it is a valid custom (dotted) name, which becomes a placeholder. */
  lookupOrPlaceholder(name: string, create: boolean): GucDefinition {
    const found = this.lookup(name);
    if (found) return found;
    if (!name.includes('.')) {
      throw new PgError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
    }
    if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)+$/.test(name)) {
      throw new PgError(SqlState.INVALID_NAME, `invalid configuration parameter name "${name}"`, {
        detail: 'Custom parameter names must be two or more simple identifiers separated by dots.',
      });
    }
    const prefix = name.slice(0, name.indexOf('.')).toLowerCase();
    if (this.reservedPrefixes.has(prefix)) {
      throw new PgError(SqlState.INVALID_NAME, `invalid configuration parameter name "${name}"`, { detail: `"${prefix}" is a reserved prefix.` });
    }
    if (!create) throw new PgError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
    if (this.customCount >= MAX_CUSTOM_PARAMETERS) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `too many custom configuration parameters (at most ${MAX_CUSTOM_PARAMETERS})`);
    }
    this.customCount++;
    const def: GucDefinition = {
      name, type: 'string', context: 'user', category: 'Customized Options', shortDesc: '', extraDesc: null, unit: null,
      min: null, max: null, enumValues: null, bootValue: '', report: false, placeholder: true,
    };
    this.define(def);
    return def;
  }

  /** GUC2: parses `text` for `def` — booleans, integers and reals with units, enums, strings — and runs the check hook. */
  parse(def: GucDefinition, text: string): GucValue {
    let value: GucValue;
    switch (def.type) {
      case 'bool': {
        const b = parseBool(text);
        if (b === undefined) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `parameter "${def.name}" requires a Boolean value`);
        value = b;
        break;
      }
      case 'integer':
      case 'real': {
        const n = parseNumberWithUnit(text, def);
        if (def.type === 'integer') {
          const i = Math.round(n);
          if (!Number.isFinite(n) || i > 2147483647 || i < -2147483648) throw invalidValue(def, text, def.unit ? unitHint(def.unit) : undefined);
          if ((def.min !== null && i < def.min) || (def.max !== null && i > def.max)) {
            throw new PgError(
              SqlState.INVALID_PARAMETER_VALUE,
              `${i}${def.unit ? ' ' + def.unit : ''} is outside the valid range for parameter "${def.name}" (${def.min} .. ${def.max})`,
            );
          }
          value = i;
        } else {
          if (Number.isNaN(n)) throw invalidValue(def, text);
          if ((def.min !== null && n < def.min) || (def.max !== null && n > def.max)) {
            throw new PgError(
              SqlState.INVALID_PARAMETER_VALUE,
              `${formatG(n)}${def.unit ? ' ' + def.unit : ''} is outside the valid range for parameter "${def.name}" (${formatG(def.min ?? -Infinity)} .. ${formatG(def.max ?? Infinity)})`,
            );
          }
          value = n;
        }
        break;
      }
      case 'enum': {
        const lower = text.toLowerCase();
        const visible = def.enumValues ?? [];
        const hit = visible.find((v) => v.toLowerCase() === lower) ?? def.hiddenEnumValues?.[lower];
        if (hit === undefined) {
          throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "${def.name}": "${text}"`, {
            hint: `Available values: ${visible.join(', ')}.`,
          });
        }
        value = hit;
        break;
      }
      case 'string':
        value = text;
        break;
    }
    const hook = this.hooks.get(def.name.toLowerCase());
    return hook ? hook(value, def.name) : value;
  }

  /** GUC5: a value as SHOW prints it (integers and reals with the largest exact unit). */
  show(def: GucDefinition, value: GucValue | null): string {
    if (value === null) return '';
    switch (def.type) {
      case 'bool':
        return value ? 'on' : 'off';
      case 'integer':
        // File-mode parameters are shown in octal, as PostgreSQL's show hooks do.
        if (OCTAL_SHOWN.has(def.name)) return `0${(value as number).toString(8).padStart(3, '0')}`;
        return def.unit ? showWithUnit(value as number, def.unit) : String(value);
      case 'real':
        return def.unit ? showRealWithUnit(value as number, def.unit) : formatG(value as number);
      default:
        return String(value);
    }
  }

  /** The value as pg_settings.setting shows it: in the base unit, without unit. */
  showRaw(def: GucDefinition, value: GucValue | null): string | null {
    if (value === null) return null;
    if (def.type === 'bool') return value ? 'on' : 'off';
    if (def.type === 'real') return formatG(value as number);
    return String(value);
  }

  /** The boot value of a definition, parsed (null when the server must supply it). */
  bootValue(def: GucDefinition): GucValue | null {
    if (def.bootValue === null) return null;
    if (def.type === 'bool') return def.bootValue === 'on' || def.bootValue === 'true';
    if (def.type === 'integer' || def.type === 'real') return Number(def.bootValue);
    return def.bootValue;
  }
}

function invalidValue(def: GucDefinition, text: string, hint?: string): PgError {
  return new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "${def.name}": "${text}"`, hint ? { hint } : {});
}

/** PostgreSQL's parse_bool: on/off/true/false/yes/no/1/0 and unambiguous prefixes, any case. */
export function parseBool(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '') return undefined;
  const prefixOf = (word: string, min = 1) => v.length >= min && word.startsWith(v);
  if (prefixOf('true')) return true;
  if (prefixOf('false')) return false;
  if (prefixOf('yes')) return true;
  if (prefixOf('no')) return false;
  if (v === 'on') return true;
  if (prefixOf('off', 2)) return false;
  if (v === '1') return true;
  if (v === '0') return false;
  return undefined;
}

/**
 * Parses "128MB", "5 min", "0x10", "0770", "1.5GB" into the parameter's base unit. Integers are
 * read like C's strtol with base 0 (hex with 0x, octal with a leading 0), switching to a decimal
 * fraction when a '.' or exponent follows, as PostgreSQL's parse_int does; reals like strtod.
 */
function parseNumberWithUnit(text: string, def: GucDefinition): number {
  const invalid = () => invalidValue(def, text, def.unit ? unitHint(def.unit) : undefined);
  let amount: number;
  let rest: string;
  const intMatch = def.type === 'integer' ? /^\s*([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)/i.exec(text) : null;
  if (intMatch && !/^[.eE]/.test(text.slice(intMatch[0].length))) {
    const digits = intMatch[2]!;
    const magnitude = /^0x/i.test(digits) ? Number.parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? Number.parseInt(digits, 8) : Number(digits);
    amount = intMatch[1] === '-' ? -magnitude : magnitude;
    rest = text.slice(intMatch[0].length);
  } else {
    const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(text);
    if (!m) throw invalid();
    amount = Number(m[1]);
    rest = text.slice(m[0].length);
  }
  const unitMatch = /^\s*([A-Za-z]*)\s*$/.exec(rest);
  if (!unitMatch) throw invalid();
  const unit = unitMatch[1]!;
  if (unit === '') return amount;
  if (!def.unit) throw invalidValue(def, text);
  const base = toBaseUnit(amount, unit, def.unit);
  if (base === undefined) throw invalid();
  return base;
}

type StackState = 'set' | 'local' | 'set-local' | 'save';
interface StackEntry {
  nestLevel: number;
  state: StackState;
  prior: Slot;
  /** The SET value hidden by a later SET LOCAL at the same level. */
  masked?: Slot;
}
interface Slot {
  value: GucValue | null;
  source: GucSource;
}
interface Variable {
  def: GucDefinition;
  current: Slot;
  /** What RESET restores: the value from the configuration file / connection start. */
  reset: Slot;
  stack: StackEntry[];
}

/** How a SET is scoped. */
export type SetAction = 'set' | 'local' | 'save';

export interface GucSessionOptions {
  /** Whether the session's current role is a superuser (for superuser-context parameters). */
  isSuperuser: () => boolean;
  /** Called with the shown value whenever a reported parameter (GUC_REPORT) changes. */
  onReport?: (name: string, shown: string) => void;
}

/** Parameters RESET ALL leaves alone (PostgreSQL's GUC_NO_RESET_ALL). */
const NO_RESET_ALL = new Set(['transaction_isolation', 'transaction_read_only', 'transaction_deferrable', 'session_authorization', 'role']);

/** The parameter values of one session, with PostgreSQL's transactional SET semantics. */
export class GucSession {
  private readonly vars = new Map<string, Variable>();
  private nestLevel = 0;

  constructor(
    readonly registry: GucRegistry,
    private readonly options: GucSessionOptions,
    /** Instance-wide values (configuration file, command line), already parsed and checked. */
    instanceValues: ReadonlyMap<string, { value: GucValue; source: GucSource }> = new Map(),
  ) {
    for (const [name, v] of instanceValues) {
      const def = registry.lookupOrPlaceholder(name, true);
      const slot = { value: v.value, source: v.source };
      this.vars.set(def.name.toLowerCase(), { def, current: { ...slot }, reset: slot, stack: [] });
    }
  }

  private variable(def: GucDefinition): Variable {
    const key = def.name.toLowerCase();
    let v = this.vars.get(key);
    if (!v) {
      const slot: Slot = { value: this.registry.bootValue(def), source: 'default' };
      v = { def, current: { ...slot }, reset: slot, stack: [] };
      this.vars.set(key, v);
    }
    return v;
  }

  /** The typed current value; throws 42704 for an unknown parameter. */
  get(name: string): GucValue | null {
    return this.variable(this.registry.lookupOrPlaceholder(name, false)).current.value;
  }

  /** SHOW name / current_setting(name): the shown value, or null with missingOk for an unknown custom name. */
  show(name: string, missingOk = false): string | null {
    let def: GucDefinition;
    try {
      def = this.registry.lookupOrPlaceholder(name, false);
    } catch (e) {
      if (missingOk && e instanceof PgError && e.code === SqlState.UNDEFINED_OBJECT) return null;
      throw e;
    }
    return this.registry.show(def, this.variable(def).current.value);
  }

  /** The source of the current value (pg_settings.source). */
  sourceOf(name: string): GucSource {
    return this.variable(this.registry.lookupOrPlaceholder(name, false)).current.source;
  }

  /** GUC3: whether this session may change `def` now, by SET or at connection start. */
  private checkContext(def: GucDefinition, atStartup: boolean): void {
    const deny = (msg: string) => new PgError(SqlState.CANT_CHANGE_RUNTIME_PARAM, msg);
    const ctx: GucContext = def.context;
    switch (ctx) {
      case 'internal':
        throw deny(`parameter "${def.name}" cannot be changed`);
      case 'postmaster':
        throw deny(`parameter "${def.name}" cannot be changed without restarting the server`);
      case 'sighup':
        throw deny(`parameter "${def.name}" cannot be changed now`);
      case 'superuser-backend':
      case 'backend':
        if (!atStartup) throw deny(`parameter "${def.name}" cannot be set after connection start`);
        if (ctx === 'superuser-backend' && !this.options.isSuperuser()) {
          throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `permission denied to set parameter "${def.name}"`);
        }
        return;
      case 'superuser':
        if (!this.options.isSuperuser()) throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `permission denied to set parameter "${def.name}"`);
        return;
      case 'user':
        return;
    }
  }

  /**
   * SET [LOCAL] name TO value; `value` null means DEFAULT (the reset value). Returns the shown
   * new value (what set_config returns). `action` 'save' is for function SET clauses.
   */
  set(name: string, value: string | null, action: SetAction = 'set'): string {
    const def = this.registry.lookupOrPlaceholder(name, true);
    this.checkContext(def, false);
    const v = this.variable(def);
    const next: Slot = value === null ? { ...v.reset } : { value: this.registry.parse(def, value), source: 'session' };
    // GUC4: SET LOCAL outside a transaction block does nothing lasting (PostgreSQL warns).
    if (this.nestLevel > 0) this.pushOld(v, action);
    else if (action === 'local') return this.registry.show(def, v.current.value);
    this.assign(v, next);
    return this.registry.show(def, v.current.value);
  }

  /** Applies a startup-packet parameter or `-c` option of the client (source 'client'). */
  setAtStartup(name: string, value: string): void {
    const def = this.registry.lookupOrPlaceholder(name, true);
    this.checkContext(def, true);
    const v = this.variable(def);
    const slot: Slot = { value: this.registry.parse(def, value), source: 'client' };
    v.reset = slot;
    this.assign(v, { ...slot });
  }

  /** Sets an internal parameter (is_superuser, session_authorization …) regardless of context. */
  setInternal(name: string, value: GucValue): void {
    const v = this.variable(this.registry.lookupOrPlaceholder(name, true));
    const slot: Slot = { value, source: 'override' };
    v.reset = slot;
    this.assign(v, { ...slot });
  }

  /** RESET name. */
  reset(name: string): void {
    this.set(name, null, 'set');
  }

  /** RESET ALL: every parameter this session may set goes back to its reset value. */
  resetAll(): void {
    for (const def of this.registry.all()) {
      if (NO_RESET_ALL.has(def.name.toLowerCase())) continue;
      if (def.context !== 'user' && !(def.context === 'superuser' && this.options.isSuperuser())) continue;
      const v = this.vars.get(def.name.toLowerCase());
      if (!v || v.current.value === v.reset.value) continue;
      if (this.nestLevel > 0) this.pushOld(v, 'set');
      this.assign(v, { ...v.reset });
    }
  }

  private assign(v: Variable, slot: Slot): void {
    const changed = v.current.value !== slot.value;
    v.current = slot;
    if (changed && v.def.report) this.options.onReport?.(v.def.name, this.registry.show(v.def, slot.value));
  }

  private pushOld(v: Variable, action: SetAction): void {
    const top = v.stack[v.stack.length - 1];
    if (top && top.nestLevel === this.nestLevel) {
      if (action === 'set') {
        if (top.state === 'set-local') delete top.masked;
        if (top.state !== 'save') top.state = 'set';
      } else if (action === 'local') {
        if (top.state === 'set') {
          top.masked = { ...v.current };
          top.state = 'set-local';
        }
      }
      return;
    }
    assert(v.stack.length < 1000, 'GUC stack depth');
    v.stack.push({ nestLevel: this.nestLevel, state: action, prior: { ...v.current } });
  }

  /** Starts a nest level: a transaction (level 1), a subtransaction or a function with SET clauses. */
  newNestLevel(): number {
    return ++this.nestLevel;
  }

  /** The current nest level (0 outside any transaction). */
  get currentNestLevel(): number {
    return this.nestLevel;
  }

  /**
   * GUC6/GUC7: ends every nest level ≥ `level`: on commit SET values survive (merged into the
   * enclosing level) and SET LOCAL values end; on abort everything set at those levels is undone.
   */
  endNestLevel(level: number, commit: boolean): void {
    assert(level >= 1 && level <= this.nestLevel + 1, `bad GUC nest level ${level}`);
    for (const v of this.vars.values()) {
      while (v.stack.length > 0) {
        const entry = v.stack[v.stack.length - 1]!;
        if (entry.nestLevel < level) break;
        const prev = v.stack.length > 1 ? v.stack[v.stack.length - 2]! : undefined;
        let restore: Slot | undefined;
        if (!commit || entry.state === 'save') restore = entry.prior;
        else if (entry.nestLevel === 1) {
          if (entry.state === 'set-local') restore = entry.masked;
          else if (entry.state === 'local') restore = entry.prior;
          // 'set': the current value becomes the session value.
        } else if (!prev || prev.nestLevel < entry.nestLevel - 1) {
          entry.nestLevel--;
          break;
        } else {
          // Merge into the entry of the enclosing level.
          if (entry.state === 'set') {
            if (prev.state === 'set-local') delete prev.masked;
            prev.state = prev.state === 'save' ? 'save' : 'set';
          } else if (entry.state === 'local') {
            if (prev.state === 'set') {
              prev.masked = entry.prior;
              prev.state = 'set-local';
            }
          } else if (entry.state === 'set-local') {
            prev.masked = entry.masked!;
            if (prev.state !== 'save') prev.state = 'set-local';
          }
        }
        v.stack.pop();
        if (restore) this.assign(v, { ...restore });
      }
    }
    this.nestLevel = level - 1;
  }

  /** Every parameter with its definition and current value, for pg_settings and SHOW ALL. */
  list(): Array<{ def: GucDefinition; value: GucValue | null; source: GucSource; resetValue: GucValue | null }> {
    return this.registry.all().map((def) => {
      const v = this.variable(def);
      return { def, value: v.current.value, source: v.current.source, resetValue: v.reset.value };
    });
  }
}
