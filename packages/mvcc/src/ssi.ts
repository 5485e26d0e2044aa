// Serializable Snapshot Isolation (README-SSI, M26–M31): one SerializableXact per
// serializable transaction, rw-antidependency edges between them, the dangerous-structure
// checks when an edge is added and at commit (with PostgreSQL's commit-ordering and READ ONLY
// optimisations), safe snapshots for READ ONLY (DEFERRABLE) transactions, and cleanup of
// finished transactions once no overlapping serializable transaction remains.

import { type Xid, assert } from '@palisade/common';
import { serializationFailureRw, outOfSharedMemory, abortReasonError } from './errors.ts';
import { PredicateLockTable, type PredicateTarget } from './predicate-lock.ts';
import { type Snapshot, type TopmostResolver, xidInMVCCSnapshot } from './snapshot.ts';
import type { TupleHeader } from './tuple.ts';
import { type VisibilityContext, HTSVResult, getUpdateXid, heapTupleSatisfiesVacuum } from './visibility.ts';

const NOT_COMMITTED = BigInt(Number.MAX_SAFE_INTEGER) * 1024n;

/** A serializable transaction as SSI tracks it (PostgreSQL's SERIALIZABLEXACT). */
export class SerializableXact {
  topXid: Xid | undefined;
  readonly xmin: Xid;
  readonly snapshot: Snapshot;
  readonly pid: number;
  readOnly: boolean;
  committed = false;
  prepared = false;
  rolledBack = false;
  doomed = false;
  /** Has a rw-conflict out to a transaction that committed before it. */
  conflictOut = false;
  roSafe = false;
  roUnsafe = false;
  didWrite = false;
  commitSeqNo: bigint = NOT_COMMITTED;
  prepareSeqNo: bigint = NOT_COMMITTED;
  readonly lastCommitBeforeSnapshot: bigint;
  earliestOutConflictCommit: bigint = NOT_COMMITTED;
  /** nextXid when it finished: transactions whose snapshot xmin is at or past it cannot overlap. */
  finishedBefore: Xid | undefined;
  /** T → this: T read something this transaction wrote (T -rw-> this). */
  readonly inConflicts = new Set<SerializableXact>();
  /** this -rw-> T. */
  readonly outConflicts = new Set<SerializableXact>();
  /** RO: concurrent read/write transactions that could still make its snapshot unsafe; RW: the RO transactions it can affect. */
  readonly possibleUnsafeConflicts = new Set<SerializableXact>();
  safeSnapshotWaiter: (() => void) | undefined;

  constructor(snapshot: Snapshot, readOnly: boolean, pid: number, lastCommitBeforeSnapshot: bigint) {
    this.snapshot = snapshot;
    this.xmin = snapshot.xmin;
    this.readOnly = readOnly;
    this.pid = pid;
    this.lastCommitBeforeSnapshot = lastCommitBeforeSnapshot;
  }

  get finished(): boolean {
    return this.committed || this.rolledBack;
  }
}

export interface SsiOptions {
  maxBackends: number;
  /** max_pred_locks_per_transaction (default 64). */
  maxPredLocksPerTransaction?: number;
  /** max_pred_locks_per_relation (default -2: max_pred_locks_per_transaction / 2). */
  maxPredLocksPerRelation?: number;
  /** max_pred_locks_per_page (default 2). */
  maxPredLocksPerPage?: number;
  /** Current nextXid (for finishedBefore). */
  nextXid: () => Xid;
  subtrans: TopmostResolver;
}

/** The shared SSI state (PostgreSQL's PredXact and predicate lock hash tables). */
export class SerializableXactManager {
  readonly locks: PredicateLockTable<SerializableXact>;
  private readonly active = new Set<SerializableXact>();
  private readonly finishedList: SerializableXact[] = [];
  private readonly byXid = new Map<bigint, SerializableXact>();
  private lastCommitSeqNo = 0n;
  private readonly nextXid: () => Xid;
  private readonly subtrans: TopmostResolver;
  /** Bound on tracked transactions, active and finished (PostgreSQL: 10 × MaxBackends). */
  readonly sxactCountMax: number;

  constructor(opts: SsiOptions) {
    const perXact = opts.maxPredLocksPerTransaction ?? 64;
    const perRel = opts.maxPredLocksPerRelation ?? -2;
    this.locks = new PredicateLockTable({
      lockSlotsMax: perXact * opts.maxBackends,
      maxPerPage: opts.maxPredLocksPerPage ?? 2,
      maxPerRelation: perRel < 0 ? Math.floor(perXact / -perRel) : perRel,
    });
    this.nextXid = opts.nextXid;
    this.subtrans = opts.subtrans;
    this.sxactCountMax = 10 * opts.maxBackends;
  }

