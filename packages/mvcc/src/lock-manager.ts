// The heavyweight lock manager (PostgreSQL's lock.c + proc.c wait queues): locks on tags in
// eight modes, held per backend ("proc") and per resource owner (a subtransaction level). The
// shared table lives in a SharedArrayBuffer (shared-lock-table.ts). A request is granted when it
// conflicts neither with other procs' granted locks nor with earlier waiters (M11), otherwise
// queued FIFO. Waits are promises that settle on grant, deadlock (checked after
// deadlock_timeout, M23–M25), lock_timeout, or an AbortSignal.

import { assert } from '@palisade/common';
import { type Clock, type TimerHandle, systemClock } from './clock.ts';
import { type LockMode, type LockTag, conflictTable, describeLockTag, lockBit, lockModeNames, LOCK_MODE_COUNT } from './lock-tag.ts';
import { abortReasonError, deadlockDetected, lockTimeout } from './errors.ts';
import { SharedLockTable } from './shared-lock-table.ts';
import { findDeadlock, type WaitGraph } from './deadlock.ts';

/** Resource owner id that holds session-level locks (kept across transactions). */
export const SESSION_OWNER = 0;

export interface LockManagerOptions {
  /** max_connections: procs that can hold locks. */
  maxBackends: number;
  /** max_locks_per_transaction (default 64): the table holds this × maxBackends lock slots. */
  maxLocksPerTransaction?: number;
  /** deadlock_timeout in ms (default 1000, M23). */
  deadlockTimeoutMs?: number;
  clock?: Clock;
  /** Attach to an existing table (another thread's view); sized by {@link LockManager.sharedBytes}. */
  sharedBuffer?: SharedArrayBuffer;
}

export interface LockRequest {
  proc: number;
  /** Resource owner (subtransaction level); SESSION_OWNER for session locks. */
  owner: number;
  tag: LockTag;
  mode: LockMode;
}

export interface LockWaitOptions {
  /** Return 'not-available' instead of waiting (NOWAIT, SKIP LOCKED, conditional locks). */
  dontWait?: boolean;
  /** lock_timeout in ms; 0 or undefined = wait forever. */
  lockTimeoutMs?: number;
  /** Aborts the wait (statement_timeout, cancel); the rejection is the signal's reason if it is a PgError, else 57014. */
  signal?: AbortSignal;
}

export type LockAcquireStatus = 'granted' | 'already-held' | 'not-available';

interface Waiter {
  readonly proc: number;
  readonly owner: number;
  readonly mode: LockMode;
  readonly lockIdx: number;
  resolve(): void;
  reject(err: unknown): void;
  timers: TimerHandle[];
  cleanup?: () => void;
}

/** Backend-local bookkeeping of one proc (PostgreSQL's LOCALLOCK table and wait state). */
interface ProcLocal {
  pid: number;
  waiting: Waiter | undefined;
  /** lock index → owner → count per mode. Only this proc's own thread touches it. */
  readonly held: Map<number, Map<number, number[]>>;
}

/**
 * The lock manager. Shared state (locks, holders, wait queues) lives in a
 * {@link SharedLockTable} over a SharedArrayBuffer; per-owner hold counts, timers and the
 * promises of waiting requests are backend-local, as PostgreSQL keeps LOCALLOCKs.
 */
export class LockManager {
  readonly maxBackends: number;
  readonly lockSlotsMax: number;
  readonly deadlockTimeoutMs: number;
  readonly table: SharedLockTable;
  private readonly clock: Clock;
  private readonly procs: ProcLocal[];
  /** Deadlock checks run (observability for tests). */
  deadlockChecks = 0;

  constructor(opts: LockManagerOptions) {
    this.maxBackends = opts.maxBackends;
    this.lockSlotsMax = (opts.maxLocksPerTransaction ?? 64) * opts.maxBackends;
    this.deadlockTimeoutMs = opts.deadlockTimeoutMs ?? 1000;
    this.clock = opts.clock ?? systemClock;
    this.table = new SharedLockTable(this.lockSlotsMax, opts.maxBackends, opts.sharedBuffer);
    this.procs = Array.from({ length: opts.maxBackends }, () => ({ pid: 0, waiting: undefined, held: new Map() }));
  }

  /** Bytes of SharedArrayBuffer a table with these limits needs. */
  static sharedBytes(maxBackends: number, maxLocksPerTransaction = 64): number {
    return SharedLockTable.sharedBytes(maxLocksPerTransaction * maxBackends, maxBackends);
  }

