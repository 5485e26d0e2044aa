// readPolicy(): parses a kernel-format binary SELinux policy (versions 20–33, the formats of
// checkpolicy/secilc and of every kernel since 2.6.19) into a PolicyDb. Each count read from the
// file is checked against the bytes that remain before anything is allocated, so a corrupt file
// fails with a message naming the file, the offset and what was expected — never a crash or a
// huge allocation. Entry point: readPolicy(bytes, source).

import { PgError, SqlState, featureNotSupported } from '@palisade/common';
import { Bitmap } from './bitmap.ts';
import type { MlsLevel, MlsRange } from './mls.ts';
import {
  type AvtabEntry, AVTAB, CEXPR, type CategoryDatum, type ClassDatum, type CommonDatum, type CondExpr, type CondNode,
  type Constraint, type ConstraintExpr, type ContextStruct, type FilenameTransition, type HandleUnknown, type InitialSid,
  type PolicyDb, type RangeTransition, type RoleAllow, type RoleDatum, type RoleTransition, type SensitivityDatum,
  type TypeDatum, type UserDatum, type BoolDatum,
} from './policydb.ts';

export const SELINUX_MAGIC = 0xf97cff8c;
export const POLICY_VERSION_MIN = 20;
export const POLICY_VERSION_MAX = 33;
/** Longest symbol name accepted (names in real policies are far shorter). */
export const NAME_LENGTH_MAX = 4096;

const VERSION_MLS = 19;
const VERSION_RANGETRANS = 21;
const VERSION_POLCAP = 22;
const VERSION_PERMISSIVE = 23;
const VERSION_BOUNDARY = 24;
const VERSION_FILENAME_TRANS = 25;
const VERSION_ROLETRANS = 26;
const VERSION_NEW_OBJECT_DEFAULTS = 27;
const VERSION_DEFAULT_TYPE = 28;
const VERSION_CONSTRAINT_NAMES = 29;
const VERSION_XPERMS_IOCTL = 30;
const VERSION_INFINIBAND = 31;
const VERSION_COMP_FTRANS = 33;

const CONFIG_MLS = 1;
const CONFIG_REJECT_UNKNOWN = 2;
const CONFIG_ALLOW_UNKNOWN = 4;

const TYPEDATUM_PROPERTY_PRIMARY = 1;
const TYPEDATUM_PROPERTY_ATTRIBUTE = 2;

/** Thrown (as a PgError XX001) for a policy file that is not a well-formed kernel policy. */
function corrupt(source: string, offset: number, what: string): PgError {
  return new PgError(SqlState.DATA_CORRUPTED, `SELinux: policy file "${source}" is invalid at offset ${offset}: ${what}`);
}

const NAME_DECODER = new TextDecoder('utf-8', { fatal: false });
/** Largest symbol value accepted (avtab keys are 16-bit; roles and users are far fewer). */
const SYMBOL_VALUE_MAX = 0xffff;

class Cursor {
  #view: DataView;
  #bytes: Uint8Array;
  offset = 0;
  /** nprim of the last symbol table read (types need it: before v24 attribute values are unwritten). */
  lastNprim = 0;
  readonly source: string;

  constructor(bytes: Uint8Array, source: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = source;
  }

  get remaining(): number {
    return this.#bytes.length - this.offset;
  }

