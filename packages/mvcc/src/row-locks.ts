// Row-level locks (README.tuplock, M13–M17, M19, M21): the four strengths and their
// conflicts, how a tuple's xmax/infomask encode its lockers (a single xid or a MultiXact), and
// `lockTuple`, the decision procedure the heap calls for SELECT … FOR …, UPDATE and DELETE:
// check the tuple (HeapTupleSatisfiesUpdate), wait FIFO behind a tuple heavyweight lock (M16)
// for conflicting transactions, honour NOWAIT / SKIP LOCKED / lock_timeout (M17), and return
// the new xmax and infomask bits for the heap to store. `evalPlanQualDecision` says what
// READ COMMITTED does with a concurrently updated row versus REPEATABLE READ (M19, M21).

import { type Xid, AssertionError, assert } from '@palisade/common';
import { type TupleHeader, Infomask, Infomask2, type Tid, xmaxIsLockedOnly } from './tuple.ts';
import { type MultiXactMember, MultiXactStatus } from './xact-record.ts';
import { heapTupleSatisfiesUpdate, TMResult } from './visibility.ts';
import { LockMode, tupleLockTag } from './lock-tag.ts';
import { rowLockNotAvailable, serializationFailureConcurrent } from './errors.ts';
import { IsolationLevel, type Session } from './xact.ts';
import type { MultiXactId } from './xid.ts';

/** Row-lock strengths, weakest first (M13). */
export const LockTupleMode = {
  KeyShare: 0,
  Share: 1,
  NoKeyExclusive: 2,
  Exclusive: 3,
} as const;
export type LockTupleMode = (typeof LockTupleMode)[keyof typeof LockTupleMode];

/** The SQL clause of each strength. */
export const lockTupleModeNames: Readonly<Record<LockTupleMode, string>> = {
  0: 'FOR KEY SHARE',
  1: 'FOR SHARE',
  2: 'FOR NO KEY UPDATE',
  3: 'FOR UPDATE',
};

const T = LockTupleMode;
/** conflicts[a] = strengths that conflict with `a` held by another transaction (M14). */
const tupleConflicts: readonly (readonly LockTupleMode[])[] = [
  [T.Exclusive],
  [T.NoKeyExclusive, T.Exclusive],
  [T.Share, T.NoKeyExclusive, T.Exclusive],
  [T.KeyShare, T.Share, T.NoKeyExclusive, T.Exclusive],
];

export function tupleLockModesConflict(a: LockTupleMode, b: LockTupleMode): boolean {
  return tupleConflicts[a]!.includes(b);
}

/** The heavyweight tuple-lock mode used for FIFO arbitration of each strength (M16). */
export const tupleLockHeavyweightMode: Readonly<Record<LockTupleMode, LockMode>> = {
  0: LockMode.AccessShare,
  1: LockMode.RowShare,
  2: LockMode.Exclusive,
  3: LockMode.AccessExclusive,
};

/** Strength a MultiXact member status amounts to. */
export function statusStrength(s: MultiXactStatus): LockTupleMode {
  switch (s) {
    case MultiXactStatus.ForKeyShare:
      return T.KeyShare;
    case MultiXactStatus.ForShare:
      return T.Share;
    case MultiXactStatus.ForNoKeyUpdate:
    case MultiXactStatus.NoKeyUpdate:
      return T.NoKeyExclusive;
    case MultiXactStatus.ForUpdate:
    case MultiXactStatus.Update:
      return T.Exclusive;
  }
}

function lockStatus(mode: LockTupleMode): MultiXactStatus {
  return ([MultiXactStatus.ForKeyShare, MultiXactStatus.ForShare, MultiXactStatus.ForNoKeyUpdate, MultiXactStatus.ForUpdate] as const)[mode];
}

function updateStatus(mode: LockTupleMode): MultiXactStatus {
  assert(mode >= T.NoKeyExclusive, 'an update needs at least NO KEY UPDATE strength');
  return mode === T.Exclusive ? MultiXactStatus.Update : MultiXactStatus.NoKeyUpdate;
}

/** Current xmax holders of `t` as members (single xid decoded from the infomask bits). Empty if xmax is invalid. */
export function xmaxMembers(t: TupleHeader, getMulti: (m: MultiXactId) => readonly MultiXactMember[]): MultiXactMember[] {
  if ((t.infomask & Infomask.HEAP_XMAX_INVALID) !== 0) return [];
  if ((t.infomask & Infomask.HEAP_XMAX_IS_MULTI) !== 0) return [...getMulti(t.xmax as bigint as MultiXactId)];
  const keysUpdated = (t.infomask2 & Infomask2.HEAP_KEYS_UPDATED) !== 0;
  if (!xmaxIsLockedOnly(t.infomask)) {
    return [{ xid: t.xmax, status: keysUpdated ? MultiXactStatus.Update : MultiXactStatus.NoKeyUpdate }];
  }
  const bits = t.infomask & Infomask.HEAP_LOCK_MASK;
  let status: MultiXactStatus;
  if (bits === Infomask.HEAP_XMAX_SHR_LOCK) status = MultiXactStatus.ForShare;
  else if (bits === Infomask.HEAP_XMAX_KEYSHR_LOCK) status = MultiXactStatus.ForKeyShare;
  else status = keysUpdated ? MultiXactStatus.ForUpdate : MultiXactStatus.ForNoKeyUpdate;
  return [{ xid: t.xmax, status }];
}