  /** Names the backend using proc slot `proc` (its pid appears in deadlock reports). */
  registerProc(proc: number, pid: number): void {
    this.procLocal(proc).pid = pid;
  }

  private procLocal(proc: number): ProcLocal {
    const p = this.procs[proc];
    assert(p !== undefined, 'bad proc number');
    return p;
  }

  /** Modes `proc` holds on `tag` (bit set by mode). */
  heldMask(proc: number, tag: LockTag): number {
    return this.table.mutex.with(() => {
      const idx = this.table.find(tag);
      if (idx < 0) return 0;
      const e = this.table.holderEntry(idx, proc);
      return e < 0 ? 0 : this.table.holdMask(e);
    });
  }

  /** True if `proc` holds `mode` on `tag`. */
  holds(proc: number, tag: LockTag, mode: LockMode): boolean {
    return (this.heldMask(proc, tag) & lockBit(mode)) !== 0;
  }

  private waitMask(idx: number): number {
    return this.table.queueMask(idx);
  }

  private myMask(idx: number, proc: number): number {
    const e = this.table.holderEntry(idx, proc);
    return e < 0 ? 0 : this.table.holdMask(e);
  }

  /** Records a grant in shared memory and in the proc's local counts. Holder entry must exist or fit. */
  private grant(idx: number, proc: number, owner: number, mode: LockMode): void {
    const e = this.table.holderEntryOrCreate(idx, proc);
    this.table.setHoldMask(e, this.table.holdMask(e) | lockBit(mode));
    const local = this.procLocal(proc);
    let owners = local.held.get(idx);
    if (owners === undefined) {
      owners = new Map();
      local.held.set(idx, owners);
    }
    let counts = owners.get(owner);
    if (counts === undefined) {
      counts = new Array<number>(LOCK_MODE_COUNT + 1).fill(0);
      owners.set(owner, counts);
    }
    counts[mode]!++;
  }

  /** Drops `proc`'s holder entry on `idx` if it holds nothing and does not wait there; frees the lock if unused. */
  private tidy(idx: number, proc: number): void {
    const e = this.table.holderEntry(idx, proc);
    if (e >= 0 && this.table.holdMask(e) === 0 && this.table.waitingOn(proc) !== idx) {
      this.table.removeHolderEntry(idx, e);
      this.procLocal(proc).held.delete(idx);
    }
    this.table.removeIfUnused(idx);
  }

  /**
   * Acquires a lock without ever waiting: 'granted' (newly), 'already-held', or
   * 'not-available' when it would have to wait. 53200 when the lock table is full.
   */
  tryAcquire(req: LockRequest): LockAcquireStatus {
    return this.table.mutex.with(() => this.tryAcquireLocked(req));
  }

  private tryAcquireLocked(req: LockRequest): LockAcquireStatus {
    const idx = this.table.findOrCreate(req.tag);
    try {
      if ((this.myMask(idx, req.proc) & lockBit(req.mode)) !== 0) {
        this.grant(idx, req.proc, req.owner, req.mode);
        return 'already-held';
      }
      const conflicts = conflictTable[req.mode]!;
      if ((conflicts & this.waitMask(idx)) !== 0 || this.table.othersHold(idx, req.proc, conflicts)) {
        this.tidy(idx, req.proc);
        return 'not-available';
      }
      this.grant(idx, req.proc, req.owner, req.mode);
      return 'granted';
    } catch (e) {
      this.tidy(idx, req.proc);
      throw e;
    }
  }

