// The shared buffer pool (PostgreSQL's bufmgr.c + freelist.c): NBuffers 8 KiB pages and their
// descriptors in SharedArrayBuffers, the buffer mapping table, pins (shared refcount plus a
// private count per backend), content locks, cleanup locks, I/O, the clock sweep with ring
// strategies, and the write path that obeys the WAL rule.
// Entry points: `BufferPool` (shared state, checkpoint operations, structural check) and
// `BufferBackend` (one per session: readBuffer, lockBuffer, markDirty, …).
//
// On the hot paths an invariant is written `if (!cond) assert(false, message)` so that the
// message (and a closure) is only built when the check fails.
//
// Nothing here holds a spinlock (buffer header, mapping partition, free list) across an await;
// only content locks, I/O and cleanup waits are awaited, with Atomics.waitAsync so that an
// async caller never blocks the event loop.

import {
  assert, InvalidLsn, PgError, SqlState, type BlockNumber, type Brand, type Lsn, type Oid, type RelFileNumber,
} from '@palisade/common';
import { BufferMappingTable, hashBufferTag } from './mapping.ts';
import { BLCKSZ } from './page-constants.ts';
import { Page, pageGetLsn, pageIsNew } from './page.ts';
import { DEFAULTTABLESPACE_OID, forkFromNumber, forkNumber, relationKey, relationPath, type ForkName, type RelFileLocator } from './relfile.ts';
import {
  BufferState as S, CONTENT_LOCK_EXCLUSIVE, Ctl, Desc, MAX_USAGE_COUNT, createSharedBufferMemory, lockBufferHeader,
  refCountOf, unlockBufferHeader, usageCountOf, waitBufferHeaderUnlocked, waitWhileEqual, type SharedBufferMemory,
} from './shared-memory.ts';
import type { StorageManager } from './smgr.ts';
import { BufferStats, type RelationBufferStats } from './stats.ts';
import { BufferAccessStrategy, type BufferAccessStrategyKind } from './strategy.ts';
import type { NoticeReporter } from './transform.ts';

/** A shared buffer, 1-based as PostgreSQL's `Buffer` (0 = InvalidBuffer). */
export type BufferId = Brand<number, 'BufferId'>;
/** No buffer. */
export const InvalidBuffer = 0 as BufferId;

/** Which page a buffer holds. */
export interface BufferTag {
  readonly rel: RelFileLocator;
  readonly fork: ForkName;
  readonly blockNumber: BlockNumber;
}

/**
 * How readBuffer fills a buffer that is not resident:
 * - `normal`: read and verify the block (B27);
 * - `zeroOnError`: as normal, but an invalid page is zeroed with a WARNING (RBM_ZERO_ON_ERROR);
 * - `zero`: do not read, use a zero page, and return the buffer exclusively locked
 *   (RBM_ZERO_AND_LOCK; for pages about to be initialised, e.g. during redo).
 */
export type ReadBufferMode = 'normal' | 'zeroOnError' | 'zero';

/** Content lock modes (B4). */
export type BufferLockMode = 'share' | 'exclusive';

/** Options of {@link BufferPool}. */
export interface BufferPoolOptions {
  /** shared_buffers in buffers (min 16, B19). Ignored when `sharedMemory` is given. */
  bufferCount?: number;
  /** Attach to shared memory created by another pool (another thread); default: create it. */
  sharedMemory?: SharedBufferMemory;
  smgr: StorageManager;
  /**
   * Flushes WAL up to at least `lsn`; awaited before any dirty permanent page is written
   * (W1, B26). Supplied by the WAL layer; a failure aborts the write.
   */
  flushWalUpTo: (lsn: Lsn) => Promise<void> | void;
  /** True if WAL is not yet flushed to `lsn` (XLogNeedsFlush; used by BULKREAD rings, B17). Default: any non-zero LSN needs a flush. */
  walNeedsFlush?: (lsn: Lsn) => boolean;
  /** Whether data checksums are on (B28): hint-bit dirtying must then be WAL-logged (W5). */
  dataChecksums?: boolean;
  /**
   * W5: called by markDirtyHint on a clean permanent page when checksums are on. Logs a full-page
   * image if the page has not been logged since the last checkpoint's redo pointer and returns
   * that record's LSN, or InvalidLsn if no image was needed. Supplied by the WAL layer.
   */
  logHintFullPageImage?: (tag: BufferTag, page: Uint8Array) => Lsn;
  /** True during recovery, when hint bits must not dirty pages (W5). */
  isInRecovery?: () => boolean;
  /** Receives WARNINGs (leaked pins at transaction end). */
  onNotice?: NoticeReporter;
  /** Most relations with their own statistics entry (default 10 000). */
  statsRelationCountMax?: number;
}

/** What {@link BufferPool.flushAll} did. */
export interface FlushResult {
  writtenCount: number;
}

/** How often a wait that can be cancelled looks at its AbortSignal. */
const ABORT_POLL_MS = 20;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  // The caller's own reason (e.g. a statement_timeout PgError) wins; a bare abort() is a cancel.
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') throw reason;
  throw new PgError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
}

/** Largest backend count per pool (bounds the id space of cleanup waiters). */
export const BACKEND_COUNT_MAX = 1 << 16;

/** The shared buffer pool. One per process attaches to the shared memory; sessions register a {@link BufferBackend}. */
export class BufferPool {
  readonly bufferCount: number;
  readonly sharedMemory: SharedBufferMemory;
  readonly smgr: StorageManager;
  readonly stats: BufferStats;
  readonly dataChecksums: boolean;
  /** @internal */ readonly desc: Int32Array;
  /** @internal */ readonly ctl: Int32Array;
  /** @internal */ readonly mapping: BufferMappingTable;
  /** @internal */ readonly pageBytes: Uint8Array;
  /** @internal */ readonly flushWalUpTo: (lsn: Lsn) => Promise<void> | void;
  /** @internal */ readonly walNeedsFlush: (lsn: Lsn) => boolean;
  /** @internal */ readonly logHintFullPageImage: ((tag: BufferTag, page: Uint8Array) => Lsn) | undefined;
  /** @internal */ readonly isInRecovery: () => boolean;
  /** @internal */ readonly onNotice: NoticeReporter;
  /** Backends of this process (for the structural check). */
  readonly #backends = new Set<BufferBackend>();
  /** Tail of the per-relation-fork extension chain (serialises nblocks → extend in this process). */
  readonly #extensionTails = new Map<string, Promise<unknown>>();
  /** Backend ids of closed backends of this process, reused so that ids stay bounded. */
  readonly #freeBackendIds: number[] = [];

  constructor(options: BufferPoolOptions) {
    this.sharedMemory = options.sharedMemory ?? createSharedBufferMemory(options.bufferCount ?? 16384);
    this.bufferCount = this.sharedMemory.bufferCount;
    this.smgr = options.smgr;
    this.desc = new Int32Array(this.sharedMemory.descriptors);
    this.ctl = new Int32Array(this.sharedMemory.control);
    this.mapping = new BufferMappingTable(this.sharedMemory);
    this.pageBytes = new Uint8Array(this.sharedMemory.pages);
    this.flushWalUpTo = options.flushWalUpTo;
    this.walNeedsFlush = options.walNeedsFlush ?? ((lsn) => lsn !== InvalidLsn);
    this.dataChecksums = options.dataChecksums ?? false;
    this.logHintFullPageImage = options.logHintFullPageImage;
    this.isInRecovery = options.isInRecovery ?? (() => false);
    this.onNotice = options.onNotice ?? (() => {});
    this.stats = new BufferStats(options.statsRelationCountMax);
    assert(!this.dataChecksums || this.logHintFullPageImage !== undefined, 'with data checksums, logHintFullPageImage must be supplied (W5)');
  }

