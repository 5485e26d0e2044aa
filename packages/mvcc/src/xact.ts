// Transactions: the instance-wide TransactionManager (commit log, pg_subtrans, proc array,
// lock manager, MultiXacts, SSI state, the XactLog) and one Session per backend with its
// transaction state machine — lazy xid assignment (M1), savepoints (M8), command ids,
// snapshots per isolation level (M7), commit and abort in the order that keeps snapshots
// consistent (M3), and the VisibilityContext the visibility rules ask.

import {
  type Lsn,
  type Xid,
  AssertionError,
  FirstNormalXid as FirstNormalXidValue,
  InvalidXid,
  PgError,
  SqlState,
  assert,
  featureNotSupported,
} from '@palisade/common';
import { CommitLog, XidStatus } from './clog.ts';
import { SubTrans } from './subtrans.ts';
import { ProcArray, ProcFlags } from './procarray.ts';
import { LockManager, SESSION_OWNER, type LockWaitOptions, type LockAcquireStatus } from './lock-manager.ts';
import { type LockMode, type LockTag, LockMode as LM, transactionLockTag } from './lock-tag.ts';
import { MultiXactManager } from './multixact.ts';
import { type XactLog, MemoryXactLog, encodeXactRecord, redoXactRecord, type MultiXactMember } from './xact-record.ts';
import { type Snapshot, formatSnapshot } from './snapshot.ts';
import { type Clock, systemClock } from './clock.ts';
import type { SlruPageStore } from './slru.ts';
import { ComboCidTable } from './combocid.ts';
import { Infomask, type TupleHeader } from './tuple.ts';
import type { VisibilityContext } from './visibility.ts';
import type { CommandId, MultiXactId, VirtualXid } from './xid.ts';
import { SerializableXactManager, type SerializableXact } from './ssi.ts';
import type { PredicateTarget } from './predicate-lock.ts';
import { inFailedTransaction, savepointDoesNotExist } from './errors.ts';

export const IsolationLevel = {
  ReadUncommitted: 'read uncommitted',
  ReadCommitted: 'read committed',
  RepeatableRead: 'repeatable read',
  Serializable: 'serializable',
} as const;
export type IsolationLevel = (typeof IsolationLevel)[keyof typeof IsolationLevel];

export interface TransactionManagerOptions {
  /** max_connections (default 100). */
  maxBackends?: number;
  /** max_locks_per_transaction (default 64). */
  maxLocksPerTransaction?: number;
  /** max_pred_locks_per_transaction / _relation / _page (defaults 64, -2, 2). */
  maxPredLocksPerTransaction?: number;
  maxPredLocksPerRelation?: number;
  maxPredLocksPerPage?: number;
  /** deadlock_timeout in ms (default 1000). */
  deadlockTimeoutMs?: number;
  clock?: Clock;
  /** Where commit/abort/MultiXact records go (default: a MemoryXactLog). */
  log?: XactLog;
  clogBufferCount?: number;
  clogStore?: SlruPageStore;
  /** First xid to assign (after recovery). */
  nextXid?: Xid;
  /** Called when a hint bit was set on a tuple (the page owner marks the buffer dirty for a hint). */
  onHintBitsSet?: (t: TupleHeader) => void;
  /** The instance is a hot standby: SERIALIZABLE is refused (M31). */
  hotStandby?: boolean;
}

export interface BeginOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
  /** synchronous_commit (default true): false reports commit before the WAL flush (W23). */
  synchronousCommit?: boolean;
  /** Cancels a wait for a safe snapshot. */
  signal?: AbortSignal;
}

/** The state PostgreSQL keeps in shared memory for transactions, for one instance. */
export class TransactionManager {
  readonly log: XactLog;
  readonly clog: CommitLog;
  readonly subtrans: SubTrans;
  readonly procArray: ProcArray;
  readonly locks: LockManager;
  readonly multixacts: MultiXactManager;
  readonly ssi: SerializableXactManager;
  readonly clock: Clock;
  readonly onHintBitsSet: ((t: TupleHeader) => void) | undefined;
  readonly hotStandby: boolean;
  private nextPid = 10_000;

