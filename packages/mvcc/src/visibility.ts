// Tuple visibility (PostgreSQL's heapam_visibility.c): the HeapTupleSatisfies* family over
// the abstract TupleHeader. Every function takes a VisibilityContext that answers "is this
// my transaction", "is it still running" (proc array — asked before the commit log, M6),
// "did it commit" (commit log), resolves combo cids and MultiXacts, and sets hint bits.

import { type Xid, assert } from '@palisade/common';
import { type Snapshot, xidInMVCCSnapshot, type TopmostResolver } from './snapshot.ts';
import { Infomask, type TupleHeader, tidEquals, xmaxIsLockedOnly, xminCommitted, xminFrozen, xminInvalid } from './tuple.ts';
import type { CommandId, MultiXactId } from './xid.ts';
import type { MultiXactMember } from './xact-record.ts';
import { isUpdateStatus } from './multixact.ts';

/** What visibility checks need to know about transactions. */
export interface VisibilityContext {
  /** The xid is the current transaction's or one of its live subtransactions'. */
  isCurrentXid(xid: Xid): boolean;
  /** Still in the proc array (running anywhere). */
  isInProgress(xid: Xid): boolean;
  /** Committed per the commit log (sub-committed resolved through the parent). */
  didCommit(xid: Xid): boolean;
  /** cmin / cmax of a tuple of the current transaction (resolving combo cids). */
  getCmin(t: TupleHeader): CommandId;
  getCmax(t: TupleHeader): CommandId;
  getMultiMembers(mxid: MultiXactId): readonly MultiXactMember[];
  subtrans: TopmostResolver;
  /**
   * Sets hint bits on `t` (commit bits only once the commit record is flushed, W26) and
   * tells the page owner the page is dirty for a hint. `xid` is the transaction the bit is about.
   */
  setHintBits(t: TupleHeader, bits: number, xid: Xid): void;
}

/** Result of HeapTupleSatisfiesUpdate (PostgreSQL's TM_Result). */
export const TMResult = {
  Ok: 'Ok',
  Invisible: 'Invisible',
  SelfModified: 'SelfModified',
  Updated: 'Updated',
  Deleted: 'Deleted',
  BeingModified: 'BeingModified',
  WouldBlock: 'WouldBlock',
} as const;
export type TMResult = (typeof TMResult)[keyof typeof TMResult];

/** Result of HeapTupleSatisfiesVacuum (PostgreSQL's HTSV_Result). */
export const HTSVResult = {
  DEAD: 'DEAD',
  LIVE: 'LIVE',
  RECENTLY_DEAD: 'RECENTLY_DEAD',
  INSERT_IN_PROGRESS: 'INSERT_IN_PROGRESS',
  DELETE_IN_PROGRESS: 'DELETE_IN_PROGRESS',
} as const;
export type HTSVResult = (typeof HTSVResult)[keyof typeof HTSVResult];

function isMulti(t: TupleHeader): boolean {
  return (t.infomask & Infomask.HEAP_XMAX_IS_MULTI) !== 0;
}
function xmaxInvalid(t: TupleHeader): boolean {
  return (t.infomask & Infomask.HEAP_XMAX_INVALID) !== 0;
}
function xmaxCommitted(t: TupleHeader): boolean {
  return (t.infomask & Infomask.HEAP_XMAX_COMMITTED) !== 0;
}

/** The xid that updated/deleted `t` (its own xmax, or the updating member of its MultiXact). */
export function getUpdateXid(t: TupleHeader, ctx: Pick<VisibilityContext, 'getMultiMembers'>): Xid | undefined {
  if (!isMulti(t)) return t.xmax;
  if (xmaxIsLockedOnly(t.infomask)) return undefined;
  return ctx.getMultiMembers(t.xmax as bigint as MultiXactId).find((m) => isUpdateStatus(m.status))?.xid;
}

/** Any member of the MultiXact still running (optionally only lockers). */
export function multiXactIsRunning(mxid: MultiXactId, ctx: VisibilityContext, lockersOnly = false): boolean {
  for (const m of ctx.getMultiMembers(mxid)) {
    if (lockersOnly && isUpdateStatus(m.status)) continue;
    if (ctx.isCurrentXid(m.xid) || ctx.isInProgress(m.xid)) return true;
  }
  return false;
}

function updateXidOfMulti(t: TupleHeader, ctx: VisibilityContext): Xid {
  const x = getUpdateXid(t, ctx);
  assert(x !== undefined, 'a non-lock-only MultiXact xmax must have an updater');
  return x;
}

/**
 * Visible to an MVCC snapshot (M4): inserted by a transaction the snapshot sees as committed
 * (or by an earlier command of ours), and not deleted by one it sees as committed (or by an
 * earlier command of ours). Frozen tuples skip the xmin check (M5).
 */