  fail(what: string, at = this.offset): PgError {
    return corrupt(this.source, at, what);
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) throw this.fail(`truncated ${what} (need ${n} bytes, ${this.remaining} left)`);
  }

  u8(what: string): number {
    this.#need(1, what);
    return this.#view.getUint8(this.offset++);
  }

  u16(what: string): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /** A count of items each at least `minBytes` long: rejected when the file cannot hold them. */
  count(what: string, minBytes: number): number {
    const at = this.offset;
    const n = this.u32(`${what} count`);
    if (n * minBytes > this.remaining) throw this.fail(`${what} count ${n} exceeds the remaining ${this.remaining} bytes`, at);
    return n;
  }

  name(len: number, what: string): string {
    if (len > NAME_LENGTH_MAX) throw this.fail(`${what} name length ${len} exceeds ${NAME_LENGTH_MAX}`);
    this.#need(len, `${what} name`);
    const s = NAME_DECODER.decode(this.#bytes.subarray(this.offset, this.offset + len));
    this.offset += len;
    return s;
  }

  /** Checks that `n` bytes remain, for a run of unchecked reads (u16At/u32At). */
  need(n: number, what: string): void {
    this.#need(n, what);
  }

  u16At(at: number): number {
    return this.#view.getUint16(at, true);
  }

  u32At(at: number): number {
    return this.#view.getUint32(at, true);
  }

  skip(n: number, what: string): void {
    this.#need(n, what);
    this.offset += n;
  }

  ebitmap(what: string): Bitmap {
    const at = this.offset;
    const mapSize = this.u32(`${what} ebitmap map size`);
    const highBit = this.u32(`${what} ebitmap high bit`);
    const count = this.count(`${what} ebitmap node`, 12);
    if (mapSize !== 64) throw this.fail(`${what}: ebitmap map size ${mapSize}, expected 64`, at);
    if (highBit % 64 !== 0) throw this.fail(`${what}: ebitmap high bit ${highBit} is not a multiple of 64`, at);
    if (highBit === 0 && count !== 0) throw this.fail(`${what}: ebitmap with high bit 0 has ${count} nodes`, at);
    const b = new Bitmap();
    let last = -1;
    // count() has checked that all nodes fit in the remaining bytes.
    for (let i = 0; i < count; i++) {
      const nodeAt = this.offset;
      const start = this.#view.getUint32(nodeAt, true);
      const low = this.#view.getUint32(nodeAt + 4, true);
      const high = this.#view.getUint32(nodeAt + 8, true);
      this.offset += 12;
      if (start % 64 !== 0) throw this.fail(`${what}: ebitmap node start ${start} is not a multiple of 64`, nodeAt);
      if (start + 64 > highBit) throw this.fail(`${what}: ebitmap node start ${start} beyond high bit ${highBit}`, nodeAt);
      if (start <= last) throw this.fail(`${what}: ebitmap nodes out of order`, nodeAt);
      last = start;
      b.setWord64(start, low, high);
    }
    return b;
  }
}

interface Header {
  version: number;
  config: number;
}