  constructor(opts: TransactionManagerOptions = {}) {
    const maxBackends = opts.maxBackends ?? 100;
    this.log = opts.log ?? new MemoryXactLog();
    const log = this.log;
    this.clock = opts.clock ?? systemClock;
    this.clog = new CommitLog({
      bufferCount: opts.clogBufferCount ?? 32,
      ...(opts.clogStore ? { store: opts.clogStore } : {}),
      flushedLsn: () => log.flushedLsn(),
    });
    this.subtrans = new SubTrans();
    const clog = this.clog;
    this.procArray = new ProcArray({
      maxBackends,
      subtrans: this.subtrans,
      isAborted: (x) => clog.getStatus(x) === XidStatus.Aborted,
      ...(opts.nextXid !== undefined ? { nextXid: opts.nextXid } : {}),
    });
    this.locks = new LockManager({
      maxBackends,
      maxLocksPerTransaction: opts.maxLocksPerTransaction ?? 64,
      deadlockTimeoutMs: opts.deadlockTimeoutMs ?? 1000,
      clock: this.clock,
    });
    this.multixacts = new MultiXactManager({ log: this.log });
    this.ssi = new SerializableXactManager({
      maxBackends,
      ...(opts.maxPredLocksPerTransaction !== undefined ? { maxPredLocksPerTransaction: opts.maxPredLocksPerTransaction } : {}),
      ...(opts.maxPredLocksPerRelation !== undefined ? { maxPredLocksPerRelation: opts.maxPredLocksPerRelation } : {}),
      ...(opts.maxPredLocksPerPage !== undefined ? { maxPredLocksPerPage: opts.maxPredLocksPerPage } : {}),
      nextXid: () => this.procArray.nextXid(),
      subtrans: this.subtrans,
    });
    this.onHintBitsSet = opts.onHintBitsSet;
    this.hotStandby = opts.hotStandby ?? false;
  }

  /**
   * Rebuilds commit-log and MultiXact state from xact records (crash recovery): every record in
   * order through {@link redoXactRecord}; nextXid ends past the highest xid seen. Transactions
   * without a commit record then count as aborted (W21).
   */
  static recover(records: Iterable<{ lsn: Lsn; bytes: Uint8Array }>, opts: TransactionManagerOptions = {}): TransactionManager {
    const m = new TransactionManager(opts);
    for (const r of records) {
      redoXactRecord(r.bytes, r.lsn, { clog: m.clog, multixacts: m.multixacts, observeXid: (x) => m.procArray.advanceNextXid(x) });
    }
    return m;
  }

  /** Opens a backend session (claims a proc-array slot; 53300 when full). */
  connect(pid?: number): Session {
    const p = pid ?? this.nextPid++;
    const slot = this.procArray.allocSlot(p);
    this.locks.registerProc(slot, p);
    return new Session(this, slot, p);
  }

  /** Committed per the commit log, resolving sub-committed xids through their parents. */
  didCommit(xid: Xid): boolean {
    for (let x = xid, depth = 0; depth < 1_000_000; depth++) {
      const s = this.clog.getStatus(x);
      if (s === XidStatus.Committed) return true;
      if (s !== XidStatus.SubCommitted) return false;
      const parent = this.subtrans.getParent(x);
      if (parent === InvalidXid) return false;
      x = parent;
    }
    assert(false, 'sub-committed chain too long');
  }

  /**
   * `pg_xact_status(xid)`: 'committed', 'aborted' or 'in progress'; null when the status was
   * truncated away; 22023 `transaction ID %s is in the future` for an xid never assigned.
   */
  xactStatus(xid: Xid, oldestKeptXid: Xid = FirstNormalXidValue): 'committed' | 'aborted' | 'in progress' | null {
    if (xid >= this.procArray.nextXid()) {
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `transaction ID ${xid} is in the future`);
    }
    if (xid < FirstNormalXidValue) return xid === InvalidXid ? 'aborted' : 'committed';
    if (xid < oldestKeptXid) return null;
    if (this.procArray.isInProgress(xid)) return 'in progress';
    return this.didCommit(xid) ? 'committed' : 'aborted';
  }

  /** Oldest xid any running transaction or snapshot may still need (the vacuum horizon, M33). */
  getOldestXmin(): Xid {
    return this.procArray.getOldestXmin(true);
  }
}

