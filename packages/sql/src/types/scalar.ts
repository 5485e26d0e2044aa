// The simple built-in types: bool, int2/int4/int8, float4/float8, oid and the reg* types,
// xid/cid, the text family (text, varchar, bpchar, name, "char", unknown, cstring), bytea and
// uuid. Each is a TypeImpl with PostgreSQL 15's text and binary I/O, ordering and typmods.

import { PgError, SqlState } from '@palisade/common';
import {
  ByteReader, ByteWriter, type Datum, type IoContext, type TypeImpl, badBinary, cmp, hashBytes, hashString,
  invalidSyntax, isSpace, outOfRange, utf8Decode, utf8Encode,
} from './datum.ts';
import { float4In, float4Out, float8In, float8Out, floatCompare } from './float.ts';

const VARHDRSZ = 4;

function simpleHash(v: number | bigint | boolean): number {
  return hashString(String(v));
}

// ---- bool ----------------------------------------------------------------------------------

/** boolin's accepted words: unambiguous prefixes of true/false/yes/no, on/off, 1/0. */
export function parseBoolText(text: string): boolean | undefined {
  const s = text.replace(/^[ \t\n\r\v\f]+/, '').replace(/[ \t\n\r\v\f]+$/, '').toLowerCase();
  const n = s.length;
  if (n === 0) return undefined;
  switch (s[0]) {
    case 't': return 'true'.startsWith(s) ? true : undefined;
    case 'f': return 'false'.startsWith(s) ? false : undefined;
    case 'y': return 'yes'.startsWith(s) ? true : undefined;
    case 'n': return 'no'.startsWith(s) ? false : undefined;
    case 'o':
      if (n >= 2 && 'on'.startsWith(s)) return true;
      if (n >= 2 && 'off'.startsWith(s)) return false;
      return undefined;
    case '1': return n === 1 ? true : undefined;
    case '0': return n === 1 ? false : undefined;
  }
  return undefined;
}

export const boolType: TypeImpl = {
  oid: 16, name: 'bool',
  input(text) {
    const v = parseBoolText(text);
    if (v === undefined) throw invalidSyntax('boolean', text);
    return v;
  },
  output: (v) => (v ? 't' : 'f'),
  receive(bytes) {
    const r = new ByteReader(bytes);
    const b = r.uint8();
    r.end();
    return b !== 0;
  },
  send: (v) => Uint8Array.of(v ? 1 : 0),
  compare: (a, b) => Number(a) - Number(b),
  equals: (a, b) => a === b,
  hash: (a) => (a ? 1 : 0),
};

// ---- integers ------------------------------------------------------------------------------

/** pg_strtoint16/32/64: white space, sign, digits, white space; overflow is detected digit by digit. */
export function parseInteger(text: string, min: bigint, max: bigint, typeName: string): bigint {
  let i = 0;
  const n = text.length;
  while (i < n && isSpace(text[i])) i++;
  let neg = false;
  if (text[i] === '-') { neg = true; i++; } else if (text[i] === '+') i++;
  const start = i;
  let v = 0n;
  const limit = neg ? -min : max;
  while (i < n && text[i]! >= '0' && text[i]! <= '9') {
    v = v * 10n + BigInt(text.charCodeAt(i) - 48);
    if (v > limit) throw outOfRange(`value "${text}" is out of range for type ${typeName}`);
    i++;
  }
  if (i === start) throw invalidSyntax(typeName, text);
  while (i < n && isSpace(text[i])) i++;
  if (i !== n) throw invalidSyntax(typeName, text);
  return neg ? -v : v;
}

function intType(oid: number, name: string, label: string, bytes: 2 | 4): TypeImpl {
  const max = bytes === 2 ? 32767n : 2147483647n;
  return {
    oid, name,
    input: (text) => Number(parseInteger(text, -max - 1n, max, label)),
    output: (v) => String(v),
    receive(b) {
      const r = new ByteReader(b);
      const v = bytes === 2 ? r.int16() : r.int32();
      r.end();
      return v;
    },
    send: (v) => (bytes === 2 ? new ByteWriter().int16(v as number) : new ByteWriter().int32(v as number)).finish(),
    compare: (a, b) => cmp(a as number, b as number),
    equals: (a, b) => a === b,
    hash: (a) => simpleHash(a as number),
  };
}