  /** Registers a session: its private pin counts and held content locks. */
  registerBackend(): BufferBackend {
    const id = this.#freeBackendIds.pop() ?? Atomics.add(this.ctl, Ctl.NEXT_BACKEND_ID, 1);
    assert(id < BACKEND_COUNT_MAX, 'too many buffer-pool backends');
    const backend = new BufferBackend(this, id);
    this.#backends.add(backend);
    return backend;
  }

  /** @internal */
  unregisterBackend(backend: BufferBackend): void {
    if (this.#backends.delete(backend)) this.#freeBackendIds.push(backend.backendId);
  }

  /** A ring strategy for a bulk operation (B16), sized for this pool. */
  getAccessStrategy(kind: BufferAccessStrategyKind, ringSizeBytes?: number): BufferAccessStrategy {
    return new BufferAccessStrategy(kind, this.bufferCount, ringSizeBytes);
  }

  /** Counters of one relation (all forks) — for pg_statio. */
  relationStats(rel: RelFileLocator): RelationBufferStats {
    return this.stats.relation(rel);
  }

  /** The clock hand (for the background writer, which scans ahead of it without moving it). */
  get nextVictimBuffer(): number {
    return Atomics.load(this.ctl, Ctl.NEXT_VICTIM);
  }

  /** @internal Buffers allocated since the last call (the background writer's input). */
  takeRecentAllocCount(): number {
    return Atomics.exchange(this.ctl, Ctl.RECENT_ALLOCS, 0);
  }

  /** The tag of buffer index `index` (0-based), or undefined if it holds no page. */
  tagOfIndex(index: number): BufferTag | undefined {
    const base = index * Desc.STRIDE;
    const state = Atomics.load(this.desc, base + Desc.STATE);
    if ((state & S.TAG_VALID) === 0) return undefined;
    return this.#readTag(base);
  }

  /**
   * Writes every dirty buffer (the checkpoint's BufferSync): first marks the buffers dirty now,
   * then writes those, so that pages dirtied meanwhile do not make it run forever. Durability
   * needs `smgr.syncAllPending()` afterwards.
   */
  async flushAll(): Promise<FlushResult> {
    return this.#flushMatching(() => true);
  }

  /** Writes every dirty buffer of a relation (all forks), e.g. before copying its files. */
  async flushRelation(rel: RelFileLocator): Promise<FlushResult> {
    // Tag words are int32 in shared memory: OIDs ≥ 2^31 are stored (and compared) wrapped.
    const spc = (rel.spcOid ?? DEFAULTTABLESPACE_OID) | 0;
    const db = rel.dbOid | 0;
    const relNo = rel.relNumber | 0;
    const d = this.desc;
    return this.#flushMatching((base) => d[base + Desc.TAG_REL] === relNo && d[base + Desc.TAG_DB] === db && d[base + Desc.TAG_SPC] === spc);
  }

  async #flushMatching(matches: (base: number) => boolean): Promise<FlushResult> {
    const d = this.desc;
    const marked: number[] = [];
    for (let i = 0; i < this.bufferCount; i++) {
      const base = i * Desc.STRIDE;
      let state = lockBufferHeader(d, base + Desc.STATE);
      if ((state & (S.DIRTY | S.VALID)) === (S.DIRTY | S.VALID) && matches(base)) {
        state |= S.CHECKPOINT_NEEDED;
        marked.push(i);
      }
      unlockBufferHeader(d, base + Desc.STATE, state);
    }
    const backend = this.registerBackend();
    let writtenCount = 0;
    try {
      for (const i of marked) {
        const state = Atomics.load(d, i * Desc.STRIDE + Desc.STATE);
        if ((state & S.CHECKPOINT_NEEDED) === 0) continue;
        if (await this.syncOneBuffer(backend, i, false)) writtenCount++;
      }
    } finally {
      backend.close();
    }
    return { writtenCount };
  }

  /**
   * @internal SyncOneBuffer: pins buffer `index`, and if it is dirty (and, with
   * `skipRecentlyUsed`, unpinned with usage count 0) writes it under a share lock.
   * Returns true if it was written.
   */
  async syncOneBuffer(backend: BufferBackend, index: number, skipRecentlyUsed: boolean): Promise<boolean> {
    const d = this.desc;
    const base = index * Desc.STRIDE;
    let state = lockBufferHeader(d, base + Desc.STATE);
    if (skipRecentlyUsed && (refCountOf(state) !== 0 || usageCountOf(state) !== 0)) {
      unlockBufferHeader(d, base + Desc.STATE, state);
      return false;
    }
    if ((state & (S.DIRTY | S.VALID)) !== (S.DIRTY | S.VALID)) {
      unlockBufferHeader(d, base + Desc.STATE, state);
      return false;
    }
    backend.pinLocked(index, state);
    const id = (index + 1) as BufferId;
    try {
      await backend.lockBuffer(id, 'share');
      try {
        return await this.flushBuffer(index);
      } finally {
        backend.unlockBuffer(id);
      }
    } finally {
      backend.releaseBuffer(id);
    }
  }

  /**
   * @internal FlushBuffer: writes buffer `index` if it is dirty. The caller holds a pin and a
   * content lock (B10). The page is copied first and WAL flushed up to the copy's LSN before
   * the copy is written (W1, B26). On failure the buffer stays dirty with IO_ERROR set.
   */
  async flushBuffer(index: number): Promise<boolean> {
    if (!(await this.startBufferIo(index, false))) return false;
    const base = index * Desc.STRIDE;
    const tag = this.#readTag(base);
    try {
      const copy = this.pageBytes.slice(index * BLCKSZ, (index + 1) * BLCKSZ);
      const state = Atomics.load(this.desc, base + Desc.STATE);
      const pageLsn = pageGetLsn(copy);
      if ((state & S.PERMANENT) !== 0 && pageLsn !== InvalidLsn) await this.flushWalUpTo(pageLsn);
      await this.smgr.write(tag.rel, tag.fork, tag.blockNumber, copy);
    } catch (err) {
      this.abortBufferIo(index, false);
      throw err;
    }
    this.terminateBufferIo(index, true, 0);
    this.stats.entry(tag.rel).writes++;
    this.stats.totals.writes++;
    return true;
  }

  /**
   * @internal StartBufferIO: waits for any I/O in progress, then claims the buffer's I/O.
   * Returns false if there is nothing to do (input: already valid; output: no longer dirty).
   */
  async startBufferIo(index: number, forInput: boolean): Promise<boolean> {
    const d = this.desc;
    const base = index * Desc.STRIDE;
    for (;;) {
      let state = lockBufferHeader(d, base + Desc.STATE);
      if ((state & S.IO_IN_PROGRESS) === 0) {
        if (forInput ? (state & S.VALID) !== 0 : (state & S.DIRTY) === 0) {
          unlockBufferHeader(d, base + Desc.STATE, state);
          return false;
        }
        state |= S.IO_IN_PROGRESS;
        if (!forInput) state &= ~S.JUST_DIRTIED;
        unlockBufferHeader(d, base + Desc.STATE, state);
        return true;
      }
      const seq = Atomics.load(d, base + Desc.IO_SEQ);
      unlockBufferHeader(d, base + Desc.STATE, state);
      await this.waitIo(index, seq);
    }
  }

  /** @internal Waits until the I/O sequence number of buffer `index` moves past `seq` (B12). */
  async waitIo(index: number, seq: number): Promise<void> {
    await waitWhileEqual(this.desc, index * Desc.STRIDE + Desc.IO_SEQ, seq);
  }

