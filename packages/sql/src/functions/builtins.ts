// Built-in functions implemented in JavaScript, found by the prosrc of their pg_proc row.
// A factory receives the resolved argument types and result type once per plan and returns the
// closure that runs per row. A pg_proc row without an implementation here is refused with 0A000
// when it is called (see implementationFor). Set-returning functions return iterables.

import { createHash, randomUUID } from 'node:crypto';
import { PgError, SqlState, featureNotSupported } from '@palisade/common';
import type { Datum, IoContext, PgArray, Interval } from '../types/datum.ts';
import { Numeric } from '../types/numeric.ts';
import { typeByOid } from '../types/registry.ts';
import { charLength, compareText } from '../types/scalar.ts';
import { date2j, DT_NOBEGIN, DT_NOEND, localToUtc, POSTGRES_EPOCH_JDATE, sessionOffsetAt, timestampFields } from '../types/datetime.ts';
import { T } from '../analyze/catalog.ts';
import { parseStatements } from '../parser/parse.ts';

/** What a function may ask of the session while it runs. */
export interface FnContext {
  io: IoContext;
  /** Start of the current transaction, µs since 2000-01-01 UTC (now(), current_timestamp). */
  transactionStartUs: bigint;
  statementStartUs: bigint;
  user: string;
  database: string;
  backendPid: number;
  getSetting(name: string, missingOk: boolean): string | null;
  setSetting(name: string, value: string, isLocal: boolean): string;
}

export type Fn = (args: Datum[], fc: FnContext) => Datum;
export type SetFn = (args: Datum[], fc: FnContext) => Iterable<Datum>;
type Factory = (argTypes: number[], retType: number) => Fn;
type SetFactory = (argTypes: number[], retType: number) => SetFn;

const divisionByZero = () => new PgError(SqlState.DIVISION_BY_ZERO, 'division by zero');
const outOfRange = (label: string) => new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `${label} out of range`);

const INT_LABEL: Record<number, string> = { [T.int2]: 'smallint', [T.int4]: 'integer', [T.int8]: 'bigint' };
const INT_BOUNDS: Record<number, [bigint, bigint]> = {
  [T.int2]: [-32768n, 32767n], [T.int4]: [-2147483648n, 2147483647n], [T.int8]: [-(2n ** 63n), 2n ** 63n - 1n],
};

function intResult(v: bigint, type: number): Datum {
  const [lo, hi] = INT_BOUNDS[type]!;
  if (v < lo || v > hi) throw outOfRange(INT_LABEL[type]!);
  return type === T.int8 ? v : Number(v);
}

function intArith(op: string): Factory {
  return (_args, ret) => (a) => {
    const x = BigInt(a[0] as number | bigint);
    const y = BigInt(a[1] as number | bigint);
    switch (op) {
      case 'pl': return intResult(x + y, ret);
      case 'mi': return intResult(x - y, ret);
      case 'mul': return intResult(x * y, ret);
      case 'div':
        if (y === 0n) throw divisionByZero();
        return intResult(x / y, ret);
      case 'mod':
        if (y === 0n) throw divisionByZero();
        return intResult(x % y, ret);
      case 'and': return intResult(x & y, ret);
      case 'or': return intResult(x | y, ret);
      case 'xor': return intResult(x ^ y, ret);
      case 'shl': return intResult(BigInt.asIntN(ret === T.int8 ? 64 : ret === T.int4 ? 32 : 16, x << y), ret);
      case 'shr': return intResult(x >> y, ret);
    }
    throw new Error(`unknown op ${op}`);
  };
}

/** PostgreSQL's float_overflow_error / float_underflow_error checks; `underflowPossible` when a zero result from non-zero inputs is an underflow (multiplication, division). */
function floatCheck(v: number, inputs: number[], ret: number, underflowPossible = false): number {
  if (ret === T.float4) v = Math.fround(v);
  if (!Number.isFinite(v) && !Number.isNaN(v) && inputs.every((x) => Number.isFinite(x))) {
    throw new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
  }
  if (underflowPossible && v === 0 && inputs[0] !== 0 && inputs[1] !== 0 && Number.isFinite(inputs[1]!)) {
    throw new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: underflow');
  }
  return v;
}

function floatArith(op: string): Factory {
  return (_args, ret) => (a) => {
    const x = a[0] as number;
    const y = a[1] as number;
    switch (op) {
      case 'pl': return floatCheck(x + y, [x, y], ret);
      case 'mi': return floatCheck(x - y, [x, y], ret);
      case 'mul': return floatCheck(x * y, [x, y], ret, true);
      case 'div':
        if (y === 0 && !Number.isNaN(x)) throw divisionByZero();
        return floatCheck(x / y, [x, y], ret, true);
    }
    throw new Error(`unknown op ${op}`);
  };
}

function toNumeric(v: Datum, type: number): Numeric {
  if (v instanceof Numeric) return v;
  if (type === T.float8 || type === T.float4) return Numeric.fromFloat8(v as number, type === T.float4 ? 6 : 15);
  return Numeric.fromBigInt(BigInt(v as number | bigint));
}

function toFloat(v: Datum): number {
  if (v instanceof Numeric) return v.toFloat8();
  return Number(v as number | bigint);
}

