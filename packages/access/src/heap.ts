// The heap access method (heapam.c): insert, delete, update (HOT when possible), fetch by TID,
// HOT-chain search, sequential scan with a snapshot, row locking, and opportunistic pruning.
// Every page change follows the WAL action protocol (W4). Entry point: the Heap class.

import { type BlockNumber, type Xid, AssertionError, PgError, SqlState, assert, featureNotSupported } from '@palisade/common';
import {
  type BufferBackend, type BufferId, type BufferPool, type Page, LP_NORMAL, LP_REDIRECT, LP_DEAD,
  MAX_HEAP_TUPLES_PER_PAGE, maxAlign, SIZE_OF_ITEM_ID_DATA, BLCKSZ,
} from '@palisade/bufmgr';
import type { InsertResult, RecordInput, RelFileLocator } from '@palisade/wal';
import { RmgrId } from '@palisade/wal';
import {
  type Session, type Snapshot, type TupleHeader, type Tid, type LockTupleResult, Infomask, Infomask2, LockTupleMode,
  type WaitPolicy, HTSVResult, heapTupleSatisfiesMVCC, heapTupleSatisfiesVacuum, heapTupleSatisfiesDirty, lockTuple, applyTupleLock,
  serializableConflictOutXid, tidEquals,
} from '@palisade/mvcc';
import {
  type TupleDescriptor, type TupleValues, formTuple, deformTuple, readTupleHeader, writeTupleHeader, writeTupleInfomask,
  MAX_HEAP_TUPLE_BYTES,
} from './tuple.ts';
import {
  HeapInfo, Heap2Info, encodeTupleData, encodeXmaxChange, encodePrune, applyPrune, type PruneResult, type XmaxChange,
} from './heap-wal.ts';
import { FreeSpaceMap } from './fsm.ts';

/** The part of @palisade/wal's Wal the access methods use. */
export interface WalInserter {
  insert(input: RecordInput): Promise<InsertResult>;
}

/** What a heap needs from the instance. */
export interface AccessStorage {
  pool: BufferPool;
  wal: WalInserter;
}

/** A heap relation: its files, its identity for locks and messages, and its columns. */
export interface HeapRelationInfo {
  locator: RelFileLocator;
  relOid: number;
  name: string;
  descriptor: TupleDescriptor;
}

/** One session's handles: its transaction state and its buffer-manager backend. */
export interface AccessBackend {
  session: Session;
  buffers: BufferBackend;
}

/** A tuple returned by a fetch or scan: where it is, its header and its values. */
export interface HeapTuple {
  tid: Tid;
  header: TupleHeader;
  values: (Uint8Array | null)[];
}

/** Outcome of update/delete/lock (PostgreSQL's TM_Result with what EvalPlanQual needs). */
export type TMOutcome =
  | { result: 'Ok'; tid?: Tid; /** update only: the new version is heap-only (no index entries needed, HEAP4). */ hot?: boolean }
  | { result: 'Updated' | 'Deleted'; ctid: Tid }
  | { result: 'SelfModified' | 'Invisible' | 'WouldBlock' };

export interface ModifyOptions {
  waitPolicy?: WaitPolicy;
  lockTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface UpdateOptions extends ModifyOptions {
  /** Some column of an index changed: the update cannot be HOT (HEAP4). */
  indexedColumnsChanged: boolean;
  /** A key column (of a unique index usable by a foreign key) changed: FOR UPDATE strength instead of FOR NO KEY UPDATE (M13). */
  keyColumnsChanged?: boolean;
}

/** Bound on optimistic retries when a tuple changes between decision and page lock. */
const RETRY_MAX = 10_000;
/** Pages the free-space search tries before extending. */
const FSM_TRIES_MAX = 8;
/** Prune opportunistically when less than this much is free (PostgreSQL: BLCKSZ / 10). */
const PRUNE_FREE_THRESHOLD_BYTES = BLCKSZ / 10;

const HINT_BITS = Infomask.HEAP_XMIN_COMMITTED | Infomask.HEAP_XMIN_INVALID | Infomask.HEAP_XMAX_COMMITTED | Infomask.HEAP_XMAX_INVALID;

/** Raised inside a critical section (page modified, WAL not yet written): the instance must stop (PANIC). */
function panic(what: string, cause: unknown): never {
  throw new AssertionError(`PANIC: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`);
}

function sameHeader(a: TupleHeader, b: TupleHeader): boolean {
  return a.xmin === b.xmin && a.xmax === b.xmax && (a.infomask & ~HINT_BITS) === (b.infomask & ~HINT_BITS) &&
    a.infomask2 === b.infomask2 && tidEquals(a.ctid, b.ctid);
}

/** A heap relation's access method. Stateless across sessions except for the free space map hint. */
export class Heap {
  readonly fsm = new FreeSpaceMap();

