// Transaction-id helpers. Palisade's xids are 64-bit (PostgreSQL's FullTransactionId used
// everywhere), so ordering is plain integer ordering: no modulo-2^32 comparison, no epoch.

import { type Brand, type Xid, InvalidXid, FirstNormalXid, FrozenXid, BootstrapXid } from '@palisade/common';

export { InvalidXid, FirstNormalXid, FrozenXid, BootstrapXid };

/** A MultiXact id: names a set of transactions that lock (and at most one updates) a tuple. 64-bit. */
export type MultiXactId = Brand<bigint, 'MultiXactId'>;
export const InvalidMultiXactId = 0n as MultiXactId;
export const FirstMultiXactId = 1n as MultiXactId;

/** Command id within a transaction (cmin/cmax), unsigned 32-bit as in PostgreSQL. */
export type CommandId = number;
export const FirstCommandId = 0;
export const InvalidCommandId = 0xffff_ffff;

/** Backend-local transaction counter half of a virtual xid. */
export interface VirtualXid {
  readonly backendId: number;
  readonly localXid: number;
}

/** True for xids that name a real transaction (≥ 3). */
export function isNormalXid(x: Xid): boolean {
  return x >= FirstNormalXid;
}
/** True unless `x` is InvalidXid. */
export function isValidXid(x: Xid): boolean {
  return x !== InvalidXid;
}
/** `a` precedes `b`. With 64-bit xids this is ordinary `<` (M32 does not apply). */
export function xidPrecedes(a: Xid, b: Xid): boolean {
  return a < b;
}
export function minXid(a: Xid, b: Xid): Xid {
  return a < b ? a : b;
}
export function maxXid(a: Xid, b: Xid): Xid {
  return a > b ? a : b;
}
/** `virtual transaction 3/17` text form: `backendId/localXid`. */
export function formatVirtualXid(v: VirtualXid): string {
  return `${v.backendId}/${v.localXid}`;
}