export const int2Type = intType(21, 'int2', 'smallint', 2);
export const int4Type = intType(23, 'int4', 'integer', 4);

export const INT8_MIN = -(2n ** 63n);
export const INT8_MAX = 2n ** 63n - 1n;

export const int8Type: TypeImpl = {
  oid: 20, name: 'int8',
  input: (text) => parseInteger(text, INT8_MIN, INT8_MAX, 'bigint'),
  output: (v) => String(v),
  receive(b) {
    const r = new ByteReader(b);
    const v = r.int64();
    r.end();
    return v;
  },
  send: (v) => new ByteWriter().int64(v as bigint).finish(),
  compare: (a, b) => cmp(a as bigint, b as bigint),
  equals: (a, b) => a === b,
  hash: (a) => simpleHash(a as bigint),
};

// ---- floats --------------------------------------------------------------------------------

function floatHash(v: number): number {
  if (v === 0) return 0; // -0 equals 0
  if (Number.isNaN(v)) return 0x7ff80000;
  return hashString(String(v));
}

export const float4Type: TypeImpl = {
  oid: 700, name: 'float4',
  input: (text) => float4In(text),
  output: (v, ctx) => float4Out(v as number, ctx.extraFloatDigits),
  receive(b) {
    const r = new ByteReader(b);
    const v = r.float32();
    r.end();
    return v;
  },
  send: (v) => new ByteWriter().float32(v as number).finish(),
  compare: (a, b) => floatCompare(a as number, b as number),
  equals: (a, b) => floatCompare(a as number, b as number) === 0,
  hash: (a) => floatHash(a as number),
};

export const float8Type: TypeImpl = {
  oid: 701, name: 'float8',
  input: (text) => float8In(text),
  output: (v, ctx) => float8Out(v as number, ctx.extraFloatDigits),
  receive(b) {
    const r = new ByteReader(b);
    const v = r.float64();
    r.end();
    return v;
  },
  send: (v) => new ByteWriter().float64(v as number).finish(),
  compare: (a, b) => floatCompare(a as number, b as number),
  equals: (a, b) => floatCompare(a as number, b as number) === 0,
  hash: (a) => floatHash(a as number),
};

// ---- oid, reg*, xid, cid -------------------------------------------------------------------

/** oidin: strtoul semantics, accepting values that fit after signed or unsigned extension. */
export function parseOid(text: string, typeName = 'oid'): number {
  if (text === '') throw invalidSyntax(typeName, text);
  let i = 0;
  const n = text.length;
  while (i < n && isSpace(text[i])) i++;
  let neg = false;
  if (text[i] === '-') { neg = true; i++; } else if (text[i] === '+') i++;
  const start = i;
  while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
  if (i === start) throw invalidSyntax(typeName, text);
  let v = BigInt(text.slice(start, i));
  const ulongMax = 2n ** 64n - 1n;
  if (v > ulongMax) throw outOfRange(`value "${text}" is out of range for type ${typeName}`);
  while (i < n && isSpace(text[i])) i++;
  if (i !== n) throw invalidSyntax(typeName, text);
  if (neg && v !== 0n) v = 2n ** 64n - v;
  if (!(v < 2n ** 32n || v >= 2n ** 64n - 2n ** 31n)) throw outOfRange(`value "${text}" is out of range for type ${typeName}`);
  return Number(v % 2n ** 32n);
}

function uint32Type(oid: number, name: string, input: (text: string, ctx: IoContext) => number, output: (v: number, ctx: IoContext) => string): TypeImpl {
  return {
    oid, name,
    input: (text, _typmod, ctx) => input(text, ctx),
    output: (v, ctx) => output(v as number, ctx),
    receive(b) {
      const r = new ByteReader(b);
      const v = r.uint32();
      r.end();
      return v;
    },
    send: (v) => new ByteWriter().uint32(v as number).finish(),
    compare: (a, b) => cmp(a as number, b as number),
    equals: (a, b) => a === b,
    hash: (a) => simpleHash(a as number),
  };
}

export const oidType = uint32Type(26, 'oid', (t) => parseOid(t), (v) => String(v));

/** xidin/cidin in PostgreSQL 15: strtoul with base 0 and no error checking. */
function parseXid(text: string): number {
  const m = /^[ \t\n\r\v\f]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m) return 0;
  const body = m[2]!;
  let v = body.startsWith('0x') || body.startsWith('0X') ? BigInt(body) : body.length > 1 && body[0] === '0' ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
  if (v > 2n ** 64n - 1n) v = 2n ** 64n - 1n;
  if (m[1] === '-') v = (2n ** 64n - v) % 2n ** 64n;
  return Number(v % 2n ** 32n);
}