/** Reads a kernel-format policy. Throws PgError XX001 (corrupt) or 0A000 (unsupported version/target). */
export function readPolicy(bytes: Uint8Array, source = '<memory>'): PolicyDb {
  const r = new Cursor(bytes, source);
  const header = readHeader(r);
  const v = header.version;
  const mls = (header.config & CONFIG_MLS) !== 0;
  const handleUnknown: HandleUnknown =
    (header.config & CONFIG_ALLOW_UNKNOWN) !== 0 ? 'allow' : (header.config & CONFIG_REJECT_UNKNOWN) !== 0 ? 'reject' : 'deny';

  const policyCaps = v >= VERSION_POLCAP ? r.ebitmap('policy capabilities') : new Bitmap();
  const permissiveMap = v >= VERSION_PERMISSIVE ? r.ebitmap('permissive map') : new Bitmap();

  // Symbol tables, in file order: commons, classes, roles, types, users, bools, levels, cats.
  const commons = readSymtab(r, 'common', () => [] as (CommonDatum | undefined)[], (arr) => {
    const at = r.offset;
    const len = r.u32('common name length');
    const value = r.u32('common value');
    r.u32('common permission nprim');
    const nel = r.count('common permission', 8);
    const name = r.name(len, 'common');
    const perms = readPerms(r, nel, 'common');
    put(r, arr, value, { name, value, permissions: perms }, 'common', at);
  });
  const commonByName = new Map<string, CommonDatum>();
  for (const c of commons) if (c) commonByName.set(c.name, c);

  const classes = readSymtab(r, 'class', () => [] as (ClassDatum | undefined)[], (arr) => {
    const at = r.offset;
    const len = r.u32('class name length');
    const len2 = r.u32('class common name length');
    const value = r.u32('class value');
    r.u32('class permission nprim');
    const nel = r.count('class permission', 8);
    const ncons = r.count('class constraint', 8);
    const name = r.name(len, 'class');
    let commonName: string | undefined;
    const permissions = new Map<string, number>();
    if (len2 > 0) {
      commonName = r.name(len2, 'class common');
      const common = commonByName.get(commonName);
      if (common === undefined) throw r.fail(`class ${name} names unknown common ${commonName}`);
      for (const [k, pv] of common.permissions) permissions.set(k, pv);
    }
    for (const [k, pv] of readPerms(r, nel, `class ${name}`)) permissions.set(k, pv);
    const constraints = readConstraints(r, ncons, false, v, `class ${name} constraint`);
    const nvt = r.count(`class ${name} validatetrans`, 8);
    const validatetrans = readConstraints(r, nvt, true, v, `class ${name} validatetrans`);
    let defaultUser = 0;
    let defaultRole = 0;
    let defaultRange = 0;
    let defaultType = 0;
    if (v >= VERSION_NEW_OBJECT_DEFAULTS) {
      defaultUser = r.u32('class default_user');
      defaultRole = r.u32('class default_role');
      defaultRange = r.u32('class default_range');
    }
    if (v >= VERSION_DEFAULT_TYPE) defaultType = r.u32('class default_type');
    put(r, arr, value, {
      name, value, commonName, permissions, constraints, validatetrans, defaultUser, defaultRole, defaultType, defaultRange,
    }, 'class', at);
  });

  const roles = readSymtab(r, 'role', () => [] as (RoleDatum | undefined)[], (arr) => {
    const at = r.offset;
    const len = r.u32('role name length');
    const value = r.u32('role value');
    const bounds = v >= VERSION_BOUNDARY ? r.u32('role bounds') : 0;
    const name = r.name(len, 'role');
    const dominates = r.ebitmap(`role ${name} dominates`);
    const types = r.ebitmap(`role ${name} types`);
    put(r, arr, value, { name, value, bounds, dominates, types }, 'role', at);
  });

  const typeByName = new Map<string, TypeDatum>();
  const aliases: { name: string; value: number; at: number }[] = [];
  const types = readSymtab(r, 'type', () => [] as (TypeDatum | undefined)[], (arr) => {
    const at = r.offset;
    const len = r.u32('type name length');
    const value = r.u32('type value');
    let primary: boolean;
    let attribute = false;
    let bounds = 0;
    if (v >= VERSION_BOUNDARY) {
      const properties = r.u32('type properties');
      primary = (properties & TYPEDATUM_PROPERTY_PRIMARY) !== 0;
      attribute = (properties & TYPEDATUM_PROPERTY_ATTRIBUTE) !== 0;
      bounds = r.u32('type bounds');
    } else {
      primary = r.u32('type primary') !== 0;
    }
    const name = r.name(len, 'type');
    if (!primary) {
      aliases.push({ name, value, at });
      return;
    }
    const datum: TypeDatum = { name, value, primary, attribute, bounds };
    put(r, arr, value, datum, 'type', at);
    typeByName.set(name, datum);
  });
  if (v < VERSION_BOUNDARY) {
    // Before version 24 attributes are not written: their values are holes in the type table.
    const typeCount = r.lastNprim;
    if (typeCount * 12 > r.remaining) throw r.fail(`type count ${typeCount} exceeds the remaining ${r.remaining} bytes`);
    for (let i = 0; i < typeCount; i++) {
      if (types[i] === undefined) types[i] = { name: `<attribute ${i + 1}>`, value: i + 1, primary: true, attribute: true, bounds: 0 };
    }
  }
  for (const a of aliases) {
    const target = types[a.value - 1];
    if (target === undefined) throw r.fail(`type alias ${a.name} has value ${a.value} with no primary type`, a.at);
    typeByName.set(a.name, target);
  }

  const users = readSymtab(r, 'user', () => [] as (UserDatum | undefined)[], (arr) => {
    const at = r.offset;
    const len = r.u32('user name length');
    const value = r.u32('user value');
    const bounds = v >= VERSION_BOUNDARY ? r.u32('user bounds') : 0;
    const name = r.name(len, 'user');
    const rolesBits = r.ebitmap(`user ${name} roles`);
    let range: MlsRange | undefined;
    let defaultLevel: MlsLevel | undefined;
    if (v >= VERSION_MLS) {
      range = readRange(r, `user ${name} range`);
      defaultLevel = readLevel(r, `user ${name} default level`);
    }
    put(r, arr, value, { name, value, bounds, roles: rolesBits, range: mls ? range : undefined, defaultLevel: mls ? defaultLevel : undefined }, 'user', at);
  });

  const bools = readSymtab(r, 'boolean', () => [] as (BoolDatum | undefined)[], (arr) => {
    const at = r.offset;
    const value = r.u32('boolean value');
    const state = r.u32('boolean state');
    const len = r.u32('boolean name length');
    if (state > 1) throw r.fail(`boolean state ${state} is neither 0 nor 1`, at);
    const name = r.name(len, 'boolean');
    put(r, arr, value, { name, value, state: state === 1 }, 'boolean', at);
  });

  const sensitivityByName = new Map<string, SensitivityDatum>();
  const sensitivityList: SensitivityDatum[] = [];
  readSymtab(r, 'sensitivity', () => [], () => {
    const len = r.u32('sensitivity name length');
    const isAlias = r.u32('sensitivity alias flag') !== 0;
    const name = r.name(len, 'sensitivity');
    const level = readLevel(r, `sensitivity ${name}`);
    const datum = { name, isAlias, level };
    sensitivityByName.set(name, datum);
    sensitivityList.push(datum);
  });
  const sensitivities: SensitivityDatum[] = [];
  for (const s of sensitivityList) {
    if (s.isAlias) continue;
    if (s.level.sens < 1 || s.level.sens > sensitivityList.length) throw r.fail(`sensitivity ${s.name} has value ${s.level.sens}`);
    sensitivities[s.level.sens - 1] = s;
  }

  const categoryByName = new Map<string, CategoryDatum>();
  const categories = readSymtab(r, 'category', () => [] as (CategoryDatum | undefined)[], (arr) => {
    const at = r.offset;
    const len = r.u32('category name length');
    const value = r.u32('category value');
    const isAlias = r.u32('category alias flag') !== 0;
    const name = r.name(len, 'category');
    const datum = { name, value, isAlias };
    categoryByName.set(name, datum);
    if (!isAlias) put(r, arr, value, datum, 'category', at);
  });

  // Type enforcement rules.
  const avtab = readAvtab(r, v, 'avtab');
  const condList = readCondList(r, v, bools.length);
  const roleTransitions: RoleTransition[] = [];
  {
    const n = r.count('role_transition', 12);
    for (let i = 0; i < n; i++) {
      const role = r.u32('role_transition role');
      const type = r.u32('role_transition type');
      const newRole = r.u32('role_transition new role');
      const tclass = v >= VERSION_ROLETRANS ? r.u32('role_transition class') : classValueByName(classes, 'process');
      roleTransitions.push({ role, type, tclass, newRole });
    }
  }
  const roleAllows: RoleAllow[] = [];
  {
    const n = r.count('role allow', 8);
    for (let i = 0; i < n; i++) roleAllows.push({ role: r.u32('role allow role'), newRole: r.u32('role allow new role') });
  }
  const filenameTransitions: FilenameTransition[] = [];
  if (v >= VERSION_FILENAME_TRANS) readFilenameTransitions(r, v, filenameTransitions);

  const initialSids = readOcontexts(r, v);
  readGenfs(r, v);

  const rangeTransitions: RangeTransition[] = [];
  {
    const n = r.count('range_transition', 8);
    for (let i = 0; i < n; i++) {
      const sourceType = r.u32('range_transition source type');
      const targetType = r.u32('range_transition target type');
      const targetClass = v >= VERSION_RANGETRANS ? r.u32('range_transition class') : classValueByName(classes, 'process');
      const range = readRange(r, 'range_transition range');
      rangeTransitions.push({ sourceType, targetType, targetClass, range });
    }
  }

  const typeAttrMap: Bitmap[] = [];
  for (let i = 0; i < types.length; i++) {
    const bits = r.ebitmap(`type_attr_map[${i + 1}]`);
    bits.set(i); // the type itself, as libsepol and the kernel add it
    typeAttrMap.push(bits);
  }
  if (r.remaining !== 0) throw r.fail(`${r.remaining} unexpected bytes after the type attribute map`);

  const db: PolicyDb = {
    source, version: v, target: 'selinux', mls, handleUnknown, policyCaps, permissiveMap,
    commons: dense(r, commons, 'common'),
    classes: dense(r, classes, 'class'),
    roles: dense(r, roles, 'role'),
    types: dense(r, types, 'type'),
    users: dense(r, users, 'user'),
    bools: dense(r, bools, 'boolean'),
    sensitivities: dense(r, sensitivities, 'sensitivity'),
    categories: dense(r, categories, 'category'),
    classByName: new Map(dense(r, classes, 'class').map((c) => [c.name, c])),
    roleByName: new Map(dense(r, roles, 'role').map((x) => [x.name, x])),
    typeByName,
    userByName: new Map(dense(r, users, 'user').map((x) => [x.name, x])),
    boolByName: new Map(dense(r, bools, 'boolean').map((x) => [x.name, x])),
    sensitivityByName,
    categoryByName,
    avtab, condList, roleTransitions, roleAllows, filenameTransitions, rangeTransitions, initialSids, typeAttrMap,
  };
  checkReferences(r, db);
  return db;
}