  /** @internal TerminateBufferIO: ends I/O, optionally clearing DIRTY (unless re-dirtied meanwhile) and setting flags. */
  terminateBufferIo(index: number, clearDirty: boolean, setFlags: number): void {
    const d = this.desc;
    const base = index * Desc.STRIDE;
    let state = lockBufferHeader(d, base + Desc.STATE);
    assert((state & S.IO_IN_PROGRESS) !== 0, 'terminating I/O that is not in progress');
    state &= ~(S.IO_IN_PROGRESS | S.IO_ERROR);
    if (clearDirty && (state & S.JUST_DIRTIED) === 0) state &= ~(S.DIRTY | S.CHECKPOINT_NEEDED);
    state |= setFlags;
    unlockBufferHeader(d, base + Desc.STATE, state);
    Atomics.add(d, base + Desc.IO_SEQ, 1);
    Atomics.notify(d, base + Desc.IO_SEQ);
  }

  /** @internal AbortBufferIO: ends a failed I/O; a failed write leaves the buffer dirty with IO_ERROR. */
  abortBufferIo(index: number, forInput: boolean): void {
    const d = this.desc;
    const base = index * Desc.STRIDE;
    let state = lockBufferHeader(d, base + Desc.STATE);
    assert((state & S.IO_IN_PROGRESS) !== 0, 'aborting I/O that is not in progress');
    state &= ~S.IO_IN_PROGRESS;
    if (!forInput) state |= S.IO_ERROR | S.DIRTY;
    unlockBufferHeader(d, base + Desc.STATE, state);
    Atomics.add(d, base + Desc.IO_SEQ, 1);
    Atomics.notify(d, base + Desc.IO_SEQ);
  }

  /**
   * Discards the buffers of a relation fork (or all forks) from `firstBlock` on, without
   * writing them: for truncation and drop (DropRelationBuffers). The caller holds
   * AccessExclusiveLock, so only a writer (checkpoint, background writer) can hold a pin;
   * we wait for it. Dirty contents are lost by design.
   */
  async dropRelationBuffers(rel: RelFileLocator, fork?: ForkName, firstBlock = 0): Promise<number> {
    const d = this.desc;
    // Tag words are int32 in shared memory: OIDs ≥ 2^31 are stored (and compared) wrapped.
    const spc = (rel.spcOid ?? DEFAULTTABLESPACE_OID) | 0;
    const db = rel.dbOid | 0;
    const relNo = rel.relNumber | 0;
    const forkNo = fork === undefined ? -1 : forkNumber(fork);
    let droppedCount = 0;
    for (let i = 0; i < this.bufferCount; i++) {
      const base = i * Desc.STRIDE;
      // Unlocked pre-check, as PostgreSQL's: a tag can only change to ours by a read, which
      // the caller's lock excludes.
      if (d[base + Desc.TAG_REL] !== relNo || d[base + Desc.TAG_DB] !== db || d[base + Desc.TAG_SPC] !== spc) continue;
      if (await this.#invalidateIfMatches(i, spc, db, relNo, forkNo, firstBlock)) droppedCount++;
    }
    return droppedCount;
  }

  async #invalidateIfMatches(index: number, spc: number, db: number, relNo: number, forkNo: number, firstBlock: number): Promise<boolean> {
    const d = this.desc;
    const base = index * Desc.STRIDE;
    for (let attempt = 0; ; attempt++) {
      assert(attempt < 100_000, 'buffer stayed pinned while its relation was dropped');
      const state0 = waitBufferHeaderUnlocked(d, base + Desc.STATE);
      if ((state0 & S.TAG_VALID) === 0) return false;
      const tagFork = d[base + Desc.TAG_FORK]!;
      const tagBlock = d[base + Desc.TAG_BLOCK]! >>> 0;
      if (d[base + Desc.TAG_REL] !== relNo || d[base + Desc.TAG_DB] !== db || d[base + Desc.TAG_SPC] !== spc) return false;
      if ((forkNo >= 0 && tagFork !== forkNo) || tagBlock < firstBlock) return false;
      const hash = hashBufferTag(spc, db, relNo, tagFork, tagBlock | 0);
      const partition = this.mapping.partitionOf(hash);
      this.mapping.lockExclusive(partition);
      let state = lockBufferHeader(d, base + Desc.STATE);
      const sameTag = (state & S.TAG_VALID) !== 0 && d[base + Desc.TAG_REL] === relNo && d[base + Desc.TAG_DB] === db
        && d[base + Desc.TAG_SPC] === spc && d[base + Desc.TAG_FORK] === tagFork && (d[base + Desc.TAG_BLOCK]! >>> 0) === tagBlock;
      if (!sameTag) {
        unlockBufferHeader(d, base + Desc.STATE, state);
        this.mapping.unlockExclusive(partition);
        continue;
      }
      if (refCountOf(state) !== 0) {
        for (const b of this.#backends) assert(b.privateRefCount(index) === 0, 'dropping a buffer this process has pinned');
        const seq = Atomics.load(d, base + Desc.IO_SEQ);
        unlockBufferHeader(d, base + Desc.STATE, state);
        this.mapping.unlockExclusive(partition);
        // Pinned by a writer of another thread: wait for its I/O to end, or a moment.
        await waitWhileEqual(d, base + Desc.IO_SEQ, seq, 1);
        continue;
      }
      this.mapping.remove(hash, index);
      state &= S.REFCOUNT_MASK | S.LOCKED;
      unlockBufferHeader(d, base + Desc.STATE, state);
      this.mapping.unlockExclusive(partition);
      this.pushFreeBuffer(index);
      return true;
    }
  }

  /** @internal Puts a buffer on the free list (no-op if it is already there). */
  pushFreeBuffer(index: number): void {
    const d = this.desc;
    this.#lockFreelist();
    if (d[index * Desc.STRIDE + Desc.FREE_NEXT] === -2) {
      d[index * Desc.STRIDE + Desc.FREE_NEXT] = this.ctl[Ctl.FIRST_FREE]!;
      this.ctl[Ctl.FIRST_FREE] = index;
    }
    this.#unlockFreelist();
  }

  /** @internal Pops a buffer from the free list, or -1. */
  popFreeBuffer(): number {
    const d = this.desc;
    if (Atomics.load(this.ctl, Ctl.FIRST_FREE) < 0) return -1;
    this.#lockFreelist();
    const index = this.ctl[Ctl.FIRST_FREE]!;
    if (index >= 0) {
      this.ctl[Ctl.FIRST_FREE] = d[index * Desc.STRIDE + Desc.FREE_NEXT]!;
      d[index * Desc.STRIDE + Desc.FREE_NEXT] = -2;
    }
    this.#unlockFreelist();
    return index;
  }

  #lockFreelist(): void {
    for (let spins = 0; Atomics.compareExchange(this.ctl, Ctl.FREELIST_LOCK, 0, 1) !== 0; spins++) {
      assert(spins < 1 << 28, 'stuck free-list spinlock');
    }
  }

