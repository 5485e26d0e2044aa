// The Datum representation shared by every part of the engine, the TypeImpl contract that
// each built-in type implements (text and binary I/O, ordering, hashing, typmods), and the
// small byte and error helpers the type implementations share.

import { PgError, SqlState } from '@palisade/common';
import type { Numeric } from './numeric.ts';
import type { Jsonb } from './jsonb.ts';

/** An interval as PostgreSQL stores it: months, days and microseconds are independent fields. */
export interface Interval {
  months: number;
  days: number;
  micros: bigint;
}

/** A time with time zone: µs since midnight and the zone in seconds WEST of UTC (PostgreSQL's sign). */
export interface TimeTz {
  timeUs: bigint;
  zoneSec: number;
}

/** An array value: element type OID, dimensions, lower bounds and the elements flattened row-major. */
export interface PgArray {
  elementType: number;
  dims: number[];
  lowerBounds: number[];
  values: Datum[];
}

/** One SQL value; SQL NULL is null. See the README's "Types" section for the mapping per type. */
export type Datum = null | boolean | number | bigint | string | Uint8Array | Numeric | Interval | TimeTz | Jsonb | PgArray;

/** The session settings that change how values are read and written as text. */
export interface IoContext {
  /** DateStyle, e.g. 'ISO, MDY'. */
  dateStyle: string;
  intervalStyle: 'postgres' | 'postgres_verbose' | 'sql_standard' | 'iso_8601';
  /** TimeZone: an IANA name, 'UTC', or a POSIX-style/fixed offset. */
  timeZone: string;
  extraFloatDigits: number;
  byteaOutput: 'hex' | 'escape';
  /**
   * Name lookups for the reg* types (regclass, regtype, …). Without it they accept and print
   * OIDs only, which is what PostgreSQL does for an OID that names nothing.
   */
  regResolver?: RegResolver;
}

/** Catalog lookups the reg* types need; supplied by the catalog layer. */
export interface RegResolver {
  /** The OID for a name, or undefined when nothing has that name. `kind` is the type name, e.g. 'regclass'. */
  lookup(kind: string, name: string): number | undefined;
  /** The name to print for an OID, or undefined to print the number. */
  name(kind: string, oid: number): string | undefined;
}

/** PostgreSQL's defaults for a new session. */
export const defaultIoContext: IoContext = Object.freeze({
  dateStyle: 'ISO, MDY',
  intervalStyle: 'postgres',
  timeZone: 'UTC',
  extraFloatDigits: 1,
  byteaOutput: 'hex',
}) as IoContext;

/** A built-in type's implementation, registered under its pg_type OID. */
export interface TypeImpl {
  oid: number;
  name: string;
  input(text: string, typmod: number, ctx: IoContext): Datum;
  output(value: Datum, ctx: IoContext): string;
  receive(bytes: Uint8Array, typmod: number, ctx: IoContext): Datum;
  send(value: Datum, ctx: IoContext): Uint8Array;
  /** Btree order of the default operator class: negative, zero or positive. */
  compare?(a: Datum, b: Datum): number;
  equals?(a: Datum, b: Datum): boolean;
  /** A 32-bit hash consistent with equals (not PostgreSQL's hash values). */
  hash?(a: Datum): number;
  typmodIn?(mods: string[]): number;
  typmodOut?(typmod: number): string;
  applyTypmod?(value: Datum, typmod: number, isExplicit: boolean): Datum;
}

/** 22P02 invalid input syntax for type %s: "%s". */
export function invalidSyntax(typeName: string, text: string): PgError {
  return new PgError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type ${typeName}: "${text}"`);
}

/** 22003 with the given message. */
export function outOfRange(message: string): PgError {
  return new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, message);
}

/** 22P03 for malformed binary input. */
export function badBinary(message: string): PgError {
  return new PgError(SqlState.INVALID_BINARY_REPRESENTATION, message);
}

/** C's isspace() in the C locale. */
export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  try {
    return decoder.decode(b);
  } catch {
    throw new PgError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8"');
  }
}

/** Reads big-endian binary values as PostgreSQL's pq_getmsg* do; short input is 22P03. */
export class ByteReader {
  private readonly view: DataView;
  offset = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw badBinary('insufficient data left in message');
  }
  int8(): number { this.need(1); return this.view.getInt8(this.offset++); }
  uint8(): number { this.need(1); return this.view.getUint8(this.offset++); }
  int16(): number { this.need(2); const v = this.view.getInt16(this.offset); this.offset += 2; return v; }
  uint16(): number { this.need(2); const v = this.view.getUint16(this.offset); this.offset += 2; return v; }
  int32(): number { this.need(4); const v = this.view.getInt32(this.offset); this.offset += 4; return v; }
  uint32(): number { this.need(4); const v = this.view.getUint32(this.offset); this.offset += 4; return v; }
  int64(): bigint { this.need(8); const v = this.view.getBigInt64(this.offset); this.offset += 8; return v; }
  float32(): number { this.need(4); const v = this.view.getFloat32(this.offset); this.offset += 4; return v; }
  float64(): number { this.need(8); const v = this.view.getFloat64(this.offset); this.offset += 8; return v; }
  take(n: number): Uint8Array { this.need(n); const v = this.bytes.subarray(this.offset, this.offset + n); this.offset += n; return v; }
  rest(): Uint8Array { const v = this.bytes.subarray(this.offset); this.offset = this.bytes.length; return v; }
  /** PostgreSQL's receive functions reject trailing bytes. */
  end(): void {
    if (this.offset !== this.bytes.length) throw badBinary('incorrect binary data format');
  }
}

/** Builds big-endian binary values; grows as needed. */
export class ByteWriter {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  int8(v: number): this { this.room(1); this.view.setInt8(this.length, v); this.length += 1; return this; }
  uint8(v: number): this { this.room(1); this.view.setUint8(this.length, v); this.length += 1; return this; }
  int16(v: number): this { this.room(2); this.view.setInt16(this.length, v); this.length += 2; return this; }
  uint16(v: number): this { this.room(2); this.view.setUint16(this.length, v); this.length += 2; return this; }
  int32(v: number): this { this.room(4); this.view.setInt32(this.length, v); this.length += 4; return this; }
  uint32(v: number): this { this.room(4); this.view.setUint32(this.length, v); this.length += 4; return this; }
  int64(v: bigint): this { this.room(8); this.view.setBigInt64(this.length, v); this.length += 8; return this; }
  float32(v: number): this { this.room(4); this.view.setFloat32(this.length, v); this.length += 4; return this; }
  float64(v: number): this { this.room(8); this.view.setFloat64(this.length, v); this.length += 8; return this; }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.length); this.length += b.length; return this; }
  finish(): Uint8Array { return this.buf.slice(0, this.length); }
}

/** FNV-1a over a string's UTF-16 code units, as an unsigned 32-bit hash. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function hashBytes(b: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** -1, 0 or 1 for ordinary comparable values. */
export function cmp<T extends number | bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