export const xidType = uint32Type(28, 'xid', parseXid, (v) => String(v));
export const cidType = uint32Type(29, 'cid', parseXid, (v) => String(v));

const regErrors: Record<string, (name: string) => PgError> = {
  regclass: (n) => new PgError(SqlState.UNDEFINED_TABLE, `relation "${n}" does not exist`),
  regtype: (n) => new PgError(SqlState.UNDEFINED_OBJECT, `type "${n}" does not exist`),
  regproc: (n) => new PgError(SqlState.UNDEFINED_FUNCTION, `function "${n}" does not exist`),
  regprocedure: (n) => new PgError(SqlState.UNDEFINED_FUNCTION, `function "${n}" does not exist`),
  regoper: (n) => new PgError(SqlState.UNDEFINED_FUNCTION, `operator does not exist: ${n}`),
  regoperator: (n) => new PgError(SqlState.UNDEFINED_FUNCTION, `operator does not exist: ${n}`),
  regrole: (n) => new PgError(SqlState.UNDEFINED_OBJECT, `role "${n}" does not exist`),
  regnamespace: (n) => new PgError(SqlState.UNDEFINED_SCHEMA, `schema "${n}" does not exist`),
  regconfig: (n) => new PgError(SqlState.UNDEFINED_OBJECT, `text search configuration "${n}" does not exist`),
  regdictionary: (n) => new PgError(SqlState.UNDEFINED_OBJECT, `text search dictionary "${n}" does not exist`),
};

/**
 * A reg* type: all-digit input is an OID; '-' is 0; other text is a name looked up through
 * IoContext.regResolver. Output prints the resolver's name, else the number ('-' for 0).
 */
function regType(oid: number, name: string): TypeImpl {
  return uint32Type(oid, name,
    (text, ctx) => {
      if (text === '-') return 0;
      if (/^[0-9]+$/.test(text)) return parseOid(text, name);
      const found = ctx.regResolver?.lookup(name, text);
      if (found === undefined) throw regErrors[name]!(text);
      return found;
    },
    (v, ctx) => {
      if (v === 0) return '-';
      return ctx.regResolver?.name(name, v) ?? String(v);
    });
}

export const regTypes: TypeImpl[] = [
  regType(24, 'regproc'), regType(2202, 'regprocedure'), regType(2203, 'regoper'), regType(2204, 'regoperator'),
  regType(2205, 'regclass'), regType(2206, 'regtype'), regType(4096, 'regrole'), regType(4089, 'regnamespace'),
  regType(3734, 'regconfig'), regType(3769, 'regdictionary'),
];

// ---- text family ---------------------------------------------------------------------------

/** Compares strings by Unicode code point (the "C" collation's byte order for UTF-8). */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800–0xDFFF) encode code points above every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Length in characters (code points), as pg_mbstrlen counts in UTF-8. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** The first `count` characters of s. */
function charPrefix(s: string, count: number): string {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (n === count) return s.slice(0, i);
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
    n++;
  }
  return s;
}

function textBinary(oid: number, name: string, extra: Partial<TypeImpl> = {}): TypeImpl {
  return {
    oid, name,
    input: (text) => text,
    output: (v) => v as string,
    receive: (b) => utf8Decode(b),
    send: (v) => utf8Encode(v as string),
    compare: (a, b) => compareText(a as string, b as string),
    equals: (a, b) => a === b,
    hash: (a) => hashString(a as string),
    ...extra,
  };
}

export const textType = textBinary(25, 'text');
export const unknownType = textBinary(705, 'unknown');
export const cstringType = textBinary(2275, 'cstring');

function lengthTypmodIn(typeName: string) {
  return (mods: string[]): number => {
    if (mods.length !== 1) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'invalid type modifier');
    const n = Number(mods[0]);
    if (n < 1) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `length for type ${typeName} must be at least 1`);
    if (n > 10485760) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `length for type ${typeName} cannot exceed 10485760`);
    return n + VARHDRSZ;
  };
}