/** A comparison (eq, ne, lt, le, gt, ge) by the types' btree order. */
function comparison(rel: string): Factory {
  return (args) => {
    const [ta, tb] = args as [number, number];
    let cmpFn: (a: Datum, b: Datum) => number;
    const isInt = (t: number) => t === T.int2 || t === T.int4 || t === T.int8;
    const isFloat = (t: number) => t === T.float4 || t === T.float8;
    if (ta === tb || (isInt(ta) && isInt(tb)) || (isFloat(ta) && isFloat(tb))) {
      if (isInt(ta) && isInt(tb) && ta !== tb) cmpFn = (a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0);
      else if (isFloat(ta) && ta !== tb) cmpFn = (a, b) => floatCompare(a as number, b as number);
      else {
        const impl = typeByOid(ta);
        if (!impl?.compare) throw featureNotSupported(`comparison of type ${ta}`);
        cmpFn = impl.compare;
      }
    } else if ((ta === T.text || ta === T.bpchar || ta === T.name || ta === T.varchar) && (tb === T.text || tb === T.bpchar || tb === T.name || tb === T.varchar)) {
      cmpFn = (a, b) => compareText(a as string, b as string);
    } else if ((ta === T.date && tb === T.timestamp) || (ta === T.timestamp && tb === T.date)) {
      const ts = (v: Datum, t: number): bigint => (t === T.date ? dateToTimestamp(v as number) : (v as bigint));
      cmpFn = (a, b) => {
        const x = ts(a, ta);
        const y = ts(b, tb);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    } else if ((ta === T.numeric || isInt(ta) || isFloat(ta)) && (tb === T.numeric || isInt(tb) || isFloat(tb))) {
      cmpFn = (a, b) => Numeric.compare(toNumeric(a, ta), toNumeric(b, tb));
    } else {
      throw featureNotSupported(`comparison of types ${ta} and ${tb}`);
    }
    switch (rel) {
      case 'eq': return (a) => cmpFn(a[0]!, a[1]!) === 0;
      case 'ne': return (a) => cmpFn(a[0]!, a[1]!) !== 0;
      case 'lt': return (a) => cmpFn(a[0]!, a[1]!) < 0;
      case 'le': return (a) => cmpFn(a[0]!, a[1]!) <= 0;
      case 'gt': return (a) => cmpFn(a[0]!, a[1]!) > 0;
      default: return (a) => cmpFn(a[0]!, a[1]!) >= 0;
    }
  };
}

/** float8 order with NaN above everything (PostgreSQL's float8_cmp_internal). */
export function floatCompare(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** LIKE with PostgreSQL's default escape character backslash. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      if (i >= pattern.length) throw new PgError(SqlState.INVALID_ESCAPE_SEQUENCE, 'LIKE pattern must not end with escape character');
      re += escapeRe(pattern[i]!);
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += escapeRe(c);
  }
  return new RegExp(re + '$', caseInsensitive ? 'iu' : 'u');
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function cachedRegex(make: (p: string) => RegExp): (p: string) => RegExp {
  const cache = new Map<string, RegExp>();
  return (p) => {
    let r = cache.get(p);
    if (!r) {
      r = make(p);
      if (cache.size >= 64) cache.clear();
      cache.set(p, r);
    }
    return r;
  };
}

/** PostgreSQL ARE syntax that JavaScript reads differently; refused rather than answered wrongly (ENG1). */
const UNPORTABLE_REGEX = /\[[:=.]|\\[mMyYAZ<>]|^\*\*\*|\(\?[^:=!]|\(\?<|\\[0-9]{3}|\\[bB]|\\[xX][0-9a-fA-F]{3}/;

function posixRegex(flags: string): (p: string) => RegExp {
  return cachedRegex((p) => {
    if (UNPORTABLE_REGEX.test(p)) throw featureNotSupported('this regular expression syntax');
    try {
      // 's': in PostgreSQL's default mode '.' and bracket expressions match a newline.
      return new RegExp(p, flags + 'su');
    } catch {
      throw featureNotSupported('this regular expression syntax');
    }
  });
}

const like = (ci: boolean, negate: boolean): Factory => () => {
  const get = cachedRegex((p) => likeToRegExp(p, ci));
  return (a) => get(a[1] as string).test(a[0] as string) !== negate;
};

const regex = (ci: boolean, negate: boolean): Factory => () => {
  const get = posixRegex(ci ? 'i' : '');
  return (a) => get(a[1] as string).test(a[0] as string) !== negate;
};

const fixed = (f: Fn): Factory => () => f;

function chars(s: string): string[] {
  return Array.from(s);
}

function substr(s: string, start: number, len: number | null): string {
  const cs = chars(s);
  if (len !== null && len < 0) throw new PgError(SqlState.SUBSTRING_ERROR, 'negative substring length not allowed');
  const from = start - 1;
  const to = len === null ? cs.length : from + len;
  return cs.slice(Math.max(0, from), Math.max(0, to)).join('');
}

function arr(elementType: number, values: Datum[]): PgArray {
  return values.length === 0
    ? { elementType, dims: [], lowerBounds: [], values: [] }
    : { elementType, dims: [values.length], lowerBounds: [1], values };
}

function outputOf(type: number, v: Datum, io: IoContext): string {
  const impl = typeByOid(type);
  if (!impl) throw featureNotSupported(`output of type ${type}`);
  return impl.output(v, io);
}

const identSafe = new Map<string, boolean>();

/**
 * quote_identifier: quotes unless the name is lower-case letters, digits and underscores and not
 * a keyword other than an unreserved one. Which words those are is asked of the grammar itself:
 * a word usable both as a ColId (table name) and as a type_function_name is an identifier or an
 * unreserved keyword.
 */
function quoteIdent(s: string): string {
  let safe = /^[a-z_][a-z0-9_]*$/.test(s) && !RESERVED.has(s);
  if (safe) {
    let known = identSafe.get(s);
    if (known === undefined) {
      // `1::w.x` is a qualified GenericType: only a type_function_name may start it.
      known = parsesAs(`CREATE TABLE ${s} ()`) && parsesAs(`SELECT 1::${s}.x`);
      if (identSafe.size >= 1024) identSafe.clear();
      identSafe.set(s, known);
    }
    safe = known;
  }
  return safe ? s : `"${s.replace(/"/g, '""')}"`;
}

function parsesAs(sql: string): boolean {
  try {
    parseStatements(sql);
    return true;
  } catch {
    return false;
  }
}

const RESERVED = new Set(['all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check', 'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role', 'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'initially', 'intersect', 'into', 'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'placing', 'primary', 'references', 'returning', 'select', 'session_user', 'some', 'symmetric', 'table', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'when', 'where', 'window', 'with']);

function quoteLiteral(s: string): string {
  const body = s.replace(/'/g, "''");
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** format() with %s, %I, %L and %% (positions and widths are refused). */
function format(fmt: string, args: Datum[], types: number[], io: IoContext): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') { out += c; continue; }
    i++;
    const k = fmt[i];
    if (k === undefined) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'unterminated format() type specifier', { hint: 'For a single "%" use "%%".' });
    if (k === '%') { out += '%'; continue; }
    if (k !== 's' && k !== 'I' && k !== 'L') {
      if (/[0-9$-]/.test(k)) throw featureNotSupported('format() position and width specifiers');
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `unrecognized format() type specifier "${k}"`, { hint: 'For a single "%" use "%%".' });
    }
    if (argi >= args.length) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'too few arguments for format()');
    const v = args[argi]!;
    const t = types[argi]!;
    argi++;
    if (k === 's') out += v === null ? '' : outputOf(t, v, io);
    else if (k === 'I') {
      if (v === null) throw new PgError(SqlState.NULL_VALUE_NOT_ALLOWED, 'null values cannot be formatted as an SQL identifier');
      out += quoteIdent(outputOf(t, v, io));
    } else out += v === null ? 'NULL' : quoteLiteral(outputOf(t, v, io));
  }
  return out;
}

const INT8_SET = new Set<number>([T.int2, T.int4, T.int8]);

const scalar: Record<string, Factory> = {
  // casts between numeric types
  int48: fixed((a) => BigInt(a[0] as number)), int28: fixed((a) => BigInt(a[0] as number)), i2toi4: fixed((a) => a[0]!),
  int84: fixed((a) => intResult(a[0] as bigint, T.int4)), int82: fixed((a) => intResult(a[0] as bigint, T.int2)),
  i4toi2: fixed((a) => intResult(BigInt(a[0] as number), T.int2)),
  i4tod: fixed((a) => a[0] as number), i2tod: fixed((a) => a[0] as number), i8tod: fixed((a) => Number(a[0] as bigint)),
  i4tof: fixed((a) => Math.fround(a[0] as number)), i2tof: fixed((a) => Math.fround(a[0] as number)), i8tof: fixed((a) => Math.fround(Number(a[0] as bigint))),
  ftod: fixed((a) => Number(a[0])), dtof: fixed((a) => {
    const v = a[0] as number;
    const f = Math.fround(v);
    if (!Number.isFinite(f) && Number.isFinite(v)) throw new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
    return f;
  }),
  dtoi4: fixed((a) => floatToInt(a[0] as number, T.int4)), dtoi2: fixed((a) => floatToInt(a[0] as number, T.int2)), dtoi8: fixed((a) => floatToInt(a[0] as number, T.int8)),
  ftoi4: fixed((a) => floatToInt(a[0] as number, T.int4)), ftoi2: fixed((a) => floatToInt(a[0] as number, T.int2)), ftoi8: fixed((a) => floatToInt(a[0] as number, T.int8)),
  int4_numeric: fixed((a) => Numeric.fromInt(a[0] as number)), int2_numeric: fixed((a) => Numeric.fromInt(a[0] as number)),
  int8_numeric: fixed((a) => Numeric.fromBigInt(a[0] as bigint)),
  float8_numeric: fixed((a) => Numeric.fromFloat8(a[0] as number)), float4_numeric: fixed((a) => Numeric.fromFloat8(a[0] as number, 6)),
  numeric_int4: fixed((a) => Number((a[0] as Numeric).toBigIntRounded('integer'))),
  numeric_int2: fixed((a) => Number((a[0] as Numeric).toBigIntRounded('smallint'))),
  numeric_int8: fixed((a) => (a[0] as Numeric).toBigIntRounded('bigint')),
  numeric_float8: fixed((a) => (a[0] as Numeric).toFloat8()), numeric_float4: fixed((a) => (a[0] as Numeric).toFloat4()),
  int4_bool: fixed((a) => a[0] !== 0), bool_int4: fixed((a) => (a[0] ? 1 : 0)),
  booltext: fixed((a) => (a[0] ? 'true' : 'false')),
  rtrim1: fixed((a) => (a[0] as string).replace(/ +$/, '')),
  name_text: fixed((a) => a[0]!), text_name: fixed((a) => a[0]!), char_text: fixed((a) => a[0]!),
  bpchar: () => (a) => a[0]!, varchar: () => (a) => a[0]!,
  // arithmetic
  int4um: fixed((a) => intResult(-BigInt(a[0] as number), T.int4)), int2um: fixed((a) => intResult(-BigInt(a[0] as number), T.int2)),
  int8um: fixed((a) => intResult(-(a[0] as bigint), T.int8)),
  int4up: fixed((a) => a[0]!), int8up: fixed((a) => a[0]!), int2up: fixed((a) => a[0]!),
  float8um: fixed((a) => -(a[0] as number)), float4um: fixed((a) => -(a[0] as number)), float8up: fixed((a) => a[0]!), float4up: fixed((a) => a[0]!),
  numeric_uminus: fixed((a) => (a[0] as Numeric).negate()), numeric_uplus: fixed((a) => a[0]!),
  numeric_add: fixed((a) => Numeric.add(a[0] as Numeric, a[1] as Numeric)),
  numeric_sub: fixed((a) => Numeric.sub(a[0] as Numeric, a[1] as Numeric)),
  numeric_mul: fixed((a) => Numeric.mul(a[0] as Numeric, a[1] as Numeric)),
  numeric_div: fixed((a) => Numeric.div(a[0] as Numeric, a[1] as Numeric)),
  numeric_div_trunc: fixed((a) => Numeric.divTrunc(a[0] as Numeric, a[1] as Numeric)),
  numeric_mod: fixed((a) => Numeric.mod(a[0] as Numeric, a[1] as Numeric)),
  numeric_abs: fixed((a) => (a[0] as Numeric).abs()),
  numeric_round: fixed((a) => (a[0] as Numeric).round((a[1] as number | undefined) ?? 0)),
  numeric_trunc: fixed((a) => (a[0] as Numeric).trunc((a[1] as number | undefined) ?? 0)),
  numeric_ceil: fixed((a) => (a[0] as Numeric).ceil()), numeric_floor: fixed((a) => (a[0] as Numeric).floor()),
  numeric_sqrt: fixed((a) => (a[0] as Numeric).sqrt()),
  numeric_sign: fixed((a) => (a[0] as Numeric).signum()),
  int4abs: fixed((a) => intResult(BigInt(Math.abs(a[0] as number)), T.int4)),
  int2abs: fixed((a) => intResult(BigInt(Math.abs(a[0] as number)), T.int2)),
  int8abs: fixed((a) => intResult((a[0] as bigint) < 0n ? -(a[0] as bigint) : (a[0] as bigint), T.int8)),
  float8abs: fixed((a) => Math.abs(a[0] as number)), float4abs: fixed((a) => Math.abs(a[0] as number)),
  dround: fixed((a) => roundHalfEven(a[0] as number)), dtrunc: fixed((a) => Math.trunc(a[0] as number)),
  dceil: fixed((a) => Math.ceil(a[0] as number)), dfloor: fixed((a) => Math.floor(a[0] as number)),
  dsign: fixed((a) => Math.sign(a[0] as number)),
  dsqrt: fixed((a) => {
    const v = a[0] as number;
    if (v < 0) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, 'cannot take square root of a negative number');
    return Math.sqrt(v);
  }),
  dcbrt: fixed((a) => Math.cbrt(a[0] as number)),
  dexp: fixed((a) => Math.exp(a[0] as number)),
  dlog1: fixed((a) => {
    const v = a[0] as number;
    if (v === 0) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_LOG, 'cannot take logarithm of zero');
    if (v < 0) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_LOG, 'cannot take logarithm of a negative number');
    return Math.log(v);
  }),
  dpi: fixed(() => Math.PI),
  dpow: fixed((a) => {
    const x = a[0] as number;
    const y = a[1] as number;
    if (x === 0 && y < 0) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, 'zero raised to a negative power is undefined');
    if (x < 0 && !Number.isInteger(y) && Number.isFinite(y)) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, 'a negative number raised to a non-integer power yields a complex result');
    const r = x ** y;
    if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y)) throw new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
    return r;
  }),
  drandom: fixed(() => Math.random()),
  // booleans
  boolne: fixed((a) => a[0] !== a[1]),
  // text
  textcat: fixed((a) => (a[0] as string) + (a[1] as string)),
  textlen: fixed((a) => charLength(a[0] as string)),
  bpcharlen: fixed((a) => charLength((a[0] as string).replace(/ +$/, ''))),
  textoctetlen: fixed((a) => new TextEncoder().encode(a[0] as string).length),
  lower: fixed((a) => (a[0] as string).toLowerCase()),
  upper: fixed((a) => (a[0] as string).toUpperCase()),
  initcap: fixed((a) => (a[0] as string).toLowerCase().replace(/(^|[^a-z0-9])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase())),
  text_substr: fixed((a) => substr(a[0] as string, a[1] as number, a[2] as number)),
  text_substr_no_len: fixed((a) => substr(a[0] as string, a[1] as number, null)),
  textpos: fixed((a) => {
    const s = a[0] as string;
    const i = s.indexOf(a[1] as string);
    return i < 0 ? 0 : charLength(s.slice(0, i)) + 1;
  }),
  replace_text: fixed((a) => ((a[1] as string) === '' ? (a[0] as string) : (a[0] as string).split(a[1] as string).join(a[2] as string))),
  split_part: fixed((a) => {
    const s = a[0] as string;
    const d = a[1] as string;
    const n = a[2] as number;
    if (n === 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'field position must not be zero');
    const parts = d === '' ? [s] : s.split(d);
    const idx = n > 0 ? n - 1 : parts.length + n;
    return idx >= 0 && idx < parts.length ? parts[idx]! : '';
  }),
  text_reverse: fixed((a) => chars(a[0] as string).reverse().join('')),
  text_left: fixed((a) => {
    const cs = chars(a[0] as string);
    const n = a[1] as number;
    return (n >= 0 ? cs.slice(0, n) : cs.slice(0, Math.max(0, cs.length + n))).join('');
  }),
  text_right: fixed((a) => {
    const cs = chars(a[0] as string);
    const n = a[1] as number;
    return (n >= 0 ? cs.slice(Math.max(0, cs.length - n)) : cs.slice(-n)).join('');
  }),
  repeat: fixed((a) => (a[0] as string).repeat(Math.max(0, a[1] as number))),
  btrim1: fixed((a) => (a[0] as string).replace(/^ +| +$/g, '')),
  ltrim1: fixed((a) => (a[0] as string).replace(/^ +/, '')),
  text_starts_with: fixed((a) => (a[0] as string).startsWith(a[1] as string)),
  md5_text: fixed((a) => createHash('md5').update(a[0] as string, 'utf8').digest('hex')),
  quote_ident: fixed((a) => quoteIdent(a[0] as string)),
  quote_literal: fixed((a) => quoteLiteral(a[0] as string)),
  chr: fixed((a) => String.fromCodePoint(a[0] as number)),
  ascii: fixed((a) => (a[0] as string).codePointAt(0) ?? 0),
  textlike: like(false, false), textnlike: like(false, true), texticlike: like(true, false), texticnlike: like(true, true),
  namelike: like(false, false), namenlike: like(false, true), bpcharlike: like(false, false), bpcharnlike: like(false, true),
  textregexeq: regex(false, false), textregexne: regex(false, true), texticregexeq: regex(true, false), texticregexne: regex(true, true),
  nameregexeq: regex(false, false), nameregexne: regex(false, true),
  // session and system information
  pgsql_version: fixed(() => 'PostgreSQL 15.0 (Palisade) on x86_64-pc-linux-gnu, compiled by TypeScript, 64-bit'),
  current_database: fixed((_a, fc) => fc.database),
  current_schema: fixed(() => 'public'),
  pg_backend_pid: fixed((_a, fc) => fc.backendPid),
  now: fixed((_a, fc) => fc.transactionStartUs),
  statement_timestamp: fixed((_a, fc) => fc.statementStartUs),
  clock_timestamp: fixed(() => nowUs()),
  gen_random_uuid: fixed(() => randomUUID()),
  show_config_by_name: fixed((a, fc) => fc.getSetting(a[0] as string, false)),
  show_config_by_name_missing_ok: fixed((a, fc) => fc.getSetting(a[0] as string, a[1] as boolean)),
  set_config_by_name: fixed((a, fc) => {
    if (a[0] === null) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'SET requires parameter name');
    return fc.setSetting(a[0] as string, (a[1] as string | null) ?? '', (a[2] as boolean | null) ?? false);
  }),
  // arrays
  array_length: fixed((a) => {
    const x = a[0] as PgArray;
    const d = a[1] as number;
    return d >= 1 && d <= x.dims.length ? x.dims[d - 1]! : null;
  }),
  array_cardinality: fixed((a) => (a[0] as PgArray).values.length),
  array_ndims: fixed((a) => ((a[0] as PgArray).dims.length === 0 ? null : (a[0] as PgArray).dims.length)),
  array_lower: fixed((a) => {
    const x = a[0] as PgArray;
    const d = a[1] as number;
    return d >= 1 && d <= x.dims.length ? x.lowerBounds[d - 1]! : null;
  }),
  array_upper: fixed((a) => {
    const x = a[0] as PgArray;
    const d = a[1] as number;
    return d >= 1 && d <= x.dims.length ? x.lowerBounds[d - 1]! + x.dims[d - 1]! - 1 : null;
  }),
  array_position: (args) => {
    const elem = args[1]!;
    const eq = typeByOid(elem)?.equals;
    return (a) => {
      const x = a[0] as PgArray;
      if (x.dims.length > 1) throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'searching for elements in multidimensional arrays is not supported');
      for (let i = 0; i < x.values.length; i++) {
        const v = x.values[i]!;
        if (a[1] === null ? v === null : v !== null && (eq ? eq(v, a[1]!) : v === a[1])) return i + (x.lowerBounds[0] ?? 1);
      }
      return null;
    };
  },
  array_append: (args) => (a) => {
    const x = a[0] as PgArray | null;
    if (x && x.dims.length > 1) throw featureNotSupported('array_append on a multidimensional array');
    return arr(x?.elementType || args[1]!, [...(x?.values ?? []), a[1]!]);
  },
  array_prepend: (args) => (a) => {
    const x = a[1] as PgArray | null;
    if (x && x.dims.length > 1) throw featureNotSupported('array_prepend on a multidimensional array');
    return arr(x?.elementType || args[0]!, [a[0]!, ...(x?.values ?? [])]);
  },
  array_cat: () => (a) => {
    const x = a[0] as PgArray | null;
    const y = a[1] as PgArray | null;
    if (x === null) return y;
    if (y === null) return x;
    if (x.dims.length > 1 || y.dims.length > 1) throw featureNotSupported('array_cat on multidimensional arrays');
    return arr(x.elementType || y.elementType, [...x.values, ...y.values]);
  },
  array_to_text: (args) => (a, fc) => {
    const x = a[0] as PgArray;
    const et = x.elementType || (typeElem(args[0]!));
    return x.values.filter((v) => v !== null).map((v) => outputOf(et, v, fc.io)).join(a[1] as string);
  },
  array_to_text_null: (args) => (a, fc) => {
    const x = a[0] as PgArray;
    const et = x.elementType || typeElem(args[0]!);
    return x.values.filter((v) => v !== null || a[2] !== null).map((v) => (v === null ? (a[2] as string) : outputOf(et, v, fc.io))).join(a[1] as string);
  },
  text_to_array: fixed((a) => {
    const s = a[0] as string;
    const d = a[1] as string | null;
    if (s === '') return arr(T.text, []);
    const parts = d === null ? chars(s) : d === '' ? [s] : s.split(d);
    return arr(T.text, parts);
  }),
  text_to_array_null: fixed((a) => {
    const s = a[0] as string;
    const d = a[1] as string | null;
    if (s === '') return arr(T.text, []);
    const parts = d === null ? chars(s) : d === '' ? [s] : s.split(d);
    return arr(T.text, parts.map((p) => (a[2] !== null && p === a[2] ? null : p)));
  }),
};