export function heapTupleSatisfiesMVCC(t: TupleHeader, snapshot: Snapshot, ctx: VisibilityContext): boolean {
  if (!xminCommitted(t)) {
    if (xminInvalid(t)) return false;
    if (ctx.isCurrentXid(t.xmin)) {
      if (ctx.getCmin(t) >= snapshot.curcid) return false; // inserted after the scan started
      if (xmaxInvalid(t)) return true;
      if (xmaxIsLockedOnly(t.infomask)) return true;
      if (isMulti(t)) {
        const x = updateXidOfMulti(t, ctx);
        if (!ctx.isCurrentXid(x)) return true; // the updating subtransaction aborted
        return ctx.getCmax(t) >= snapshot.curcid;
      }
      if (!ctx.isCurrentXid(t.xmax)) {
        ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax); // deleting subtransaction aborted
        return true;
      }
      return ctx.getCmax(t) >= snapshot.curcid;
    }
    if (xidInMVCCSnapshot(t.xmin, snapshot, ctx.subtrans)) return false;
    if (ctx.didCommit(t.xmin)) ctx.setHintBits(t, Infomask.HEAP_XMIN_COMMITTED, t.xmin);
    else {
      ctx.setHintBits(t, Infomask.HEAP_XMIN_INVALID, t.xmin);
      return false;
    }
  } else if (!xminFrozen(t) && xidInMVCCSnapshot(t.xmin, snapshot, ctx.subtrans)) {
    return false;
  }

  // The inserter is committed and visible to the snapshot.
  if (xmaxInvalid(t)) return true;
  if (xmaxIsLockedOnly(t.infomask)) return true;
  if (isMulti(t)) {
    const x = updateXidOfMulti(t, ctx);
    if (ctx.isCurrentXid(x)) return ctx.getCmax(t) >= snapshot.curcid;
    if (xidInMVCCSnapshot(x, snapshot, ctx.subtrans)) return true;
    return !ctx.didCommit(x);
  }
  if (!xmaxCommitted(t)) {
    if (ctx.isCurrentXid(t.xmax)) return ctx.getCmax(t) >= snapshot.curcid;
    if (xidInMVCCSnapshot(t.xmax, snapshot, ctx.subtrans)) return true;
    if (!ctx.didCommit(t.xmax)) {
      ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
      return true;
    }
    ctx.setHintBits(t, Infomask.HEAP_XMAX_COMMITTED, t.xmax);
  } else if (xidInMVCCSnapshot(t.xmax, snapshot, ctx.subtrans)) {
    return true;
  }
  return false;
}

/** Resolution of the xmin side shared by Self and Dirty: 'invisible', 'visible', or 'in-progress'. */
function xminStateNow(t: TupleHeader, ctx: VisibilityContext): 'invisible' | 'own' | 'in-progress' | 'committed' {
  if (xminCommitted(t)) return 'committed';
  if (xminInvalid(t)) return 'invisible';
  if (ctx.isCurrentXid(t.xmin)) return 'own';
  if (ctx.isInProgress(t.xmin)) return 'in-progress';
  if (ctx.didCommit(t.xmin)) {
    ctx.setHintBits(t, Infomask.HEAP_XMIN_COMMITTED, t.xmin);
    return 'committed';
  }
  ctx.setHintBits(t, Infomask.HEAP_XMIN_INVALID, t.xmin);
  return 'invisible';
}

/** Visibility of a tuple inserted by our own transaction, looking only at xmax (Self/Dirty). */
function ownInsertVisible(t: TupleHeader, ctx: VisibilityContext): boolean {
  if (xmaxInvalid(t) || xmaxIsLockedOnly(t.infomask)) return true;
  if (isMulti(t)) return !ctx.isCurrentXid(updateXidOfMulti(t, ctx));
  if (!ctx.isCurrentXid(t.xmax)) {
    ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
    return true;
  }
  return false;
}

/** Xmax side for a committed inserter, "as of now" (Self/Dirty). `onRunning` receives a running deleter. */
function xmaxSideNow(t: TupleHeader, ctx: VisibilityContext, onRunning?: (xid: Xid) => void): boolean {
  if (xmaxInvalid(t)) return true;
  if (xmaxCommitted(t)) return xmaxIsLockedOnly(t.infomask);
  if (isMulti(t)) {
    if (xmaxIsLockedOnly(t.infomask)) return true;
    const x = updateXidOfMulti(t, ctx);
    if (ctx.isCurrentXid(x)) return false;
    if (ctx.isInProgress(x)) {
      onRunning?.(x);
      return true;
    }
    return !ctx.didCommit(x);
  }
  if (ctx.isCurrentXid(t.xmax)) return xmaxIsLockedOnly(t.infomask);
  if (ctx.isInProgress(t.xmax)) {
    if (!xmaxIsLockedOnly(t.infomask)) onRunning?.(t.xmax);
    return true;
  }
  if (!ctx.didCommit(t.xmax)) {
    ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
    return true;
  }
  if (xmaxIsLockedOnly(t.infomask)) {
    ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
    return true;
  }
  ctx.setHintBits(t, Infomask.HEAP_XMAX_COMMITTED, t.xmax);
  return false;
}