/** Truncation shared by varchar and bpchar: only trailing spaces may be cut unless explicit. */
function clip(s: string, max: number, isExplicit: boolean, label: string): string {
  if (charLength(s) <= max) return s;
  const head = charPrefix(s, max);
  if (!isExplicit && /[^ ]/.test(s.slice(head.length))) {
    throw new PgError(SqlState.STRING_DATA_RIGHT_TRUNCATION, `value too long for type ${label}(${max})`);
  }
  return head;
}

export const varcharType: TypeImpl = textBinary(1043, 'varchar', {
  input: (text, typmod) => (typmod >= VARHDRSZ ? clip(text, typmod - VARHDRSZ, false, 'character varying') : text),
  receive: (b, typmod) => {
    const s = utf8Decode(b);
    return typmod >= VARHDRSZ ? clip(s, typmod - VARHDRSZ, false, 'character varying') : s;
  },
  typmodIn: lengthTypmodIn('varchar'),
  typmodOut: (t) => (t > VARHDRSZ ? `(${t - VARHDRSZ})` : ''),
  applyTypmod: (v, typmod, isExplicit) => (typmod >= VARHDRSZ ? clip(v as string, typmod - VARHDRSZ, isExplicit, 'character varying') : v),
});

function bpcharApply(s: string, typmod: number, isExplicit: boolean): string {
  if (typmod < VARHDRSZ) return s;
  const max = typmod - VARHDRSZ;
  const clipped = clip(s, max, isExplicit, 'character');
  const len = charLength(clipped);
  return len < max ? clipped + ' '.repeat(max - len) : clipped;
}

/** bpchar compares and hashes without its trailing spaces. */
export function bpcharStrip(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 32) e--;
  return s.slice(0, e);
}

export const bpcharType: TypeImpl = textBinary(1042, 'bpchar', {
  input: (text, typmod) => bpcharApply(text, typmod, false),
  receive: (b, typmod) => bpcharApply(utf8Decode(b), typmod, false),
  compare: (a, b) => compareText(bpcharStrip(a as string), bpcharStrip(b as string)),
  equals: (a, b) => bpcharStrip(a as string) === bpcharStrip(b as string),
  hash: (a) => hashString(bpcharStrip(a as string)),
  typmodIn: lengthTypmodIn('char'),
  typmodOut: (t) => (t > VARHDRSZ ? `(${t - VARHDRSZ})` : ''),
  applyTypmod: (v, typmod, isExplicit) => bpcharApply(v as string, typmod, isExplicit),
});

const NAMEDATALEN = 64;

/** namein: cut to at most 63 bytes at a character boundary. */
export function truncateName(s: string): string {
  const bytes = utf8Encode(s);
  if (bytes.length < NAMEDATALEN) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = utf8Encode(ch).length;
    if (used + n > NAMEDATALEN - 1) break;
    out += ch;
    used += n;
  }
  return out;
}

export const nameType: TypeImpl = textBinary(19, 'name', {
  input: (text) => truncateName(text),
  receive: (b) => {
    if (b.length >= NAMEDATALEN) {
      throw new PgError(SqlState.NAME_TOO_LONG, 'identifier too long', { detail: `Identifier must be less than ${NAMEDATALEN} characters.` });
    }
    return utf8Decode(b);
  },
});

/** "char": one byte, kept as a string of one char code 1–255 ('' for the zero byte). */
export const charType: TypeImpl = {
  oid: 18, name: 'char',
  input(text) {
    if (/^\\[0-7]{3}$/.test(text)) {
      const b = parseInt(text.slice(1), 8) & 0xff;
      return b === 0 ? '' : String.fromCharCode(b);
    }
    if (text === '') return '';
    const b = utf8Encode(text)[0]!;
    return String.fromCharCode(b);
  },
  output(v) {
    const s = v as string;
    if (s === '') return '';
    const b = s.charCodeAt(0);
    return b >= 0x80 ? `\\${b.toString(8).padStart(3, '0')}` : s;
  },
  receive(b) {
    const r = new ByteReader(b);
    const c = b.length ? r.uint8() : 0;
    r.end();
    return c === 0 ? '' : String.fromCharCode(c);
  },
  send: (v) => Uint8Array.of((v as string) === '' ? 0 : (v as string).charCodeAt(0)),
  compare: (a, b) => cmp(a as string, b as string),
  equals: (a, b) => a === b,
  hash: (a) => hashString(a as string),
};

// ---- bytea ---------------------------------------------------------------------------------