function typeElem(arrayType: number): number {
  const impl = typeByOid(arrayType);
  void impl;
  return arrayType === T.int4array ? T.int4 : T.text;
}

function roundHalfEven(v: number): number {
  // C's rint(): round half to even.
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function floatToInt(v: number, type: number): Datum {
  if (Number.isNaN(v) || !Number.isFinite(v)) throw outOfRange(INT_LABEL[type]!);
  const r = roundHalfEven(v);
  const [lo, hi] = INT_BOUNDS[type]!;
  if (r < Number(lo) || r >= Number(hi) + 1) throw outOfRange(INT_LABEL[type]!);
  return type === T.int8 ? BigInt(r) : r;
}

/** µs since 2000-01-01 UTC now. */
export function nowUs(): bigint {
  return BigInt(Date.now() - 946_684_800_000) * 1000n;
}

for (const kind of ['int2', 'int4', 'int8', 'int24', 'int42', 'int48', 'int84', 'int28', 'int82']) {
  for (const op of ['pl', 'mi', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'shl', 'shr']) scalar[`${kind}${op}`] = intArith(op);
}
for (const kind of ['float4', 'float8', 'float48', 'float84']) {
  for (const op of ['pl', 'mi', 'mul', 'div']) scalar[`${kind}${op}`] = floatArith(op);
}
scalar['int4inc'] = fixed((a) => intResult(BigInt(a[0] as number) + 1n, T.int4));

const varargs: Record<string, Factory> = {
  text_concat: (args) => (a, fc) => a.map((v, i) => (v === null ? '' : outputOf(args[i]!, v, fc.io))).join(''),
  text_concat_ws: (args) => (a, fc) => {
    if (a[0] === null) return null;
    return a.slice(1).map((v, i) => (v === null ? null : outputOf(args[i + 1]!, v, fc.io))).filter((v) => v !== null).join(a[0] as string);
  },
  text_format_nv: () => (a, fc) => (a[0] === null ? null : format(a[0] as string, [], [], fc.io)),
  text_format: (args) => (a, fc) => (a[0] === null ? null : format(a[0] as string, a.slice(1), args.slice(1), fc.io)),
};

const setReturning: Record<string, SetFactory> = {
  generate_series_int4: () => (a) => intSeries(BigInt(a[0] as number), BigInt(a[1] as number), 1n, T.int4),
  generate_series_step_int4: () => (a) => intSeries(BigInt(a[0] as number), BigInt(a[1] as number), BigInt(a[2] as number), T.int4),
  generate_series_int8: () => (a) => intSeries(a[0] as bigint, a[1] as bigint, 1n, T.int8),
  generate_series_step_int8: () => (a) => intSeries(a[0] as bigint, a[1] as bigint, a[2] as bigint, T.int8),
  generate_series_numeric: () => (a) => numericSeries(a[0] as Numeric, a[1] as Numeric, (a[2] as Numeric | undefined) ?? Numeric.ONE),
  generate_series_step_numeric: () => (a) => numericSeries(a[0] as Numeric, a[1] as Numeric, a[2] as Numeric),
  generate_series_timestamp: () => (a) => timestampSeries(a[0] as bigint, a[1] as bigint, a[2] as Interval),
  generate_series_timestamptz: () => (a) => timestampSeries(a[0] as bigint, a[1] as bigint, a[2] as Interval),
  array_unnest: () => (a) => (a[0] as PgArray).values,
};

function* intSeries(start: bigint, stop: bigint, step: bigint, type: number): Iterable<Datum> {
  if (step === 0n) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'step size cannot equal zero');
  for (let v = start; step > 0n ? v <= stop : v >= stop; v += step) yield type === T.int8 ? v : Number(v);
}

