// Policy: the decision engine over a PolicyDb — the security server of the kernel
// (security/selinux/ss/services.c) and libsepol, in userspace. Entry points: Policy.load,
// Policy.computeAv, Policy.computeSid, Policy.contextFromString, Policy.isValidContext,
// Policy.setBoolean. Numbers here are the policy's own class and permission values; the
// translation from SE-PostgreSQL's internal codes is provider.ts's job.

import { PgError, SqlState, assert } from '@palisade/common';
import type { Bitmap } from './bitmap.ts';
import { tryParseSecurityContext } from './context.ts';
import {
  type MlsLevel, type MlsNaming, type MlsRange, formatMlsRange, levelDominates, levelEquals, levelIncomparable, rangeContains,
  rangeIsOrdered,
} from './mls.ts';
import {
  type AvtabEntry, AVTAB, CEXPR, type ClassDatum, type CondNode, type Constraint, type ContextStruct, DEFAULT_RANGE,
  DEFAULT_SOURCE, DEFAULT_TARGET, type PolicyDb, type RangeTransition, SECINITSID_UNLABELED,
} from './policydb.ts';
import { readPolicy } from './reader.ts';

/** The role every object gets unless a rule says otherwise (OBJECT_R_VAL). */
const OBJECT_R_VALUE = 1;

/** What computeAv returns: vectors in the policy's permission bits of the class. */
export interface AvDecision {
  allowed: number;
  auditallow: number;
  auditdeny: number;
  /** The source type is a permissive domain (AVD_FLAGS_PERMISSIVE). */
  permissive: boolean;
}

/** Which type rule computeSid applies. */
export type SidRuleKind = 'transition' | 'member' | 'change';

/** computeSid's result: the new context and whether the policy allows it to exist. */
export interface ComputedContext {
  context: ContextStruct;
  /** False when the computed context is not valid in the policy (the kernel then fails with EACCES in enforcing mode). */
  valid: boolean;
}

/** Largest number of constraint expression nodes evaluated per constraint (reader enforces depth ≤ 5). */
const CEXPR_STACK_MAX = 8;

interface CondAvEntry {
  readonly entry: AvtabEntry;
  readonly node: number;
  readonly whenTrue: boolean;
}

function avKey(sourceType: number, targetType: number, tclass: number): number {
  return (sourceType * 65536 + targetType) * 65536 + tclass;
}

// Rules are indexed first by (class, source type), then by target type: both keys stay small
// integers, and a decision skips every source attribute that has no rule for the class at once.
function outerKey(tclass: number, sourceType: number): number {
  return tclass * 65536 + sourceType;
}

function addIndexed<T>(index: Map<number, Map<number, T[]>>, tclass: number, sourceType: number, targetType: number, x: T): void {
  const ok = outerKey(tclass, sourceType);
  let inner = index.get(ok);
  if (inner === undefined) {
    inner = new Map();
    index.set(ok, inner);
  }
  const list = inner.get(targetType);
  if (list) list.push(x);
  else inner.set(targetType, [x]);
}

/** A loaded policy and its current boolean values. */
export class Policy implements MlsNaming {
  readonly db: PolicyDb;
  readonly processClass: number;
  #processTransitionBits: number;
  #avIndex = new Map<number, Map<number, AvtabEntry[]>>();
  #condIndex = new Map<number, Map<number, CondAvEntry[]>>();
  #filenameIndex = new Map<string, { stypes: Bitmap; otype: number }[]>();
  #rangeIndex = new Map<number, RangeTransition>();
  #roleTransIndex = new Map<string, number>();
  #roleAllows = new Set<string>();
  #boolValues: boolean[];
  /** Per conditional node: true, false, or undefined (expression malformed — all its rules off). */
  #condState: (boolean | undefined)[] = [];
  #boolSeqno = 0;

