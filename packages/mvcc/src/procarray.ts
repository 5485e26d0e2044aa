// The proc array: one slot per backend in a SharedArrayBuffer holding its transaction id,
// xmin, cached sub-xids (with an overflow flag), virtual xid and state flags; plus nextXid and
// latestCompletedXid. Snapshots are computed from it, and a transaction leaves it only after
// its status is in the commit log, under the same lock snapshot-taking holds (M3).

import { type Xid, InvalidXid, assert } from '@palisade/common';
import { SpinLock } from './spinlock.ts';
import { tooManyClients } from './errors.ts';
import type { Snapshot, TopmostResolver } from './snapshot.ts';
import { FirstNormalXid, type VirtualXid } from './xid.ts';

/** Sub-xids cached per slot before the overflow flag is set (PGPROC_MAX_CACHED_SUBXIDS). */
export const PGPROC_MAX_CACHED_SUBXIDS = 64;

/** Slot flag bits. */
export const ProcFlags = {
  InUse: 1,
  /** Between writing the commit record and leaving the proc array (PostgreSQL's DELAY_CHKPT_START). */
  InCommit: 2,
  SubxidOverflowed: 4,
  /** Running a lazy VACUUM: its xmin does not hold back other vacuums' horizon. */
  InVacuum: 8,
  /** Isolation level, two bits: 0 read committed, 1 repeatable read, 2 serializable. */
  IsolationShift: 4,
  IsolationMask: 3 << 4,
} as const;

const HDR_NEXT_XID = 0;
const HDR_LATEST_COMPLETED = 1;
/** One past the highest slot ever allocated: scans stop there. */
const HDR_SLOT_HWM = 2;
const HDR_WORDS = 4;
const S_XID = 0;
const S_XMIN = 1;
const S_LOCAL_XID = 2;
const S_PID = 3;
const S_FLAGS = 4;
const S_NSUB = 5;
const S_SUBXIDS = 6;
const SLOT_WORDS = S_SUBXIDS + PGPROC_MAX_CACHED_SUBXIDS;

export interface ProcArrayOptions {
  /** max_connections (plus background workers): number of slots. */
  maxBackends: number;
  /** Resolves overflowed sub-xids (pg_subtrans). */
  subtrans: TopmostResolver;
  /** First xid to hand out (after redo: one past the highest xid seen). */
  nextXid?: Xid;
  /** The commit log's answer "aborted" (an aborted sub-xid of a running parent is not in progress). */
  isAborted?: (xid: Xid) => boolean;
  sharedBuffer?: SharedArrayBuffer;
}

export class ProcArray {
  readonly maxBackends: number;
  private readonly words: BigInt64Array;
  private readonly lockWords: Int32Array;
  /** ProcArrayLock: snapshot taking vs. leaving the array. */
  private readonly procArrayLock: SpinLock;
  /** XidGenLock: xid assignment. */
  private readonly xidGenLock: SpinLock;
  private readonly subtrans: TopmostResolver;
  private readonly isAborted: (xid: Xid) => boolean;

  static sharedBytes(maxBackends: number): number {
    return 16 + (HDR_WORDS + maxBackends * SLOT_WORDS) * 8;
  }

  constructor(opts: ProcArrayOptions) {
    assert(opts.maxBackends >= 1 && opts.maxBackends <= 262_143, 'maxBackends out of range');
    this.maxBackends = opts.maxBackends;
    const sab = opts.sharedBuffer ?? new SharedArrayBuffer(ProcArray.sharedBytes(opts.maxBackends));
    this.lockWords = new Int32Array(sab, 0, 4);
    this.words = new BigInt64Array(sab, 16, HDR_WORDS + opts.maxBackends * SLOT_WORDS);
    this.procArrayLock = new SpinLock(this.lockWords, 0);
    this.xidGenLock = new SpinLock(this.lockWords, 1);
    this.subtrans = opts.subtrans;
    this.isAborted = opts.isAborted ?? (() => false);
    if (opts.sharedBuffer === undefined) {
      const next = opts.nextXid ?? FirstNormalXid;
      assert(next >= FirstNormalXid, 'nextXid must be a normal xid');
      this.words[HDR_NEXT_XID] = next;
      this.words[HDR_LATEST_COMPLETED] = next - 1n;
    }
  }