  #unlockFreelist(): void {
    Atomics.store(this.ctl, Ctl.FREELIST_LOCK, 0);
  }

  /** @internal Advances the clock hand; returns the buffer it pointed at (ClockSweepTick). */
  clockSweepTick(): number {
    for (;;) {
      const victim = Atomics.load(this.ctl, Ctl.NEXT_VICTIM);
      const next = victim + 1 === this.bufferCount ? 0 : victim + 1;
      if (Atomics.compareExchange(this.ctl, Ctl.NEXT_VICTIM, victim, next) === victim) {
        if (next === 0) Atomics.add(this.ctl, Ctl.COMPLETE_PASSES, 1);
        return victim;
      }
    }
  }

  /** @internal */
  readTagOfIndex(index: number): BufferTag {
    return this.#readTag(index * Desc.STRIDE);
  }

  #readTag(base: number): BufferTag {
    const d = this.desc;
    const spc = d[base + Desc.TAG_SPC]! >>> 0;
    const rel: RelFileLocator = spc === DEFAULTTABLESPACE_OID
      ? { dbOid: (d[base + Desc.TAG_DB]! >>> 0) as Oid, relNumber: (d[base + Desc.TAG_REL]! >>> 0) as RelFileNumber }
      : { spcOid: spc as Oid, dbOid: (d[base + Desc.TAG_DB]! >>> 0) as Oid, relNumber: (d[base + Desc.TAG_REL]! >>> 0) as RelFileNumber };
    return { rel, fork: forkFromNumber(d[base + Desc.TAG_FORK]!), blockNumber: (d[base + Desc.TAG_BLOCK]! >>> 0) as BlockNumber };
  }

  /** @internal Runs `fn` after every earlier extension of the same fork in this process. */
  async serialiseExtension<T>(rel: RelFileLocator, fork: ForkName, fn: () => Promise<T>): Promise<T> {
    const key = `${relationKey(rel)}/${fork}`;
    const previous = this.#extensionTails.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#extensionTails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#extensionTails.get(key) === tail) this.#extensionTails.delete(key);
    }
  }

  /**
   * The structural check: throws an AssertionError describing the first broken invariant.
   * Call it when no operation is in flight (between test steps); it accounts for the pins and
   * locks of this process's backends only, so every backend must live in this process.
   */
  checkInvariants(): void {
    const d = this.desc;
    const n = this.bufferCount;
    const backends = [...this.#backends];
    let tagValidCount = 0;
    for (let i = 0; i < n; i++) {
      const base = i * Desc.STRIDE;
      const state = Atomics.load(d, base + Desc.STATE);
      const where = `buffer ${i + 1}`;
      assert((state & S.LOCKED) === 0, `${where}: header spinlock held`);
      assert((state & S.IO_IN_PROGRESS) === 0, `${where}: I/O in progress with no operation in flight`);
      assert((state & S.PIN_COUNT_WAITER) === 0, `${where}: cleanup waiter with no operation in flight`);
      assert(usageCountOf(state) <= MAX_USAGE_COUNT, `${where}: usage count above ${MAX_USAGE_COUNT}`);
      const pinners = backends.filter((b) => b.privateRefCount(i) > 0).length;
      assert(refCountOf(state) === pinners, () => `${where}: shared refcount ${refCountOf(state)} but ${pinners} backends pin it`);
      if ((state & S.VALID) !== 0) assert((state & S.TAG_VALID) !== 0, `${where}: valid without a tag`);
      if ((state & S.DIRTY) !== 0) assert((state & S.VALID) !== 0, `${where}: dirty but not valid`);
      if ((state & S.TAG_VALID) !== 0) {
        tagValidCount++;
        assert((state & S.VALID) !== 0 || refCountOf(state) > 0, `${where}: half-valid (tag without contents) and unpinned`);
        const tagWords = [d[base + Desc.TAG_SPC]!, d[base + Desc.TAG_DB]!, d[base + Desc.TAG_REL]!, d[base + Desc.TAG_FORK]!, d[base + Desc.TAG_BLOCK]!] as const;
        const hash = hashBufferTag(...tagWords);
        assert(this.mapping.lookup(hash, ...tagWords) === i, `${where}: not found under its tag in the mapping table`);
      } else {
        assert(usageCountOf(state) === 0 && (state & (S.DIRTY | S.VALID)) === 0, `${where}: no tag but has usage or contents`);
      }
      const lockWord = Atomics.load(d, base + Desc.CONTENT_LOCK);
      const sharers = backends.filter((b) => b.heldLockMode(i) === 'share').length;
      const exclusives = backends.filter((b) => b.heldLockMode(i) === 'exclusive').length;
      assert(exclusives <= 1, `${where}: two exclusive holders`);
      assert(lockWord === (exclusives === 1 ? CONTENT_LOCK_EXCLUSIVE : sharers) && (exclusives === 0 || sharers === 0),
        () => `${where}: content lock word ${lockWord} but ${sharers} share and ${exclusives} exclusive holders`);
      for (const b of backends) if (b.heldLockMode(i) !== undefined) assert(b.privateRefCount(i) > 0, `${where}: locked without a pin`);
    }
    const entries = this.mapping.entries();
    assert(entries.length === tagValidCount, () => `mapping table has ${entries.length} entries for ${tagValidCount} tagged buffers`);
    for (const e of entries) {
      assert(e.tag.every((w, k) => w === d[e.id * Desc.STRIDE + Desc.TAG_SPC + k]), `mapping entry for buffer ${e.id + 1} disagrees with its descriptor`);
    }
    assert(this.mapping.allPartitionsUnlocked(), 'a buffer mapping partition lock is held');
    assert(Atomics.load(this.ctl, Ctl.FREELIST_LOCK) === 0, 'free-list spinlock held');
    let free = Atomics.load(this.ctl, Ctl.FIRST_FREE);
    for (let steps = 0; free >= 0; steps++) {
      assert(steps < n, 'cycle in the free list');
      free = d[free * Desc.STRIDE + Desc.FREE_NEXT]!;
    }
  }
}

/**
 * One session's view of the pool: PostgreSQL's backend-private buffer state (private refcounts,
 * held content locks) and the buffer-manager calls a session makes. Not shared between sessions.
 */
export class BufferBackend {
  readonly pool: BufferPool;
  readonly backendId: number;
  readonly #privateRefCount: Int32Array;
  /** 0 = none, 1 = share, 2 = exclusive. */
  readonly #heldLocks: Uint8Array;
  readonly #pages: (Page | undefined)[];
  readonly #d: Int32Array;

  /** @internal Use {@link BufferPool.registerBackend}. */
  constructor(pool: BufferPool, backendId: number) {
    this.pool = pool;
    this.backendId = backendId;
    this.#privateRefCount = new Int32Array(pool.bufferCount);
    this.#heldLocks = new Uint8Array(pool.bufferCount);
    this.#pages = new Array<Page | undefined>(pool.bufferCount);
    this.#d = pool.desc;
  }

  /** Pins this backend holds on buffer index `index` (0-based). */
  privateRefCount(index: number): number {
    return this.#privateRefCount[index]!;
  }

  /** The content lock this backend holds on buffer index `index`. */
  heldLockMode(index: number): BufferLockMode | undefined {
    const m = this.#heldLocks[index];
    return m === 1 ? 'share' : m === 2 ? 'exclusive' : undefined;
  }

  /**
   * The synchronous fast path of readBuffer: if the page is resident and valid, pins it and
   * returns its buffer; otherwise returns undefined (call {@link readBuffer}).
   */
  tryReadBufferHit(rel: RelFileLocator, fork: ForkName, block: BlockNumber | number, strategy?: BufferAccessStrategy): BufferId | undefined {
    // Tag words are int32 in shared memory: OIDs ≥ 2^31 are stored (and compared) wrapped.
    const spc = (rel.spcOid ?? DEFAULTTABLESPACE_OID) | 0;
    const db = rel.dbOid | 0;
    const relNo = rel.relNumber | 0;
    const forkNo = forkNumber(fork);
    const hash = hashBufferTag(spc, db, relNo, forkNo, block | 0);
    const mapping = this.pool.mapping;
    const partition = mapping.partitionOf(hash);
    mapping.lockShared(partition);
    const index = mapping.lookup(hash, spc, db, relNo, forkNo, block | 0);
    if (index < 0) {
      mapping.unlockShared(partition);
      return undefined;
    }
    const valid = this.#pin(index, strategy);
    mapping.unlockShared(partition);
    if (!valid) {
      this.releaseBuffer((index + 1) as BufferId);
      return undefined;
    }
    const stats = this.pool.stats;
    stats.entry(rel).hits++;
    stats.totals.hits++;
    return (index + 1) as BufferId;
  }

