// jsonb operators and functions as plain functions over Datums, with PostgreSQL 15's results
// and errors: -> ->> #> #>> @> <@ ? ?| ?& || - #-, jsonb_typeof, jsonb_array_length,
// jsonb_build_object, jsonb_build_array, to_jsonb, jsonb_set, jsonb_pretty, jsonb_strip_nulls.
// SQL NULL results are null.

import { PgError, SqlState } from '@palisade/common';
import type { Datum, IoContext, PgArray } from './datum.ts';
import { Jsonb, JsonbObject, type JsonbValue, compareJsonbValues, makeJsonbObject } from './jsonb.ts';
import { Numeric } from './numeric.ts';
import { typeByOid } from './registry.ts';

function kindOf(v: JsonbValue): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Numeric) return 'number';
  return Array.isArray(v) ? 'array' : 'object';
}

const isContainer = (v: JsonbValue): v is JsonbValue[] | JsonbObject => Array.isArray(v) || v instanceof JsonbObject;

function arrayIndex(len: number, idx: number): number | undefined {
  const i = idx < 0 ? len + idx : idx;
  return i >= 0 && i < len ? i : undefined;
}

/** `->` with a text key or an integer index. */
export function jsonbGet(j: Jsonb, key: string | number): Jsonb | null {
  const r = getValue(j.root, key);
  return r === undefined ? null : new Jsonb(r);
}

function getValue(v: JsonbValue, key: string | number): JsonbValue | undefined {
  if (typeof key === 'string') return v instanceof JsonbObject ? v.get(key) : undefined;
  // A raw scalar is a one-element pseudo-array.
  if (!isContainer(v)) return key === 0 || key === -1 ? v : undefined;
  if (!Array.isArray(v)) return undefined;
  const i = arrayIndex(v.length, key);
  return i === undefined ? undefined : v[i];
}

/** A jsonb value as `->>` returns it: strings unquoted, JSON null as SQL NULL. */
function asText(v: JsonbValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  return new Jsonb(v).toString();
}

/** `->>`. */
export function jsonbGetText(j: Jsonb, key: string | number): string | null {
  return asText(getValue(j.root, key));
}

function pathValue(v: JsonbValue, path: readonly (string | null)[]): JsonbValue | undefined {
  let cur: JsonbValue | undefined = v;
  for (const p of path) {
    if (cur === undefined || p === null) return undefined;
    if (cur instanceof JsonbObject) cur = cur.get(p);
    else if (Array.isArray(cur)) {
      if (!/^\s*[+-]?\d+\s*$/.test(p)) return undefined;
      const i = arrayIndex(cur.length, Number(p));
      cur = i === undefined ? undefined : cur[i];
    } else return undefined;
  }
  return cur;
}

/** `#>`. */
export function jsonbGetPath(j: Jsonb, path: readonly (string | null)[]): Jsonb | null {
  const r = pathValue(j.root, path);
  return r === undefined ? null : new Jsonb(r);
}

/** `#>>`. */
export function jsonbGetPathText(j: Jsonb, path: readonly (string | null)[]): string | null {
  const r = pathValue(j.root, path);
  if (r === undefined) return null;
  if (path.length === 0 && isContainer(r)) return new Jsonb(r).toString();
  return asText(r);
}

function deepContains(a: JsonbValue, b: JsonbValue): boolean {
  if (a instanceof JsonbObject && b instanceof JsonbObject) {
    for (const [k, bv] of b.entries) {
      const av = a.get(k);
      if (av === undefined) return false;
      if (isContainer(bv)) {
        if (kindOf(av) !== kindOf(bv) || !deepContains(av, bv)) return false;
      } else if (isContainer(av) || compareJsonbValues(av, bv) !== 0) return false;
    }
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (const be of b) {
      if (isContainer(be)) {
        if (!a.some((ae) => kindOf(ae) === kindOf(be) && deepContains(ae, be))) return false;
      } else if (!a.some((ae) => !isContainer(ae) && compareJsonbValues(ae, be) === 0)) return false;
    }
    return true;
  }
  if (!isContainer(a) && !isContainer(b)) return compareJsonbValues(a, b) === 0;
  return false;
}

/** `@>`: a raw scalar on the right is contained in an array holding it. */
export function jsonbContains(a: Jsonb, b: Jsonb): boolean {
  const ar = a.root;
  const br = b.root;
  if (Array.isArray(ar) && !isContainer(br)) return deepContains(ar, [br]);
  if (!isContainer(ar) && !isContainer(br)) return compareJsonbValues(ar, br) === 0;
  return deepContains(ar, br);
}