interface SubXactState {
  readonly name: string | undefined;
  /** Lock resource owner id for this level. */
  readonly owner: number;
  xid: Xid | undefined;
  /** Xids of committed (RELEASEd) child subtransactions, recursively. */
  readonly childXids: Xid[];
}

type BlockState = 'idle' | 'in-progress' | 'failed';

/** A backend: one connection's transactions. */
export class Session implements VisibilityContext {
  readonly proc: number;
  readonly pid: number;
  private state: BlockState = 'idle';
  private isolation: IsolationLevel = IsolationLevel.ReadCommitted;
  private readOnly = false;
  private synchronousCommit = true;
  private stack: SubXactState[] = [];
  private nextOwner = 1;
  private readonly currentXids = new Set<bigint>();
  private curcid: CommandId = 0;
  private transactionSnapshot: Snapshot | undefined;
  private statementSnapshot: Snapshot | undefined;
  private localXidCounter = 0;
  private vxid: VirtualXid | undefined;
  private sxact: SerializableXact | undefined;
  readonly comboCids = new ComboCidTable();
  private closed = false;

  constructor(
    readonly manager: TransactionManager,
    proc: number,
    pid: number,
  ) {
    this.proc = proc;
    this.pid = pid;
  }

  get subtrans(): SubTrans {
    return this.manager.subtrans;
  }

  /** 'idle' (no transaction block), 'in-progress', or 'failed' (only ROLLBACK accepted, M8). */
  get blockState(): BlockState {
    return this.state;
  }
  get isolationLevel(): IsolationLevel {
    return this.isolation;
  }
  get isReadOnly(): boolean {
    return this.readOnly;
  }
  get virtualXid(): VirtualXid | undefined {
    return this.vxid;
  }