  /** Starts tracking a serializable transaction that has just taken `snapshot`. */
  register(snapshot: Snapshot, readOnly: boolean, pid: number): SerializableXact {
    if (this.active.size + this.finishedList.length >= this.sxactCountMax) {
      throw outOfSharedMemory('max_connections');
    }
    const sx = new SerializableXact(snapshot, readOnly, pid, this.lastCommitSeqNo);
    if (readOnly) {
      for (const other of this.active) {
        if (!other.readOnly && !other.finished && !other.prepared) {
          sx.possibleUnsafeConflicts.add(other);
          other.possibleUnsafeConflicts.add(sx);
        }
      }
      // With no concurrent writer the snapshot is safe at once (M31).
      if (sx.possibleUnsafeConflicts.size === 0) sx.roSafe = true;
    }
    this.active.add(sx);
    return sx;
  }

  /** Records that `xid` (top-level or sub) belongs to `sx`, so readers of its writes find it. */
  registerXid(sx: SerializableXact, xid: Xid): void {
    if (sx.topXid === undefined) sx.topXid = xid;
    this.byXid.set(xid, sx);
  }

  /**
   * Waits until the READ ONLY transaction `sx` is known safe or unsafe. 'safe': it may run
   * without SIREAD locks and cannot fail with 40001; 'unsafe': the caller retries with a new snapshot.
   */
  waitForSafeSnapshot(sx: SerializableXact, signal?: AbortSignal): Promise<'safe' | 'unsafe'> {
    assert(sx.readOnly, 'only READ ONLY transactions wait for a safe snapshot');
    if (sx.roSafe) return Promise.resolve('safe');
    if (sx.roUnsafe) return Promise.resolve('unsafe');
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        sx.safeSnapshotWaiter = undefined;
        reject(abortReasonError(signal?.reason));
      };
      sx.safeSnapshotWaiter = () => {
        signal?.removeEventListener('abort', onAbort);
        sx.safeSnapshotWaiter = undefined;
        resolve(sx.roSafe ? 'safe' : 'unsafe');
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Takes a SIREAD lock (M29) unless `sx` runs on a safe snapshot. */
  predicateLock(sx: SerializableXact, target: PredicateTarget): void {
    if (sx.roSafe || sx.finished) return;
    this.locks.acquire(sx, target);
  }

  /**
   * `reader` read a tuple whose writer `writerXid` is concurrent with its snapshot (an
   * invisible newer version, or a deletion it does not see): reader -rw-> writer.
   */
  checkConflictOut(reader: SerializableXact, writerXid: Xid): void {
    if (reader.roSafe) return;
    if (reader.doomed) throw serializationFailureRw('Canceled on identification as a pivot, during conflict out checking.');
    const writer = this.byXid.get(this.subtrans.getTopmost(writerXid)) ?? this.byXid.get(writerXid);
    if (writer === undefined || writer === reader || writer.rolledBack) return;
    if (reader.readOnly && writer.committed && (!writer.conflictOut || reader.lastCommitBeforeSnapshot < writer.earliestOutConflictCommit)) return;
    if (!xidInMVCCSnapshot(writerXid, reader.snapshot, this.subtrans)) return; // not concurrent
    if (reader.outConflicts.has(writer)) return;
    this.flagRWConflict(reader, writer, reader);
  }

  /** `writer` writes `target` (and implicitly its page and relation): holders of SIREAD locks -rw-> writer. */
  checkConflictIn(writer: SerializableXact, target: PredicateTarget): void {
    if (writer.doomed) throw serializationFailureRw('Canceled on identification as a pivot, during conflict in checking.');
    writer.didWrite = true;
    const targets: PredicateTarget[] = [target];
    if (target.kind === 'tuple') targets.push({ kind: 'page', dbOid: target.dbOid, relOid: target.relOid, block: target.block });
    if (target.kind !== 'relation') targets.push({ kind: 'relation', dbOid: target.dbOid, relOid: target.relOid });
    for (const t of targets) {
      for (const holder of this.locks.holdersOf(t)) {
        if (holder === writer) continue;
        if (holder.doomed || holder.rolledBack) continue;
        if (holder.committed && !(writer.xmin < (holder.finishedBefore ?? writer.xmin))) continue;
        if (holder.outConflicts.has(writer)) continue;
        this.flagRWConflict(holder, writer, writer);
      }
    }
  }

  /**
   * `writer` removes every row of a relation at once (TRUNCATE, DROP TABLE — PostgreSQL's
   * CheckTableForSerializableConflictIn): every holder of any SIREAD lock on it -rw-> writer.
   */
  checkTableConflictIn(writer: SerializableXact, dbOid: number, relOid: number): void {
    if (writer.doomed) throw serializationFailureRw('Canceled on identification as a pivot, during conflict in checking.');
    writer.didWrite = true;
    for (const holder of this.locks.holdersOfRelation(dbOid, relOid)) {
      if (holder === writer || holder.doomed || holder.rolledBack || holder.outConflicts.has(writer)) continue;
      this.flagRWConflict(holder, writer, writer);
    }
  }

  private flagRWConflict(reader: SerializableXact, writer: SerializableXact, me: SerializableXact): void {
    assert(reader !== writer, 'a transaction cannot conflict with itself');
    this.onConflictCheck(reader, writer, me);
    reader.outConflicts.add(writer);
    writer.inConflicts.add(reader);
  }

  /**
   * Before adding reader -rw-> writer: is there now a dangerous structure Tin -rw-> Tpivot -rw->
   * Tout whose Tout committed first (M26, M28)? If so one transaction is cancelled.
   */
  private onConflictCheck(reader: SerializableXact, writer: SerializableXact, me: SerializableXact): void {
    let failure = writer.committed && writer.conflictOut;
    if (!failure) {
      for (const t2 of writer.outConflicts) {
        if (
          t2.prepared &&
          (!reader.committed || t2.prepareSeqNo <= reader.commitSeqNo) &&
          (!writer.committed || t2.prepareSeqNo <= writer.commitSeqNo) &&
          (!reader.readOnly || t2.prepareSeqNo <= reader.lastCommitBeforeSnapshot)
        ) {
          failure = true;
          break;
        }
      }
    }
    if (!failure && writer.prepared && !reader.readOnly) {
      for (const t0 of reader.inConflicts) {
        if (
          !t0.doomed &&
          !t0.rolledBack &&
          (!t0.committed || t0.commitSeqNo >= writer.prepareSeqNo) &&
          (!t0.readOnly || t0.lastCommitBeforeSnapshot >= writer.prepareSeqNo)
        ) {
          failure = true;
          break;
        }
      }
    }
    if (!failure) return;
    if (me === writer) throw serializationFailureRw('Canceled on identification as a pivot, during write.');
    if (writer.prepared) throw serializationFailureRw(`Canceled on conflict out to pivot ${writer.topXid ?? 0n}, during read.`);
    writer.doomed = true;
  }

  /**
   * Commit-time check (PostgreSQL's PreCommit_CheckForSerializationFailure): if `sx` is Tout of
   * a structure whose pivot and Tin have not committed, the pivot is doomed so that a retry of
   * it will not fail on the same conflict. Afterwards `sx` is prepared: it can no longer be cancelled.
   */
  preCommit(sx: SerializableXact): void {
    if (sx.roSafe) return;
    if (sx.doomed) throw serializationFailureRw('Canceled on identification as a pivot, during commit attempt.');
    for (const near of sx.inConflicts) {
      if (near.committed || near.doomed || near.rolledBack) continue;
      for (const far of near.inConflicts) {
        if (far === sx || (!far.committed && !far.readOnly && !far.doomed && !far.rolledBack)) {
          if (near.prepared) throw serializationFailureRw('Canceled on commit attempt with conflict in from prepared pivot.');
          near.doomed = true;
          break;
        }
      }
    }
    sx.prepareSeqNo = ++this.lastCommitSeqNo;
    sx.prepared = true;
  }

  /** The transaction ended (after it left the proc array). */
  release(sx: SerializableXact, isCommit: boolean): void {
    if (sx.finished) return;
    this.active.delete(sx);
    sx.finishedBefore = this.nextXid();
    if (!isCommit) {
      sx.rolledBack = true;
      sx.doomed = true;
      for (const o of sx.outConflicts) o.inConflicts.delete(sx);
      for (const i of sx.inConflicts) i.outConflicts.delete(sx);
      sx.outConflicts.clear();
      sx.inConflicts.clear();
      this.locks.releaseAll(sx);
      for (const [x, s] of this.byXid) if (s === sx) this.byXid.delete(x);
      this.releaseUnsafeLinks(sx, false);
      this.clearOld();
      return;
    }
    assert(sx.prepared || sx.roSafe, 'commit without the pre-commit check');
    sx.committed = true;
    // A fresh number, as PostgreSQL's ReleasePredicateLocks: later than the prepare number
    // (transactions that committed in between order before it).
    sx.commitSeqNo = ++this.lastCommitSeqNo;
    if (!sx.didWrite) sx.readOnly = true; // implicitly read-only
    if (!sx.readOnly) {
      for (const w of sx.outConflicts) {
        if (w.committed) {
          sx.conflictOut = true;
          if (w.commitSeqNo < sx.earliestOutConflictCommit) sx.earliestOutConflictCommit = w.commitSeqNo;
        }
      }
    }
    this.releaseUnsafeLinks(sx, true);
    // A transaction that ran on a safe snapshot can be in no dangerous structure: forget it now.
    if (sx.roSafe) this.forget(sx);
    else this.finishedList.push(sx);
    this.clearOld();
  }

  /** A read/write transaction ends: each RO transaction that listed it learns whether its snapshot is safe. */
  private releaseUnsafeLinks(sx: SerializableXact, isCommit: boolean): void {
    for (const ro of [...sx.possibleUnsafeConflicts]) {
      sx.possibleUnsafeConflicts.delete(ro);
      ro.possibleUnsafeConflicts.delete(sx);
      if (sx.readOnly && !ro.readOnly) continue; // sx was the RO side
      if (ro.roSafe || ro.roUnsafe) continue;
      if (isCommit && sx.didWrite && sx.conflictOut && sx.earliestOutConflictCommit <= ro.lastCommitBeforeSnapshot) {
        ro.roUnsafe = true;
        for (const other of ro.possibleUnsafeConflicts) other.possibleUnsafeConflicts.delete(ro);
        ro.possibleUnsafeConflicts.clear();
      } else if (ro.possibleUnsafeConflicts.size === 0) {
        ro.roSafe = true;
        // A safe READ ONLY transaction needs no SIREAD locks and cannot be a pivot or Tin.
        this.locks.releaseAll(ro);
      }
      if (ro.roSafe || ro.roUnsafe) ro.safeSnapshotWaiter?.();
    }
  }

  /** Drops finished transactions that no active serializable transaction overlaps. */
  private clearOld(): void {
    let globalXmin: Xid | undefined;
    for (const a of this.active) if (globalXmin === undefined || a.xmin < globalXmin) globalXmin = a.xmin;
    for (let i = 0; i < this.finishedList.length; ) {
      const f = this.finishedList[i]!;
      if (globalXmin === undefined || f.finishedBefore! <= globalXmin) {
        this.finishedList.splice(i, 1);
        this.forget(f);
      } else {
        i++;
      }
    }
  }

  private forget(sx: SerializableXact): void {
    this.locks.releaseAll(sx);
    for (const o of sx.outConflicts) o.inConflicts.delete(sx);
    for (const i of sx.inConflicts) i.outConflicts.delete(sx);
    for (const [x, s] of this.byXid) if (s === sx) this.byXid.delete(x);
  }

  /** Serializable transactions tracked (active + finished but still overlapping). */
  get trackedCount(): number {
    return this.active.size + this.finishedList.length;
  }
}

/**
 * Which writer a serializable reader depends on for a tuple it examined (PostgreSQL's
 * HeapCheckForSerializableConflictOut): an invisible tuple whose inserter is concurrent, or a
 * visible tuple whose deleter is concurrent. Returns that xid, or undefined when there is none;
 * the caller passes it to `Session.checkForSerializableConflictOut`.
 */
export function serializableConflictOutXid(t: TupleHeader, visible: boolean, ctx: VisibilityContext, oldestXmin: Xid): Xid | undefined {
  const r = heapTupleSatisfiesVacuum(t, oldestXmin, ctx);
  switch (r) {
    case HTSVResult.LIVE:
      return visible ? undefined : t.xmin;
    case HTSVResult.RECENTLY_DEAD:
    case HTSVResult.DELETE_IN_PROGRESS:
      return visible ? getUpdateXid(t, ctx) : t.xmin;
    case HTSVResult.INSERT_IN_PROGRESS:
      return t.xmin;
    case HTSVResult.DEAD:
      return undefined;
  }
}
