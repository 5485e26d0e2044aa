// Casts between the built-in types, with PostgreSQL 15's semantics (pg_cast): numeric
// conversions with their rounding and range errors, the text family with typmod coercion,
// date/time conversions through the session time zone, json ↔ jsonb, jsonb → scalar, and the
// automatic I/O conversion casts (any type ↔ the string types via output/input).
// Entry point: castFunction(sourceOid, targetOid).

import { PgError, SqlState } from '@palisade/common';
import type { Datum, Interval, IoContext, TimeTz } from './datum.ts';
import { outOfRange } from './datum.ts';
import { DT_NOBEGIN, DT_NOEND, USECS_PER_DAY, localToUtc, sessionOffsetAt } from './datetime.ts';
import { Jsonb, type JsonbValue } from './jsonb.ts';
import { Numeric } from './numeric.ts';
import { typeByOid } from './registry.ts';
import { bpcharStrip, truncateName } from './scalar.ts';

/** A cast: the value, the target typmod (-1 for none) and the session settings. */
export type CastFunction = (v: Datum, typmod: number, ctx: IoContext) => Datum;

const BOOL = 16, CHAR = 18, NAME = 19, INT8 = 20, INT2 = 21, INT4 = 23, TEXT = 25, OID = 26, JSON_OID = 114;
const FLOAT4 = 700, FLOAT8 = 701, BPCHAR = 1042, VARCHAR = 1043, DATE = 1082, TIME = 1083, TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184, INTERVAL = 1186, TIMETZ = 1266, NUMERIC = 1700, JSONB = 3802;

const STRING_TYPES = new Set([TEXT, VARCHAR, BPCHAR, NAME]);
const INTEGRAL = new Set([INT2, INT4, INT8]);
const INT_LABEL: Record<number, 'smallint' | 'integer' | 'bigint'> = { [INT2]: 'smallint', [INT4]: 'integer', [INT8]: 'bigint' };
const INT_RANGE: Record<number, [bigint, bigint]> = {
  [INT2]: [-32768n, 32767n], [INT4]: [-2147483648n, 2147483647n], [INT8]: [-(2n ** 63n), 2n ** 63n - 1n],
};

function toBig(v: Datum): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

function fromBig(target: number, v: bigint): Datum {
  const [lo, hi] = INT_RANGE[target]!;
  if (v < lo || v > hi) throw outOfRange(`${INT_LABEL[target]} out of range`);
  return target === INT8 ? v : Number(v);
}

/** rint(): round half to even, as the float → integer casts do. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function floatToInt(target: number, x: number): Datum {
  if (Number.isNaN(x) || !Number.isFinite(x)) throw outOfRange(`${INT_LABEL[target]} out of range`);
  const r = rint(x);
  // The bounds as C checks them: the float must lie in [MIN, -MIN).
  const [lo, hi] = INT_RANGE[target]!;
  if (r < Number(lo) || r >= -Number(lo) || (target !== INT8 && r > Number(hi))) throw outOfRange(`${INT_LABEL[target]} out of range`);
  return target === INT8 ? BigInt(r) : r;
}

function float8ToFloat4(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) && Number.isFinite(x)) throw outOfRange('value out of range: overflow');
  if (f === 0 && x !== 0) throw outOfRange('value out of range: underflow');
  return f;
}

/** A number as this numeric type's Datum. */
function numericTo(target: number, n: Numeric): Datum {
  if (INTEGRAL.has(target)) return fromBig(target, n.toBigIntRounded(INT_LABEL[target]!));
  if (target === FLOAT8) return n.toFloat8();
  if (target === FLOAT4) return n.toFloat4();
  return n;
}

function numericCast(source: number, target: number): CastFunction | undefined {
  const all = [INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC];
  if (!all.includes(source) || !all.includes(target)) return undefined;
  return (v, typmod) => {
    let out: Datum;
    if (INTEGRAL.has(source) && INTEGRAL.has(target)) out = fromBig(target, toBig(v));
    else if (INTEGRAL.has(source) && target === FLOAT8) out = Number(toBig(v));
    else if (INTEGRAL.has(source) && target === FLOAT4) out = Math.fround(Number(toBig(v)));
    else if (INTEGRAL.has(source) && target === NUMERIC) out = Numeric.fromBigInt(toBig(v));
    else if ((source === FLOAT4 || source === FLOAT8) && INTEGRAL.has(target)) out = floatToInt(target, v as number);
    else if (source === FLOAT4 && target === FLOAT8) out = v as number;
    else if (source === FLOAT8 && target === FLOAT4) out = float8ToFloat4(v as number);
    else if (source === FLOAT8 && target === NUMERIC) out = Numeric.fromFloat8(v as number, 15);
    else if (source === FLOAT4 && target === NUMERIC) out = Numeric.fromFloat8(v as number, 6);
    else if (source === NUMERIC) out = numericTo(target, v as Numeric);
    else out = v;
    if (target === NUMERIC && typmod >= 0) out = (out as Numeric).applyTypmod(typmod);
    return out;
  };
}