function readHeader(r: Cursor): Header {
  const magic = r.u32('magic number');
  if (magic !== SELINUX_MAGIC) {
    throw r.fail(`magic number 0x${magic.toString(16)} is not the SELinux kernel policy magic 0x${SELINUX_MAGIC.toString(16)}`, 0);
  }
  const len = r.u32('identification string length');
  if (len > 32) throw r.fail(`identification string length ${len} exceeds 32`, 4);
  const id = r.name(len, 'identification string');
  if (id === 'XenFlask') throw featureNotSupported(`SELinux: the Xen policy format (policy file "${r.source}")`);
  if (id !== 'SE Linux') throw r.fail(`identification string "${id}" is not "SE Linux"`, 8);
  const at = r.offset;
  const version = r.u32('policy version');
  const config = r.u32('policy config');
  const symNum = r.u32('symbol table count');
  const oconNum = r.u32('object context count');
  if (version < POLICY_VERSION_MIN || version > POLICY_VERSION_MAX) {
    throw featureNotSupported(
      `SELinux: policy version ${version} (policy file "${r.source}"; versions ${POLICY_VERSION_MIN}-${POLICY_VERSION_MAX} are)`,
    );
  }
  const expectedOcon = version >= VERSION_INFINIBAND ? 9 : 7;
  if (symNum !== 8 || oconNum !== expectedOcon) {
    throw r.fail(`table sizes (${symNum},${oconNum}) do not match version ${version} (8,${expectedOcon})`, at + 8);
  }
  return { version, config };
}