  constructor(db: PolicyDb) {
    this.db = db;
    this.processClass = db.classByName.get('process')?.value ?? 0;
    const process = db.classByName.get('process');
    const bit = (name: string): number => {
      const v = process?.permissions.get(name);
      return v === undefined ? 0 : 1 << (v - 1);
    };
    this.#processTransitionBits = (bit('transition') | bit('dyntransition')) >>> 0;
    for (const e of db.avtab) addIndexed(this.#avIndex, e.targetClass, e.sourceType, e.targetType, e);
    db.condList.forEach((node, i) => {
      for (const [whenTrue, list] of [[true, node.trueList], [false, node.falseList]] as const) {
        for (const entry of list) addIndexed(this.#condIndex, entry.targetClass, entry.sourceType, entry.targetType, { entry, node: i, whenTrue });
      }
    });
    for (const f of db.filenameTransitions) {
      const k = `${f.ttype}/${f.tclass}/${f.name}`;
      const l = this.#filenameIndex.get(k);
      if (l) l.push({ stypes: f.stypes, otype: f.otype });
      else this.#filenameIndex.set(k, [{ stypes: f.stypes, otype: f.otype }]);
    }
    for (const rt of db.rangeTransitions) this.#rangeIndex.set(avKey(rt.sourceType, rt.targetType, rt.targetClass), rt);
    for (const rt of db.roleTransitions) this.#roleTransIndex.set(`${rt.role}/${rt.type}/${rt.tclass}`, rt.newRole);
    for (const ra of db.roleAllows) this.#roleAllows.add(`${ra.role}/${ra.newRole}`);
    this.#boolValues = db.bools.map((b) => b.state);
    this.#evaluateConds();
  }

  /** Parses a binary policy file's bytes (see readPolicy for the errors). */
  static load(bytes: Uint8Array, source?: string): Policy {
    return new Policy(readPolicy(bytes, source));
  }

  /** Incremented whenever a boolean change alters decisions. */
  get boolSeqno(): number {
    return this.#boolSeqno;
  }

  // MlsNaming over the policy's sensitivities and categories (aliases accepted on input).
  sensitivityValue(name: string): number | undefined {
    return this.db.sensitivityByName.get(name)?.level.sens;
  }
  categoryValue(name: string): number | undefined {
    return this.db.categoryByName.get(name)?.value;
  }
  sensitivityName(value: number): string {
    return this.db.sensitivities[value - 1]?.name ?? `?s${value}`;
  }
  categoryName(value: number): string {
    return this.db.categories[value - 1]?.name ?? `?c${value}`;
  }

  // ---- booleans ----------------------------------------------------------------------------

  getBoolean(name: string): boolean | undefined {
    const b = this.db.boolByName.get(name);
    return b === undefined ? undefined : this.#boolValues[b.value - 1];
  }

  /** Sets a boolean and re-evaluates the conditionals; throws 42704 for an unknown boolean. */
  setBoolean(name: string, value: boolean): void {
    const b = this.db.boolByName.get(name);
    if (b === undefined) throw new PgError(SqlState.UNDEFINED_OBJECT, `SELinux: boolean "${name}" does not exist`);
    if (this.#boolValues[b.value - 1] === value) return;
    this.#boolValues[b.value - 1] = value;
    this.#evaluateConds();
    this.#boolSeqno++;
  }

  #evaluateConds(): void {
    this.#condState = this.db.condList.map((node) => this.#evalCond(node));
  }

  // The stack machine of conditional.c:cond_evaluate_expr; undefined when malformed.
  #evalCond(node: CondNode): boolean | undefined {
    const s: boolean[] = [];
    for (const e of node.expr) {
      switch (e.exprType) {
        case 1:
          s.push(this.#boolValues[e.bool - 1] ?? false);
          break;
        case 2:
          if (s.length < 1) return undefined;
          s.push(!s.pop());
          break;
        default: {
          if (s.length < 2) return undefined;
          const b = s.pop()!;
          const a = s.pop()!;
          if (e.exprType === 3) s.push(a || b);
          else if (e.exprType === 4) s.push(a && b);
          else if (e.exprType === 5) s.push(a !== b);
          else if (e.exprType === 6) s.push(a === b);
          else if (e.exprType === 7) s.push(a !== b);
          else return undefined;
        }
      }
    }
    return s.length === 1 ? s[0] : undefined;
  }

  // ---- contexts ----------------------------------------------------------------------------

  /**
   * Maps a context string to values; undefined when it is malformed or names an unknown user,
   * role, type (attributes are not types), sensitivity or category. Does not check validity.
   */
  contextFromString(text: string): ContextStruct | undefined {
    const ctx = tryParseSecurityContext(text, this, this.db.mls);
    if (ctx === undefined) return undefined;
    const user = this.db.userByName.get(ctx.user);
    const role = this.db.roleByName.get(ctx.role);
    const type = this.db.typeByName.get(ctx.type);
    if (user === undefined || role === undefined || type === undefined || type.attribute) return undefined;
    return { user: user.value, role: role.value, type: type.value, range: ctx.range };
  }

  contextToString(c: ContextStruct): string {
    const u = this.db.users[c.user - 1];
    const r = this.db.roles[c.role - 1];
    const t = this.db.types[c.type - 1];
    assert(u && r && t, 'context names undefined symbols');
    const base = `${u.name}:${r.name}:${t.name}`;
    return this.db.mls && c.range ? `${base}:${formatMlsRange(c.range, this)}` : base;
  }

  /** policydb_context_isvalid: symbols defined, role may use type, user may use role, MLS range allowed. */
  isValidContext(c: ContextStruct): boolean {
    const db = this.db;
    if (c.role < 1 || c.role > db.roles.length || c.user < 1 || c.user > db.users.length) return false;
    if (c.type < 1 || c.type > db.types.length) return false;
    const role = db.roles[c.role - 1]!;
    const user = db.users[c.user - 1]!;
    if (c.role !== OBJECT_R_VALUE) {
      if (!role.types.has(c.type - 1)) return false;
      if (!user.roles.has(c.role - 1)) return false;
    }
    if (!db.mls) return true;
    if (c.range === undefined || !this.#rangeIsValid(c.range)) return false;
    if (c.role === OBJECT_R_VALUE) return true;
    return user.range !== undefined && rangeContains(user.range, c.range);
  }

  #levelIsValid(l: MlsLevel): boolean {
    const sens = this.db.sensitivities[l.sens - 1];
    if (l.sens < 1 || sens === undefined) return false;
    return l.cats.highBit <= this.db.categories.length && sens.level.cats.containsAll(l.cats);
  }

  #rangeIsValid(r: MlsRange): boolean {
    return this.#levelIsValid(r.low) && this.#levelIsValid(r.high) && rangeIsOrdered(r);
  }

  /** The context of initial SID `sid` (3 = unlabeled); undefined if the policy does not define it. */
  initialContext(sid = SECINITSID_UNLABELED): ContextStruct | undefined {
    return this.db.initialSids.find((s) => s.sid === sid)?.context;
  }

  classByValue(tclass: number): ClassDatum | undefined {
    return this.db.classes[tclass - 1];
  }

  // ---- access decisions --------------------------------------------------------------------

  /**
   * context_struct_compute_av: TE rules over the attribute closure of both types (conditional
   * rules under the current booleans), constraints, role allow for process transitions, type
   * bounds; plus the permissive flag of the source type.
   */
  computeAv(s: ContextStruct, t: ContextStruct, tclass: number): AvDecision {
    const avd = this.#computeAvCore(s, t, tclass, 0);
    avd.permissive = this.db.permissiveMap.has(s.type);
    return avd;
  }

  #computeAvCore(s: ContextStruct, t: ContextStruct, tclass: number, boundsDepth: number): AvDecision {
    const avd: AvDecision = { allowed: 0, auditallow: 0, auditdeny: 0xffffffff, permissive: false };
    const cls = this.db.classes[tclass - 1];
    assert(cls !== undefined, () => `class value ${tclass} is not in the policy`);
    const sattr = this.db.typeAttrMap[s.type - 1];
    const tattr = this.db.typeAttrMap[t.type - 1];
    assert(sattr && tattr, 'context type outside the policy');
    const tbits = tattr.toArray();
    for (const i of sattr) {
      const inner = this.#avIndex.get(outerKey(tclass, i + 1));
      const cinner = this.#condIndex.get(outerKey(tclass, i + 1));
      if (inner === undefined && cinner === undefined) continue;
      for (const j of tbits) {
        const list = inner?.get(j + 1);
        if (list) for (const e of list) this.#applyAv(avd, e);
        const clist = cinner?.get(j + 1);
        if (clist) {
          for (const c of clist) if (this.#condState[c.node] === c.whenTrue) this.#applyAv(avd, c.entry);
        }
      }
    }
    for (const c of cls.constraints) {
      if ((c.permissions & avd.allowed) !== 0 && !this.#evalConstraint(s, t, undefined, c)) {
        avd.allowed = (avd.allowed & ~c.permissions) >>> 0;
      }
    }
    if (tclass === this.processClass && (avd.allowed & this.#processTransitionBits) !== 0 && s.role !== t.role) {
      if (!this.#roleAllows.has(`${s.role}/${t.role}`)) avd.allowed = (avd.allowed & ~this.#processTransitionBits) >>> 0;
    }
    this.#boundsAv(s, t, tclass, avd, boundsDepth);
    return avd;
  }

  #applyAv(avd: AvDecision, e: AvtabEntry): void {
    if (e.specified === AVTAB.ALLOWED) avd.allowed = (avd.allowed | e.data) >>> 0;
    else if (e.specified === AVTAB.AUDITALLOW) avd.auditallow = (avd.auditallow | e.data) >>> 0;
    else if (e.specified === AVTAB.AUDITDENY) avd.auditdeny = (avd.auditdeny & e.data) >>> 0;
  }

  // type_attribute_bounds_av: a bounded type never gets more than its parent.
  #boundsAv(s: ContextStruct, t: ContextStruct, tclass: number, avd: AvDecision, depth: number): void {
    const source = this.db.types[s.type - 1]!;
    if (source.bounds === 0) return;
    // Bounds chains are acyclic in a valid policy; the depth limit guards a corrupt one.
    if (depth >= this.db.types.length) return;
    const target = this.db.types[t.type - 1]!;
    const lo = this.#computeAvCore({ ...s, type: source.bounds }, target.bounds !== 0 ? { ...t, type: target.bounds } : t, tclass, depth + 1);
    const masked = (~lo.allowed & avd.allowed) >>> 0;
    if (masked !== 0) avd.allowed = (avd.allowed & ~masked) >>> 0;
  }

  /** constraint_expr_eval over `s`, `t` and (validatetrans) `x`. */
  #evalConstraint(s: ContextStruct, t: ContextStruct, x: ContextStruct | undefined, c: Constraint): boolean {
    const stack: boolean[] = [];
    for (const e of c.expr) {
      assert(stack.length <= CEXPR_STACK_MAX, 'constraint stack overflow');
      switch (e.exprType) {
        case CEXPR.NOT:
          stack.push(!stack.pop());
          break;
        case CEXPR.AND: {
          const b = stack.pop()!;
          const a = stack.pop()!;
          stack.push(a && b);
          break;
        }
        case CEXPR.OR: {
          const b = stack.pop()!;
          const a = stack.pop()!;
          stack.push(a || b);
          break;
        }
        case CEXPR.ATTR:
          stack.push(this.#evalAttr(s, t, e.attr, e.op));
          break;
        case CEXPR.NAMES: {
          const ctx = (e.attr & CEXPR.TARGET) !== 0 ? t : (e.attr & CEXPR.XTARGET) !== 0 ? x : s;
          if (ctx === undefined || e.names === undefined) return false;
          let val: number;
          if ((e.attr & CEXPR.USER) !== 0) val = ctx.user;
          else if ((e.attr & CEXPR.ROLE) !== 0) val = ctx.role;
          else if ((e.attr & CEXPR.TYPE) !== 0) val = ctx.type;
          else return false;
          const has = e.names.has(val - 1);
          if (e.op === CEXPR.EQ) stack.push(has);
          else if (e.op === CEXPR.NEQ) stack.push(!has);
          else return false;
          break;
        }
        default:
          return false;
      }
    }
    return stack[0] ?? false;
  }

  #evalAttr(s: ContextStruct, t: ContextStruct, attr: number, op: number): boolean {
    let v1: number;
    let v2: number;
    let l1: MlsLevel | undefined;
    let l2: MlsLevel | undefined;
    switch (attr) {
      case CEXPR.USER:
        v1 = s.user;
        v2 = t.user;
        break;
      case CEXPR.TYPE:
        v1 = s.type;
        v2 = t.type;
        break;
      case CEXPR.ROLE: {
        v1 = s.role;
        v2 = t.role;
        const r1 = this.db.roles[v1 - 1]!;
        const r2 = this.db.roles[v2 - 1]!;
        if (op === CEXPR.DOM) return r1.dominates.has(v2 - 1);
        if (op === CEXPR.DOMBY) return r2.dominates.has(v1 - 1);
        if (op === CEXPR.INCOMP) return !r1.dominates.has(v2 - 1) && !r2.dominates.has(v1 - 1);
        break;
      }
      case CEXPR.L1L2: l1 = s.range?.low; l2 = t.range?.low; return mlsOp(l1, l2, op);
      case CEXPR.L1H2: l1 = s.range?.low; l2 = t.range?.high; return mlsOp(l1, l2, op);
      case CEXPR.H1L2: l1 = s.range?.high; l2 = t.range?.low; return mlsOp(l1, l2, op);
      case CEXPR.H1H2: l1 = s.range?.high; l2 = t.range?.high; return mlsOp(l1, l2, op);
      case CEXPR.L1H1: l1 = s.range?.low; l2 = s.range?.high; return mlsOp(l1, l2, op);
      case CEXPR.L2H2: l1 = t.range?.low; l2 = t.range?.high; return mlsOp(l1, l2, op);
      default:
        return false;
    }
    if (op === CEXPR.EQ) return v1 === v2;
    if (op === CEXPR.NEQ) return v1 !== v2;
    return false;
  }

