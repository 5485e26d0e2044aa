// Heavyweight lock modes, their conflict table (M9, M10) and lock tags: what a lock is on.

import { assert } from '@palisade/common';

/** The eight table-lock modes, numbered as in PostgreSQL's lockdefs.h (M9). */
export const LockMode = {
  AccessShare: 1,
  RowShare: 2,
  RowExclusive: 3,
  ShareUpdateExclusive: 4,
  Share: 5,
  ShareRowExclusive: 6,
  Exclusive: 7,
  AccessExclusive: 8,
} as const;
export type LockMode = (typeof LockMode)[keyof typeof LockMode];

export const LOCK_MODE_COUNT = 8;

/** PostgreSQL's names as printed in pg_locks and deadlock reports. */
export const lockModeNames: Readonly<Record<LockMode, string>> = {
  1: 'AccessShareLock',
  2: 'RowShareLock',
  3: 'RowExclusiveLock',
  4: 'ShareUpdateExclusiveLock',
  5: 'ShareLock',
  6: 'ShareRowExclusiveLock',
  7: 'ExclusiveLock',
  8: 'AccessExclusiveLock',
};

export function lockBit(mode: LockMode): number {
  return 1 << mode;
}

const b = lockBit;
/** conflictTable[mode] = bit set of modes that conflict with `mode` (M10). Symmetric. */
export const conflictTable: readonly number[] = [
  0,
  b(8),
  b(7) | b(8),
  b(5) | b(6) | b(7) | b(8),
  b(4) | b(5) | b(6) | b(7) | b(8),
  b(3) | b(4) | b(6) | b(7) | b(8),
  b(3) | b(4) | b(5) | b(6) | b(7) | b(8),
  b(2) | b(3) | b(4) | b(5) | b(6) | b(7) | b(8),
  b(1) | b(2) | b(3) | b(4) | b(5) | b(6) | b(7) | b(8),
];

/** True if a lock in mode `a` conflicts with one in mode `b` held by another process. */
export function lockModesConflict(a: LockMode, b2: LockMode): boolean {
  return (conflictTable[a]! & lockBit(b2)) !== 0;
}

/** What a heavyweight lock is on (PostgreSQL's LOCKTAG kinds used by Palisade). */
export type LockTag =
  | { readonly kind: 'relation'; readonly dbOid: number; readonly relOid: number }
  | { readonly kind: 'tuple'; readonly dbOid: number; readonly relOid: number; readonly block: number; readonly offset: number }
  | { readonly kind: 'transaction'; readonly xid: bigint }
  | { readonly kind: 'virtualxid'; readonly backendId: number; readonly localXid: number }
  | { readonly kind: 'object'; readonly dbOid: number; readonly classOid: number; readonly objOid: number; readonly objSubId: number }
  | { readonly kind: 'advisory'; readonly dbOid: number; readonly key1: number; readonly key2: number; readonly field4: 1 | 2 };

/** A string that identifies the tag (hash key). */
export function lockTagKey(tag: LockTag): string {
  switch (tag.kind) {
    case 'relation':
      return `r:${tag.dbOid}:${tag.relOid}`;
    case 'tuple':
      return `t:${tag.dbOid}:${tag.relOid}:${tag.block}:${tag.offset}`;
    case 'transaction':
      return `x:${tag.xid}`;
    case 'virtualxid':
      return `v:${tag.backendId}:${tag.localXid}`;
    case 'object':
      return `o:${tag.dbOid}:${tag.classOid}:${tag.objOid}:${tag.objSubId}`;
    case 'advisory':
      return `a:${tag.dbOid}:${tag.key1}:${tag.key2}:${tag.field4}`;
  }
}

/** The object as PostgreSQL describes it in deadlock reports (DescribeLockTag). */
export function describeLockTag(tag: LockTag): string {
  switch (tag.kind) {
    case 'relation':
      return `relation ${tag.relOid} of database ${tag.dbOid}`;
    case 'tuple':
      return `tuple (${tag.block},${tag.offset}) of relation ${tag.relOid} of database ${tag.dbOid}`;
    case 'transaction':
      return `transaction ${tag.xid}`;
    case 'virtualxid':
      return `virtual transaction ${tag.backendId}/${tag.localXid}`;
    case 'object':
      return `object ${tag.objOid} of class ${tag.classOid} of database ${tag.dbOid}`;
    case 'advisory':
      return `advisory lock [${tag.dbOid},${tag.key1},${tag.key2},${tag.field4}]`;
  }
}

export function relationLockTag(dbOid: number, relOid: number): LockTag {
  return { kind: 'relation', dbOid, relOid };
}
export function tupleLockTag(dbOid: number, relOid: number, block: number, offset: number): LockTag {
  return { kind: 'tuple', dbOid, relOid, block, offset };
}
export function transactionLockTag(xid: bigint): LockTag {
  assert(xid > 0n, 'transaction lock on an invalid xid');
  return { kind: 'transaction', xid };
}