  /**
   * Acquires a lock, waiting in the lock's queue if needed. Resolves to 'granted' /
   * 'already-held', or 'not-available' with `dontWait`. Rejects with 40P01 (this proc was
   * found in a deadlock), 55P03 (lock_timeout) or the AbortSignal's error.
   */
  acquire(req: LockRequest, opts: LockWaitOptions = {}): Promise<LockAcquireStatus> {
    let quick: LockAcquireStatus;
    try {
      quick = this.tryAcquire(req);
    } catch (e) {
      return Promise.reject(e);
    }
    if (quick !== 'not-available') return Promise.resolve(quick);
    if (opts.dontWait) return Promise.resolve('not-available');
    if (opts.signal?.aborted) return Promise.reject(abortReasonError(opts.signal.reason));
    const local = this.procLocal(req.proc);
    assert(local.waiting === undefined, 'a proc can wait for only one lock at a time');
    return new Promise<LockAcquireStatus>((resolve, reject) => {
      const outcome = this.table.mutex.with((): 'granted' | 'queued' | Error => {
        const idx = this.table.findOrCreate(req.tag);
        try {
          // Reserve the holder entry now, so that a later grant never runs out of space (LK9).
          this.table.holderEntryOrCreate(idx, req.proc);
        } catch (e) {
          this.tidy(idx, req.proc);
          return e as Error;
        }
        const waiter: Waiter = { proc: req.proc, owner: req.owner, mode: req.mode, lockIdx: idx, resolve: () => resolve('granted'), reject, timers: [] };
        const early = this.joinWaitQueue(idx, waiter);
        if (early === 'granted') {
          this.grant(idx, req.proc, req.owner, req.mode);
          return 'granted';
        }
        if (early !== undefined) {
          this.tidy(idx, req.proc);
          return early;
        }
        local.waiting = waiter;
        waiter.timers.push(this.clock.setTimer(this.deadlockTimeoutMs, () => this.onDeadlockTimeout(waiter)));
        if (opts.lockTimeoutMs !== undefined && opts.lockTimeoutMs > 0) {
          waiter.timers.push(this.clock.setTimer(opts.lockTimeoutMs, () => this.cancelWait(waiter, lockTimeout())));
        }
        if (opts.signal !== undefined) {
          const signal = opts.signal;
          const onAbort = (): void => this.cancelWait(waiter, abortReasonError(signal.reason));
          signal.addEventListener('abort', onAbort, { once: true });
          waiter.cleanup = () => signal.removeEventListener('abort', onAbort);
        }
        return 'queued';
      });
      if (outcome === 'granted') resolve('granted');
      else if (outcome !== 'queued') reject(outcome);
    });
  }

  /**
   * Puts `waiter` into the queue (PostgreSQL's JoinWaitQueue): normally at the end, but ahead of
   * the first waiter that wants something this proc already holds (M11). Returns 'granted' if
   * the request can be granted at that position right away, a 40P01 error if the two would
   * wait for each other, else undefined (queued).
   */
  private joinWaitQueue(idx: number, waiter: Waiter): 'granted' | Error | undefined {
    const myHeld = this.myMask(idx, waiter.proc);
    const queue = this.table.queueOf(idx);
    let insertAt = queue.length;
    if (myHeld !== 0) {
      let aheadRequests = 0;
      for (let i = 0; i < queue.length; i++) {
        const other = queue[i]!;
        if ((conflictTable[other.mode]! & myHeld) !== 0) {
          const otherHeld = this.myMask(idx, other.proc);
          if ((conflictTable[waiter.mode]! & otherHeld) !== 0) {
            // It waits for us and we would wait for it: report at once.
            return deadlockDetected([this.detailLine(waiter.proc, waiter.mode, idx, other.proc), this.detailLine(other.proc, other.mode, idx, waiter.proc)]);
          }
          if ((conflictTable[waiter.mode]! & aheadRequests) === 0 && !this.table.othersHold(idx, waiter.proc, conflictTable[waiter.mode]!)) {
            return 'granted';
          }
          insertAt = i;
          break;
        }
        aheadRequests |= lockBit(other.mode);
      }
    }
    this.table.enqueue(idx, waiter.proc, waiter.mode, insertAt);
    return undefined;
  }

  private detailLine(proc: number, mode: LockMode, idx: number, blocker: number): string {
    return `Process ${this.procLocal(proc).pid} waits for ${lockModeNames[mode]} on ${describeLockTag(this.table.tagOf(idx))}; blocked by process ${this.procLocal(blocker).pid}.`;
  }

  private finishWait(waiter: Waiter): void {
    for (const t of waiter.timers) this.clock.clearTimer(t);
    waiter.timers = [];
    waiter.cleanup?.();
    const local = this.procLocal(waiter.proc);
    if (local.waiting === waiter) local.waiting = undefined;
  }

  private cancelWait(waiter: Waiter, err: unknown): void {
    const removed = this.table.mutex.with(() => {
      if (!this.table.dequeue(waiter.lockIdx, waiter.proc)) return false; // already granted or removed
      this.finishWait(waiter);
      // Waiters behind it may now be grantable.
      this.wakeup(waiter.lockIdx);
      this.tidy(waiter.lockIdx, waiter.proc);
      return true;
    });
    if (removed) waiter.reject(err);
  }