function jsonbScalarCast(target: number): CastFunction {
  const label: Record<number, string> = { [BOOL]: 'boolean', [INT2]: 'smallint', [INT4]: 'integer', [INT8]: 'bigint', [FLOAT4]: 'real', [FLOAT8]: 'double precision', [NUMERIC]: 'numeric' };
  return (v, typmod) => {
    const root = (v as Jsonb).root;
    const kind = root === null ? 'null' : typeof root === 'string' ? 'string' : typeof root === 'boolean' ? 'boolean' : root instanceof Numeric ? 'numeric' : Array.isArray(root) ? 'array' : 'object';
    const want = target === BOOL ? 'boolean' : 'numeric';
    if (kind !== want) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `cannot cast jsonb ${kind} to type ${label[target]}`);
    if (target === BOOL) return root as boolean;
    const out = numericTo(target, root as Numeric);
    return target === NUMERIC && typmod >= 0 ? (out as Numeric).applyTypmod(typmod) : out;
  };
}

function localFromTz(v: bigint, ctx: IoContext): bigint {
  if (v === DT_NOBEGIN || v === DT_NOEND) return v;
  return v + BigInt(sessionOffsetAt(v, ctx)) * 1_000_000n;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function dateOf(localUs: bigint): number {
  if (localUs === DT_NOBEGIN) return -Infinity;
  if (localUs === DT_NOEND) return Infinity;
  return Number(floorDiv(localUs, USECS_PER_DAY));
}

function timeOf(localUs: bigint): bigint {
  return localUs - floorDiv(localUs, USECS_PER_DAY) * USECS_PER_DAY;
}

function dateToLocal(d: number): bigint {
  if (d === -Infinity) return DT_NOBEGIN;
  if (d === Infinity) return DT_NOEND;
  const us = BigInt(d) * USECS_PER_DAY;
  if (us >= 9223371331200000000n) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'date out of range for timestamp');
  return us;
}

/** Casts among date, time, timetz, timestamp, timestamptz and interval. */
function datetimeCast(source: number, target: number): CastFunction | undefined {
  const apply = (v: Datum, typmod: number) => (typmod >= 0 ? typeByOid(target)!.applyTypmod!(v, typmod, true) : v);
  const f = (g: (v: Datum, ctx: IoContext) => Datum): CastFunction => (v, typmod, ctx) => apply(g(v, ctx), typmod);
  switch (`${source}>${target}`) {
    case `${DATE}>${TIMESTAMP}`: return f((v) => dateToLocal(v as number));
    case `${DATE}>${TIMESTAMPTZ}`: return f((v, ctx) => {
      const local = dateToLocal(v as number);
      return local === DT_NOBEGIN || local === DT_NOEND ? local : localToUtc(local, ctx);
    });
    case `${TIMESTAMP}>${DATE}`: return f((v) => dateOf(v as bigint));
    case `${TIMESTAMPTZ}>${DATE}`: return f((v, ctx) => dateOf(localFromTz(v as bigint, ctx)));
    case `${TIMESTAMP}>${TIME}`: return f((v) => timeOf(v as bigint));
    case `${TIMESTAMPTZ}>${TIME}`: return f((v, ctx) => timeOf(localFromTz(v as bigint, ctx)));
    case `${TIMESTAMPTZ}>${TIMESTAMP}`: return f((v, ctx) => localFromTz(v as bigint, ctx));
    case `${TIMESTAMP}>${TIMESTAMPTZ}`: return f((v, ctx) => {
      const us = v as bigint;
      return us === DT_NOBEGIN || us === DT_NOEND ? us : localToUtc(us, ctx);
    });
    case `${TIMESTAMPTZ}>${TIMETZ}`: return f((v, ctx) => {
      const us = v as bigint;
      const east = sessionOffsetAt(us, ctx);
      return { timeUs: timeOf(us + BigInt(east) * 1_000_000n), zoneSec: -east } satisfies TimeTz;
    });
    case `${TIME}>${INTERVAL}`: return f((v) => ({ months: 0, days: 0, micros: v as bigint }) satisfies Interval);
    case `${INTERVAL}>${TIME}`: return f((v) => {
      const us = (v as Interval).micros % USECS_PER_DAY;
      return us < 0n ? us + USECS_PER_DAY : us;
    });
    case `${TIMETZ}>${TIME}`: return f((v) => (v as TimeTz).timeUs);
    case `${TIME}>${TIMETZ}`: return f((v, ctx) => {
      const east = sessionOffsetAt(BigInt(Date.now()) * 1000n - 946_684_800_000_000n, ctx);
      return { timeUs: v as bigint, zoneSec: -east } satisfies TimeTz;
    });
  }
  if (source === target && typeByOid(target)?.applyTypmod) return f((v) => v);
  return undefined;
}