  /** BEGIN. For SERIALIZABLE READ ONLY DEFERRABLE this waits for a safe snapshot (M31). */
  async begin(opts: BeginOptions = {}): Promise<void> {
    assert(!this.closed, 'session is closed');
    // BEGIN inside a block is a WARNING the SQL layer sends after checking `blockState`.
    assert(this.state === 'idle', 'begin() inside a transaction block');
    if (opts.isolation === IsolationLevel.Serializable && this.manager.hotStandby) {
      throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'cannot use serializable mode in a hot standby', {
        hint: 'You can use REPEATABLE READ instead.',
      });
    }
    this.isolation = opts.isolation ?? IsolationLevel.ReadCommitted;
    this.readOnly = opts.readOnly ?? false;
    this.synchronousCommit = opts.synchronousCommit ?? true;
    this.state = 'in-progress';
    this.curcid = 0;
    this.localXidCounter++;
    const isoCode = this.isolation === IsolationLevel.Serializable ? 2 : this.isolation === IsolationLevel.RepeatableRead ? 1 : 0;
    this.vxid = this.manager.procArray.beginVirtual(this.proc, this.localXidCounter, isoCode);
    this.stack = [{ name: undefined, owner: this.nextOwner++, xid: undefined, childXids: [] }];
    const vtag: LockTag = { kind: 'virtualxid', backendId: this.vxid.backendId, localXid: this.vxid.localXid };
    this.manager.locks.tryAcquire({ proc: this.proc, owner: this.topOwner(), tag: vtag, mode: LM.Exclusive });
    if (this.isolation === IsolationLevel.Serializable && this.readOnly && opts.deferrable === true) {
      await this.acquireSafeSnapshot(opts.signal);
    }
  }

  private async acquireSafeSnapshot(signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 0; attempt < 1_000_000; attempt++) {
      this.manager.procArray.setXmin(this.proc, InvalidXid);
      const snap = this.manager.procArray.getSnapshot(this.proc, this.curcid);
      const sx = this.manager.ssi.register(snap, true, this.pid);
      let verdict: 'safe' | 'unsafe';
      try {
        verdict = await this.manager.ssi.waitForSafeSnapshot(sx, signal);
      } catch (e) {
        this.manager.ssi.release(sx, false);
        this.abortInternal();
        throw e;
      }
      if (verdict === 'safe') {
        this.transactionSnapshot = snap;
        this.sxact = sx;
        return;
      }
      this.manager.ssi.release(sx, false);
    }
    assert(false, 'no safe snapshot after many attempts');
  }

  private topOwner(): number {
    return this.stack[0]!.owner;
  }
  private currentLevel(): SubXactState {
    const s = this.stack[this.stack.length - 1];
    assert(s !== undefined, 'no transaction in progress');
    return s;
  }

  /** Throws 25P02 in an aborted transaction block, 25P01-like assertion outside one. */
  checkUsable(): void {
    assert(this.state !== 'idle', 'no transaction in progress');
    if (this.state === 'failed') throw inFailedTransaction();
  }

  /** A statement failed: the block is now aborted until ROLLBACK / ROLLBACK TO (M8). */
  markFailed(): void {
    if (this.state === 'in-progress') this.state = 'failed';
  }

  /** Starts a statement: READ COMMITTED takes a fresh snapshot for it (M7). */
  startStatement(): void {
    this.checkUsable();
    if (!this.usesTransactionSnapshot()) {
      // No snapshot outlives the statement, so the advertised xmin may move forward.
      this.statementSnapshot = undefined;
      this.manager.procArray.setXmin(this.proc, InvalidXid);
    }
  }

  private usesTransactionSnapshot(): boolean {
    return this.isolation === IsolationLevel.RepeatableRead || this.isolation === IsolationLevel.Serializable;
  }

  /** The snapshot the current statement reads with (curcid = current command id). */
  snapshot(): Snapshot {
    this.checkUsable();
    let snap: Snapshot;
    if (this.usesTransactionSnapshot()) {
      if (this.transactionSnapshot === undefined) {
        this.transactionSnapshot = this.manager.procArray.getSnapshot(this.proc, this.curcid);
        if (this.isolation === IsolationLevel.Serializable) {
          this.sxact = this.manager.ssi.register(this.transactionSnapshot, this.readOnly, this.pid);
          for (const x of this.currentXids) this.manager.ssi.registerXid(this.sxact, x as Xid);
        }
      }
      snap = this.transactionSnapshot;
    } else {
      this.statementSnapshot ??= this.manager.procArray.getSnapshot(this.proc, this.curcid);
      snap = this.statementSnapshot;
    }
    snap.curcid = this.curcid;
    return snap;
  }

  /** `pg_current_snapshot()`. */
  currentSnapshotText(): string {
    return formatSnapshot(this.snapshot());
  }

  /** Current command id (cmin/cmax for tuples this command writes). */
  get commandId(): CommandId {
    return this.curcid;
  }

  /** Makes the current command's changes visible to the next (CommandCounterIncrement). */
  commandCounterIncrement(): void {
    this.checkUsable();
    if (this.curcid >= 0xffff_fffe) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, 'cannot have more than 2^32-2 commands in a transaction');
    }
    this.curcid++;
  }

  /**
   * The xid of the current (sub)transaction, assigned now if it has none (M1: lazily, on the
   * first write or `pg_current_xact_id()`; parents first, so a child's xid exceeds its parent's).
   */
  getXid(): Xid {
    this.checkUsable();
    for (let i = 0; i < this.stack.length; i++) {
      const level = this.stack[i]!;
      if (level.xid !== undefined) continue;
      const parent = i === 0 ? undefined : this.stack[i - 1]!.xid!;
      const subtrans = this.manager.subtrans;
      const x = this.manager.procArray.assignXid(this.proc, parent, (nx) => {
        if (parent !== undefined) subtrans.setParent(nx, parent);
      });
      level.xid = x;
      this.currentXids.add(x);
      this.manager.locks.tryAcquire({ proc: this.proc, owner: level.owner, tag: transactionLockTag(x), mode: LM.Exclusive });
      if (this.sxact !== undefined) this.manager.ssi.registerXid(this.sxact, x);
    }
    return this.currentLevel().xid!;
  }

  /** The top-level xid if assigned (no assignment). */
  get topXid(): Xid | undefined {
    return this.stack[0]?.xid;
  }

  /** SAVEPOINT name. */
  savepoint(name: string): void {
    this.checkUsable();
    if (this.stack.length >= 1 + 1_000_000) throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, 'too many nested savepoints');
    this.stack.push({ name, owner: this.nextOwner++, xid: undefined, childXids: [] });
  }

  private findSavepoint(name: string): number {
    for (let i = this.stack.length - 1; i >= 1; i--) if (this.stack[i]!.name === name) return i;
    return -1;
  }

  /** RELEASE SAVEPOINT: the subtransaction (and those inside it) commit into the parent. */
  releaseSavepoint(name: string): void {
    this.checkUsable();
    const idx = this.findSavepoint(name);
    if (idx < 0) throw savepointDoesNotExist(name);
    while (this.stack.length > idx) {
      const level = this.stack.pop()!;
      const parent = this.currentLevel();
      if (level.xid !== undefined) parent.childXids.push(level.xid);
      parent.childXids.push(...level.childXids);
      this.manager.locks.transferOwner(this.proc, level.owner, parent.owner);
    }
  }

  /**
   * ROLLBACK TO SAVEPOINT: aborts the subtransaction and everything inside it (clog, abort
   * record, its locks, M12), then starts it again (M8). Allowed in a failed block.
   */
  rollbackToSavepoint(name: string): void {
    assert(this.state !== 'idle', 'no transaction in progress');
    const idx = this.findSavepoint(name);
    if (idx < 0) throw savepointDoesNotExist(name);
    while (this.stack.length > idx) this.abortSubxact(this.stack.pop()!);
    this.stack.push({ name, owner: this.nextOwner++, xid: undefined, childXids: [] });
    this.state = 'in-progress';
    this.curcid++;
  }

  private abortSubxact(level: SubXactState): void {
    const xids: Xid[] = [...level.childXids];
    if (level.xid !== undefined) {
      const m = this.manager;
      m.log.insert(encodeXactRecord({ kind: 'abort', xid: level.xid, subxids: level.childXids }));
      m.clog.setTreeStatus(level.xid, level.childXids, XidStatus.Aborted);
      xids.push(level.xid);
      let latest = level.xid;
      for (const x of level.childXids) if (x > latest) latest = x;
      m.procArray.removeSubxids(this.proc, xids, latest);
    }
    for (const x of xids) this.currentXids.delete(x);
    this.manager.locks.releaseOwner(this.proc, level.owner);
  }

  /** All xids of the transaction tree that are still live (top first). */
  private liveXids(): { top: Xid | undefined; subs: Xid[] } {
    const top = this.stack[0]?.xid;
    const subs: Xid[] = [];
    for (let i = 0; i < this.stack.length; i++) {
      const l = this.stack[i]!;
      if (i > 0 && l.xid !== undefined) subs.push(l.xid);
      subs.push(...l.childXids);
    }
    subs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { top, subs };
  }

  /**
   * COMMIT. Protocol: SSI pre-commit check → commit record into the log → flush (unless
   * synchronous_commit is off) → commit log → leave the proc array → release SSI state and
   * locks. In a failed block it rolls back instead and returns 'ROLLBACK'.
   */
  async commit(): Promise<'COMMIT' | 'ROLLBACK'> {
    assert(this.state !== 'idle', 'no transaction in progress');
    if (this.state === 'failed') {
      this.rollback();
      return 'ROLLBACK';
    }
    const m = this.manager;
    if (this.sxact !== undefined) {
      try {
        m.ssi.preCommit(this.sxact);
      } catch (e) {
        this.rollback();
        throw e;
      }
    }
    const { top, subs } = this.liveXids();
    if (top !== undefined) {
      m.procArray.setFlag(this.proc, ProcFlags.InCommit, true);
      const lsn = m.log.insert(encodeXactRecord({ kind: 'commit', xid: top, subxids: subs, commitTimeMs: Date.now() }));
      if (this.synchronousCommit) {
        try {
          await m.log.flush(lsn);
        } catch (e) {
          // A failed WAL flush of a commit record is PostgreSQL's PANIC: the instance must stop and recover.
          throw new AssertionError(`commit record flush failed: ${String(e)}`);
        }
      }
      m.clog.setTreeStatus(top, subs, XidStatus.Committed, lsn);
      let latest = top;
      for (const s of subs) if (s > latest) latest = s;
      m.procArray.endTransaction(this.proc, latest);
    } else {
      m.procArray.endTransaction(this.proc, undefined);
    }
    if (this.sxact !== undefined) m.ssi.release(this.sxact, true);
    this.cleanup();
    return 'COMMIT';
  }

  /** ROLLBACK: abort record (not flushed, W25), commit log, leave proc array, release everything. */
  rollback(): void {
    if (this.state === 'idle') return;
    this.abortInternal();
  }

  private abortInternal(): void {
    const m = this.manager;
    const { top, subs } = this.liveXids();
    if (top !== undefined) {
      m.log.insert(encodeXactRecord({ kind: 'abort', xid: top, subxids: subs }));
      m.clog.setTreeStatus(top, subs, XidStatus.Aborted);
      let latest = top;
      for (const s of subs) if (s > latest) latest = s;
      m.procArray.endTransaction(this.proc, latest);
    } else {
      m.procArray.endTransaction(this.proc, undefined);
    }
    if (this.sxact !== undefined) m.ssi.release(this.sxact, false);
    this.cleanup();
  }

  private cleanup(): void {
    this.manager.locks.releaseAll(this.proc);
    this.state = 'idle';
    this.stack = [];
    this.currentXids.clear();
    this.transactionSnapshot = undefined;
    this.statementSnapshot = undefined;
    this.sxact = undefined;
    this.vxid = undefined;
    this.comboCids.reset();
  }

  /** Ends the session (rolling back an open transaction) and frees its proc slot. */
  close(): void {
    if (this.closed) return;
    this.rollback();
    this.manager.locks.releaseAll(this.proc, true);
    this.manager.procArray.freeSlot(this.proc);
    this.closed = true;
  }

  // ---- heavyweight locks -------------------------------------------------------------------

  /** Acquires a lock owned by the current subtransaction (or the session with `session`). */
  lock(tag: LockTag, mode: LockMode, opts: LockWaitOptions & { session?: boolean } = {}): Promise<LockAcquireStatus> {
    if (opts.session !== true) this.checkUsable();
    const owner = opts.session === true ? SESSION_OWNER : this.currentLevel().owner;
    return this.manager.locks.acquire({ proc: this.proc, owner, tag, mode }, opts);
  }

  /** Releases one hold (e.g. a tuple lock after the row lock is in xmax, or a session advisory lock). */
  unlock(tag: LockTag, mode: LockMode, opts: { session?: boolean } = {}): boolean {
    if (opts.session === true) return this.manager.locks.release({ proc: this.proc, owner: SESSION_OWNER, tag, mode });
    for (let i = this.stack.length - 1; i >= 0; i--) {
      if (this.manager.locks.release({ proc: this.proc, owner: this.stack[i]!.owner, tag, mode })) return true;
    }
    return false;
  }

  /**
   * Waits until transaction `xid` has finished (PostgreSQL's XactLockTableWait): share-lock its
   * transaction lock; if the xid was a subtransaction that committed into a still-running
   * parent, wait for the parent.
   */
  async xactLockTableWait(xid: Xid, opts: LockWaitOptions = {}): Promise<'finished' | 'not-available'> {
    const m = this.manager;
    let x = xid;
    for (let depth = 0; depth < 1_000_000; depth++) {
      if (this.isCurrentXid(x)) return 'finished';
      const tag = transactionLockTag(x);
      const r = await m.locks.acquire({ proc: this.proc, owner: this.currentLevel().owner, tag, mode: LM.Share }, opts);
      if (r === 'not-available') return 'not-available';
      this.unlock(tag, LM.Share);
      if (!m.procArray.isInProgress(x)) return 'finished';
      const parent = m.subtrans.getParent(x);
      if (parent === InvalidXid) return 'finished';
      x = parent;
    }
    assert(false, 'xactLockTableWait chain too long');
  }

  // ---- SSI ---------------------------------------------------------------------------------

  /** The SSI record of this transaction (serializable, not yet known safe), if any. */
  get serializableXact(): SerializableXact | undefined {
    return this.sxact;
  }

  /** SIREAD lock on a relation, page or tuple read by this serializable transaction (M29). */
  predicateLock(target: PredicateTarget): void {
    if (this.sxact !== undefined) this.manager.ssi.predicateLock(this.sxact, target);
  }

  /** This serializable transaction read data made invisible to it by concurrent writer `xid`. */
  checkForSerializableConflictOut(xid: Xid): void {
    if (this.sxact !== undefined && !this.isCurrentXid(xid)) this.manager.ssi.checkConflictOut(this.sxact, xid);
  }

  /** This serializable transaction writes `target` (a tuple it updates/deletes, or the relation for an insert). */
  checkForSerializableConflictIn(target: PredicateTarget): void {
    if (this.sxact !== undefined) this.manager.ssi.checkConflictIn(this.sxact, target);
  }

  /** This serializable transaction truncates or drops a relation. */
  checkTableForSerializableConflictIn(dbOid: number, relOid: number): void {
    if (this.sxact !== undefined) this.manager.ssi.checkTableConflictIn(this.sxact, dbOid, relOid);
  }

  // ---- VisibilityContext -------------------------------------------------------------------

  isCurrentXid(xid: Xid): boolean {
    return this.currentXids.has(xid);
  }
  isInProgress(xid: Xid): boolean {
    return this.manager.procArray.isInProgress(xid);
  }
  didCommit(xid: Xid): boolean {
    return this.manager.didCommit(xid);
  }
  getCmin(t: TupleHeader): CommandId {
    return (t.infomask & Infomask.HEAP_COMBOCID) !== 0 ? this.comboCids.cmin(t.cid) : t.cid;
  }
  getCmax(t: TupleHeader): CommandId {
    return (t.infomask & Infomask.HEAP_COMBOCID) !== 0 ? this.comboCids.cmax(t.cid) : t.cid;
  }
  getMultiMembers(mxid: MultiXactId): readonly MultiXactMember[] {
    return this.manager.multixacts.getMembers(mxid);
  }
  setHintBits(t: TupleHeader, bits: number, xid: Xid): void {
    const commitBits = Infomask.HEAP_XMIN_COMMITTED | Infomask.HEAP_XMAX_COMMITTED;
    if ((bits & commitBits) !== 0 && !this.manager.clog.hintAllowed(xid)) return;
    t.infomask |= bits;
    this.manager.onHintBitsSet?.(t);
  }

  /**
   * Stores the current command id as `t`'s cmax: plainly, or as a combo cid when our own
   * transaction inserted `t` (its cmin must survive).
   */
  stampCmax(t: TupleHeader): void {
    if (this.isCurrentXid(t.xmin)) {
      const cmin = this.getCmin(t);
      t.cid = this.comboCids.get(cmin, this.curcid);
      t.infomask |= Infomask.HEAP_COMBOCID;
    } else {
      t.cid = this.curcid;
      t.infomask &= ~Infomask.HEAP_COMBOCID;
    }
  }

  /** Not available: two-phase commit. */
  prepareTransaction(): never {
    throw featureNotSupported('PREPARE TRANSACTION');
  }
}