  /** Grants every waiter that conflicts neither with granted locks nor with waiters ahead of it (ProcLockWakeup). */
  private wakeup(idx: number): void {
    let aheadRequests = 0;
    const still: { proc: number; mode: LockMode }[] = [];
    const granted: Waiter[] = [];
    for (const q of this.table.queueOf(idx)) {
      if ((conflictTable[q.mode]! & aheadRequests) === 0 && !this.table.othersHold(idx, q.proc, conflictTable[q.mode]!)) {
        const w = this.procLocal(q.proc).waiting;
        assert(w !== undefined && w.lockIdx === idx, 'queued proc without a local waiter');
        this.grant(idx, q.proc, w.owner, q.mode);
        granted.push(w);
      } else {
        aheadRequests |= lockBit(q.mode);
        still.push(q);
      }
    }
    if (granted.length === 0) return;
    for (const w of granted) this.table.dequeue(idx, w.proc);
    this.table.setQueue(idx, still);
    for (const w of granted) {
      this.finishWait(w);
      w.resolve();
    }
  }

  private onDeadlockTimeout(waiter: Waiter): void {
    const verdict = this.table.mutex.with(() => {
      if (this.table.waitingOn(waiter.proc) !== waiter.lockIdx) return undefined;
      this.deadlockChecks++;
      const result = findDeadlock(this.graphView(), waiter.proc);
      if (result.kind === 'deadlock') {
        return deadlockDetected(
          result.edges.map((e) => {
            const w = this.procLocal(e.waiter).waiting!;
            return this.detailLine(e.waiter, w.mode, w.lockIdx, e.blocker);
          }),
        );
      }
      if (result.kind === 'rearranged') {
        for (const [key, order] of result.queues) {
          const idx = Number(key);
          const byProc = new Map(this.table.queueOf(idx).map((q) => [q.proc, q] as const));
          this.table.setQueue(
            idx,
            order.map((p) => {
              const q = byProc.get(p);
              assert(q !== undefined, 'rearranged queue names a proc not waiting there');
              return q;
            }),
          );
          this.wakeup(idx);
        }
      }
      return undefined;
    });
    if (verdict !== undefined) this.cancelWait(waiter, verdict);
  }

  /** A read-only view of waits for the deadlock detector (lock keys are table indexes). */
  private graphView(): WaitGraph {
    return {
      waitingFor: (proc) => {
        const idx = this.table.waitingOn(proc);
        return idx < 0 ? undefined : { lockKey: String(idx), mode: this.table.waitMode(proc) };
      },
      holders: (lockKey) => this.table.holdersOf(Number(lockKey)),
      queue: (lockKey) => this.table.queueOf(Number(lockKey)),
      procCount: this.maxBackends,
    };
  }

  /** Recomputes `proc`'s held-mode mask on `idx` from its local counts, then wakes waiters. */
  private recompute(idx: number, proc: number): void {
    const owners = this.procLocal(proc).held.get(idx);
    let mask = 0;
    if (owners !== undefined) {
      for (const [owner, counts] of owners) {
        let any = false;
        for (let m = 1; m <= LOCK_MODE_COUNT; m++) {
          if (counts[m]! > 0) {
            mask |= 1 << m;
            any = true;
          }
        }
        if (!any) owners.delete(owner);
      }
    }
    const e = this.table.holderEntry(idx, proc);
    if (e >= 0) this.table.setHoldMask(e, mask);
    this.wakeup(idx);
    this.tidy(idx, proc);
  }

  /** Releases one hold of `mode` on `tag` by (proc, owner). Returns false if it was not held. */
  release(req: LockRequest): boolean {
    return this.table.mutex.with(() => {
      const idx = this.table.find(req.tag);
      if (idx < 0) return false;
      const counts = this.procLocal(req.proc).held.get(idx)?.get(req.owner);
      if (counts === undefined || counts[req.mode]! === 0) return false;
      counts[req.mode]!--;
      this.recompute(idx, req.proc);
      return true;
    });
  }

  /** Releases every lock `owner` of `proc` holds (subtransaction abort, M12). */
  releaseOwner(proc: number, owner: number): void {
    this.table.mutex.with(() => {
      for (const [idx, owners] of [...this.procLocal(proc).held]) {
        if (!owners.delete(owner)) continue;
        this.recompute(idx, proc);
      }
    });
  }