/** `<@`. */
export function jsonbContainedBy(a: Jsonb, b: Jsonb): boolean {
  return jsonbContains(b, a);
}

function hasKey(v: JsonbValue, key: string): boolean {
  if (v instanceof JsonbObject) return v.has(key);
  if (Array.isArray(v)) return v.some((e) => e === key);
  return v === key;
}

/** `?`. */
export function jsonbExists(j: Jsonb, key: string): boolean {
  return hasKey(j.root, key);
}

/** `?|`. */
export function jsonbExistsAny(j: Jsonb, keys: readonly (string | null)[]): boolean {
  return keys.some((k) => k !== null && hasKey(j.root, k));
}

/** `?&`. */
export function jsonbExistsAll(j: Jsonb, keys: readonly (string | null)[]): boolean {
  return keys.every((k) => k === null || hasKey(j.root, k));
}

/** `||`. */
export function jsonbConcat(a: Jsonb, b: Jsonb): Jsonb {
  const x = a.root;
  const y = b.root;
  if (x instanceof JsonbObject && y instanceof JsonbObject) return new Jsonb(makeJsonbObject([...x.entries, ...y.entries].map(([k, v]) => [k, v])));
  const asArray = (v: JsonbValue): JsonbValue[] => (Array.isArray(v) ? v : [v]);
  return new Jsonb([...asArray(x), ...asArray(y)]);
}

function invalidParameter(message: string): PgError {
  return new PgError(SqlState.INVALID_PARAMETER_VALUE, message);
}

/** `-` with a text key (object key or array string elements) or an integer index. */
export function jsonbDelete(j: Jsonb, key: string | number): Jsonb {
  const v = j.root;
  if (!isContainer(v)) throw invalidParameter('cannot delete from scalar');
  if (typeof key === 'string') {
    if (v instanceof JsonbObject) return new Jsonb(new JsonbObject(v.entries.filter(([k]) => k !== key)));
    return new Jsonb(v.filter((e) => e !== key));
  }
  if (v instanceof JsonbObject) throw invalidParameter('cannot delete from object using integer index');
  const i = arrayIndex(v.length, key);
  return i === undefined ? j : new Jsonb(v.filter((_, k) => k !== i));
}

/** jsonb_typeof. */
export function jsonbTypeof(j: Jsonb): string {
  return kindOf(j.root);
}

/** jsonb_array_length. */
export function jsonbArrayLength(j: Jsonb): number {
  const v = j.root;
  if (Array.isArray(v)) return v.length;
  if (v instanceof JsonbObject) throw invalidParameter('cannot get array length of a non-array');
  throw invalidParameter('cannot get array length of a scalar');
}

/** jsonb_pretty. */
export function jsonbPretty(j: Jsonb): string {
  return j.pretty();
}

function stripNulls(v: JsonbValue): JsonbValue {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (v instanceof JsonbObject) return new JsonbObject(v.entries.filter(([, x]) => x !== null).map(([k, x]) => [k, stripNulls(x)] as const));
  return v;
}

/** jsonb_strip_nulls: object fields whose value is null go, array elements stay. */
export function jsonbStripNulls(j: Jsonb): Jsonb {
  return new Jsonb(stripNulls(j.root));
}