function readSymtab<T>(r: Cursor, what: string, make: () => T[], readOne: (arr: T[]) => void): T[] {
  r.lastNprim = r.u32(`${what} symbol table nprim`);
  const nel = r.count(`${what} symbol table element`, 8);
  const arr = make();
  for (let i = 0; i < nel; i++) readOne(arr);
  return arr;
}

function put<T>(r: Cursor, arr: (T | undefined)[], value: number, datum: T, what: string, at: number): void {
  if (value < 1 || value > SYMBOL_VALUE_MAX) throw r.fail(`${what} value ${value} out of range`, at);
  if (arr[value - 1] !== undefined) throw r.fail(`duplicate ${what} value ${value}`, at);
  arr[value - 1] = datum;
}

/** The array with no holes: every value 1..n must be defined. */
function dense<T>(r: Cursor, arr: readonly (T | undefined)[], what: string): T[] {
  const out: T[] = [];
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    if (x === undefined) throw r.fail(`${what} value ${i + 1} is not defined`);
    out.push(x);
  }
  return out;
}

function readPerms(r: Cursor, nel: number, what: string): Map<string, number> {
  const perms = new Map<string, number>();
  for (let i = 0; i < nel; i++) {
    const at = r.offset;
    const len = r.u32(`${what} permission name length`);
    const value = r.u32(`${what} permission value`);
    const name = r.name(len, `${what} permission`);
    if (value < 1 || value > 32) throw r.fail(`${what} permission ${name} has value ${value} (1-32 allowed)`, at);
    perms.set(name, value);
  }
  return perms;
}

function readTypeSet(r: Cursor, what: string): void {
  r.ebitmap(`${what} type set`);
  r.ebitmap(`${what} type set negation`);
  r.u32(`${what} type set flags`);
}