function* numericSeries(start: Numeric, stop: Numeric, step: Numeric): Iterable<Datum> {
  if (step.isNaN() || start.isNaN() || stop.isNaN()) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'step size cannot be NaN');
  const zero = Numeric.compare(step, Numeric.ZERO);
  if (zero === 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'step size cannot equal zero');
  for (let v = start; zero > 0 ? Numeric.compare(v, stop) <= 0 : Numeric.compare(v, stop) >= 0; v = Numeric.add(v, step)) yield v;
}

function* timestampSeries(start: bigint, stop: bigint, step: Interval): Iterable<Datum> {
  if (step.months !== 0) throw featureNotSupported('generate_series with a month interval step');
  const us = BigInt(step.days) * 86_400_000_000n + step.micros;
  if (us === 0n) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'step size cannot equal zero');
  for (let v = start; us > 0n ? v <= stop : v >= stop; v += us) yield v;
}

/** True for integer types (used by sum/avg). */
export function isIntegerType(t: number): boolean {
  return INT8_SET.has(t);
}

// ---- more text, math and date/time functions ------------------------------------------------

function pad(s: string, len: number, fill: string, left: boolean): string {
  const cs = chars(s);
  if (len <= 0) return '';
  if (cs.length >= len) return cs.slice(0, len).join('');
  const f = chars(fill);
  if (f.length === 0) return s;
  const need = len - cs.length;
  const padding = Array.from({ length: need }, (_x, i) => f[i % f.length]).join('');
  return left ? padding + s : s + padding;
}