/** to_jsonb for a Datum of type `typeOid`. */
export function toJsonbValue(v: Datum, typeOid: number, ctx: IoContext): JsonbValue {
  if (v === null) return null;
  if (v instanceof Jsonb) return v.root;
  switch (typeOid) {
    case 16: return v as boolean;
    case 20: case 21: case 23: case 26: return Numeric.fromBigInt(BigInt(v as number | bigint));
    case 700: case 701: {
      const n = v as number;
      if (!Number.isFinite(n)) return typeByOid(typeOid)!.output(n, ctx);
      return Numeric.parse(typeByOid(typeOid)!.output(n, ctx));
    }
    case 1700: return (v as Numeric).isSpecial() ? (v as Numeric).toString() : (v as Numeric);
    case 114: return Jsonb.parse(v as string).root;
    case 1082: case 1114: case 1184: {
      // JSON dates are ISO 8601 ('T' separator), as PostgreSQL's JsonEncodeDateTime.
      const iso = { ...ctx, dateStyle: 'ISO, MDY' };
      const s = typeByOid(typeOid)!.output(v, iso);
      const t = s.replace(' ', 'T');
      return typeOid === 1184 ? t.replace(/([+-]\d\d)$/, '$1:00') : t;
    }
  }
  const impl = typeByOid(typeOid);
  if (impl && (v as PgArray).dims !== undefined && typeof v === 'object' && 'values' in (v as object)) {
    const arr = v as PgArray;
    const build = (d: number, offset: number): JsonbValue[] => {
      const out: JsonbValue[] = [];
      const stride = arr.dims.slice(d + 1).reduce((x, y) => x * y, 1);
      for (let k = 0; k < arr.dims[d]!; k++) {
        out.push(d === arr.dims.length - 1 ? toJsonbValue(arr.values[offset + k]!, arr.elementType, ctx) : build(d + 1, offset + k * stride));
      }
      return out;
    };
    return arr.dims.length === 0 ? [] : build(0, 0);
  }
  return impl ? impl.output(v, ctx) : String(v);
}

/** jsonb_build_array(VARIADIC "any"): values with their type OIDs. */
export function jsonbBuildArray(args: ReadonlyArray<{ value: Datum; typeOid: number }>, ctx: IoContext): Jsonb {
  return new Jsonb(args.map((a) => toJsonbValue(a.value, a.typeOid, ctx)));
}

/** jsonb_build_object(VARIADIC "any"): alternating keys and values. */
export function jsonbBuildObject(args: ReadonlyArray<{ value: Datum; typeOid: number }>, ctx: IoContext): Jsonb {
  if (args.length % 2 !== 0) {
    throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'argument list must have even number of elements', {
      hint: 'The arguments of jsonb_build_object() must consist of alternating keys and values.',
    });
  }
  const pairs: Array<[string, JsonbValue]> = [];
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i]!;
    if (k.value === null) throw invalidParameter(`argument ${i + 1}: key must not be null`);
    const kv = toJsonbValue(k.value, k.typeOid, ctx);
    const key = typeof kv === 'string' ? kv : kv instanceof Numeric ? kv.toString() : typeof kv === 'boolean' ? String(kv) : new Jsonb(kv).toString();
    pairs.push([key, toJsonbValue(args[i + 1]!.value, args[i + 1]!.typeOid, ctx)]);
  }
  return new Jsonb(makeJsonbObject(pairs));
}

/** jsonb_set(target, path, new_value, create_if_missing). */
export function jsonbSet(j: Jsonb, path: readonly (string | null)[], value: Jsonb, createMissing = true): Jsonb {
  if (!isContainer(j.root)) throw invalidParameter('cannot set path in scalar');
  if (path.length === 0) return j;
  const root = j.root;
  if (!createMissing && (Array.isArray(root) ? root.length === 0 : root.entries.length === 0)) return j;
  const set = (v: JsonbValue, level: number): JsonbValue => {
    const p = path[level];
    if (p === null || p === undefined) {
      throw new PgError(SqlState.NULL_VALUE_NOT_ALLOWED, `path element at position ${level + 1} is null`);
    }
    const last = level === path.length - 1;
    if (v instanceof JsonbObject) {
      const cur = v.get(p);
      if (cur === undefined) {
        if (!last || !createMissing) return v;
        return makeJsonbObject([...v.entries.map(([k, x]) => [k, x] as [string, JsonbValue]), [p, value.root]]);
      }
      const next = last ? value.root : isContainer(cur) ? set(cur, level + 1) : cur;
      return new JsonbObject(v.entries.map(([k, x]) => [k, k === p ? next : x] as const));
    }
    if (Array.isArray(v)) {
      if (!/^\s*[+-]?\d+\s*$/.test(p)) {
        throw new PgError(SqlState.INVALID_TEXT_REPRESENTATION, `path element at position ${level + 1} is not an integer: "${p}"`);
      }
      let idx = Number(p);
      if (idx < 0) idx = v.length + idx;
      if (idx < 0 || idx >= v.length) {
        if (!last || !createMissing) return v;
        return idx < 0 ? [value.root, ...v] : [...v, value.root];
      }
      const cur = v[idx]!;
      const next = last ? value.root : isContainer(cur) ? set(cur, level + 1) : cur;
      return v.map((x, k) => (k === idx ? next : x));
    }
    return v;
  };
  return new Jsonb(set(j.root, 0));
}