/** The string a value becomes when cast to text (bool → 'true', bpchar without its padding). */
function toText(source: number, v: Datum, ctx: IoContext): string {
  if (source === BOOL) return v ? 'true' : 'false';
  if (source === BPCHAR) return bpcharStrip(v as string);
  return typeByOid(source)!.output(v, ctx);
}

function stringTarget(target: number, s: string, typmod: number): string {
  switch (target) {
    case NAME: return truncateName(s);
    case VARCHAR: case BPCHAR: return typeByOid(target)!.applyTypmod!(s, typmod, true) as string;
    default: return s;
  }
}

/**
 * The function that converts a value of type `sourceOid` into `targetOid` with an explicit
 * cast's semantics, or undefined when PostgreSQL has no such cast.
 */
export function castFunction(sourceOid: number, targetOid: number): CastFunction | undefined {
  const source = typeByOid(sourceOid);
  const target = typeByOid(targetOid);
  if (!source || !target) return undefined;
  const numeric = numericCast(sourceOid, targetOid);
  if (numeric) return numeric;
  if (sourceOid === INT4 && targetOid === BOOL) return (v) => v !== 0;
  if (sourceOid === BOOL && targetOid === INT4) return (v) => (v ? 1 : 0);
  if (sourceOid === INT4 && targetOid === CHAR) {
    return (v) => {
      const n = v as number;
      if (n < -128 || n > 127) throw outOfRange('"char" out of range');
      const b = n & 0xff;
      return b === 0 ? '' : String.fromCharCode(b);
    };
  }
  if (sourceOid === CHAR && targetOid === INT4) {
    return (v) => {
      const b = (v as string) === '' ? 0 : (v as string).charCodeAt(0);
      return b >= 128 ? b - 256 : b;
    };
  }
  if ((sourceOid === INT4 || sourceOid === INT2) && targetOid === OID) return (v) => (v as number) >>> 0;
  if (sourceOid === INT8 && targetOid === OID) {
    return (v) => {
      const n = v as bigint;
      if (n < 0n || n > 4294967295n) throw outOfRange('OID out of range');
      return Number(n);
    };
  }
  if (sourceOid === OID && targetOid === INT8) return (v) => BigInt(v as number);
  if (sourceOid === OID && targetOid === INT4) return (v) => (v as number) | 0;
  if (sourceOid === JSON_OID && targetOid === JSONB) return (v) => Jsonb.parse(v as string);
  if (sourceOid === JSONB && targetOid === JSON_OID) return (v) => (v as Jsonb).toString();
  if (sourceOid === JSONB && [BOOL, INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC].includes(targetOid)) return jsonbScalarCast(targetOid);
  const dt = datetimeCast(sourceOid, targetOid);
  if (dt) return dt;
  // Within the string family and I/O conversion casts to and from string types.
  if (STRING_TYPES.has(targetOid)) {
    return (v, typmod, ctx) => stringTarget(targetOid, STRING_TYPES.has(sourceOid) ? (sourceOid === BPCHAR ? bpcharStrip(v as string) : (v as string)) : toText(sourceOid, v, ctx), typmod);
  }
  if (STRING_TYPES.has(sourceOid)) {
    return (v, typmod, ctx) => {
      const s = sourceOid === BPCHAR ? bpcharStrip(v as string) : (v as string);
      const out = target.input(s, typmod, ctx);
      return typmod >= 0 && target.applyTypmod ? target.applyTypmod(out, typmod, true) : out;
    };
  }
  if (sourceOid === targetOid && target.applyTypmod) return (v, typmod) => (typmod >= 0 ? target.applyTypmod!(v, typmod, true) : v);
  return undefined;
}

/** Types of jsonb values, for callers that build Jsonb trees. */
export type { JsonbValue };