function readConstraints(r: Cursor, n: number, allowXTarget: boolean, v: number, what: string): Constraint[] {
  const out: Constraint[] = [];
  for (let i = 0; i < n; i++) {
    const permissions = r.u32(`${what} permissions`);
    const nexpr = r.count(`${what} expression`, 12);
    const expr: ConstraintExpr[] = [];
    let depth = -1;
    for (let j = 0; j < nexpr; j++) {
      const at = r.offset;
      const exprType = r.u32(`${what} expression type`);
      const attr = r.u32(`${what} expression attribute`);
      const op = r.u32(`${what} expression operator`);
      let names: Bitmap | undefined;
      switch (exprType) {
        case CEXPR.NOT:
          if (depth < 0) throw r.fail(`${what}: "not" with an empty stack`, at);
          break;
        case CEXPR.AND:
        case CEXPR.OR:
          if (depth < 1) throw r.fail(`${what}: "and"/"or" needs two operands`, at);
          depth--;
          break;
        case CEXPR.ATTR:
          if (depth === CEXPR.MAXDEPTH - 1) throw r.fail(`${what}: expression deeper than ${CEXPR.MAXDEPTH}`, at);
          depth++;
          break;
        case CEXPR.NAMES:
          if (!allowXTarget && (attr & CEXPR.XTARGET) !== 0) throw r.fail(`${what}: u3/r3/t3 outside validatetrans`, at);
          if (depth === CEXPR.MAXDEPTH - 1) throw r.fail(`${what}: expression deeper than ${CEXPR.MAXDEPTH}`, at);
          depth++;
          names = r.ebitmap(`${what} names`);
          if (v >= VERSION_CONSTRAINT_NAMES) readTypeSet(r, what);
          break;
        default:
          throw r.fail(`${what}: unknown expression type ${exprType}`, at);
      }
      expr.push(names === undefined ? { exprType, attr, op } : { exprType, attr, op, names });
    }
    if (depth !== 0) throw r.fail(`${what}: expression leaves ${depth + 1} values on the stack`);
    out.push({ permissions, expr });
  }
  return out;
}

function readLevel(r: Cursor, what: string): MlsLevel {
  const sens = r.u32(`${what} sensitivity`);
  const cats = r.ebitmap(`${what} categories`);
  return { sens, cats };
}

function readRange(r: Cursor, what: string): MlsRange {
  const at = r.offset;
  const items = r.u32(`${what} item count`);
  if (items < 1 || items > 2) throw r.fail(`${what}: range has ${items} levels (1 or 2 expected)`, at);
  const lowSens = r.u32(`${what} low sensitivity`);
  const highSens = items > 1 ? r.u32(`${what} high sensitivity`) : lowSens;
  const lowCats = r.ebitmap(`${what} low categories`);
  const highCats = items > 1 ? r.ebitmap(`${what} high categories`) : lowCats;
  return { low: { sens: lowSens, cats: lowCats }, high: { sens: highSens, cats: highCats } };
}

const AV_KINDS: ReadonlySet<number> = new Set([
  AVTAB.ALLOWED, AVTAB.AUDITDENY, AVTAB.AUDITALLOW, AVTAB.TRANSITION, AVTAB.CHANGE, AVTAB.MEMBER,
  AVTAB.XPERMS_ALLOWED, AVTAB.XPERMS_AUDITALLOW, AVTAB.XPERMS_DONTAUDIT,
]);

function readAvtabItem(r: Cursor, v: number, what: string): AvtabEntry | undefined {
  const at = r.offset;
  r.need(8, what);
  const sourceType = r.u16At(at);
  const targetType = r.u16At(at + 2);
  const targetClass = r.u16At(at + 4);
  const specified = r.u16At(at + 6);
  r.offset += 8;
  const kind = specified & ~AVTAB.ENABLED;
  if (!AV_KINDS.has(kind)) throw r.fail(`${what}: entry kind 0x${specified.toString(16)} is not exactly one rule kind`, at);
  if (sourceType === 0 || targetType === 0 || targetClass === 0) throw r.fail(`${what}: entry with a zero type or class`, at);
  if ((kind & AVTAB.XPERMS) !== 0) {
    if (v < VERSION_XPERMS_IOCTL) throw r.fail(`${what}: extended permissions in policy version ${v}`, at);
    // Extended permissions (ioctl) apply to no database class: parsed and ignored.
    r.skip(34, `${what} extended permissions`);
    return undefined;
  }
  r.need(4, what);
  const data = r.u32At(r.offset);
  r.offset += 4;
  return { sourceType, targetType, targetClass, specified: kind, data };
}