function trimChars(s: string, set: string, left: boolean, right: boolean): string {
  const cs = chars(s);
  const drop = new Set(chars(set));
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && drop.has(cs[a]!)) a++;
  if (right) while (b > a && drop.has(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

const more: Record<string, Factory> = {
  lpad: fixed((a) => pad(a[0] as string, a[1] as number, a[2] as string, true)),
  rpad: fixed((a) => pad(a[0] as string, a[1] as number, a[2] as string, false)),
  btrim: fixed((a) => trimChars(a[0] as string, a[1] as string, true, true)),
  ltrim: fixed((a) => trimChars(a[0] as string, a[1] as string, true, false)),
  rtrim: fixed((a) => trimChars(a[0] as string, a[1] as string, false, true)),
  translate: fixed((a) => {
    const from = chars(a[1] as string);
    const to = chars(a[2] as string);
    return chars(a[0] as string).map((c) => {
      const i = from.indexOf(c);
      return i < 0 ? c : i < to.length ? to[i]! : '';
    }).join('');
  }),
  to_hex32: fixed((a) => ((a[0] as number) >>> 0).toString(16)),
  to_hex64: fixed((a) => BigInt.asUintN(64, a[0] as bigint).toString(16)),
  int4gcd: fixed((a) => intResult(gcd(BigInt(a[0] as number), BigInt(a[1] as number)), T.int4)),
  int8gcd: fixed((a) => intResult(gcd(a[0] as bigint, a[1] as bigint), T.int8)),
  int4lcm: fixed((a) => {
    const x = BigInt(a[0] as number);
    const y = BigInt(a[1] as number);
    if (x === 0n || y === 0n) return 0;
    const r = (x / gcd(x, y)) * y;
    return intResult(r < 0n ? -r : r, T.int4);
  }),
  numeric_scale: fixed((a) => ((a[0] as Numeric).isSpecial() ? null : (a[0] as Numeric).dscale)),
  dlog10: fixed((a) => {
    const v = a[0] as number;
    if (v === 0) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_LOG, 'cannot take logarithm of zero');
    if (v < 0) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_LOG, 'cannot take logarithm of a negative number');
    return Math.log10(v);
  }),
  dsin: fixed((a) => Math.sin(a[0] as number)),
  dcos: fixed((a) => Math.cos(a[0] as number)),
  degrees: fixed((a) => ((a[0] as number) * 180) / Math.PI),
  radians: fixed((a) => ((a[0] as number) * Math.PI) / 180),
  textregexreplace_noopt: () => {
    const get = posixRegex('');
    return (a) => (a[0] as string).replace(get(a[1] as string), jsReplacement(a[2] as string));
  },
  textregexreplace: () => {
    const cache = new Map<string, RegExp>();
    return (a) => {
      const flags = a[3] as string;
      if (/[^gi]/.test(flags)) throw featureNotSupported(`regexp_replace flag "${flags.replace(/[gi]/g, '')[0]}"`);
      const key = `${flags}/${a[1] as string}`;
      let re = cache.get(key);
      if (!re) {
        re = posixRegex(flags)(a[1] as string);
        if (cache.size > 64) cache.clear();
        cache.set(key, re);
      }
      return (a[0] as string).replace(re, jsReplacement(a[2] as string));
    };
  },
  regexp_match_no_flags: () => {
    const get = posixRegex('');
    return (a) => {
      const m = get(a[1] as string).exec(a[0] as string);
      if (!m) return null;
      return arr(T.text, m.length > 1 ? m.slice(1).map((x) => x ?? null) : [m[0]]);
    };
  },
  textregexsubstr: () => {
    const get = posixRegex('');
    return (a) => {
      const m = get(a[1] as string).exec(a[0] as string);
      if (!m) return null;
      return m.length > 1 ? (m[1] ?? null) : m[0];
    };
  },
  timestamp_trunc: fixed((a) => truncTimestamp(a[0] as string, a[1] as bigint)),
  timestamptz_trunc: fixed((a, fc) => {
    const v = a[1] as bigint;
    if (v === DT_NOBEGIN || v === DT_NOEND) return v;
    const local = v + BigInt(sessionOffsetAt(v, fc.io)) * 1_000_000n;
    return localToUtc(truncTimestamp(a[0] as string, local), fc.io);
  }),
  timestamp_part: fixed((a) => extractField(a[0] as string, a[1] as bigint, 'timestamp', false)),
  timestamptz_part: fixed((a, fc) => {
    const v = a[1] as bigint;
    return extractField(a[0] as string, v + BigInt(sessionOffsetAt(v, fc.io)) * 1_000_000n, 'timestamp with time zone', false, v);
  }),
  extract_timestamp: fixed((a) => extractField(a[0] as string, a[1] as bigint, 'timestamp without time zone', true)),
  extract_timestamptz: fixed((a, fc) => {
    const v = a[1] as bigint;
    return extractField(a[0] as string, v + BigInt(sessionOffsetAt(v, fc.io)) * 1_000_000n, 'timestamp with time zone', true, v);
  }),
  extract_date: fixed((a) => {
    const d = a[1] as number;
    const unit = (a[0] as string).toLowerCase();
    if (['hour', 'minute', 'second', 'milliseconds', 'microseconds'].includes(unit)) {
      throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, `unit "${unit}" not supported for type date`);
    }
    return extractField(a[0] as string, BigInt(d) * 86_400_000_000n, 'date', true);
  }),
  timestamp_date: fixed((a) => {
    const v = a[0] as bigint;
    if (v === DT_NOBEGIN) return -Infinity;
    if (v === DT_NOEND) return Infinity;
    return Number(floorDivBig(v, 86_400_000_000n));
  }),
  date_timestamp: fixed((a) => {
    const d = a[0] as number;
    if (d === -Infinity) return DT_NOBEGIN;
    if (d === Infinity) return DT_NOEND;
    return BigInt(d) * 86_400_000_000n;
  }),
  date_mi: fixed((a) => (a[0] as number) - (a[1] as number)),
  date_pli: fixed((a) => (a[0] as number) + (a[1] as number)),
  date_mii: fixed((a) => (a[0] as number) - (a[1] as number)),
  timestamp_mi: fixed((a) => {
    const d = (a[0] as bigint) - (a[1] as bigint);
    const days = d / 86_400_000_000n;
    return { months: 0, days: Number(days), micros: d - days * 86_400_000_000n } satisfies Interval;
  }),
  timestamp_pl_interval: fixed((a) => timestampPlusInterval(a[0] as bigint, a[1] as Interval, 1)),
  timestamp_mi_interval: fixed((a) => timestampPlusInterval(a[0] as bigint, a[1] as Interval, -1)),
  timestamptz_pl_interval: fixed((a, fc) => timestamptzPlusInterval(a[0] as bigint, a[1] as Interval, 1, fc)),
  timestamptz_mi_interval: fixed((a, fc) => timestamptzPlusInterval(a[0] as bigint, a[1] as Interval, -1, fc)),
  date_pl_interval: fixed((a) => timestampPlusInterval(dateToTimestamp(a[0] as number), a[1] as Interval, 1)),
  date_mi_interval: fixed((a) => timestampPlusInterval(dateToTimestamp(a[0] as number), a[1] as Interval, -1)),
  interval_mul: fixed((a) => intervalMul(a[0] as Interval, a[1] as number)),
  mul_d_interval: fixed((a) => intervalMul(a[1] as Interval, a[0] as number)),
  interval_div: fixed((a) => {
    if ((a[1] as number) === 0) throw divisionByZero();
    return intervalMul(a[0] as Interval, 1 / (a[1] as number), a[1] as number);
  }),
  interval_um: fixed((a) => {
    const v = a[0] as Interval;
    return { months: -v.months, days: -v.days, micros: -v.micros } satisfies Interval;
  }),
  interval_pl: fixed((a) => {
    const x = a[0] as Interval;
    const y = a[1] as Interval;
    return { months: x.months + y.months, days: x.days + y.days, micros: x.micros + y.micros } satisfies Interval;
  }),
  interval_mi: fixed((a) => {
    const x = a[0] as Interval;
    const y = a[1] as Interval;
    return { months: x.months - y.months, days: x.days - y.days, micros: x.micros - y.micros } satisfies Interval;
  }),
};
Object.assign(scalar, more);