  /**
   * ReadBuffer: returns the buffer holding the block, pinned (B1), reading it if needed.
   * With mode `zero` the buffer is also exclusively locked. Errors: XX001 for an invalid page
   * (B27), a file-access error from the storage manager; the pool stays consistent.
   */
  async readBuffer(rel: RelFileLocator, fork: ForkName, block: BlockNumber | number, mode: ReadBufferMode = 'normal', strategy?: BufferAccessStrategy): Promise<BufferId> {
    if (mode !== 'zero') {
      const hit = this.tryReadBufferHit(rel, fork, block, strategy);
      if (hit !== undefined) return hit;
    }
    const { index, found } = await this.#bufferAlloc(rel, fork, block, strategy);
    const id = (index + 1) as BufferId;
    const stats = this.pool.stats;
    if (found && (Atomics.load(this.#d, index * Desc.STRIDE + Desc.STATE) & S.VALID) !== 0) {
      stats.entry(rel).hits++;
      stats.totals.hits++;
    } else {
      await this.#completeRead(index, rel, fork, block, mode);
    }
    if (mode === 'zero') await this.lockBuffer(id, 'exclusive');
    return id;
  }

  /**
   * Adds a zero-filled block at the end of the fork (not WAL-logged, W6) and returns it pinned.
   * Callers above hold the relation extension lock; within this process extensions of one
   * fork are also serialised here.
   */
  async extendRelation(rel: RelFileLocator, fork: ForkName, strategy?: BufferAccessStrategy): Promise<{ bufferId: BufferId; blockNumber: BlockNumber }> {
    return this.pool.serialiseExtension(rel, fork, async () => {
      const blockNumber = (await this.pool.smgr.nblocks(rel, fork)) as BlockNumber;
      await this.pool.smgr.extend(rel, fork, blockNumber);
      const stats = this.pool.stats;
      stats.entry(rel).extends++;
      stats.totals.extends++;
      const { index, found } = await this.#bufferAlloc(rel, fork, blockNumber, strategy);
      const id = (index + 1) as BufferId;
      if (found && (Atomics.load(this.#d, index * Desc.STRIDE + Desc.STATE) & S.VALID) !== 0) {
        if (!pageIsNew(this.#pageBytes(index))) {
          this.releaseBuffer(id);
          throw new PgError(SqlState.DATA_CORRUPTED, `unexpected data beyond EOF in block ${blockNumber} of relation ${relationPath(rel, fork)}`, {
            hint: 'This has been seen to occur with buggy kernels; consider updating your system.',
          });
        }
      } else {
        await this.#completeRead(index, rel, fork, blockNumber, 'zero');
      }
      return { bufferId: id, blockNumber };
    });
  }

  /** ReleaseBuffer: drops one pin. Locks must have been released first. */
  releaseBuffer(id: BufferId): void {
    const index = this.#checkId(id);
    const count = this.#privateRefCount[index]!;
    if (count <= 0) assert(false, `buffer ${id} is not pinned by this backend`);
    if (count > 1) {
      this.#privateRefCount[index] = count - 1;
      return;
    }
    if (!(this.#heldLocks[index] === 0)) assert(false, `releasing the last pin of buffer ${id} while holding its content lock`);
    this.#privateRefCount[index] = 0;
    this.#unpinShared(index);
  }

  /** IncrBufferRefCount: one more pin on a buffer this backend already pins. */
  incrBufferRefCount(id: BufferId): void {
    const index = this.#checkId(id);
    assert(this.#privateRefCount[index]! > 0, 'incrBufferRefCount needs an existing pin');
    this.#privateRefCount[index]!++;
  }

  /**
   * Takes the content lock (B4), waiting without blocking the event loop. A pin is required.
   * An aborted `signal` (statement_timeout, cancel) ends the wait with its reason, or 57014.
   */
  async lockBuffer(id: BufferId, mode: BufferLockMode, signal?: AbortSignal): Promise<void> {
    if (this.tryLockBuffer(id, mode)) return;
    const index = id - 1;
    const d = this.#d;
    const word = index * Desc.STRIDE + Desc.CONTENT_LOCK;
    Atomics.add(d, index * Desc.STRIDE + Desc.CONTENT_LOCK_WAITERS, 1);
    try {
      for (;;) {
        const value = Atomics.load(d, word);
        if (this.#tryAcquire(word, mode)) break;
        throwIfAborted(signal);
        await waitWhileEqual(d, word, value, signal === undefined ? undefined : ABORT_POLL_MS);
      }
    } finally {
      Atomics.sub(d, index * Desc.STRIDE + Desc.CONTENT_LOCK_WAITERS, 1);
    }
    this.#heldLocks[index] = mode === 'share' ? 1 : 2;
  }

  /** ConditionalLockBuffer: takes the content lock if it is free now. A pin is required. */
  tryLockBuffer(id: BufferId, mode: BufferLockMode): boolean {
    const index = this.#checkId(id);
    if (!(this.#privateRefCount[index]! > 0)) assert(false, `locking buffer ${id} without a pin (B4)`);
    if (!(this.#heldLocks[index] === 0)) assert(false, `buffer ${id} is already locked by this backend (B4)`);
    if (!this.#tryAcquire(index * Desc.STRIDE + Desc.CONTENT_LOCK, mode)) return false;
    this.#heldLocks[index] = mode === 'share' ? 1 : 2;
    return true;
  }

  /** Releases the content lock. */
  unlockBuffer(id: BufferId): void {
    const index = this.#checkId(id);
    const held = this.#heldLocks[index]!;
    if (held === 0) assert(false, `buffer ${id} is not locked by this backend`);
    const d = this.#d;
    const word = index * Desc.STRIDE + Desc.CONTENT_LOCK;
    if (held === 2) {
      const old = Atomics.exchange(d, word, 0);
      assert(old === CONTENT_LOCK_EXCLUSIVE, 'exclusive content lock word corrupted');
    } else {
      const old = Atomics.sub(d, word, 1);
      assert(old > 0 && (old & CONTENT_LOCK_EXCLUSIVE) === 0, 'share content lock word corrupted');
    }
    this.#heldLocks[index] = 0;
    if (Atomics.load(d, index * Desc.STRIDE + Desc.CONTENT_LOCK_WAITERS) > 0) Atomics.notify(d, word);
  }

  /** UnlockReleaseBuffer. */
  unlockReleaseBuffer(id: BufferId): void {
    this.unlockBuffer(id);
    this.releaseBuffer(id);
  }

  /**
   * LockBufferForCleanup (B9): exclusive lock and no other backend's pin. Waits for the other
   * pins to go; only one backend may wait per buffer. Only VACUUM and recovery may wait; others
   * use {@link conditionalLockBufferForCleanup}.
   */
  async lockBufferForCleanup(id: BufferId, signal?: AbortSignal): Promise<void> {
    const index = this.#checkId(id);
    if (!(this.#privateRefCount[index] === 1)) assert(false, `cleanup lock needs exactly one local pin on buffer ${id}`);
    const d = this.#d;
    const base = index * Desc.STRIDE;
    for (;;) {
      await this.lockBuffer(id, 'exclusive', signal);
      let state = lockBufferHeader(d, base + Desc.STATE);
      if (refCountOf(state) === 1) {
        unlockBufferHeader(d, base + Desc.STATE, state);
        return;
      }
      const waiter = d[base + Desc.PIN_WAITER]!;
      assert((state & S.PIN_COUNT_WAITER) === 0 || waiter === this.backendId + 1, 'multiple backends attempting to wait for pincount 1');
      const seq = Atomics.load(d, base + Desc.PIN_SEQ);
      d[base + Desc.PIN_WAITER] = this.backendId + 1;
      state |= S.PIN_COUNT_WAITER;
      unlockBufferHeader(d, base + Desc.STATE, state);
      this.unlockBuffer(id);
      let aborted: unknown;
      try {
        for (let now = seq; now === seq; now = Atomics.load(d, base + Desc.PIN_SEQ)) {
          throwIfAborted(signal);
          await waitWhileEqual(d, base + Desc.PIN_SEQ, seq, signal === undefined ? undefined : ABORT_POLL_MS);
        }
      } catch (err) {
        aborted = err;
      }
      state = lockBufferHeader(d, base + Desc.STATE);
      if ((state & S.PIN_COUNT_WAITER) !== 0 && d[base + Desc.PIN_WAITER] === this.backendId + 1) {
        state &= ~S.PIN_COUNT_WAITER;
        d[base + Desc.PIN_WAITER] = 0;
      }
      unlockBufferHeader(d, base + Desc.STATE, state);
      if (aborted !== undefined) throw aborted;
    }
  }

  /** ConditionalLockBufferForCleanup (B9): true with the cleanup lock held, false (nothing held) otherwise. */
  conditionalLockBufferForCleanup(id: BufferId): boolean {
    const index = this.#checkId(id);
    assert(this.#privateRefCount[index]! > 0, 'cleanup lock needs a pin');
    if (this.#privateRefCount[index] !== 1) return false;
    if (!this.tryLockBuffer(id, 'exclusive')) return false;
    if (refCountOf(waitBufferHeaderUnlocked(this.#d, index * Desc.STRIDE + Desc.STATE)) === 1) return true;
    this.unlockBuffer(id);
    return false;
  }

  /** True if this backend holds a cleanup lock on the buffer now (exclusive lock, sole pin). */
  holdsCleanupLock(id: BufferId): boolean {
    const index = this.#checkId(id);
    return this.#heldLocks[index] === 2 && this.#privateRefCount[index] === 1
      && refCountOf(Atomics.load(this.#d, index * Desc.STRIDE + Desc.STATE)) === 1;
  }

  /** The page in the buffer (a view into shared memory). The buffer must be pinned. */
  getPage(id: BufferId): Page {
    const index = this.#checkId(id);
    if (!(this.#privateRefCount[index]! > 0)) assert(false, `buffer ${id} is not pinned (B1)`);
    let page = this.#pages[index];
    if (page === undefined) {
      page = new Page(this.#pageBytes(index));
      this.#pages[index] = page;
    }
    return page;
  }

  /** The page a buffer holds. The buffer must be pinned. */
  getBufferTag(id: BufferId): BufferTag {
    const index = this.#checkId(id);
    if (!(this.#privateRefCount[index]! > 0)) assert(false, `buffer ${id} is not pinned (B1)`);
    return this.pool.readTagOfIndex(index);
  }

  /** PageRepairFragmentation on the buffer's page; requires a cleanup lock (B9), which this asserts. */
  repairPageFragmentation(id: BufferId): void {
    if (!(this.holdsCleanupLock(id))) assert(false, `repairing fragmentation of buffer ${id} without a cleanup lock (B9)`);
    this.getPage(id).repairFragmentation();
  }

  /** MarkBufferDirty: requires a pin and the exclusive content lock (B7). */
  markDirty(id: BufferId): void {
    const index = this.#checkId(id);
    if (!(this.#heldLocks[index] === 2)) assert(false, `markDirty on buffer ${id} without its exclusive lock`);
    const d = this.#d;
    const slot = index * Desc.STRIDE + Desc.STATE;
    for (;;) {
      const old = waitBufferHeaderUnlocked(d, slot);
      assert((old & S.VALID) !== 0, 'dirtying an invalid buffer');
      if (Atomics.compareExchange(d, slot, old, old | S.DIRTY | S.JUST_DIRTIED) === old) return;
    }
  }

  /**
   * MarkBufferDirtyHint (B8): a hint-bit change under a share (or exclusive) lock. With data
   * checksums, a clean permanent page first gets a full-page image in WAL through the
   * `logHintFullPageImage` callback (W5), so that a torn write cannot break its checksum;
   * during recovery such a page is not dirtied at all (the hint is lost, harmlessly).
   */
  markDirtyHint(id: BufferId): void {
    const index = this.#checkId(id);
    if (!(this.#heldLocks[index] !== 0)) assert(false, `markDirtyHint on buffer ${id} without a content lock`);
    const d = this.#d;
    const slot = index * Desc.STRIDE + Desc.STATE;
    const seen = waitBufferHeaderUnlocked(d, slot);
    if ((seen & (S.DIRTY | S.JUST_DIRTIED)) === (S.DIRTY | S.JUST_DIRTIED)) return;
    let lsn = InvalidLsn;
    if ((seen & S.DIRTY) === 0 && this.pool.dataChecksums && (seen & S.PERMANENT) !== 0) {
      if (this.pool.isInRecovery()) return;
      lsn = this.pool.logHintFullPageImage!(this.pool.readTagOfIndex(index), this.#pageBytes(index));
    }
    const state = lockBufferHeader(d, slot);
    if (lsn !== InvalidLsn) {
      const page = this.getPage(id);
      if (page.lsn < lsn) page.lsn = lsn;
    }
    unlockBufferHeader(d, slot, state | S.DIRTY | S.JUST_DIRTIED);
  }

  /** PageSetLSN for a WAL-logged change: requires the exclusive lock (W4). */
  setPageLsn(id: BufferId, lsn: Lsn): void {
    const index = this.#checkId(id);
    if (!(this.#heldLocks[index] === 2)) assert(false, `setPageLsn on buffer ${id} without its exclusive lock`);
    this.getPage(id).lsn = lsn;
  }

  /** True if the buffer is dirty (for tests and monitoring). */
  isDirty(id: BufferId): boolean {
    const index = this.#checkId(id);
    return (Atomics.load(this.#d, index * Desc.STRIDE + Desc.STATE) & S.DIRTY) !== 0;
  }

  /** Writes the buffer now if dirty (FlushOneBuffer); requires a pin and a content lock. */
  async flushBuffer(id: BufferId): Promise<boolean> {
    const index = this.#checkId(id);
    assert(this.#heldLocks[index] !== 0, 'flushing a buffer needs its content lock (B10)');
    return this.pool.flushBuffer(index);
  }

  /**
   * End-of-transaction check (AtEOXact_Buffers, B2): releases every content lock and pin still
   * held and returns the number of leaked pins. At commit a leak is a bug and is reported as a
   * WARNING per buffer; at abort the resources are released silently (resource-owner cleanup).
   */
  atTransactionEnd(isCommit: boolean): number {
    let leaked = 0;
    for (let index = 0; index < this.#privateRefCount.length; index++) {
      const count = this.#privateRefCount[index]!;
      if (count === 0) continue;
      leaked += count;
      if (isCommit) {
        const tag = this.pool.readTagOfIndex(index);
        const state = Atomics.load(this.#d, index * Desc.STRIDE + Desc.STATE);
        this.pool.onNotice(new PgError(SqlState.WARNING, `buffer refcount leak: [${index + 1}] (rel=${relationPath(tag.rel, tag.fork)}, blockNum=${tag.blockNumber}, flags=0x${((state >>> 22) & 0x3ff).toString(16)}, refcount=${refCountOf(state)} ${count})`, { severity: 'WARNING' }));
      }
      if (this.#heldLocks[index] !== 0) this.unlockBuffer((index + 1) as BufferId);
      this.#privateRefCount[index] = 1;
      this.releaseBuffer((index + 1) as BufferId);
    }
    return leaked;
  }

  /** Releases everything and leaves the pool. */
  close(): void {
    this.atTransactionEnd(false);
    this.pool.unregisterBackend(this);
  }

  /** @internal PinBuffer_Locked: pins a buffer whose header spinlock the caller holds (state has LOCKED); releases the spinlock. */
  pinLocked(index: number, state: number): void {
    const d = this.#d;
    const slot = index * Desc.STRIDE + Desc.STATE;
    if (this.#privateRefCount[index] === 0) state += S.REFCOUNT_ONE;
    unlockBufferHeader(d, slot, state);
    this.#privateRefCount[index]!++;
  }

  #pageBytes(index: number): Uint8Array {
    return this.pool.pageBytes.subarray(index * BLCKSZ, (index + 1) * BLCKSZ);
  }

  #checkId(id: BufferId): number {
    if (!(Number.isInteger(id) && id >= 1 && id <= this.pool.bufferCount)) assert(false, `invalid buffer ${id}`);
    return id - 1;
  }

  #tryAcquire(word: number, mode: BufferLockMode): boolean {
    const d = this.#d;
    if (mode === 'exclusive') return Atomics.compareExchange(d, word, 0, CONTENT_LOCK_EXCLUSIVE) === 0;
    for (;;) {
      const old = Atomics.load(d, word);
      if ((old & CONTENT_LOCK_EXCLUSIVE) !== 0) return false;
      if (Atomics.compareExchange(d, word, old, old + 1) === old) return true;
    }
  }

  /**
   * PinBuffer: pins and bumps the usage count (B13; a ring strategy only raises 0 to 1).
   * Returns whether the buffer is VALID. The caller holds the tag's mapping partition lock.
   */
  #pin(index: number, strategy: BufferAccessStrategy | undefined): boolean {
    const d = this.#d;
    const slot = index * Desc.STRIDE + Desc.STATE;
    if (this.#privateRefCount[index]! > 0) {
      this.#privateRefCount[index]!++;
      return (Atomics.load(d, slot) & S.VALID) !== 0;
    }
    for (;;) {
      const old = waitBufferHeaderUnlocked(d, slot);
      let next = old + S.REFCOUNT_ONE;
      const usage = usageCountOf(old);
      if (strategy === undefined ? usage < MAX_USAGE_COUNT : usage === 0) next += S.USAGECOUNT_ONE;
      if (Atomics.compareExchange(d, slot, old, next) === old) {
        this.#privateRefCount[index] = 1;
        return (next & S.VALID) !== 0;
      }
    }
  }

  /** UnpinBuffer's shared half: drops the shared refcount and wakes a cleanup waiter at 1. */
  #unpinShared(index: number): void {
    const d = this.#d;
    const base = index * Desc.STRIDE;
    const slot = base + Desc.STATE;
    let now: number;
    for (;;) {
      const old = waitBufferHeaderUnlocked(d, slot);
      assert(refCountOf(old) > 0, 'shared refcount underflow');
      now = old - S.REFCOUNT_ONE;
      if (Atomics.compareExchange(d, slot, old, now) === old) break;
    }
    if ((now & S.PIN_COUNT_WAITER) !== 0) {
      let state = lockBufferHeader(d, slot);
      if ((state & S.PIN_COUNT_WAITER) !== 0 && refCountOf(state) === 1) {
        state &= ~S.PIN_COUNT_WAITER;
        d[base + Desc.PIN_WAITER] = 0;
        unlockBufferHeader(d, slot, state);
        Atomics.add(d, base + Desc.PIN_SEQ, 1);
        Atomics.notify(d, base + Desc.PIN_SEQ);
      } else {
        unlockBufferHeader(d, slot, state);
      }
    }
  }

  /**
   * BufferAlloc: finds the tag's buffer and pins it (found), or claims a victim buffer, maps it
   * to the tag and pins it (not found; the caller must then fill it).
   */
  async #bufferAlloc(rel: RelFileLocator, fork: ForkName, block: number, strategy: BufferAccessStrategy | undefined): Promise<{ index: number; found: boolean }> {
    // Tag words are int32 in shared memory: OIDs ≥ 2^31 are stored (and compared) wrapped.
    const spc = (rel.spcOid ?? DEFAULTTABLESPACE_OID) | 0;
    const db = rel.dbOid | 0;
    const relNo = rel.relNumber | 0;
    const forkNo = forkNumber(fork);
    const blockWord = block | 0;
    const hash = hashBufferTag(spc, db, relNo, forkNo, blockWord);
    const mapping = this.pool.mapping;
    const partition = mapping.partitionOf(hash);

    mapping.lockShared(partition);
    const existing = mapping.lookup(hash, spc, db, relNo, forkNo, blockWord);
    if (existing >= 0) {
      this.#pin(existing, strategy);
      mapping.unlockShared(partition);
      return { index: existing, found: true };
    }
    mapping.unlockShared(partition);

    const victim = await this.#getVictimBuffer(strategy);

    mapping.lockExclusive(partition);
    const raced = mapping.lookup(hash, spc, db, relNo, forkNo, blockWord);
    if (raced >= 0) {
      // Someone else read the page while we looked for a victim: use theirs, free ours.
      this.#pin(raced, strategy);
      mapping.unlockExclusive(partition);
      this.releaseBuffer((victim + 1) as BufferId);
      this.pool.pushFreeBuffer(victim);
      return { index: raced, found: true };
    }
    const d = this.#d;
    const base = victim * Desc.STRIDE;
    let state = lockBufferHeader(d, base + Desc.STATE);
    assert(refCountOf(state) === 1 && (state & S.TAG_VALID) === 0, 'victim buffer must be ours alone and untagged');
    d[base + Desc.TAG_SPC] = spc;
    d[base + Desc.TAG_DB] = db;
    d[base + Desc.TAG_REL] = relNo;
    d[base + Desc.TAG_FORK] = forkNo;
    d[base + Desc.TAG_BLOCK] = blockWord;
    state &= S.REFCOUNT_MASK | S.LOCKED;
    // Unlogged relations (init fork present) are not distinguished yet: every relation is permanent.
    state |= S.TAG_VALID | S.PERMANENT | S.USAGECOUNT_ONE;
    unlockBufferHeader(d, base + Desc.STATE, state);
    mapping.insert(hash, victim, spc, db, relNo, forkNo, blockWord);
    mapping.unlockExclusive(partition);
    return { index: victim, found: false };
  }

  /** Reads (or zeroes) the block into a pinned, tagged buffer, unless someone else already did. */
  async #completeRead(index: number, rel: RelFileLocator, fork: ForkName, block: number, mode: ReadBufferMode): Promise<void> {
    const pool = this.pool;
    let claimed: boolean;
    try {
      claimed = await pool.startBufferIo(index, true);
    } catch (err) {
      this.#releaseAfterFailedRead(index);
      throw err;
    }
    if (!claimed) return;
    const bytes = this.#pageBytes(index);
    try {
      if (mode === 'zero') {
        bytes.fill(0);
      } else {
        await pool.smgr.read(rel, fork, block, bytes, { zeroOnError: mode === 'zeroOnError' });
        pool.stats.entry(rel).reads++;
        pool.stats.totals.reads++;
      }
    } catch (err) {
      pool.abortBufferIo(index, true);
      this.#releaseAfterFailedRead(index);
      throw err;
    }
    pool.terminateBufferIo(index, false, S.VALID);
  }

  /**
   * Drops our pin after a failed read. If nobody else pins the buffer it is unmapped and freed,
   * so that no tagged-but-invalid buffer is left behind; otherwise the other pinners retry the read.
   */
  #releaseAfterFailedRead(index: number): void {
    if (this.#privateRefCount[index]! > 1) {
      this.#privateRefCount[index]!--;
      return;
    }
    const d = this.#d;
    const base = index * Desc.STRIDE;
    const tagWords = [d[base + Desc.TAG_SPC]!, d[base + Desc.TAG_DB]!, d[base + Desc.TAG_REL]!, d[base + Desc.TAG_FORK]!, d[base + Desc.TAG_BLOCK]!] as const;
    const hash = hashBufferTag(...tagWords);
    const mapping = this.pool.mapping;
    const partition = mapping.partitionOf(hash);
    mapping.lockExclusive(partition);
    let state = lockBufferHeader(d, base + Desc.STATE);
    if (refCountOf(state) === 1 && (state & (S.VALID | S.IO_IN_PROGRESS)) === 0 && (state & S.TAG_VALID) !== 0) {
      mapping.remove(hash, index);
      state &= S.REFCOUNT_MASK | S.LOCKED;
      state -= S.REFCOUNT_ONE;
      this.#privateRefCount[index] = 0;
      unlockBufferHeader(d, base + Desc.STATE, state);
      mapping.unlockExclusive(partition);
      this.pool.pushFreeBuffer(index);
      return;
    }
    unlockBufferHeader(d, base + Desc.STATE, state);
    mapping.unlockExclusive(partition);
    this.releaseBuffer((index + 1) as BufferId);
  }

  /**
   * GetVictimBuffer: a buffer pinned only by us, with no tag and no mapping entry. A dirty
   * victim is written first (after the WAL flush, B15); if it is pinned or re-dirtied meanwhile,
   * or its content lock is busy, another victim is chosen.
   */
  async #getVictimBuffer(strategy: BufferAccessStrategy | undefined): Promise<number> {
    const pool = this.pool;
    const d = this.#d;
    const attemptCountMax = pool.bufferCount * 16;
    for (let attempt = 0; attempt < attemptCountMax; attempt++) {
      const { index, fromRing } = this.#strategyGetBuffer(strategy);
      const id = (index + 1) as BufferId;
      const base = index * Desc.STRIDE;
      let state = Atomics.load(d, base + Desc.STATE);
      if ((state & S.DIRTY) !== 0) {
        if (!this.tryLockBuffer(id, 'share')) {
          this.releaseBuffer(id);
          continue;
        }
        if (strategy !== undefined && fromRing) {
          const lsn = pageGetLsn(this.#pageBytes(index));
          if (pool.walNeedsFlush(lsn) && strategy.rejectBuffer(index)) {
            this.unlockBuffer(id);
            this.releaseBuffer(id);
            continue;
          }
        }
        try {
          await pool.flushBuffer(index);
        } catch (err) {
          this.unlockBuffer(id);
          this.releaseBuffer(id);
          throw err;
        }
        this.unlockBuffer(id);
      }
      state = Atomics.load(d, base + Desc.STATE);
      if ((state & S.TAG_VALID) !== 0) {
        const oldTag = pool.readTagOfIndex(index);
        if (!this.#invalidateVictim(index)) {
          this.releaseBuffer(id);
          continue;
        }
        pool.stats.entry(oldTag.rel).evictions++;
        pool.stats.totals.evictions++;
      }
      return index;
    }
    throw new PgError(SqlState.INTERNAL_ERROR, 'could not find a victim buffer: every candidate was pinned or re-dirtied');
  }

  /**
   * InvalidateVictimBuffer: unmaps a buffer we alone pin. Fails (false) if another backend
   * pinned it or it was dirtied again since we looked (B15).
   */
  #invalidateVictim(index: number): boolean {
    const d = this.#d;
    const base = index * Desc.STRIDE;
    const tagWords = [d[base + Desc.TAG_SPC]!, d[base + Desc.TAG_DB]!, d[base + Desc.TAG_REL]!, d[base + Desc.TAG_FORK]!, d[base + Desc.TAG_BLOCK]!] as const;
    const hash = hashBufferTag(...tagWords);
    const mapping = this.pool.mapping;
    const partition = mapping.partitionOf(hash);
    mapping.lockExclusive(partition);
    let state = lockBufferHeader(d, base + Desc.STATE);
    if (refCountOf(state) !== 1 || (state & (S.DIRTY | S.IO_IN_PROGRESS)) !== 0) {
      unlockBufferHeader(d, base + Desc.STATE, state);
      mapping.unlockExclusive(partition);
      return false;
    }
    assert((state & S.TAG_VALID) !== 0, 'victim lost its tag while pinned');
    mapping.remove(hash, index);
    state &= S.REFCOUNT_MASK | S.LOCKED;
    unlockBufferHeader(d, base + Desc.STATE, state);
    mapping.unlockExclusive(partition);
    return true;
  }

  /**
   * StrategyGetBuffer (B14, B16): the ring's next buffer if reusable, else the free list, else
   * the clock sweep. Returns the buffer pinned (without a usage-count bump).
   */
  #strategyGetBuffer(strategy: BufferAccessStrategy | undefined): { index: number; fromRing: boolean } {
    const pool = this.pool;
    const d = this.#d;
    Atomics.add(pool.ctl, Ctl.RECENT_ALLOCS, 1);
    if (strategy !== undefined) {
      const index = strategy.nextRingBuffer();
      if (index >= 0 && this.#privateRefCount[index] === 0) {
        const state = lockBufferHeader(d, index * Desc.STRIDE + Desc.STATE);
        if (refCountOf(state) === 0 && usageCountOf(state) <= 1) {
          strategy.usedRingBuffer();
          this.pinLocked(index, state);
          return { index, fromRing: true };
        }
        unlockBufferHeader(d, index * Desc.STRIDE + Desc.STATE, state);
      }
    }
    for (let steps = 0; steps < pool.bufferCount; steps++) {
      const index = pool.popFreeBuffer();
      if (index < 0) break;
      const state = lockBufferHeader(d, index * Desc.STRIDE + Desc.STATE);
      if (refCountOf(state) === 0 && usageCountOf(state) === 0) {
        strategy?.addToRing(index);
        this.pinLocked(index, state);
        return { index, fromRing: false };
      }
      unlockBufferHeader(d, index * Desc.STRIDE + Desc.STATE, state);
    }
    let tryCounter = pool.bufferCount;
    for (;;) {
      const index = pool.clockSweepTick();
      const slot = index * Desc.STRIDE + Desc.STATE;
      let state = lockBufferHeader(d, slot);
      if (refCountOf(state) === 0) {
        if (usageCountOf(state) > 0) {
          state -= S.USAGECOUNT_ONE;
          tryCounter = pool.bufferCount;
          unlockBufferHeader(d, slot, state);
        } else {
          strategy?.addToRing(index);
          this.pinLocked(index, state);
          return { index, fromRing: false };
        }
      } else {
        unlockBufferHeader(d, slot, state);
        if (--tryCounter === 0) {
          throw new PgError(SqlState.INTERNAL_ERROR, 'no unpinned buffers available');
        }
      }
    }
  }
}