/** SnapshotSelf: committed changes as of now plus all of our own, including the current command's. */
export function heapTupleSatisfiesSelf(t: TupleHeader, ctx: VisibilityContext): boolean {
  const s = xminStateNow(t, ctx);
  if (s === 'invisible' || s === 'in-progress') return false;
  if (s === 'own') return ownInsertVisible(t, ctx);
  return xmaxSideNow(t, ctx);
}

/** SnapshotAny: every tuple. */
export function heapTupleSatisfiesAny(_t: TupleHeader): boolean {
  return true;
}

/**
 * SnapshotDirty: like Self, but also returns tuples whose inserter is still running and
 * reports that xid in `xmin`, and reports a running deleter in `xmax` (uniqueness checks wait on them).
 */
export function heapTupleSatisfiesDirty(t: TupleHeader, ctx: VisibilityContext): { visible: boolean; xmin?: Xid; xmax?: Xid } {
  const s = xminStateNow(t, ctx);
  if (s === 'invisible') return { visible: false };
  if (s === 'own') return { visible: ownInsertVisible(t, ctx) };
  if (s === 'in-progress') {
    // Inserted by a running transaction: visible unless it already deleted it itself.
    if (xmaxInvalid(t) || xmaxIsLockedOnly(t.infomask)) return { visible: true, xmin: t.xmin };
    const x = getUpdateXid(t, ctx);
    if (x !== undefined && x === t.xmin) return { visible: false };
    return { visible: true, xmin: t.xmin };
  }
  let runningDeleter: Xid | undefined;
  const visible = xmaxSideNow(t, ctx, (x) => {
    runningDeleter = x;
  });
  return runningDeleter === undefined ? { visible } : { visible, xmax: runningDeleter };
}

function updatedOrDeleted(t: TupleHeader): TMResult {
  return tidEquals(t.tid, t.ctid) ? TMResult.Deleted : TMResult.Updated;
}

/**
 * May the current transaction (at command `curcid`) update/delete/lock `t`? PostgreSQL's
 * HeapTupleSatisfiesUpdate: Ok, Invisible, SelfModified (by a later command of ours),
 * Updated/Deleted (by a committed transaction), BeingModified (a running transaction holds xmax).
 */
export function heapTupleSatisfiesUpdate(t: TupleHeader, curcid: CommandId, ctx: VisibilityContext): TMResult {
  if (!xminCommitted(t)) {
    if (xminInvalid(t)) return TMResult.Invisible;
    if (ctx.isCurrentXid(t.xmin)) {
      if (ctx.getCmin(t) >= curcid) return TMResult.Invisible;
      if (xmaxInvalid(t)) return TMResult.Ok;
      if (xmaxIsLockedOnly(t.infomask)) {
        // Our own tuple can still be key-share locked by others if we updated a locked version.
        if (isMulti(t)) return multiXactIsRunning(t.xmax as bigint as MultiXactId, ctx, true) ? TMResult.BeingModified : TMResult.Ok;
        return ctx.isInProgress(t.xmax) || ctx.isCurrentXid(t.xmax) ? TMResult.BeingModified : TMResult.Ok;
      }
      if (isMulti(t)) {
        const x = updateXidOfMulti(t, ctx);
        if (!ctx.isCurrentXid(x)) {
          return multiXactIsRunning(t.xmax as bigint as MultiXactId, ctx) ? TMResult.BeingModified : TMResult.Ok;
        }
        return ctx.getCmax(t) >= curcid ? TMResult.SelfModified : TMResult.Invisible;
      }
      if (!ctx.isCurrentXid(t.xmax)) {
        ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
        return TMResult.Ok;
      }
      return ctx.getCmax(t) >= curcid ? TMResult.SelfModified : TMResult.Invisible;
    }
    if (ctx.isInProgress(t.xmin)) return TMResult.Invisible;
    if (ctx.didCommit(t.xmin)) ctx.setHintBits(t, Infomask.HEAP_XMIN_COMMITTED, t.xmin);
    else {
      ctx.setHintBits(t, Infomask.HEAP_XMIN_INVALID, t.xmin);
      return TMResult.Invisible;
    }
  }

  if (xmaxInvalid(t)) return TMResult.Ok;
  if (xmaxCommitted(t)) return xmaxIsLockedOnly(t.infomask) ? TMResult.Ok : updatedOrDeleted(t);
  if (isMulti(t)) {
    const mxid = t.xmax as bigint as MultiXactId;
    if (xmaxIsLockedOnly(t.infomask)) {
      if (multiXactIsRunning(mxid, ctx, true)) return TMResult.BeingModified;
      ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
      return TMResult.Ok;
    }
    const x = updateXidOfMulti(t, ctx);
    if (ctx.isCurrentXid(x)) return ctx.getCmax(t) >= curcid ? TMResult.SelfModified : TMResult.Invisible;
    if (multiXactIsRunning(mxid, ctx)) return TMResult.BeingModified;
    if (ctx.didCommit(x)) return updatedOrDeleted(t);
    return TMResult.Ok; // updater aborted and no member is running
  }
  if (ctx.isCurrentXid(t.xmax)) {
    if (xmaxIsLockedOnly(t.infomask)) return TMResult.BeingModified;
    return ctx.getCmax(t) >= curcid ? TMResult.SelfModified : TMResult.Invisible;
  }
  if (ctx.isInProgress(t.xmax)) return TMResult.BeingModified;
  if (!ctx.didCommit(t.xmax)) {
    ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
    return TMResult.Ok;
  }
  if (xmaxIsLockedOnly(t.infomask)) {
    ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
    return TMResult.Ok;
  }
  ctx.setHintBits(t, Infomask.HEAP_XMAX_COMMITTED, t.xmax);
  return updatedOrDeleted(t);
}