function dateToTimestamp(d: number): bigint {
  if (d === -Infinity) return DT_NOBEGIN;
  if (d === Infinity) return DT_NOEND;
  return BigInt(d) * 86_400_000_000n;
}

/** timestamp ± interval: months on the calendar (day clamped to the month's length), then days, then time. */
function timestampPlusInterval(v: bigint, iv: Interval, sign: 1 | -1): bigint {
  if (v === DT_NOBEGIN || v === DT_NOEND) return v;
  let r = v;
  if (iv.months !== 0 || iv.days !== 0) {
    const f = timestampFields(r);
    const dayStart = BigInt(date2j(f.year, f.month, f.day) - POSTGRES_EPOCH_JDATE) * 86_400_000_000n;
    const timeOfDay = r - dayStart;
    let { year, month, day } = f;
    if (iv.months !== 0) {
      const m0 = year * 12 + (month - 1) + sign * iv.months;
      year = Math.floor(m0 / 12);
      month = m0 - year * 12 + 1;
      const dim = date2j(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - date2j(year, month, 1);
      if (day > dim) day = dim;
    }
    const jd = date2j(year, month, day) + sign * iv.days;
    r = BigInt(jd - POSTGRES_EPOCH_JDATE) * 86_400_000_000n + timeOfDay;
  }
  r += BigInt(sign) * iv.micros;
  if (r < -211_813_488_000_000_000n || r >= 9_223_371_331_200_000_000n) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'timestamp out of range');
  return r;
}

