// The abstract heap tuple header that visibility and row-lock decisions read and write:
// PostgreSQL's t_xmin, t_xmax, t_cid, t_infomask, t_infomask2 and t_ctid, with the same bit
// values, so that @palisade/access can store them unchanged in its 23-byte header.

import type { Xid } from '@palisade/common';
import type { CommandId } from './xid.ts';

/** Item pointer: block number and 1-based line-pointer offset. */
export interface Tid {
  readonly block: number;
  readonly offset: number;
}

export function tidEquals(a: Tid, b: Tid): boolean {
  return a.block === b.block && a.offset === b.offset;
}

/** The fields of a heap tuple header that MVCC reads and writes. Mutable: hint bits are set in place. */
export interface TupleHeader {
  xmin: Xid;
  /** Deleting/locking xid, or a MultiXactId when HEAP_XMAX_IS_MULTI. */
  xmax: Xid;
  /** cmin, cmax, or a combo command id (HEAP_COMBOCID). */
  cid: CommandId;
  infomask: number;
  infomask2: number;
  /** This tuple's own location. */
  readonly tid: Tid;
  /** Its own location, or that of the newer version after an update. */
  ctid: Tid;
}

/** t_infomask bits (PostgreSQL's htup_details.h values). */
export const Infomask = {
  HEAP_XMAX_KEYSHR_LOCK: 0x0010,
  HEAP_COMBOCID: 0x0020,
  HEAP_XMAX_EXCL_LOCK: 0x0040,
  HEAP_XMAX_LOCK_ONLY: 0x0080,
  HEAP_XMAX_SHR_LOCK: 0x0050,
  HEAP_LOCK_MASK: 0x0050 | 0x0040 | 0x0010,
  HEAP_XMIN_COMMITTED: 0x0100,
  HEAP_XMIN_INVALID: 0x0200,
  HEAP_XMIN_FROZEN: 0x0300,
  HEAP_XMAX_COMMITTED: 0x0400,
  HEAP_XMAX_INVALID: 0x0800,
  HEAP_XMAX_IS_MULTI: 0x1000,
  HEAP_UPDATED: 0x2000,
  /** Every bit that describes xmax. */
  HEAP_XMAX_BITS: 0x0400 | 0x0800 | 0x1000 | 0x0080 | 0x0040 | 0x0010,
} as const;

/** t_infomask2 bits. */
export const Infomask2 = {
  HEAP_KEYS_UPDATED: 0x2000,
  HEAP_HOT_UPDATED: 0x4000,
  HEAP_ONLY_TUPLE: 0x8000,
} as const;

/** xmax only locks the tuple (PostgreSQL's HEAP_XMAX_IS_LOCKED_ONLY). */
export function xmaxIsLockedOnly(infomask: number): boolean {
  return (
    (infomask & Infomask.HEAP_XMAX_LOCK_ONLY) !== 0 || (infomask & (Infomask.HEAP_XMAX_IS_MULTI | Infomask.HEAP_LOCK_MASK)) === Infomask.HEAP_XMAX_EXCL_LOCK
  );
}

export function xminCommitted(t: TupleHeader): boolean {
  return (t.infomask & Infomask.HEAP_XMIN_COMMITTED) !== 0;
}
/** Xmin known aborted (INVALID without COMMITTED; both together mean frozen). */
export function xminInvalid(t: TupleHeader): boolean {
  return (t.infomask & Infomask.HEAP_XMIN_FROZEN) === Infomask.HEAP_XMIN_INVALID;
}
/** Frozen (M5): visible to every snapshot, original xmin kept for forensics. */
export function xminFrozen(t: TupleHeader): boolean {
  return (t.infomask & Infomask.HEAP_XMIN_FROZEN) === Infomask.HEAP_XMIN_FROZEN;
}

/** A header for a tuple just inserted by `xmin` at command `cid`. */
export function newTupleHeader(xmin: Xid, cid: CommandId, tid: Tid): TupleHeader {
  return { xmin, xmax: 0n as Xid, cid, infomask: Infomask.HEAP_XMAX_INVALID, infomask2: 0, tid, ctid: tid };
}