const hexValue = (c: string): number => {
  const x = c.charCodeAt(0);
  if (x >= 48 && x <= 57) return x - 48;
  if (x >= 97 && x <= 102) return x - 87;
  if (x >= 65 && x <= 70) return x - 55;
  return -1;
};

/** byteain: hex format (\x…) or escape format. */
export function byteaIn(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const out: number[] = [];
    let i = 2;
    while (i < text.length) {
      const c = text[i]!;
      if (c === ' ' || c === '\n' || c === '\t' || c === '\r') { i++; continue; }
      const hi = hexValue(c);
      if (hi < 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid hexadecimal digit: "${c}"`);
      i++;
      if (i >= text.length) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'invalid hexadecimal data: odd number of digits');
      const lo = hexValue(text[i]!);
      if (lo < 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid hexadecimal digit: "${text[i]}"`);
      i++;
      out.push(hi * 16 + lo);
    }
    return Uint8Array.from(out);
  }
  const src = utf8Encode(text);
  const out: number[] = [];
  for (let i = 0; i < src.length;) {
    const c = src[i]!;
    if (c !== 0x5c) { out.push(c); i++; continue; }
    const a = src[i + 1];
    if (a === 0x5c) { out.push(0x5c); i += 2; continue; }
    const b = src[i + 2];
    const d = src[i + 3];
    if (a !== undefined && b !== undefined && d !== undefined && a >= 0x30 && a <= 0x33 && b >= 0x30 && b <= 0x37 && d >= 0x30 && d <= 0x37) {
      out.push(((a - 48) << 6) | ((b - 48) << 3) | (d - 48));
      i += 4;
      continue;
    }
    throw new PgError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type bytea');
  }
  return Uint8Array.from(out);
}

/** byteaout in the session's bytea_output format. */
export function byteaOut(b: Uint8Array, format: 'hex' | 'escape'): string {
  if (format === 'hex') {
    let s = '\\x';
    for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
    return s;
  }
  let s = '';
  for (const x of b) {
    if (x === 0x5c) s += '\\\\';
    else if (x < 0x20 || x > 0x7e) s += `\\${x.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(x);
  }
  return s;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export const byteaType: TypeImpl = {
  oid: 17, name: 'bytea',
  input: (text) => byteaIn(text),
  output: (v, ctx) => byteaOut(v as Uint8Array, ctx.byteaOutput),
  receive: (b) => b.slice(),
  send: (v) => (v as Uint8Array).slice(),
  compare: (a, b) => compareBytes(a as Uint8Array, b as Uint8Array),
  equals: (a, b) => compareBytes(a as Uint8Array, b as Uint8Array) === 0,
  hash: (a) => hashBytes(a as Uint8Array),
};

// ---- uuid ----------------------------------------------------------------------------------

/** string_to_uuid: 32 hex digits, a hyphen allowed after any group of four, optional braces. */
export function uuidIn(text: string): string {
  let i = 0;
  let braces = false;
  if (text[0] === '{') { braces = true; i++; }
  let hex = '';
  for (let k = 0; k < 16; k++) {
    const a = text[i];
    const b = text[i + 1];
    if (a === undefined || b === undefined || hexValue(a) < 0 || hexValue(b) < 0) throw invalidSyntax('uuid', text);
    hex += (a + b).toLowerCase();
    i += 2;
    if (text[i] === '-' && k % 2 === 1 && k < 15) i++;
  }
  if (braces) {
    if (text[i] !== '}') throw invalidSyntax('uuid', text);
    i++;
  }
  if (i !== text.length) throw invalidSyntax('uuid', text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const uuidType: TypeImpl = {
  oid: 2950, name: 'uuid',
  input: (text) => uuidIn(text),
  output: (v) => v as string,
  receive(b) {
    if (b.length !== 16) throw badBinary(`invalid uuid length`);
    let hex = '';
    for (const x of b) hex += (x < 16 ? '0' : '') + x.toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
  send(v) {
    const hex = (v as string).replace(/-/g, '');
    const out = new Uint8Array(16);
    for (let k = 0; k < 16; k++) out[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
    return out;
  },
  compare: (a, b) => cmp(a as string, b as string),
  equals: (a, b) => a === b,
  hash: (a) => hashString(a as string),
};

/** Numeric-family helper used by casts: is this Datum a number or bigint. */
export function isIntegral(v: Datum): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}