/** timestamptz ± interval: months and days in the session's local time, the time part in UTC. */
function timestamptzPlusInterval(v: bigint, iv: Interval, sign: 1 | -1, fc: FnContext): bigint {
  if (v === DT_NOBEGIN || v === DT_NOEND) return v;
  let r = v;
  if (iv.months !== 0 || iv.days !== 0) {
    const local = r + BigInt(sessionOffsetAt(r, fc.io)) * 1_000_000n;
    r = localToUtc(timestampPlusInterval(local, { months: iv.months, days: iv.days, micros: 0n }, sign), fc.io);
  }
  return r + BigInt(sign) * iv.micros;
}

/** interval_mul / interval_div (PostgreSQL 15): fractional months and days cascade down. */
function intervalMul(span: Interval, factor: number, divisor?: number): Interval {
  const tsround = (j: number) => Math.round(j * 1e6) / 1e6;
  const monthsF = divisor === undefined ? span.months * factor : span.months / divisor;
  const daysF = divisor === undefined ? span.days * factor : span.days / divisor;
  const timeF = divisor === undefined ? Number(span.micros) * factor : Number(span.micros) / divisor;
  if (!Number.isFinite(monthsF) || Math.abs(monthsF) > 2147483647 || Math.abs(daysF) > 2147483647) {
    throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'interval out of range');
  }
  const months = Math.trunc(monthsF);
  let days = Math.trunc(daysF);
  let monthRemainderDays = (monthsF - months) * 30;
  monthRemainderDays = tsround(monthRemainderDays);
  let secRemainder = (daysF - days + monthRemainderDays - Math.trunc(monthRemainderDays)) * 86400;
  secRemainder = tsround(secRemainder);
  if (Math.abs(secRemainder) >= 86400) {
    days += Math.trunc(secRemainder / 86400);
    secRemainder -= Math.trunc(secRemainder / 86400) * 86400;
  }
  days += Math.trunc(monthRemainderDays);
  const micros = roundHalfEven(timeF + secRemainder * 1e6);
  if (!Number.isFinite(micros)) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'interval out of range');
  return { months, days, micros: BigInt(micros) };
}

function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** PostgreSQL's replacement syntax (\1, \&, \\) in JavaScript's ($1, $&, $$ for a literal dollar). */
function jsReplacement(r: string): string {
  let out = '';
  for (let i = 0; i < r.length; i++) {
    const c = r[i]!;
    if (c === '$') out += '$$';
    else if (c === '\\' && i + 1 < r.length) {
      const d = r[++i]!;
      if (d >= '1' && d <= '9') out += `$${d}`;
      else if (d === '&') out += '$&';
      else out += d === '$' ? '$$' : d;
    } else out += c;
  }
  return out;
}