function readAvtab(r: Cursor, v: number, what: string): AvtabEntry[] {
  const n = r.count(`${what} entry`, 12);
  const out: AvtabEntry[] = [];
  for (let i = 0; i < n; i++) {
    const e = readAvtabItem(r, v, what);
    if (e !== undefined) out.push(e);
  }
  return out;
}

function readCondList(r: Cursor, v: number, boolCount: number): CondNode[] {
  const n = r.count('conditional', 16);
  const out: CondNode[] = [];
  for (let i = 0; i < n; i++) {
    r.u32('conditional current state');
    const nexpr = r.count('conditional expression', 8);
    const expr: CondExpr[] = [];
    let depth = 0;
    for (let j = 0; j < nexpr; j++) {
      const at = r.offset;
      const exprType = r.u32('conditional expression type');
      const bool = r.u32('conditional expression boolean');
      if (exprType < 1 || exprType > 7) throw r.fail(`conditional expression type ${exprType} unknown`, at);
      if (exprType === 1) {
        if (bool < 1 || bool > boolCount) throw r.fail(`conditional names boolean ${bool} of ${boolCount}`, at);
        depth++;
      } else if (exprType === 2) {
        if (depth < 1) throw r.fail('conditional "not" with an empty stack', at);
      } else {
        if (depth < 2) throw r.fail('conditional operator needs two operands', at);
        depth--;
      }
      expr.push({ exprType, bool });
    }
    if (depth !== 1) throw r.fail(`conditional expression leaves ${depth} values on the stack`);
    const trueList = readAvtab(r, v, 'conditional true list');
    const falseList = readAvtab(r, v, 'conditional false list');
    out.push({ expr, trueList, falseList });
  }
  return out;
}

function readFilenameTransitions(r: Cursor, v: number, out: FilenameTransition[]): void {
  const n = r.count('filename transition', 8);
  for (let i = 0; i < n; i++) {
    const len = r.u32('filename transition name length');
    const name = r.name(len, 'filename transition');
    if (v < VERSION_COMP_FTRANS) {
      const stype = r.u32('filename transition source type');
      const ttype = r.u32('filename transition target type');
      const tclass = r.u32('filename transition class');
      const otype = r.u32('filename transition new type');
      out.push({ stypes: Bitmap.of([stype - 1]), ttype, tclass, name, otype });
    } else {
      const ttype = r.u32('filename transition target type');
      const tclass = r.u32('filename transition class');
      const ndatum = r.count('filename transition datum', 16);
      for (let j = 0; j < ndatum; j++) {
        const stypes = r.ebitmap('filename transition source types');
        const otype = r.u32('filename transition new type');
        out.push({ stypes, ttype, tclass, name, otype });
      }
    }
  }
}

function readContext(r: Cursor, v: number, what: string): ContextStruct {
  const user = r.u32(`${what} user`);
  const role = r.u32(`${what} role`);
  const type = r.u32(`${what} type`);
  const range = v >= VERSION_MLS ? readRange(r, `${what} range`) : undefined;
  return { user, role, type, range };
}

const OCON_ISID = 0;
const OCON_FS = 1;
const OCON_PORT = 2;
const OCON_NETIF = 3;
const OCON_NODE = 4;
const OCON_FSUSE = 5;
const OCON_NODE6 = 6;
const OCON_IBPKEY = 7;
const OCON_IBENDPORT = 8;

