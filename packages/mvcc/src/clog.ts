// The commit log (PostgreSQL's pg_xact): two status bits per transaction id in 8 KiB pages
// held by an SLRU cache, plus one LSN per group of 32 transactions so that commit hint bits
// of asynchronously committed transactions are not set before their commit record is
// flushed (W26). The clog is rebuilt by redo of commit/abort records after a crash.

import { type Lsn, type Xid, InvalidLsn, assert } from '@palisade/common';
import { Slru, type SlruPageStore, MemorySlruStore } from './slru.ts';
import { FirstNormalXid, FrozenXid, BootstrapXid } from './xid.ts';

/** Transaction status as stored in the commit log. */
export const XidStatus = {
  InProgress: 0,
  Committed: 1,
  Aborted: 2,
  SubCommitted: 3,
} as const;
export type XidStatus = (typeof XidStatus)[keyof typeof XidStatus];

export const CLOG_PAGE_SIZE_BYTES = 8192;
export const CLOG_XACTS_PER_BYTE = 4;
export const CLOG_XACTS_PER_PAGE = CLOG_PAGE_SIZE_BYTES * CLOG_XACTS_PER_BYTE;
/** Transactions sharing one async-commit LSN (PostgreSQL's CLOG_XACTS_PER_LSN_GROUP). */
export const CLOG_XACTS_PER_LSN_GROUP = 32;
const GROUPS_PER_PAGE = CLOG_XACTS_PER_PAGE / CLOG_XACTS_PER_LSN_GROUP;

export interface CommitLogOptions {
  /** Page buffers kept in memory (PostgreSQL's transaction_buffers); default 32. */
  bufferCount?: number;
  store?: SlruPageStore;
  /** The WAL flush point; pages are written out and hint bits allowed only behind it. */
  flushedLsn?: () => Lsn;
}

class ClogSlru extends Slru {
  readonly groupLsn: BigInt64Array;
  constructor(bufferCount: number, store: SlruPageStore, flushedLsn: () => Lsn) {
    // The group LSNs exist before the SLRU can ask about eviction.
    const groupLsn = new BigInt64Array(new SharedArrayBuffer(bufferCount * GROUPS_PER_PAGE * 8));
    super({
      pageSizeBytes: CLOG_PAGE_SIZE_BYTES,
      bufferCount,
      store,
      canEvict: (slot) => maxGroupLsn(groupLsn, slot) <= flushedLsn(),
    });
    this.groupLsn = groupLsn;
  }
  protected override onLoad(slot: number): void {
    // A page read back was written after WAL was flushed past all its commits: LSN 0 is safe.
    this.groupLsn.fill(0n, slot * GROUPS_PER_PAGE, (slot + 1) * GROUPS_PER_PAGE);
  }
}

function maxGroupLsn(groupLsn: BigInt64Array, slot: number): bigint {
  let max = 0n;
  for (let g = slot * GROUPS_PER_PAGE; g < (slot + 1) * GROUPS_PER_PAGE; g++) if (groupLsn[g]! > max) max = groupLsn[g]!;
  return max;
}

/**
 * The commit log. Status of xids below FirstNormalXid is fixed: Bootstrap and Frozen are
 * committed, Invalid is aborted (as PostgreSQL's TransactionLogFetch answers).
 */
export class CommitLog {
  private readonly slru: ClogSlru;
  private readonly flushedLsn: () => Lsn;
  /** Lowest xid whose status is still kept; older pages were truncated. */
  private oldestXid: Xid = FirstNormalXid;

  constructor(opts: CommitLogOptions = {}) {
    this.flushedLsn = opts.flushedLsn ?? (() => (1n << 62n) as Lsn);
    this.slru = new ClogSlru(opts.bufferCount ?? 32, opts.store ?? new MemorySlruStore(), this.flushedLsn);
  }

  /** Status of `xid`. Xids below the truncation point are reported committed-or-aborted only via hints; asking is a bug. */
  getStatus(xid: Xid): XidStatus {
    if (xid < FirstNormalXid) return xid === BootstrapXid || xid === FrozenXid ? XidStatus.Committed : XidStatus.Aborted;
    assert(xid >= this.oldestXid, () => `clog status of truncated xid ${xid} requested`);
    const { page, byte, shift } = locate(xid);
    const slot = this.slru.slotFor(page, false);
    return ((this.slru.bytes[this.slru.pageOffset(slot) + byte]! >> shift) & 3) as XidStatus;
  }

