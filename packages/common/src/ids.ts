// Branded identifiers. PostgreSQL's numbers of different meaning are all integers; branding
// makes the compiler refuse an LSN where a block number is expected.

declare const brand: unique symbol;
/** A value of type `T` that only the matching constructor function produces. */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** Write-ahead log position: a byte offset into the WAL stream (64-bit). */
export type Lsn = Brand<bigint, 'Lsn'>;
/** Transaction id. 64-bit in Palisade, so it never wraps around. */
export type Xid = Brand<bigint, 'Xid'>;
/** Object identifier (unsigned 32-bit), as in PostgreSQL's catalogs. */
export type Oid = Brand<number, 'Oid'>;
/** Block number within one fork of a relation (unsigned 32-bit). */
export type BlockNumber = Brand<number, 'BlockNumber'>;
/** The number that names a relation's files on disk (`base/<db>/<relfilenumber>`). */
export type RelFileNumber = Brand<number, 'RelFileNumber'>;

const UINT32_MAX = 0xffff_ffff;
const UINT64_MAX = (1n << 64n) - 1n;

function checkUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new RangeError(`${what} must be an unsigned 32-bit integer, got ${value}`);
  }
}
function checkUint64(value: bigint, what: string): void {
  if (value < 0n || value > UINT64_MAX) throw new RangeError(`${what} must be an unsigned 64-bit integer, got ${value}`);
}

/** Makes an {@link Lsn}; throws RangeError outside 0..2^64-1. */
export function lsn(value: bigint | number): Lsn {
  const v = BigInt(value);
  checkUint64(v, 'Lsn');
  return v as Lsn;
}
/** Makes an {@link Xid}; throws RangeError outside 0..2^64-1. */
export function xid(value: bigint | number): Xid {
  const v = BigInt(value);
  checkUint64(v, 'Xid');
  return v as Xid;
}
/** Makes an {@link Oid}; throws RangeError outside 0..2^32-1. */
export function oid(value: number): Oid {
  checkUint32(value, 'Oid');
  return value as Oid;
}
/** Makes a {@link BlockNumber}; 0xFFFFFFFF is reserved as {@link InvalidBlockNumber}. */
export function blockNumber(value: number): BlockNumber {
  checkUint32(value, 'BlockNumber');
  return value as BlockNumber;
}
/** Makes a {@link RelFileNumber}. */
export function relFileNumber(value: number): RelFileNumber {
  checkUint32(value, 'RelFileNumber');
  return value as RelFileNumber;
}

export const InvalidLsn = 0n as Lsn;
export const InvalidXid = 0n as Xid;
/** Transaction id of the bootstrap transaction (PostgreSQL's BootstrapTransactionId). */
export const BootstrapXid = 1n as Xid;
/** Frozen transaction id: precedes and is visible to every snapshot. */
export const FrozenXid = 2n as Xid;
/** First normal transaction id. */
export const FirstNormalXid = 3n as Xid;
export const InvalidOid = 0 as Oid;
export const InvalidBlockNumber = UINT32_MAX as BlockNumber;
/** First OID assigned to user-created objects (PostgreSQL's FirstNormalObjectId). */
export const FirstNormalObjectId = 16384 as Oid;

/** Formats an LSN the way PostgreSQL prints it: `16/B374D848` (upper and lower 32 bits in hex). */
export function formatLsn(value: Lsn): string {
  const hi = value >> 32n;
  const lo = value & 0xffff_ffffn;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** Parses PostgreSQL's `X/Y` LSN text form; returns undefined if it is not one. */
export function parseLsn(text: string): Lsn | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) return undefined;
  return ((BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)) as Lsn;
}