function readOcontexts(r: Cursor, v: number): InitialSid[] {
  const isids: InitialSid[] = [];
  const oconNum = v >= VERSION_INFINIBAND ? 9 : 7;
  for (let i = 0; i < oconNum; i++) {
    const n = r.count(`object context table ${i}`, 8);
    for (let j = 0; j < n; j++) {
      const what = `object context ${i}`;
      switch (i) {
        case OCON_ISID: {
          const sid = r.u32('initial SID');
          isids.push({ sid, context: readContext(r, v, `initial SID ${sid} context`) });
          break;
        }
        case OCON_FS:
        case OCON_NETIF:
          r.name(r.u32(`${what} name length`), what);
          readContext(r, v, what);
          readContext(r, v, what);
          break;
        case OCON_PORT:
          r.skip(12, `${what} port`);
          readContext(r, v, what);
          break;
        case OCON_NODE:
          r.skip(8, `${what} node`);
          readContext(r, v, what);
          break;
        case OCON_FSUSE:
          r.u32(`${what} behavior`);
          r.name(r.u32(`${what} name length`), what);
          readContext(r, v, what);
          break;
        case OCON_NODE6:
          r.skip(32, `${what} node6`);
          readContext(r, v, what);
          break;
        case OCON_IBPKEY:
          r.skip(16, `${what} ibpkey`);
          readContext(r, v, what);
          break;
        case OCON_IBENDPORT: {
          const len = r.u32(`${what} device name length`);
          r.u32(`${what} port`);
          r.name(len, what);
          readContext(r, v, what);
          break;
        }
        default:
          throw r.fail(`unknown object context table ${i}`);
      }
    }
  }
  return isids;
}

function readGenfs(r: Cursor, v: number): void {
  const n = r.count('genfscon filesystem', 8);
  for (let i = 0; i < n; i++) {
    r.name(r.u32('genfscon filesystem name length'), 'genfscon filesystem');
    const m = r.count('genfscon entry', 12);
    for (let j = 0; j < m; j++) {
      r.name(r.u32('genfscon path length'), 'genfscon path');
      r.u32('genfscon class');
      readContext(r, v, 'genfscon context');
    }
  }
}

function classValueByName(classes: readonly (ClassDatum | undefined)[], name: string): number {
  for (const c of classes) if (c?.name === name) return c.value;
  return 0;
}

/** Every value a rule or context names must exist: what the kernel's policydb validation ensures. */
function checkReferences(r: Cursor, db: PolicyDb): void {
  const nt = db.types.length;
  const nc = db.classes.length;
  const nr = db.roles.length;
  const bad = (what: string): PgError => r.fail(what, 0);
  const checkAv = (e: AvtabEntry, where: string): void => {
    if (e.sourceType > nt || e.targetType > nt || e.targetClass > nc) throw bad(`${where} names type or class beyond the symbol tables`);
    if ((e.specified & AVTAB.TYPE) !== 0 && (e.data < 1 || e.data > nt)) throw bad(`${where} type rule yields undefined type ${e.data}`);
  };
  for (const e of db.avtab) checkAv(e, 'avtab entry');
  for (const c of db.condList) for (const e of [...c.trueList, ...c.falseList]) checkAv(e, 'conditional avtab entry');
  for (const t of db.roleTransitions) {
    if (t.role > nr || t.newRole > nr || t.type > nt || t.tclass > nc || t.role < 1 || t.newRole < 1) throw bad('role_transition names an undefined role, type or class');
  }
  for (const a of db.roleAllows) if (a.role > nr || a.newRole > nr) throw bad('role allow names an undefined role');
  for (const t of db.types) if (t.bounds > nt) throw bad(`type ${t.name} bounded by undefined type ${t.bounds}`);
  for (const f of db.filenameTransitions) if (f.otype < 1 || f.otype > nt || f.ttype > nt || f.tclass > nc) throw bad('filename transition names an undefined type or class');
  for (const rt of db.rangeTransitions) if (rt.sourceType > nt || rt.targetType > nt || rt.targetClass > nc) throw bad('range_transition names an undefined type or class');
  for (const u of db.users) {
    for (const role of u.roles) if (role >= nr) throw bad(`user ${u.name} names undefined role ${role + 1}`);
  }
  if (db.mls) {
    const ns = db.sensitivities.length;
    const checkRange = (range: MlsRange | undefined, where: string): void => {
      if (range === undefined) return;
      for (const l of [range.low, range.high]) if (l.sens < 1 || l.sens > ns) throw bad(`${where} names undefined sensitivity ${l.sens}`);
    };
    for (const u of db.users) checkRange(u.range, `user ${u.name}`);
    for (const rt of db.rangeTransitions) checkRange(rt.range, 'range_transition');
  }
}