const KNOWN_UNITS = new Set(['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'decade', 'century', 'millennium', 'dow', 'isodow', 'doy', 'epoch', 'timezone', 'timezone_hour', 'timezone_minute', 'julian', 'isoyear']);

const TRUNC_UNITS = ['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'decade', 'century', 'millennium'];

function truncTimestamp(unitText: string, v: bigint): bigint {
  if (v === DT_NOBEGIN || v === DT_NOEND) return v;
  const unit = normalizeUnit(unitText);
  if (!TRUNC_UNITS.includes(unit)) {
    if (!KNOWN_UNITS.has(unit)) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `unit "${unitText.toLowerCase()}" not recognized for type timestamp without time zone`);
    throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, `unit "${unitText.toLowerCase()}" not supported for type timestamp without time zone`);
  }
  const f = timestampFields(v);
  const dayUs = (y: number, m: number, d: number) => BigInt(date2j(y, m, d) - POSTGRES_EPOCH_JDATE) * 86_400_000_000n;
  switch (unit) {
    case 'microseconds': return v;
    case 'milliseconds': return v - BigInt(f.usec % 1000);
    case 'second': return v - BigInt(f.usec);
    case 'minute': return v - BigInt(f.usec) - BigInt(f.sec) * 1_000_000n;
    case 'hour': return v - BigInt(f.usec) - BigInt(f.sec + f.min * 60) * 1_000_000n;
    case 'day': return dayUs(f.year, f.month, f.day);
    case 'week': {
      const isoDow = f.dow === 0 ? 7 : f.dow;
      return dayUs(f.year, f.month, f.day) - BigInt(isoDow - 1) * 86_400_000_000n;
    }
    case 'month': return dayUs(f.year, f.month, 1);
    case 'quarter': return dayUs(f.year, Math.floor((f.month - 1) / 3) * 3 + 1, 1);
    case 'year': return dayUs(f.year, 1, 1);
    case 'decade': return dayUs(f.year > 0 ? Math.floor(f.year / 10) * 10 : -Math.floor((9 - f.year) / 10) * 10, 1, 1);
    case 'century': return dayUs(f.year > 0 ? Math.floor((f.year + 99) / 100) * 100 - 99 : -Math.floor((99 - (f.year - 1)) / 100) * 100 - 99, 1, 1);
    default: return dayUs(f.year > 0 ? Math.floor((f.year + 999) / 1000) * 1000 - 999 : -Math.floor((999 - (f.year - 1)) / 1000) * 1000 - 999, 1, 1);
  }
}

function normalizeUnit(u: string): string {
  const l = u.toLowerCase();
  const aliases: Record<string, string> = {
    microsecond: 'microseconds', us: 'microseconds', usec: 'microseconds', usecs: 'microseconds', useconds: 'microseconds',
    millisecond: 'milliseconds', ms: 'milliseconds', msec: 'milliseconds', msecs: 'milliseconds', mseconds: 'milliseconds',
    seconds: 'second', sec: 'second', secs: 'second', s: 'second', minutes: 'minute', min: 'minute', mins: 'minute', m: 'minute',
    hours: 'hour', h: 'hour', hr: 'hour', hrs: 'hour', days: 'day', d: 'day', weeks: 'week', w: 'week', months: 'month', mon: 'month', mons: 'month',
    quarters: 'quarter', qtr: 'quarter', years: 'year', y: 'year', yr: 'year', yrs: 'year', decades: 'decade', dec: 'decade', decs: 'decade',
    centuries: 'century', c: 'century', cent: 'century', millenniums: 'millennium', millennia: 'millennium', mil: 'millennium', mils: 'millennium',
  };
  return aliases[l] ?? l;
}

/** extract (numeric result) and date_part (float8 result) over local calendar fields. */
function extractField(unitText: string, local: bigint, typeName: string, numericResult: boolean, utc?: bigint): Datum {
  const unit = normalizeUnit(unitText);
  const f = timestampFields(local);
  const n = (v: number | string): Datum => (numericResult ? Numeric.parse(String(v)) : Number(v));
  switch (unit) {
    case 'year': return n(f.year > 0 ? f.year : f.year - 1);
    case 'month': return n(f.month);
    case 'day': return n(f.day);
    case 'hour': return n(f.hour);
    case 'minute': return n(f.min);
    case 'second': return numericResult ? Numeric.fromScaled(BigInt(f.sec * 1_000_000 + f.usec), 6) : f.sec + f.usec / 1e6;
    case 'milliseconds': return numericResult ? Numeric.fromScaled(BigInt(f.sec * 1_000_000 + f.usec), 3) : (f.sec * 1_000_000 + f.usec) / 1000;
    case 'microseconds': return n(f.sec * 1_000_000 + f.usec);
    case 'dow': return n(f.dow);
    case 'isodow': return n(f.dow === 0 ? 7 : f.dow);
    case 'doy': return n(date2j(f.year, f.month, f.day) - date2j(f.year, 1, 1) + 1);
    case 'quarter': return n(Math.floor((f.month - 1) / 3) + 1);
    case 'decade': return n(Math.floor(f.year / 10));
    case 'century': return n(f.year > 0 ? Math.floor((f.year + 99) / 100) : -Math.floor((99 - (f.year - 1)) / 100));
    case 'millennium': return n(f.year > 0 ? Math.floor((f.year + 999) / 1000) : -Math.floor((999 - (f.year - 1)) / 1000));
    case 'epoch': {
      const us = (utc ?? local) + 946_684_800_000_000n;
      if (numericResult) return Numeric.fromScaled(us, 6);
      return Number(us) / 1e6;
    }
  }
  if (!KNOWN_UNITS.has(unit)) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `unit "${unitText.toLowerCase()}" not recognized for type ${typeName}`);
  throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, `unit "${unitText.toLowerCase()}" not supported for type ${typeName}`);
}

/** Functions whose pg_proc body is SQL (prosrc "see system_functions.sql"), by name and argument types. */
const sqlBodied: Record<string, Factory> = {
  'round/1700': fixed((a) => (a[0] as Numeric).round(0)),
  'trunc/1700': fixed((a) => (a[0] as Numeric).trunc(0)),
  'lpad/25,23': fixed((a) => pad(a[0] as string, a[1] as number, ' ', true)),
  'rpad/25,23': fixed((a) => pad(a[0] as string, a[1] as number, ' ', false)),
  'date_part/25,1082': fixed((a) => extractField(a[0] as string, BigInt(a[1] as number) * 86_400_000_000n, 'date', false)),
  'bit_length/25': fixed((a) => new TextEncoder().encode(a[0] as string).length * 8),
};

/** Polymorphic SQL-bodied functions, by name: the factory sees the resolved argument types. */
const sqlBodiedByName: Record<string, Factory> = {
  textanycat: (args) => (a, fc) => (a[0] as string) + outputOf(args[1]!, a[1]!, fc.io),
  anytextcat: (args) => (a, fc) => outputOf(args[0]!, a[0]!, fc.io) + (a[1] as string),
  quote_literal: (args) => (a, fc) => quoteLiteral(outputOf(args[0]!, a[0]!, fc.io)),
};

const COMPARISON = /(eq|ne|lt|le|gt|ge)$/;
/** Cross-type comparisons named like date_eq_timestamp. */
const CROSS_COMPARISON = /_(eq|ne|lt|le|gt|ge)_[a-z]+$/;

/** The implementation of a scalar pg_proc row for resolved types, or a closure raising 0A000 when called. */
export function implementationFor(src: string, name: string, argTypes: number[], retType: number): Fn {
  const f = scalar[src] ?? varargs[src] ?? sqlBodied[`${name}/${argTypes.join(',')}`] ?? sqlBodiedByName[name];
  if (f) return f(argTypes, retType);
  const rel = COMPARISON.exec(src) ?? CROSS_COMPARISON.exec(src);
  if (rel && argTypes.length === 2 && retType === T.bool && !src.startsWith('record')) {
    try {
      return comparison(rel[1]!)(argTypes, retType);
    } catch {
      // fall through to "not supported"
    }
  }
  return () => {
    throw featureNotSupported(`function ${name}`);
  };
}

/** The implementation of a set-returning pg_proc row, or undefined. */
export function setImplementationFor(src: string, argTypes: number[], retType: number): SetFn | undefined {
  return setReturning[src]?.(argTypes, retType);
}

/** Whether a scalar implementation exists (for tests and reports). */
export function hasImplementation(src: string): boolean {
  return src in scalar || src in varargs || src in setReturning || COMPARISON.test(src);
}

export { toNumeric, toFloat, quoteIdent, quoteLiteral };