/**
 * What VACUUM may do with `t` given the horizon `oldestXmin` (PostgreSQL's
 * HeapTupleSatisfiesVacuum): DEAD tuples may be removed; RECENTLY_DEAD ones are deleted but
 * may still be visible to a snapshot.
 */
export function heapTupleSatisfiesVacuum(t: TupleHeader, oldestXmin: Xid, ctx: VisibilityContext): HTSVResult {
  if (!xminCommitted(t)) {
    if (xminInvalid(t)) return HTSVResult.DEAD;
    if (ctx.isCurrentXid(t.xmin)) {
      if (xmaxInvalid(t) || xmaxIsLockedOnly(t.infomask)) return HTSVResult.INSERT_IN_PROGRESS;
      const x = getUpdateXid(t, ctx);
      if (x !== undefined && ctx.isCurrentXid(x)) return HTSVResult.DELETE_IN_PROGRESS;
      return HTSVResult.INSERT_IN_PROGRESS;
    }
    if (ctx.isInProgress(t.xmin)) return HTSVResult.INSERT_IN_PROGRESS;
    if (ctx.didCommit(t.xmin)) ctx.setHintBits(t, Infomask.HEAP_XMIN_COMMITTED, t.xmin);
    else {
      ctx.setHintBits(t, Infomask.HEAP_XMIN_INVALID, t.xmin);
      return HTSVResult.DEAD;
    }
  }
  if (xmaxInvalid(t)) return HTSVResult.LIVE;
  if (xmaxIsLockedOnly(t.infomask)) {
    if (!xmaxCommitted(t)) {
      const running = isMulti(t) ? multiXactIsRunning(t.xmax as bigint as MultiXactId, ctx, true) : ctx.isInProgress(t.xmax) || ctx.isCurrentXid(t.xmax);
      if (!running) ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
    }
    return HTSVResult.LIVE;
  }
  if (isMulti(t)) {
    const x = updateXidOfMulti(t, ctx);
    if (ctx.isCurrentXid(x) || ctx.isInProgress(x)) return HTSVResult.DELETE_IN_PROGRESS;
    if (ctx.didCommit(x)) return x < oldestXmin ? HTSVResult.DEAD : HTSVResult.RECENTLY_DEAD;
    return HTSVResult.LIVE;
  }
  if (!xmaxCommitted(t)) {
    if (ctx.isCurrentXid(t.xmax) || ctx.isInProgress(t.xmax)) return HTSVResult.DELETE_IN_PROGRESS;
    if (ctx.didCommit(t.xmax)) ctx.setHintBits(t, Infomask.HEAP_XMAX_COMMITTED, t.xmax);
    else {
      ctx.setHintBits(t, Infomask.HEAP_XMAX_INVALID, t.xmax);
      return HTSVResult.LIVE;
    }
  }
  return t.xmax < oldestXmin ? HTSVResult.DEAD : HTSVResult.RECENTLY_DEAD;
}