  /** Checks validatetrans constraints of `tclass` for relabelling `old` to `next` by `task`. */
  validateTransition(old: ContextStruct, next: ContextStruct, task: ContextStruct, tclass: number): boolean {
    const cls = this.db.classes[tclass - 1];
    assert(cls !== undefined, () => `class value ${tclass} is not in the policy`);
    return cls.validatetrans.every((c) => this.#evalConstraint(old, next, task, c));
  }

  // ---- labelling ---------------------------------------------------------------------------

  /**
   * security_compute_sid: the context of a new object (transition), a polyinstantiated member
   * (member) or a relabelled object (change), with default_* rules, type rules (conditional ones
   * when no unconditional one matches), name-based type transitions, role transitions and
   * range transitions / MLS defaults.
   */
  computeSid(s: ContextStruct, t: ContextStruct, tclass: number, kind: SidRuleKind, objname?: string): ComputedContext {
    const cls = this.db.classes[tclass - 1];
    assert(cls !== undefined, () => `class value ${tclass} is not in the policy`);
    const isProcess = tclass === this.processClass;
    let user: number;
    // A member object always takes the related object's user; default_user only steers the others.
    if (kind === 'member') user = t.user;
    else user = cls.defaultUser === DEFAULT_TARGET ? t.user : s.user;

    let role: number;
    if (cls.defaultRole === DEFAULT_SOURCE) role = s.role;
    else if (cls.defaultRole === DEFAULT_TARGET) role = t.role;
    else role = isProcess ? s.role : OBJECT_R_VALUE;

    let type: number;
    if (cls.defaultType === DEFAULT_SOURCE) type = s.type;
    else if (cls.defaultType === DEFAULT_TARGET) type = t.type;
    else type = isProcess ? s.type : t.type;

    const spec = kind === 'transition' ? AVTAB.TRANSITION : kind === 'member' ? AVTAB.MEMBER : AVTAB.CHANGE;
    const ok = outerKey(tclass, s.type);
    let ruleType: number | undefined = this.#avIndex.get(ok)?.get(t.type)?.find((e) => e.specified === spec)?.data;
    if (ruleType === undefined) {
      const c = this.#condIndex.get(ok)?.get(t.type)?.find((x) => x.entry.specified === spec && this.#condState[x.node] === x.whenTrue);
      ruleType = c?.entry.data;
    }
    if (ruleType !== undefined) type = ruleType;

    if (objname !== undefined && kind === 'transition') {
      const candidates = this.#filenameIndex.get(`${t.type}/${tclass}/${objname}`);
      const hit = candidates?.find((f) => f.stypes.has(s.type - 1));
      if (hit) type = hit.otype;
    }

    if (kind === 'transition') {
      const nr = this.#roleTransIndex.get(`${s.role}/${t.type}/${tclass}`);
      if (nr !== undefined) role = nr;
    }

    const range = this.#computeRange(s, t, tclass, kind, cls);
    if (range === null) return { context: { user, role, type, range: s.range }, valid: false };
    const context: ContextStruct = { user, role, type, range };
    return { context, valid: this.isValidContext(context) };
  }

  // mls_compute_sid; null when default_range glblub finds no common sensitivity.
  #computeRange(s: ContextStruct, t: ContextStruct, tclass: number, kind: SidRuleKind, cls: ClassDatum): MlsRange | undefined | null {
    if (!this.db.mls) return undefined;
    const sr = s.range;
    const tr = t.range;
    assert(sr !== undefined && tr !== undefined, 'MLS policy context without a range');
    if (kind === 'transition') {
      const rt = this.#rangeIndex.get(avKey(s.type, t.type, tclass));
      if (rt) return rt.range;
      switch (cls.defaultRange) {
        case DEFAULT_RANGE.SOURCE_LOW: return { low: sr.low, high: sr.low };
        case DEFAULT_RANGE.SOURCE_HIGH: return { low: sr.high, high: sr.high };
        case DEFAULT_RANGE.SOURCE_LOW_HIGH: return sr;
        case DEFAULT_RANGE.TARGET_LOW: return { low: tr.low, high: tr.low };
        case DEFAULT_RANGE.TARGET_HIGH: return { low: tr.high, high: tr.high };
        case DEFAULT_RANGE.TARGET_LOW_HIGH: return tr;
        case DEFAULT_RANGE.GLBLUB: return glblub(sr, tr) ?? null;
        default:
          break;
      }
    }
    if (kind === 'member') return { low: sr.low, high: sr.low };
    return tclass === this.processClass ? sr : { low: sr.low, high: sr.low };
  }
}

function mlsOp(l1: MlsLevel | undefined, l2: MlsLevel | undefined, op: number): boolean {
  if (l1 === undefined || l2 === undefined) return false;
  switch (op) {
    case CEXPR.EQ: return levelEquals(l1, l2);
    case CEXPR.NEQ: return !levelEquals(l1, l2);
    case CEXPR.DOM: return levelDominates(l1, l2);
    case CEXPR.DOMBY: return levelDominates(l2, l1);
    case CEXPR.INCOMP: return levelIncomparable(l2, l1);
    default: return false;
  }
}

// mls_context_glblub: the greatest low and least high, intersecting categories; undefined when the
// ranges share no sensitivity (the kernel then fails the computation with EINVAL).
function glblub(a: MlsRange, b: MlsRange): MlsRange | undefined {
  if (a.high.sens < b.low.sens || b.high.sens < a.low.sens) return undefined;
  const low: MlsLevel = { sens: Math.max(a.low.sens, b.low.sens), cats: a.low.cats.intersect(b.low.cats) };
  const high: MlsLevel = { sens: Math.min(a.high.sens, b.high.sens), cats: a.high.cats.intersect(b.high.cats) };
  return { low, high };
}