export type WaitPolicy = 'block' | 'skip' | 'error';

/** The tuple being locked, as the heap presents it: re-read after every wait. */
export interface TupleLockTarget {
  dbOid: number;
  relOid: number;
  /** For the 55P03 message. */
  relationName: string;
  /** The current header of the tuple at `tid` (re-read under the buffer lock). */
  read(): TupleHeader;
  /**
   * Stores the new xmax and its bits (see {@link applyTupleLock}); for an update or delete the
   * heap also stamps cmax and links the new version here. Called before the tuple lock is
   * released, so that the next waiter sees the change (M16).
   */
  apply(change: { xmax: Xid; infomask: number; infomask2: number }): void;
}

export interface LockTupleOptions {
  /** 'lock' for SELECT … FOR …, 'update' / 'delete' for the DML that takes the strength. */
  purpose?: 'lock' | 'update' | 'delete';
  waitPolicy?: WaitPolicy;
  lockTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What the heap must do after `lockTuple`. */
export type LockTupleResult =
  | { result: 'Ok'; xmax: Xid; infomask: number; infomask2: number; unchanged: boolean }
  | { result: 'Updated' | 'Deleted'; ctid: Tid }
  | { result: 'SelfModified' | 'Invisible' | 'WouldBlock' };

/** Bound on re-checks after waits (the tuple keeps changing under us). */
const RECHECK_MAX = 10_000;

/**
 * Locks (or prepares to update/delete) a tuple for `session` at strength `mode`. On 'Ok' the
 * change has been handed to `target.apply` (unless `unchanged`: we already held the lock).
 */
export async function lockTuple(session: Session, target: TupleLockTarget, mode: LockTupleMode, opts: LockTupleOptions = {}): Promise<LockTupleResult> {
  const purpose = opts.purpose ?? 'lock';
  const policy = opts.waitPolicy ?? 'block';
  let tupleLockHeld = false;
  let tag: ReturnType<typeof tupleLockTag> | undefined;
  const hwMode = tupleLockHeavyweightMode[mode];
  try {
    for (let round = 0; round < RECHECK_MAX; round++) {
      const t = target.read();
      tag ??= tupleLockTag(target.dbOid, target.relOid, t.tid.block, t.tid.offset);
      const r = heapTupleSatisfiesUpdate(t, session.commandId, session);
      if (r === TMResult.Invisible || r === TMResult.SelfModified) return { result: r };
      const members = xmaxMembers(t, (x) => session.getMultiMembers(x));
      const live = members.filter((mb) => session.isCurrentXid(mb.xid) || session.isInProgress(mb.xid));
      if (r === TMResult.Ok) return applied(target, newXmax(session, live, mode, purpose));

      if (purpose === 'lock') {
        // Already holding this strength or stronger: nothing to do.
        const mine = live.filter((mb) => session.isCurrentXid(mb.xid));
        if (mine.some((mb) => statusStrength(mb.status) >= mode) && r === TMResult.BeingModified) {
          return { result: 'Ok', xmax: t.xmax, infomask: t.infomask, infomask2: t.infomask2, unchanged: true };
        }
      }
      const conflicting = live.filter((mb) => !session.isCurrentXid(mb.xid) && tupleLockModesConflict(mode, statusStrength(mb.status)));
      if (conflicting.length === 0) {
        if (r === TMResult.Updated || r === TMResult.Deleted) return { result: r, ctid: t.ctid };
        // Compatible lockers only: join them (M14).
        return applied(target, newXmax(session, live, mode, purpose));
      }
      // Must wait. Queue on the tuple lock first so that waiters are served in order (M16).
      if (!tupleLockHeld) {
        const st = await session.lock(tag, hwMode, waitOpts(opts, policy));
        if (st === 'not-available') {
          if (policy === 'skip') return { result: 'WouldBlock' };
          throw rowLockNotAvailable(target.relationName);
        }
        tupleLockHeld = true;
        continue; // re-read: the holder may have finished while we queued
      }
      for (const c of conflicting) {
        const st = await session.xactLockTableWait(c.xid, waitOpts(opts, policy));
        if (st === 'not-available') {
          if (policy === 'skip') return { result: 'WouldBlock' };
          throw rowLockNotAvailable(target.relationName);
        }
      }
    }
    throw new AssertionError('tuple lock re-checked too often');
  } finally {
    if (tupleLockHeld && tag !== undefined) session.unlock(tag, hwMode);
  }
}

function applied(target: TupleLockTarget, change: { xmax: Xid; infomask: number; infomask2: number }): LockTupleResult {
  target.apply(change);
  return { result: 'Ok', ...change, unchanged: false };
}

function waitOpts(opts: LockTupleOptions, policy: WaitPolicy): { dontWait?: boolean; lockTimeoutMs?: number; signal?: AbortSignal } {
  return {
    ...(policy !== 'block' ? { dontWait: true } : {}),
    ...(opts.lockTimeoutMs !== undefined ? { lockTimeoutMs: opts.lockTimeoutMs } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  };
}

/**
 * The xmax and xmax-infomask bits after `session` adds its lock or update (PostgreSQL's
 * compute_new_xmax_infomask): alone → a single xid with lock bits; with other live lockers
 * (or its own lock from another subtransaction, M15) → a new MultiXact of all of them.
 */
function newXmax(
  session: Session,
  live: readonly MultiXactMember[],
  mode: LockTupleMode,
  purpose: 'lock' | 'update' | 'delete',
): { xmax: Xid; infomask: number; infomask2: number } {
  const myXid = session.getXid();
  const myStatus = purpose === 'lock' ? lockStatus(mode) : updateStatus(mode);
  // Keep every other live member; for our own current xid keep only the stronger entry.
  const kept: MultiXactMember[] = [];
  let mine: MultiXactStatus = myStatus;
  for (const mb of live) {
    if (mb.xid === myXid) {
      if (statusStrength(mb.status) > statusStrength(mine) && purpose === 'lock') mine = mb.status;
      continue;
    }
    // An update replaces older versions' locks of our own transaction tree; others' lockers stay.
    kept.push(mb);
  }
  if (kept.length === 0) return singleXmax(myXid, mine);
  const members = [...kept, { xid: myXid, status: mine }];
  const mxid = session.manager.multixacts.create(members);
  const hasUpdater = members.some((mb) => mb.status === MultiXactStatus.Update || mb.status === MultiXactStatus.NoKeyUpdate);
  let strongest: LockTupleMode = T.KeyShare;
  for (const mb of members) if (statusStrength(mb.status) > strongest) strongest = statusStrength(mb.status);
  let infomask = Infomask.HEAP_XMAX_IS_MULTI;
  let infomask2 = 0;
  if (!hasUpdater) infomask |= Infomask.HEAP_XMAX_LOCK_ONLY | lockBits(strongest);
  if (members.some((mb) => mb.status === MultiXactStatus.Update || mb.status === MultiXactStatus.ForUpdate)) infomask2 |= Infomask2.HEAP_KEYS_UPDATED;
  return { xmax: mxid as bigint as Xid, infomask, infomask2 };
}

function lockBits(mode: LockTupleMode): number {
  switch (mode) {
    case T.KeyShare:
      return Infomask.HEAP_XMAX_KEYSHR_LOCK;
    case T.Share:
      return Infomask.HEAP_XMAX_SHR_LOCK;
    default:
      return Infomask.HEAP_XMAX_EXCL_LOCK;
  }
}

function singleXmax(xid: Xid, status: MultiXactStatus): { xmax: Xid; infomask: number; infomask2: number } {
  const strength = statusStrength(status);
  const isUpdate = status === MultiXactStatus.Update || status === MultiXactStatus.NoKeyUpdate;
  const infomask = isUpdate ? 0 : Infomask.HEAP_XMAX_LOCK_ONLY | lockBits(strength);
  const infomask2 = strength === T.Exclusive ? Infomask2.HEAP_KEYS_UPDATED : 0;
  return { xmax: xid, infomask, infomask2 };
}

/**
 * Applies a `lockTuple` 'Ok' result to a header: replaces the xmax and its bits (and, for an
 * update/delete by our own command, the cid).
 */
export function applyTupleLock(t: TupleHeader, r: { xmax: Xid; infomask: number; infomask2: number }): void {
  t.xmax = r.xmax;
  t.infomask = (t.infomask & ~Infomask.HEAP_XMAX_BITS) | r.infomask;
  t.infomask2 = (t.infomask2 & ~Infomask2.HEAP_KEYS_UPDATED) | r.infomask2;
}

/**
 * What to do when UPDATE/DELETE/SELECT FOR … found the row updated or deleted by a
 * concurrent committed transaction: READ COMMITTED re-fetches the newest version and
 * re-evaluates the quals (M19) or skips a deleted row; REPEATABLE READ and SERIALIZABLE
 * fail with 40001 (M21).
 */
export function evalPlanQualDecision(
  isolation: IsolationLevel,
  r: { result: 'Updated' | 'Deleted'; ctid: Tid },
): { action: 'refetch'; ctid: Tid } | { action: 'skip' } {
  if (isolation === IsolationLevel.RepeatableRead || isolation === IsolationLevel.Serializable) {
    throw serializationFailureConcurrent(r.result === 'Updated' ? 'update' : 'delete');
  }
  return r.result === 'Updated' ? { action: 'refetch', ctid: r.ctid } : { action: 'skip' };
}