  /** Moves every lock of `from` to `to` (subtransaction commit: the parent now owns them). */
  transferOwner(proc: number, from: number, to: number): void {
    for (const owners of this.procLocal(proc).held.values()) {
      const src = owners.get(from);
      if (src === undefined) continue;
      let dst = owners.get(to);
      if (dst === undefined) {
        dst = new Array<number>(LOCK_MODE_COUNT + 1).fill(0);
        owners.set(to, dst);
      }
      for (let m = 1; m <= LOCK_MODE_COUNT; m++) dst[m]! += src[m]!;
      owners.delete(from);
    }
  }

  /** Releases all of `proc`'s transaction locks (every owner but SESSION_OWNER unless `includeSession`). */
  releaseAll(proc: number, includeSession = false): void {
    this.table.mutex.with(() => {
      for (const [idx, owners] of [...this.procLocal(proc).held]) {
        for (const owner of [...owners.keys()]) if (includeSession || owner !== SESSION_OWNER) owners.delete(owner);
        this.recompute(idx, proc);
      }
    });
  }

  /** True if `proc` is waiting for a lock. */
  isWaiting(proc: number): boolean {
    return this.procLocal(proc).waiting !== undefined;
  }

  /** Procs waiting on `tag`, queue order. */
  waitQueue(tag: LockTag): number[] {
    return this.table.mutex.with(() => {
      const idx = this.table.find(tag);
      return idx < 0 ? [] : this.table.queueOf(idx).map((q) => q.proc);
    });
  }

  /** Procs holding `tag` with their mode bit sets (waiters' reserved entries are not listed). */
  holders(tag: LockTag): { proc: number; holdMask: number }[] {
    return this.table.mutex.with(() => {
      const idx = this.table.find(tag);
      return idx < 0 ? [] : this.table.holdersOf(idx).filter((h) => h.holdMask !== 0);
    });
  }

  /**
   * One row per held mode and per waiting request, with pg_locks' columns (`granted` false for
   * waiters), for the `pg_locks` view. `pid` is the backend's pid.
   */
  status(): LockStatusRow[] {
    return this.table.mutex.with(() => {
      const rows: LockStatusRow[] = [];
      for (const idx of this.table.locksInUse()) {
        const tag = this.table.tagOf(idx);
        for (const h of this.table.holdersOf(idx)) {
          for (let m = 1; m <= LOCK_MODE_COUNT; m++) {
            if ((h.holdMask & (1 << m)) !== 0) rows.push(statusRow(tag, this.procLocal(h.proc).pid, m as LockMode, true));
          }
        }
        for (const q of this.table.queueOf(idx)) rows.push(statusRow(tag, this.procLocal(q.proc).pid, q.mode, false));
      }
      return rows;
    });
  }

  /** Lock slots in use (proc × lock pairs), bounded by lockSlotsMax. */
  get slotsInUse(): number {
    return this.table.holderEntryCount;
  }
}

/** A row of PostgreSQL's `pg_locks` view (columns that apply to Palisade's lock tags). */
export interface LockStatusRow {
  locktype: 'relation' | 'tuple' | 'transactionid' | 'virtualxid' | 'object' | 'advisory';
  database: number | null;
  relation: number | null;
  page: number | null;
  tuple: number | null;
  virtualxid: string | null;
  transactionid: bigint | null;
  classid: number | null;
  objid: number | null;
  objsubid: number | null;
  pid: number;
  mode: string;
  granted: boolean;
}

function statusRow(tag: LockTag, pid: number, mode: LockMode, granted: boolean): LockStatusRow {
  const base: LockStatusRow = {
    locktype: 'relation',
    database: null,
    relation: null,
    page: null,
    tuple: null,
    virtualxid: null,
    transactionid: null,
    classid: null,
    objid: null,
    objsubid: null,
    pid,
    mode: lockModeNames[mode],
    granted,
  };
  switch (tag.kind) {
    case 'relation':
      return { ...base, database: tag.dbOid, relation: tag.relOid };
    case 'tuple':
      return { ...base, locktype: 'tuple', database: tag.dbOid, relation: tag.relOid, page: tag.block, tuple: tag.offset };
    case 'transaction':
      return { ...base, locktype: 'transactionid', transactionid: tag.xid };
    case 'virtualxid':
      return { ...base, locktype: 'virtualxid', virtualxid: `${tag.backendId}/${tag.localXid}` };
    case 'object':
      return { ...base, locktype: 'object', database: tag.dbOid, classid: tag.classOid, objid: tag.objOid, objsubid: tag.objSubId };
    case 'advisory':
      return { ...base, locktype: 'advisory', database: tag.dbOid, classid: tag.key1, objid: tag.key2, objsubid: tag.field4 };
  }
}