  constructor(readonly relation: HeapRelationInfo, readonly storage: AccessStorage) {}

  get locator(): RelFileLocator {
    return this.relation.locator;
  }

  /** Creates the main fork's file (done, then the catalog change is logged by the caller, W6). */
  async create(): Promise<void> {
    const smgr = this.storage.pool.smgr;
    if (!(await smgr.exists(this.locator, 'main'))) await smgr.create(this.locator, 'main');
  }

  async nblocks(): Promise<number> {
    return this.storage.pool.smgr.nblocks(this.locator, 'main');
  }

  #dbOid(): number {
    return this.relation.locator.dbOid;
  }

  /** Logs a record whose pages are modified and exclusively locked; stamps them with its end LSN (W4). */
  async #log(b: AccessBackend, buffers: BufferId[], input: RecordInput): Promise<void> {
    let r: InsertResult;
    try {
      r = await this.storage.wal.insert(input);
    } catch (e) {
      panic('could not insert WAL record inside a critical section', e);
    }
    for (const id of buffers) b.buffers.setPageLsn(id, r.endLsn);
  }

  // ---- insert ---------------------------------------------------------------------------------

  /** heap_insert (HEAP2, HEAP3): stores a new row and returns its TID. */
  async insert(b: AccessBackend, values: TupleValues): Promise<Tid> {
    const data = formTuple(this.relation.descriptor, values);
    this.#checkSize(data.length);
    const xid = b.session.getXid();
    // Inserts conflict with relation-level SIREAD locks (M29).
    b.session.checkForSerializableConflictIn({ kind: 'relation', dbOid: this.#dbOid(), relOid: this.relation.relOid });
    const buf = await this.#bufferForTuple(b, data.length, undefined);
    const page = b.buffers.getPage(buf);
    const block = b.buffers.getBufferTag(buf).blockNumber;
    // Critical section: modify, dirty, log, stamp.
    const offset = page.addItem(data, { maxItemCount: MAX_HEAP_TUPLES_PER_PAGE });
    assert(offset > 0, 'tuple did not fit on a page chosen for it');
    const stored = page.getItem(offset);
    const tid = { block, offset };
    writeTupleHeader(stored, { xmin: xid, xmax: 0n as Xid, cid: b.session.commandId, infomask: (readInfomask(stored) & ~Infomask.HEAP_XMAX_BITS & ~HINT_BITS) | Infomask.HEAP_XMAX_INVALID, infomask2: readInfomask2(stored) & 0x07ff, tid, ctid: tid });
    b.buffers.markDirty(buf);
    await this.#log(b, [buf], {
      rmid: RmgrId.Heap, info: HeapInfo.INSERT, xid, mainData: new Uint8Array(0),
      blocks: [{ id: 0, rel: this.locator, fork: 0, block: block as BlockNumber, flags: { standard: true }, page: page.bytes, data: encodeTupleData(offset, stored) }],
    });
    this.fsm.record(block, page.freeSpaceForNewItemBytes);
    b.buffers.unlockReleaseBuffer(buf);
    return tid;
  }

  #checkSize(lengthBytes: number): void {
    if (lengthBytes > MAX_HEAP_TUPLE_BYTES) {
      // TOAST is not implemented: values that do not fit on a page are refused (TOAST1).
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `row is too big: size ${lengthBytes}, maximum size ${MAX_HEAP_TUPLE_BYTES}`);
    }
  }

  /**
   * RelationGetBufferForTuple: a pinned, exclusively locked buffer with room for `lengthBytes`,
   * other than `otherBlock`. Tries the free space map, then the last page, then extends.
   */
  async #bufferForTuple(b: AccessBackend, lengthBytes: number, otherBlock: number | undefined): Promise<BufferId> {
    const need = maxAlign(lengthBytes) + SIZE_OF_ITEM_ID_DATA;
    const tried = new Set<number>();
    for (let i = 0; i < FSM_TRIES_MAX; i++) {
      let candidate = this.fsm.find(need, tried);
      if (candidate === undefined && i === 0) {
        const n = await this.nblocks();
        if (n > 0) candidate = n - 1;
      }
      if (candidate === undefined) break;
      tried.add(candidate);
      if (candidate === otherBlock) continue;
      const buf = await b.buffers.readBuffer(this.locator, 'main', candidate);
      await b.buffers.lockBuffer(buf, 'exclusive');
      const page = b.buffers.getPage(buf);
      if (page.isNew()) page.init(0);
      if (fits(page, need)) return buf;
      this.fsm.record(candidate, page.freeSpaceForNewItemBytes);
      b.buffers.unlockReleaseBuffer(buf);
    }
    const { bufferId } = await b.buffers.extendRelation(this.locator, 'main');
    await b.buffers.lockBuffer(bufferId, 'exclusive');
    const page = b.buffers.getPage(bufferId);
    // A new page is initialized here; its first record carries a full-page image (its LSN is 0).
    if (page.isNew()) page.init(0);
    assert(fits(page, need), 'tuple does not fit on an empty page');
    return bufferId;
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** The header of the tuple at `tid` (LP_NORMAL), or undefined. The caller holds a content lock. */
  #headerAt(page: Page, tid: Tid): TupleHeader | undefined {
    if (tid.offset < 1 || tid.offset > page.itemCount) return undefined;
    const id = page.getItemId(tid.offset);
    if (id.flags !== LP_NORMAL) return undefined;
    return readTupleHeader(page.getItem(tid.offset), tid);
  }

  /** Checks visibility of the stored tuple, writing back hint bits the check set (B8). */
  #visible(b: AccessBackend, buf: BufferId, stored: Uint8Array, h: TupleHeader, snapshot: Snapshot): boolean {
    const before = h.infomask;
    const visible = heapTupleSatisfiesMVCC(h, snapshot, b.session);
    if (h.infomask !== before) {
      writeTupleInfomask(stored, h.infomask);
      b.buffers.markDirtyHint(buf);
    }
    const sx = b.session.serializableXact;
    if (sx !== undefined) {
      const x = serializableConflictOutXid(h, visible, b.session, b.session.manager.getOldestXmin());
      if (x !== undefined) b.session.checkForSerializableConflictOut(x);
      if (visible) b.session.predicateLock({ kind: 'tuple', dbOid: this.#dbOid(), relOid: this.relation.relOid, block: h.tid.block, offset: h.tid.offset });
    }
    return visible;
  }

  /** heap_fetch: the tuple at exactly `tid` if visible to `snapshot`. */
  async fetch(b: AccessBackend, tid: Tid, snapshot: Snapshot): Promise<HeapTuple | undefined> {
    if (tid.block >= (await this.nblocks())) return undefined;
    const buf = await b.buffers.readBuffer(this.locator, 'main', tid.block);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      const page = b.buffers.getPage(buf);
      const h = this.#headerAt(page, tid);
      if (h === undefined) return undefined;
      const stored = page.getItem(tid.offset);
      if (!this.#visible(b, buf, stored, h, snapshot)) return undefined;
      return { tid, header: h, values: deformTuple(this.relation.descriptor, stored) };
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /**
   * heap_hot_search_buffer: follows the HOT chain from the root line pointer `rootTid` (what an
   * index points to) and returns the member visible to `snapshot` (HEAP5).
   */
  async hotSearch(b: AccessBackend, rootTid: Tid, snapshot: Snapshot): Promise<HeapTuple | undefined> {
    if (rootTid.block >= (await this.nblocks())) return undefined;
    const buf = await b.buffers.readBuffer(this.locator, 'main', rootTid.block);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      const page = b.buffers.getPage(buf);
      let offset = rootTid.offset;
      let prevXmax: Xid | undefined;
      for (let steps = 0; steps <= MAX_HEAP_TUPLES_PER_PAGE; steps++) {
        if (offset < 1 || offset > page.itemCount) return undefined;
        const id = page.getItemId(offset);
        if (id.flags === LP_REDIRECT) {
          if (steps > 0) return undefined;
          offset = id.offset;
          continue;
        }
        if (id.flags !== LP_NORMAL) return undefined;
        const stored = page.getItem(offset);
        const tid = { block: rootTid.block, offset };
        const h = readTupleHeader(stored, tid);
        // A broken chain (the slot was reused) ends the search.
        if (prevXmax !== undefined && h.xmin !== prevXmax) return undefined;
        if (this.#visible(b, buf, stored, h, snapshot)) return { tid, header: h, values: deformTuple(this.relation.descriptor, stored) };
        if ((h.infomask2 & Infomask2.HEAP_HOT_UPDATED) === 0 || h.ctid.block !== rootTid.block) return undefined;
        prevXmax = h.xmax;
        offset = h.ctid.offset;
      }
      assert(false, 'HOT chain longer than a page can hold');
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /**
   * The uniqueness probe of a B-tree insert (_bt_check_unique's heap fetch with SnapshotDirty):
   * follows the HOT chain from `rootTid` and reports a live version, a version whose inserter or
   * deleter is still running (wait for it, then retry), or nothing live.
   */
  async probeForUnique(b: AccessBackend, rootTid: Tid): Promise<{ state: 'live' | 'dead' } | { state: 'wait'; xid: Xid }> {
    if (rootTid.block >= (await this.nblocks())) return { state: 'dead' };
    const buf = await b.buffers.readBuffer(this.locator, 'main', rootTid.block);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      const page = b.buffers.getPage(buf);
      let offset = rootTid.offset;
      let prevXmax: Xid | undefined;
      for (let steps = 0; steps <= MAX_HEAP_TUPLES_PER_PAGE; steps++) {
        if (offset < 1 || offset > page.itemCount) return { state: 'dead' };
        const id = page.getItemId(offset);
        if (id.flags === LP_REDIRECT) {
          if (steps > 0) return { state: 'dead' };
          offset = id.offset;
          continue;
        }
        if (id.flags !== LP_NORMAL) return { state: 'dead' };
        const h = readTupleHeader(page.getItem(offset), { block: rootTid.block, offset });
        if (prevXmax !== undefined && h.xmin !== prevXmax) return { state: 'dead' };
        const r = heapTupleSatisfiesDirty(h, b.session);
        if (r.visible) {
          if (r.xmin !== undefined) return { state: 'wait', xid: r.xmin };
          if (r.xmax !== undefined) return { state: 'wait', xid: r.xmax };
          return { state: 'live' };
        }
        if ((h.infomask2 & Infomask2.HEAP_HOT_UPDATED) === 0 || h.ctid.block !== rootTid.block) return { state: 'dead' };
        prevXmax = h.xmax;
        offset = h.ctid.offset;
      }
      assert(false, 'HOT chain longer than a page can hold');
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /**
   * Sequential scan (heapgettup_pagemode): page at a time, under a share lock, every tuple
   * visible to `snapshot`; the lock is released before the page's tuples are returned.
   * SERIALIZABLE scans take a relation SIREAD lock (M29).
   */
  async *scan(b: AccessBackend, snapshot: Snapshot): AsyncGenerator<HeapTuple> {
    b.session.predicateLock({ kind: 'relation', dbOid: this.#dbOid(), relOid: this.relation.relOid });
    const n = await this.nblocks();
    for (let block = 0; block < n; block++) {
      await this.maybePrune(b, block);
      const buf = await b.buffers.readBuffer(this.locator, 'main', block);
      await b.buffers.lockBuffer(buf, 'share');
      const out: HeapTuple[] = [];
      try {
        const page = b.buffers.getPage(buf);
        if (page.isNew()) continue;
        for (let offset = 1; offset <= page.itemCount; offset++) {
          const id = page.getItemId(offset);
          if (id.flags !== LP_NORMAL) continue;
          const stored = page.getItem(offset);
          const tid = { block, offset };
          const h = readTupleHeader(stored, tid);
          if (this.#visible(b, buf, stored, h, snapshot)) out.push({ tid, header: h, values: deformTuple(this.relation.descriptor, stored) });
        }
      } finally {
        b.buffers.unlockReleaseBuffer(buf);
      }
      yield* out;
    }
  }

  // ---- row locks, delete, update -------------------------------------------------------------

  /**
   * Runs mvcc's lockTuple on the tuple at `tid` (HEAP7). The returned buffer is pinned; for
   * 'Ok' it is also exclusively locked and the header was verified unchanged since the
   * decision, so the decided change can be stored. Other outcomes were verified under a share lock.
   */
  async #decide(b: AccessBackend, tid: Tid, mode: LockTupleMode, purpose: 'lock' | 'update' | 'delete', opts: ModifyOptions):
    Promise<{ outcome: LockTupleResult; buf?: BufferId; seen?: TupleHeader }> {
    if (tid.block >= (await this.nblocks())) return { outcome: { result: 'Invisible' } };
    const buf = await b.buffers.readBuffer(this.locator, 'main', tid.block);
    try {
      for (let attempt = 0; attempt < RETRY_MAX; attempt++) {
        let seen: TupleHeader | undefined;
        let gone = false;
        const target = {
          dbOid: this.#dbOid(), relOid: this.relation.relOid, relationName: this.relation.name,
          read: (): TupleHeader => {
            // Read synchronously: no other session runs until lockTuple's next await, and the
            // result is re-verified under the content lock below.
            const h = this.#headerAt(b.buffers.getPage(buf), tid);
            if (h === undefined) {
              gone = true;
              // An absent tuple reads as an aborted insert: lockTuple reports Invisible.
              return { xmin: 0n as Xid, xmax: 0n as Xid, cid: 0 as TupleHeader['cid'], infomask: Infomask.HEAP_XMIN_INVALID | Infomask.HEAP_XMAX_INVALID, infomask2: 0, tid, ctid: tid };
            }
            gone = false;
            seen = { ...h, ctid: { ...h.ctid } };
            return h;
          },
          apply: (): void => undefined,
        };
        const outcome = await lockTuple(b.session, target, mode, { purpose, ...opts });
        if (gone) return { outcome: { result: 'Invisible' }, buf };
        if (outcome.result === 'SelfModified' || outcome.result === 'Invisible' || outcome.result === 'WouldBlock') return { outcome, buf };
        const lockMode = outcome.result === 'Ok' ? 'exclusive' : 'share';
        await b.buffers.lockBuffer(buf, lockMode);
        const now = this.#headerAt(b.buffers.getPage(buf), tid);
        if (now !== undefined && seen !== undefined && sameHeader(now, seen)) {
          if (outcome.result === 'Ok') return { outcome, buf, seen: now };
          b.buffers.unlockBuffer(buf);
          return { outcome, buf };
        }
        b.buffers.unlockBuffer(buf);
      }
    } catch (e) {
      b.buffers.releaseBuffer(buf);
      throw e;
    }
    b.buffers.releaseBuffer(buf);
    assert(false, 'tuple kept changing while being locked');
  }

  async #afterDecision<T>(b: AccessBackend, d: { outcome: LockTupleResult; buf?: BufferId }, onOk: (buf: BufferId) => Promise<T>): Promise<T | TMOutcome> {
    const o = d.outcome;
    if (o.result !== 'Ok') {
      if (d.buf !== undefined) b.buffers.releaseBuffer(d.buf);
      return o.result === 'Updated' || o.result === 'Deleted' ? { result: o.result, ctid: o.ctid } : { result: o.result };
    }
    assert(d.buf !== undefined, 'Ok decision without a buffer');
    return onOk(d.buf);
  }

  /**
   * SELECT … FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE (heap_lock_tuple, HEAP8): stores the
   * row lock in xmax (logged) after waiting as mvcc's lockTuple decides.
   */
  async lock(b: AccessBackend, tid: Tid, mode: LockTupleMode, opts: ModifyOptions = {}): Promise<TMOutcome> {
    const d = await this.#decide(b, tid, mode, 'lock', opts);
    return this.#afterDecision(b, d, async (buf) => {
      const o = d.outcome as Extract<LockTupleResult, { result: 'Ok' }>;
      if (o.unchanged) {
        b.buffers.unlockReleaseBuffer(buf);
        return { result: 'Ok' as const, tid };
      }
      const page = b.buffers.getPage(buf);
      const stored = page.getItem(tid.offset);
      const h = readTupleHeader(stored, tid);
      applyTupleLock(h, o);
      writeTupleHeader(stored, h);
      b.buffers.markDirty(buf);
      await this.#logXmax(b, buf, HeapInfo.LOCK, h);
      b.buffers.unlockReleaseBuffer(buf);
      return { result: 'Ok' as const, tid };
    });
  }

  async #logXmax(b: AccessBackend, buf: BufferId, info: number, h: TupleHeader): Promise<void> {
    const page = b.buffers.getPage(buf);
    const change: XmaxChange = { offset: h.tid.offset, xmax: h.xmax, cid: h.cid, infomask: h.infomask, infomask2: h.infomask2, ctidBlock: h.ctid.block, ctidOffset: h.ctid.offset };
    await this.#log(b, [buf], {
      rmid: RmgrId.Heap, info, xid: b.session.getXid(), mainData: new Uint8Array(0),
      blocks: [{ id: 0, rel: this.locator, fork: 0, block: h.tid.block as BlockNumber, flags: { standard: true }, page: page.bytes, data: encodeXmaxChange(change) }],
    });
  }

  /** heap_delete (HEAP6): marks the tuple deleted by the current transaction. */
  async delete(b: AccessBackend, tid: Tid, opts: ModifyOptions = {}): Promise<TMOutcome> {
    b.session.checkForSerializableConflictIn({ kind: 'tuple', dbOid: this.#dbOid(), relOid: this.relation.relOid, block: tid.block, offset: tid.offset });
    const d = await this.#decide(b, tid, LockTupleMode.Exclusive, 'delete', opts);
    return this.#afterDecision(b, d, async (buf) => {
      const o = d.outcome as Extract<LockTupleResult, { result: 'Ok' }>;
      const page = b.buffers.getPage(buf);
      const stored = page.getItem(tid.offset);
      const h = readTupleHeader(stored, tid);
      applyTupleLock(h, o);
      b.session.stampCmax(h);
      h.infomask2 &= ~Infomask2.HEAP_HOT_UPDATED;
      h.ctid = tid;
      writeTupleHeader(stored, h);
      page.setPruneXid(b.session.getXid());
      b.buffers.markDirty(buf);
      await this.#logXmax(b, buf, HeapInfo.DELETE, h);
      b.buffers.unlockReleaseBuffer(buf);
      return { result: 'Ok' as const, tid };
    });
  }

  /**
   * heap_update (HEAP4, HEAP6): writes a new version and links the old one to it. HOT when the
   * new version fits on the old one's page and no indexed column changed. Returns the new TID.
   */
  async update(b: AccessBackend, tid: Tid, values: TupleValues, opts: UpdateOptions): Promise<TMOutcome> {
    const data = formTuple(this.relation.descriptor, values);
    this.#checkSize(data.length);
    b.session.checkForSerializableConflictIn({ kind: 'tuple', dbOid: this.#dbOid(), relOid: this.relation.relOid, block: tid.block, offset: tid.offset });
    const mode = opts.keyColumnsChanged === true ? LockTupleMode.Exclusive : LockTupleMode.NoKeyExclusive;
    const need = maxAlign(data.length) + SIZE_OF_ITEM_ID_DATA;
    for (let attempt = 0; attempt < RETRY_MAX; attempt++) {
      const d = await this.#decide(b, tid, mode, 'update', opts);
      if (d.outcome.result !== 'Ok') return this.#afterDecision(b, d, async () => ({ result: 'Ok' as const }));
      const oldBuf = d.buf!;
      const oldPage = b.buffers.getPage(oldBuf);
      if (fits(oldPage, need)) {
        return this.#finishUpdate(b, tid, d.outcome, oldBuf, oldBuf, data, !opts.indexedColumnsChanged);
      }
      // Another page: release the old page's lock, get the new page, lock both in block order.
      b.buffers.unlockBuffer(oldBuf);
      const newBuf = await this.#bufferForTuple(b, data.length, tid.block);
      const newBlock = b.buffers.getBufferTag(newBuf).blockNumber;
      if (newBlock > tid.block) {
        b.buffers.unlockBuffer(newBuf);
        await b.buffers.lockBuffer(oldBuf, 'exclusive');
        await b.buffers.lockBuffer(newBuf, 'exclusive');
      } else {
        await b.buffers.lockBuffer(oldBuf, 'exclusive');
      }
      const now = this.#headerAt(oldPage, tid);
      if (now !== undefined && sameHeader(now, d.seen!) && fits(b.buffers.getPage(newBuf), need)) {
        return this.#finishUpdate(b, tid, d.outcome, oldBuf, newBuf, data, false);
      }
      b.buffers.unlockReleaseBuffer(newBuf);
      b.buffers.unlockReleaseBuffer(oldBuf);
    }
    assert(false, 'update kept losing its page');
  }

  async #finishUpdate(b: AccessBackend, tid: Tid, o: LockTupleResult, oldBuf: BufferId, newBuf: BufferId, data: Uint8Array, hot: boolean): Promise<TMOutcome> {
    assert(o.result === 'Ok', 'update without a lock');
    const xid = b.session.getXid();
    const samePage = oldBuf === newBuf;
    const oldPage = b.buffers.getPage(oldBuf);
    const newPage = b.buffers.getPage(newBuf);
    const newBlock = b.buffers.getBufferTag(newBuf).blockNumber;
    // Critical section.
    const newOffset = newPage.addItem(data, { maxItemCount: MAX_HEAP_TUPLES_PER_PAGE });
    assert(newOffset > 0, 'new tuple version did not fit');
    const newTid = { block: newBlock, offset: newOffset };
    const newStored = newPage.getItem(newOffset);
    const isHot = hot && samePage;
    writeTupleHeader(newStored, {
      xmin: xid, xmax: 0n as Xid, cid: b.session.commandId,
      infomask: (readInfomask(newStored) & ~Infomask.HEAP_XMAX_BITS & ~HINT_BITS) | Infomask.HEAP_XMAX_INVALID | Infomask.HEAP_UPDATED,
      infomask2: (readInfomask2(newStored) & 0x07ff) | (isHot ? Infomask2.HEAP_ONLY_TUPLE : 0), tid: newTid, ctid: newTid,
    });
    const oldStored = oldPage.getItem(tid.offset);
    const h = readTupleHeader(oldStored, tid);
    applyTupleLock(h, o);
    b.session.stampCmax(h);
    h.ctid = newTid;
    h.infomask2 = isHot ? h.infomask2 | Infomask2.HEAP_HOT_UPDATED : h.infomask2 & ~Infomask2.HEAP_HOT_UPDATED;
    writeTupleHeader(oldStored, h);
    oldPage.setPruneXid(xid);
    b.buffers.markDirty(oldBuf);
    const change = encodeXmaxChange({ offset: tid.offset, xmax: h.xmax, cid: h.cid, infomask: h.infomask, infomask2: h.infomask2, ctidBlock: newTid.block, ctidOffset: newTid.offset });
    const info = isHot ? HeapInfo.HOT_UPDATE : HeapInfo.UPDATE;
    if (samePage) {
      const tupleData = encodeTupleData(newOffset, newStored);
      const blockData = new Uint8Array(change.length + tupleData.length);
      blockData.set(change, 0);
      blockData.set(tupleData, change.length);
      await this.#log(b, [oldBuf], {
        rmid: RmgrId.Heap, info, xid, mainData: Uint8Array.of(1),
        blocks: [{ id: 0, rel: this.locator, fork: 0, block: tid.block as BlockNumber, flags: { standard: true }, page: oldPage.bytes, data: blockData }],
      });
    } else {
      b.buffers.markDirty(newBuf);
      await this.#log(b, [newBuf, oldBuf], {
        rmid: RmgrId.Heap, info, xid, mainData: Uint8Array.of(0),
        blocks: [
          { id: 0, rel: this.locator, fork: 0, block: newBlock as BlockNumber, flags: { standard: true }, page: newPage.bytes, data: encodeTupleData(newOffset, newStored) },
          { id: 1, rel: this.locator, fork: 0, block: tid.block as BlockNumber, flags: { standard: true }, page: oldPage.bytes, data: change },
        ],
      });
    }
    this.fsm.record(newBlock, newPage.freeSpaceForNewItemBytes);
    if (!samePage) {
      this.fsm.record(tid.block, oldPage.freeSpaceForNewItemBytes);
      b.buffers.unlockReleaseBuffer(newBuf);
    }
    b.buffers.unlockReleaseBuffer(oldBuf);
    return { result: 'Ok', tid: newTid, hot: isHot };
  }

  // ---- pruning ----------------------------------------------------------------------------------

  /**
   * heap_page_prune_opt (PRUNE1): if the page's prune xid precedes the horizon and the page is
   * nearly full, prune it under a conditional cleanup lock; never waits.
   */
  async maybePrune(b: AccessBackend, block: number, force = false): Promise<boolean> {
    const buf = await b.buffers.readBuffer(this.locator, 'main', block);
    try {
      const page = b.buffers.getPage(buf);
      const horizon = b.session.manager.getOldestXmin();
      const pruneXid = page.pruneXid(b.session.manager.procArray.nextXid());
      if (pruneXid === undefined || pruneXid >= horizon) return false;
      if (!force && page.freeSpaceBytes >= PRUNE_FREE_THRESHOLD_BYTES) return false;
      if (!b.buffers.conditionalLockBufferForCleanup(buf)) return false;
      try {
        await this.#prune(b, buf, block, horizon);
      } finally {
        b.buffers.unlockBuffer(buf);
      }
      return true;
    } finally {
      b.buffers.releaseBuffer(buf);
    }
  }

  /** heap_page_prune: the caller holds a cleanup lock. */
  async #prune(b: AccessBackend, buf: BufferId, block: number, horizon: Xid): Promise<void> {
    const page = b.buffers.getPage(buf);
    const result = planPrune(page, block, (h) => heapTupleSatisfiesVacuum(h, horizon, b.session));
    page.setPruneXid(result.newPruneXid);
    if (result.redirected.length + result.dead.length + result.unused.length === 0) {
      b.buffers.markDirtyHint(buf);
      return;
    }
    // Critical section.
    applyPrune(page, result);
    b.buffers.markDirty(buf);
    await this.#log(b, [buf], {
      rmid: RmgrId.Heap2, info: Heap2Info.PRUNE, xid: 0n as Xid, mainData: new Uint8Array(0),
      blocks: [{ id: 0, rel: this.locator, fork: 0, block: block as BlockNumber, flags: { standard: true }, page: page.bytes, data: encodePrune(result) }],
    });
    this.fsm.record(block, page.freeSpaceForNewItemBytes);
  }

  /**
   * VACUUM's first pass over one page (lazy_scan_prune, VAC1): waits for a cleanup lock,
   * prunes with `horizon`, and returns the LP_DEAD line pointers (index entries may point to them).
   */
  async vacuumPrunePage(b: AccessBackend, block: number, horizon: Xid): Promise<number[]> {
    const buf = await b.buffers.readBuffer(this.locator, 'main', block);
    await b.buffers.lockBufferForCleanup(buf);
    try {
      const page = b.buffers.getPage(buf);
      if (page.isNew()) return [];
      await this.#prune(b, buf, block, horizon);
      const dead: number[] = [];
      for (let off = 1; off <= page.itemCount; off++) if (page.getItemId(off).flags === LP_DEAD) dead.push(off);
      return dead;
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /**
   * VACUUM's second pass over one page (lazy_vacuum_heap_page, VAC1): after every index entry
   * pointing to them is gone, the dead line pointers become unused (logged). Returns free bytes.
   */
  async vacuumPage(b: AccessBackend, block: number, deadOffsets: readonly number[]): Promise<number> {
    const buf = await b.buffers.readBuffer(this.locator, 'main', block);
    await b.buffers.lockBuffer(buf, 'exclusive');
    try {
      const page = b.buffers.getPage(buf);
      // Critical section.
      for (const off of deadOffsets) {
        assert(page.getItemId(off).flags === LP_DEAD, () => `vacuuming line pointer ${off} of block ${block}, which is not dead`);
        page.setItemUnused(off);
      }
      b.buffers.markDirty(buf);
      await this.#log(b, [buf], {
        rmid: RmgrId.Heap2, info: Heap2Info.VACUUM, xid: 0n as Xid, mainData: new Uint8Array(0),
        blocks: [{ id: 0, rel: this.locator, fork: 0, block: block as BlockNumber, flags: { standard: true }, page: page.bytes, data: encodePrune({ redirected: [], dead: [], unused: [...deadOffsets] }) }],
      });
      this.fsm.record(block, page.freeSpaceForNewItemBytes);
      return page.freeSpaceForNewItemBytes;
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /** Not implemented yet: TOAST storage for out-of-line values (TOAST1). */
  toast(): never {
    throw featureNotSupported('out-of-line (TOAST) storage');
  }
}

function fits(page: Page, needBytes: number): boolean {
  return page.freeSpaceBytes >= needBytes && page.itemCount < MAX_HEAP_TUPLES_PER_PAGE;
}

function readInfomask(stored: Uint8Array): number {
  return stored[28]! | (stored[29]! << 8);
}
function readInfomask2(stored: Uint8Array): number {
  return stored[26]! | (stored[27]! << 8);
}

/**
 * Decides what pruning does to a page (heap_prune_chain): for each HOT chain, the longest
 * prefix of DEAD members is removed — heap-only members become unused, the root becomes a
 * redirect to the first surviving member, or dead if none survives. Unreachable DEAD heap-only
 * tuples become unused. Also computes the new pd_prune_xid (the oldest deleter still pending).
 */
export function planPrune(page: Page, block: number, htsv: (h: TupleHeader) => HTSVResult): PruneResult & { newPruneXid: Xid | undefined } {
  const n = page.itemCount;
  const reached = new Set<number>();
  const redirected: [number, number][] = [];
  const dead: number[] = [];
  const unused: number[] = [];
  let newPruneXid: Xid | undefined;
  const statusOf = new Map<number, HTSVResult>();
  const header = (off: number): TupleHeader => readTupleHeader(page.getItem(off), { block, offset: off });
  const status = (off: number): HTSVResult => {
    let s = statusOf.get(off);
    if (s === undefined) {
      const h = header(off);
      s = htsv(h);
      statusOf.set(off, s);
      if (s === HTSVResult.RECENTLY_DEAD || s === HTSVResult.DELETE_IN_PROGRESS) {
        if (newPruneXid === undefined || h.xmax < newPruneXid) newPruneXid = h.xmax;
      }
    }
    return s;
  };
  for (let root = 1; root <= n; root++) {
    const id = page.getItemId(root);
    let first: number;
    if (id.flags === LP_REDIRECT) first = id.offset;
    else if (id.flags === LP_NORMAL) {
      if ((header(root).infomask2 & Infomask2.HEAP_ONLY_TUPLE) !== 0) continue;
      first = root;
    } else continue;
    // Follow the chain.
    const members: number[] = [];
    let off = first;
    let prevXmax: Xid | undefined;
    for (let steps = 0; steps <= n; steps++) {
      if (off < 1 || off > n || reached.has(off)) break;
      const mid = page.getItemId(off);
      if (mid.flags !== LP_NORMAL) break;
      const h = header(off);
      if (off !== root && (h.infomask2 & Infomask2.HEAP_ONLY_TUPLE) === 0) break;
      if (prevXmax !== undefined && h.xmin !== prevXmax) break;
      members.push(off);
      reached.add(off);
      if ((h.infomask2 & Infomask2.HEAP_HOT_UPDATED) === 0 || h.ctid.block !== block) break;
      prevXmax = h.xmax;
      off = h.ctid.offset;
    }
    let deadPrefix = 0;
    while (deadPrefix < members.length && status(members[deadPrefix]!) === HTSVResult.DEAD) deadPrefix++;
    for (let i = deadPrefix; i < members.length; i++) status(members[i]!);
    for (let i = 0; i < deadPrefix; i++) if (members[i] !== root) unused.push(members[i]!);
    if (deadPrefix === 0) continue;
    if (deadPrefix === members.length) {
      dead.push(root);
    } else if (id.flags === LP_NORMAL || id.flags === LP_REDIRECT) {
      if (members[deadPrefix] !== root) redirected.push([root, members[deadPrefix]!]);
    }
  }
  // Heap-only tuples no chain reaches: DEAD ones (aborted HOT updates) are removed.
  for (let off = 1; off <= n; off++) {
    if (reached.has(off)) continue;
    const id = page.getItemId(off);
    if (id.flags !== LP_NORMAL) continue;
    const h = header(off);
    if ((h.infomask2 & Infomask2.HEAP_ONLY_TUPLE) === 0) continue;
    if (status(off) === HTSVResult.DEAD) unused.push(off);
  }
  return { redirected, dead, unused, newPruneXid };
}

