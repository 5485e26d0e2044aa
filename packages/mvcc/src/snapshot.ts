// MVCC snapshots (M2): which transactions a reader treats as finished. xmin: every xid
// below it is finished; xmax: every xid at or above it is treated as running; in between an
// xid is running iff listed in xip/subxip (or, when the sub-xid cache overflowed, iff its
// top-level parent is in xip).

import type { Xid } from '@palisade/common';
import type { CommandId } from './xid.ts';

export interface Snapshot {
  readonly xmin: Xid;
  readonly xmax: Xid;
  /** Running top-level xids in [xmin, xmax), ascending; never the taker's own xid. */
  readonly xip: readonly Xid[];
  /** Running sub-xids known from the proc array's caches. */
  readonly subxip: readonly Xid[];
  /** Some backend had more sub-xids than its cache holds: consult pg_subtrans. */
  readonly suboverflowed: boolean;
  /** Command id of the taker at the time of use (M4: changes by this command are invisible). */
  curcid: CommandId;
}

/** What {@link xidInMVCCSnapshot} needs to resolve overflowed sub-xids. */
export interface TopmostResolver {
  getTopmost(xid: Xid): Xid;
}

/**
 * True if `xid` is "in progress" for `snapshot`, i.e. its effects are invisible even if it
 * has committed since (PostgreSQL's XidInMVCCSnapshot). Own xids are handled by the caller.
 */
export function xidInMVCCSnapshot(xid: Xid, snapshot: Snapshot, subtrans: TopmostResolver): boolean {
  if (xid < snapshot.xmin) return false;
  if (xid >= snapshot.xmax) return true;
  if (!snapshot.suboverflowed) {
    return snapshot.xip.includes(xid) || snapshot.subxip.includes(xid);
  }
  // Overflowed: map to the top-level transaction; a sub-xid older than xmin is finished.
  const top = subtrans.getTopmost(xid);
  if (top < snapshot.xmin) return false;
  return snapshot.xip.includes(top);
}

/** PostgreSQL's `pg_current_snapshot()` text form: `xmin:xmax:xip1,xip2,…` (xip ascending). */
export function formatSnapshot(snapshot: Snapshot): string {
  const xip = [...snapshot.xip].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `${snapshot.xmin}:${snapshot.xmax}:${xip.join(',')}`;
}