  /** The LSN of the latest async commit in `xid`'s group (0 if none or the page was re-read). */
  getGroupLsn(xid: Xid): Lsn {
    if (xid < FirstNormalXid) return InvalidLsn;
    const { page, group } = locate(xid);
    const slot = this.slru.slotFor(page, false);
    return this.slru.groupLsn[slot * GROUPS_PER_PAGE + group]! as Lsn;
  }

  /**
   * True if a commit hint bit for `xid` may be written to a data page now: the commit record
   * is flushed (W26). Hints for aborted transactions are always allowed.
   */
  hintAllowed(xid: Xid): boolean {
    return this.getGroupLsn(xid) <= this.flushedLsn();
  }

  /**
   * Records the final status of a transaction tree (top-level xid with its sub-xids)
   * as one atomic step for readers: sub-xids are first marked sub-committed, then the
   * top-level xid committed, then the sub-xids committed, so that a reader that resolves a
   * sub-committed xid through pg_subtrans always reaches a consistent answer.
   * `lsn` is the commit record's end; pass it for asynchronous commits (W26).
   */
  setTreeStatus(xid: Xid, subxids: readonly Xid[], status: typeof XidStatus.Committed | typeof XidStatus.Aborted, lsn: Lsn = InvalidLsn): void {
    assert(xid >= FirstNormalXid, 'status of a special xid cannot change');
    // Redo may replay a record whose effect is already there: then only finish the sub-xids.
    const already = this.getStatus(xid) === status;
    if (status === XidStatus.Committed && subxids.length > 0 && !already) {
      for (const s of subxids) this.setOne(s, XidStatus.SubCommitted, lsn);
    }
    this.setOne(xid, status, lsn);
    for (const s of subxids) this.setOne(s, status, lsn);
  }

  private setOne(xid: Xid, status: XidStatus, lsn: Lsn): void {
    assert(xid >= FirstNormalXid, 'status of a special xid cannot change');
    const { page, byte, shift, group } = locate(xid);
    const slot = this.slru.slotFor(page, true);
    const at = this.slru.pageOffset(slot) + byte;
    const current = ((this.slru.bytes[at]! >> shift) & 3) as XidStatus;
    // Final states are final; redo may repeat the same transition (idempotent).
    assert(
      current === XidStatus.InProgress || current === XidStatus.SubCommitted || current === status,
      () => `clog: xid ${xid} cannot go from ${current} to ${status}`,
    );
    this.slru.bytes[at] = (this.slru.bytes[at]! & ~(3 << shift)) | (status << shift);
    if (lsn !== InvalidLsn) {
      const g = slot * GROUPS_PER_PAGE + group;
      if (this.slru.groupLsn[g]! < lsn) this.slru.groupLsn[g] = lsn;
    }
  }

  /** Writes dirty pages whose commits are flushed (checkpoint). */
  checkpoint(): number {
    return this.slru.flushDirty();
  }

  /** Forgets statuses of xids below `oldestXid`'s page (after vacuum froze everything older). */
  truncate(oldestXid: Xid): void {
    const page = pageOf(oldestXid);
    this.slru.truncateBefore(page);
    this.oldestXid = (BigInt(page) * BigInt(CLOG_XACTS_PER_PAGE)) as Xid;
    if (this.oldestXid < FirstNormalXid) this.oldestXid = FirstNormalXid;
  }

  /** Redo of a commit record: the same state change as at run time (idempotent). */
  redoCommit(xid: Xid, subxids: readonly Xid[], lsn: Lsn): void {
    this.setTreeStatus(xid, subxids, XidStatus.Committed, lsn);
  }
  /** Redo of an abort record. */
  redoAbort(xid: Xid, subxids: readonly Xid[]): void {
    this.setTreeStatus(xid, subxids, XidStatus.Aborted);
  }
}

function pageOf(xid: Xid): number {
  return Number(xid / BigInt(CLOG_XACTS_PER_PAGE));
}

function locate(xid: Xid): { page: number; byte: number; shift: number; group: number } {
  const entry = Number(xid % BigInt(CLOG_XACTS_PER_PAGE));
  return {
    page: pageOf(xid),
    byte: entry >> 2,
    shift: (entry & 3) * 2,
    group: Math.floor(entry / CLOG_XACTS_PER_LSN_GROUP),
  };
}