  private base(slot: number): number {
    assert(Number.isInteger(slot) && slot >= 0 && slot < this.maxBackends, 'bad proc slot');
    return HDR_WORDS + slot * SLOT_WORDS;
  }
  private get(slot: number, field: number): bigint {
    return this.words[this.base(slot) + field]!;
  }
  private set(slot: number, field: number, value: bigint): void {
    this.words[this.base(slot) + field] = value;
  }
  /** Slots that may be in use: 0 .. highWater-1. */
  private highWater(): number {
    return Number(this.words[HDR_SLOT_HWM]!);
  }
  private flags(slot: number): number {
    return Number(this.get(slot, S_FLAGS));
  }

  /** Next xid to be assigned. */
  nextXid(): Xid {
    return this.words[HDR_NEXT_XID]! as Xid;
  }
  latestCompletedXid(): Xid {
    return this.words[HDR_LATEST_COMPLETED]! as Xid;
  }

  /** Moves nextXid past `xid` (redo, or an xid seen in a record). */
  advanceNextXid(xid: Xid): void {
    this.xidGenLock.with(() => {
      if (this.words[HDR_NEXT_XID]! <= xid) {
        this.words[HDR_NEXT_XID] = xid + 1n;
        this.words[HDR_LATEST_COMPLETED] = xid;
      }
    });
  }

  /** Claims a free slot for a new backend; 53300 when all are in use. */
  allocSlot(pid: number): number {
    return this.procArrayLock.with(() => {
      for (let s = 0; s < this.maxBackends; s++) {
        if ((this.flags(s) & ProcFlags.InUse) === 0) {
          const b = this.base(s);
          this.words.fill(0n, b, b + SLOT_WORDS);
          this.set(s, S_PID, BigInt(pid));
          this.set(s, S_FLAGS, BigInt(ProcFlags.InUse));
          if (this.words[HDR_SLOT_HWM]! < BigInt(s + 1)) this.words[HDR_SLOT_HWM] = BigInt(s + 1);
          return s;
        }
      }
      throw tooManyClients();
    });
  }

  freeSlot(slot: number): void {
    this.procArrayLock.with(() => {
      assert(this.get(slot, S_XID) === 0n, 'freeing a proc slot with a running transaction');
      const b = this.base(slot);
      this.words.fill(0n, b, b + SLOT_WORDS);
    });
  }

  pid(slot: number): number {
    return Number(this.get(slot, S_PID));
  }

  /** Starts a virtual transaction in `slot` at isolation `isolationCode` (0 RC, 1 RR, 2 SERIALIZABLE). */
  beginVirtual(slot: number, localXid: number, isolationCode = 0): VirtualXid {
    assert(isolationCode >= 0 && isolationCode <= 2, 'bad isolation code');
    this.set(slot, S_LOCAL_XID, BigInt(localXid));
    const f = this.flags(slot) & ~ProcFlags.IsolationMask;
    this.set(slot, S_FLAGS, BigInt(f | (isolationCode << ProcFlags.IsolationShift)));
    return { backendId: slot + 1, localXid };
  }

  /**
   * Assigns the next xid: as the slot's top-level xid (parent undefined) or as a
   * sub-xid cached in the slot (overflowing past PGPROC_MAX_CACHED_SUBXIDS). `onAssign`
   * runs under XidGenLock before the xid becomes visible (it extends clog/subtrans).
   */
  assignXid(slot: number, parent: Xid | undefined, onAssign: (xid: Xid) => void): Xid {
    return this.xidGenLock.with(() => {
      const x = this.words[HDR_NEXT_XID]! as Xid;
      this.words[HDR_NEXT_XID] = x + 1n;
      onAssign(x);
      if (parent === undefined) {
        assert(this.get(slot, S_XID) === 0n, 'slot already has an xid');
        this.set(slot, S_XID, x);
      } else {
        assert(this.get(slot, S_XID) !== 0n, 'a sub-xid needs a top-level xid first (M1)');
        const n = Number(this.get(slot, S_NSUB));
        if (n < PGPROC_MAX_CACHED_SUBXIDS) {
          this.set(slot, S_SUBXIDS + n, x);
          this.set(slot, S_NSUB, BigInt(n + 1));
        } else {
          this.set(slot, S_FLAGS, BigInt(this.flags(slot) | ProcFlags.SubxidOverflowed));
        }
      }
      return x;
    });
  }

  /** Isolation code of the slot's transaction (0 RC, 1 RR, 2 SERIALIZABLE). */
  isolationCode(slot: number): number {
    return (this.flags(slot) & ProcFlags.IsolationMask) >> ProcFlags.IsolationShift;
  }
  /** The slot's virtual transaction's local id. */
  localXid(slot: number): number {
    return Number(this.get(slot, S_LOCAL_XID));
  }

  xid(slot: number): Xid {
    return this.get(slot, S_XID) as Xid;
  }
  xmin(slot: number): Xid {
    return this.get(slot, S_XMIN) as Xid;
  }
  setXmin(slot: number, xmin: Xid): void {
    this.set(slot, S_XMIN, xmin);
  }
  setFlag(slot: number, flag: number, on: boolean): void {
    const f = this.flags(slot);
    this.set(slot, S_FLAGS, BigInt(on ? f | flag : f & ~flag));
  }
  hasFlag(slot: number, flag: number): boolean {
    return (this.flags(slot) & flag) !== 0;
  }

  /** Forgets aborted sub-xids from the slot's cache (subtransaction abort). */
  removeSubxids(slot: number, xids: readonly Xid[], latestXid: Xid): void {
    this.procArrayLock.with(() => {
      const n = Number(this.get(slot, S_NSUB));
      const kept: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const s = this.get(slot, S_SUBXIDS + i);
        if (!xids.includes(s as Xid)) kept.push(s);
      }
      kept.forEach((s, i) => this.set(slot, S_SUBXIDS + i, s));
      for (let i = kept.length; i < n; i++) this.set(slot, S_SUBXIDS + i, 0n);
      this.set(slot, S_NSUB, BigInt(kept.length));
      if (this.words[HDR_LATEST_COMPLETED]! < latestXid) this.words[HDR_LATEST_COMPLETED] = latestXid;
    });
  }

  /**
   * The transaction in `slot` ends: its xid, sub-xids and xmin leave the array and
   * latestCompletedXid advances, under ProcArrayLock (so no snapshot sees half of it).
   * The caller has already recorded the outcome in the commit log (M3, M6).
   */
  endTransaction(slot: number, latestXid: Xid | undefined): void {
    this.procArrayLock.with(() => {
      const b = this.base(slot);
      this.words.fill(0n, b + S_XID, b + S_XMIN + 1);
      this.words.fill(0n, b + S_NSUB, b + SLOT_WORDS);
      this.set(slot, S_FLAGS, BigInt(this.flags(slot) & ProcFlags.InUse));
      if (latestXid !== undefined && this.words[HDR_LATEST_COMPLETED]! < latestXid) this.words[HDR_LATEST_COMPLETED] = latestXid;
    });
  }

  /**
   * Takes an MVCC snapshot for the backend in `slot` (PostgreSQL's GetSnapshotData) and, if
   * the slot has no xmin yet, publishes the snapshot's xmin as the slot's xmin so that vacuum
   * keeps what the snapshot may see.
   */
  getSnapshot(slot: number, curcid: number): Snapshot {
    return this.procArrayLock.with(() => {
      const xmax = (this.words[HDR_LATEST_COMPLETED]! + 1n) as Xid;
      let xmin = xmax;
      const xip: Xid[] = [];
      const subxip: Xid[] = [];
      let suboverflowed = false;
      for (let s = 0, hwm = this.highWater(); s < hwm; s++) {
        if (s === slot) continue;
        const f = this.flags(s);
        if ((f & ProcFlags.InUse) === 0) continue;
        const x = this.get(s, S_XID) as Xid;
        if (x === InvalidXid || x >= xmax) continue;
        if (x < xmin) xmin = x;
        xip.push(x);
        if ((f & ProcFlags.SubxidOverflowed) !== 0) suboverflowed = true;
        const n = Number(this.get(s, S_NSUB));
        for (let i = 0; i < n; i++) {
          const sx = this.get(s, S_SUBXIDS + i) as Xid;
          if (sx < xmax) subxip.push(sx);
        }
      }
      xip.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const own = this.get(slot, S_XID) as Xid;
      if (own !== InvalidXid && own < xmin) xmin = own;
      if (this.get(slot, S_XMIN) === 0n) this.set(slot, S_XMIN, xmin);
      return { xmin, xmax, xip, subxip, suboverflowed, curcid };
    });
  }

  /**
   * True while `xid` (top-level or sub) belongs to a transaction still in the array
   * (PostgreSQL's TransactionIdIsInProgress). Must be asked before the commit log (M6).
   */
  isInProgress(xid: Xid): boolean {
    if (xid < FirstNormalXid) return false;
    return this.procArrayLock.with(() => {
      let anyOverflow = false;
      for (let s = 0, hwm = this.highWater(); s < hwm; s++) {
        const f = this.flags(s);
        if ((f & ProcFlags.InUse) === 0) continue;
        const x = this.get(s, S_XID);
        if (x === 0n) continue;
        if (x === xid) return true;
        const n = Number(this.get(s, S_NSUB));
        for (let i = 0; i < n; i++) if (this.get(s, S_SUBXIDS + i) === xid) return true;
        if ((f & ProcFlags.SubxidOverflowed) !== 0) anyOverflow = true;
      }
      if (!anyOverflow) return false;
      // Not cached: a sub-xid of an overflowed backend, or finished. An aborted sub-xid is
      // finished even while its parent runs, so ask the commit log first.
      if (this.isAborted(xid)) return false;
      const top = this.subtrans.getTopmost(xid);
      if (top === xid) return false;
      for (let s = 0, hwm = this.highWater(); s < hwm; s++) {
        if ((this.flags(s) & ProcFlags.InUse) !== 0 && this.get(s, S_XID) === top) return true;
      }
      return false;
    });
  }

  /**
   * The horizon below which no running transaction or snapshot can see a deleted tuple as
   * live (PostgreSQL's GetOldestNonRemovableTransactionId): the minimum of every slot's xid
   * and xmin, or latestCompletedXid + 1 when nothing runs. Slots flagged InVacuum are skipped
   * for `ignoreVacuum`.
   */
  getOldestXmin(ignoreVacuum = false): Xid {
    return this.procArrayLock.with(() => {
      let oldest = this.words[HDR_LATEST_COMPLETED]! + 1n;
      for (let s = 0, hwm = this.highWater(); s < hwm; s++) {
        const f = this.flags(s);
        if ((f & ProcFlags.InUse) === 0) continue;
        if (ignoreVacuum && (f & ProcFlags.InVacuum) !== 0) continue;
        const x = this.get(s, S_XID);
        const m = this.get(s, S_XMIN);
        if (x !== 0n && x < oldest) oldest = x;
        if (m !== 0n && m < oldest) oldest = m;
      }
      return oldest as Xid;
    });
  }

  /** Top-level xids currently running (for waits on safe snapshots and tests). */
  runningXids(): Xid[] {
    return this.procArrayLock.with(() => {
      const out: Xid[] = [];
      for (let s = 0, hwm = this.highWater(); s < hwm; s++) {
        if ((this.flags(s) & ProcFlags.InUse) === 0) continue;
        const x = this.get(s, S_XID);
        if (x !== 0n) out.push(x as Xid);
      }
      return out;
    });
  }

  /** Slot whose transaction tree contains `xid` (top-level or cached sub-xid), or -1. */
  slotOfXid(xid: Xid): number {
    for (let s = 0, hwm = this.highWater(); s < hwm; s++) {
      if ((this.flags(s) & ProcFlags.InUse) === 0) continue;
      if (this.get(s, S_XID) === xid) return s;
      const n = Number(this.get(s, S_NSUB));
      for (let i = 0; i < n; i++) if (this.get(s, S_SUBXIDS + i) === xid) return s;
    }
    return -1;
  }
}
