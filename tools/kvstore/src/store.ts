// KvStore: a durable key-value store on @palisade/bufmgr pages and @palisade/wal, following
// PostgreSQL's WAL protocol for every change (README "Protocol"). Entry points: KvStore.open,
// commit (a transaction of puts and deletes), get, checkpoint, close.
//
// Layout: see page-format.ts. A transaction locks the chains of the buckets it touches in
// ascending bucket order (head to tail, exclusive), plans its page operations, and then, in
// one critical section, applies them, marks the buffers dirty, logs one WAL record whose block
// references carry the pages (full-page images decided by the WAL against the redo pointer),
// sets each page's LSN and unlocks. Commit is the WAL flush of that record (group commit).

import {
  AssertionError, FirstNormalObjectId, PgError, SqlState, assert, crc32c, isPgError, type BlockNumber, type FileSystem, type Lsn, type Oid,
  type RelFileNumber, type Xid,
} from '@palisade/common';
import {
  BufferPool, ChecksumTransform, DEFAULTTABLESPACE_OID, Page, StorageManager, forkFromNumber, type BufferBackend, type BufferId,
  type BufferLockMode,
} from '@palisade/bufmgr';
import {
  RM_MIN_CUSTOM_ID, ResourceManagerRegistry, bootstrapWal, finishBlockRedo, readBufferForRedo, startupWal, xlogResourceManager,
  type BlockLocation, type BlockRef, type Checkpointer, type DecodedRecord, type RecoveryResult, type RedoContext, type RelFileLocator,
  type ResourceManager, type Wal,
} from '@palisade/wal';
import {
  KV_BUCKET_COUNT_MAX, KV_EMPTY_PAGE_FREE_BYTES, KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX, PageKind, applyPageOps, decodeItem, decodePageOps,
  encodeItem, encodePageOps, findItem, itemFootprintBytes, metaBucketCount, pageNext, type PageOp,
} from './page-format.ts';

/** The store's resource manager id (custom range, W17's XLOG is 0). */
export const RM_KV_ID = RM_MIN_CUSTOM_ID + 4;
/** xl_info of the record that initialises the metapage and every bucket page. */
export const XLOG_KV_INIT = 0x00;
/** xl_info of a transaction's record: page operations on each block it changed. */
export const XLOG_KV_CHANGE = 0x10;
/** The relation holding the store. */
export const KV_RELATION: RelFileLocator = { spcOid: DEFAULTTABLESPACE_OID, dbOid: 5 as Oid, relNumber: FirstNormalObjectId as number as RelFileNumber };
/** Most operations in one transaction. */
export const KV_OPS_PER_COMMIT_MAX = 256;
/** Most pages one transaction may change: a record has block ids 0..32 (W11). */
export const KV_PAGES_PER_COMMIT_MAX = 33;
/** Most idle buffer-manager backends kept for reuse. */
const IDLE_BACKENDS_MAX = 64;
/** Longest bucket chain walked (bounds a corrupted next pointer cycle). */
const CHAIN_PAGES_MAX = 1 << 20;

/** A put (value given) or a delete (value undefined) of one key. */
export interface KvOp {
  key: string;
  value?: Uint8Array | string | undefined;
}

/** Options of {@link KvStore.open}. */
export interface KvStoreOptions {
  fs: FileSystem;
  /** Data directory (created 0700 if absent). */
  dataDir: string;
  /** shared_buffers in 8 KiB buffers (default 128, minimum 16). */
  bufferCount?: number;
  /** Primary buckets, fixed when the store is created (default 16, at most 32). */
  bucketCount?: number;
  /** wal_segment_size when creating (default 16 MiB). */
  segSizeBytes?: number;
  /** Zero-fill new WAL segments (default true). */
  zeroFillSegments?: boolean;
  /** wal_buffers (default 4 MiB). */
  walBuffersBytes?: number;
  /** commit_delay in microseconds (default 0). */
  commitDelayUs?: number;
  /** Server log lines (recovery messages). */
  log?: (message: string) => void;
}

/** What a commit returns once durable. */
export interface CommitResult {
  xid: Xid;
  /** End of the transaction's record: the WAL is flushed at least this far. */
  endLsn: Lsn;
  /** Pages the transaction changed. */
  pageCount: number;
}

/** Counters for tests and benchmarks. */
export interface KvStoreStats {
  commits: number;
  pagesChanged: number;
  overflowPagesAdded: number;
  /** Block references redo skipped because their page did not exist (should stay 0). */
  redoBlocksNotFound: number;
  redoBlocksApplied: number;
  redoBlocksRestored: number;
  redoBlocksSkipped: number;
}

const encoder = new TextEncoder();

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

function parentDirectory(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash > 0 ? trimmed.slice(0, slash) : slash === 0 ? '/' : '.';
}

/**
 * Removes `pg_wal/xlogtemp.*` files a crash left behind (PostgreSQL's RemoveTempXlogFiles at
 * startup). @palisade/wal creates its temporary segment with an exclusive create named by pid
 * and a counter starting at 1, so a leftover from a previous incarnation with the same pid
 * (the rule after a reboot in containers, and always in the simulation) fails with EEXIST.
 */
async function removeTempWalFiles(fs: FileSystem, dataDir: string): Promise<void> {
  const walDir = `${dataDir}/pg_wal`;
  if (!(await fs.exists(walDir))) return;
  let removed = 0;
  for (const name of await fs.readdir(walDir)) {
    if (!name.startsWith('xlogtemp.')) continue;
    await fs.unlink(`${walDir}/${name}`);
    removed++;
  }
  if (removed > 0) await fs.syncDir(walDir);
}

function isPanic(err: unknown): boolean {
  return err instanceof AssertionError || (isPgError(err) && err.severity === 'PANIC');
}

interface PlannedPage {
  id: BufferId;
  block: number;
  page: Page;
  availBytes: number;
  ops: PageOp[];
  willInit: boolean;
}

/** A durable key-value store. See the file comment and README.md. */
export class KvStore {
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly smgr: StorageManager;
  readonly pool: BufferPool;
  readonly transform: ChecksumTransform;
  readonly stats: KvStoreStats = {
    commits: 0, pagesChanged: 0, overflowPagesAdded: 0, redoBlocksNotFound: 0, redoBlocksApplied: 0, redoBlocksRestored: 0, redoBlocksSkipped: 0,
  };
  #wal: Wal | undefined;
  #checkpointer: Checkpointer | undefined;
  #recovery: RecoveryResult | undefined;
  #bucketCount = 0;
  #nextXid = 3n;
  /** The PANIC that stopped the store: every later call throws it; reopen to recover. */
  #failure: Error | undefined;
  #closed = false;
  /** End of the last record replayed (during recovery, WAL up to here is on disk: it was read from there). */
  #replayedEndLsn = 0n;
  readonly #idle: BufferBackend[] = [];
  /** Buffers pinned and exclusively locked by the redo routine of the record being replayed. */
  readonly #redoHeld: Array<{ id: BufferId; block: number; bytes: Uint8Array }> = [];
  #redoBackend: BufferBackend | undefined;

  private constructor(options: KvStoreOptions) {
    this.fs = options.fs;
    this.dataDir = options.dataDir;
    this.transform = new ChecksumTransform({ dataChecksums: true });
    this.smgr = new StorageManager({ fs: options.fs, dataDirectory: options.dataDir, transform: this.transform });
    this.pool = new BufferPool({
      bufferCount: options.bufferCount ?? 128,
      smgr: this.smgr,
      dataChecksums: true,
      flushWalUpTo: (lsn) => this.#flushWalUpTo(lsn),
      walNeedsFlush: (lsn) => this.#wal === undefined ? false : lsn > this.#wal.flushedLsn,
      isInRecovery: () => this.#wal === undefined,
      // bufmgr's callback is synchronous and wal.insert is not, so an XLOG_FPI_FOR_HINT cannot
      // be logged from here (see README "Gaps"); the store never sets hint bits, so it is never called.
      logHintFullPageImage: () => {
        assert(false, 'the key-value store sets no hint bits (W5)');
      },
    });
  }

  /** Opens the store in `options.dataDir`, creating it or recovering it from WAL (W21). */
  static async open(options: KvStoreOptions): Promise<KvStore> {
    const bucketCount = options.bucketCount ?? 16;
    assert(Number.isInteger(bucketCount) && bucketCount >= 1 && bucketCount <= KV_BUCKET_COUNT_MAX, () => `bucketCount ${bucketCount} must be 1..${KV_BUCKET_COUNT_MAX}`);
    const { fs, dataDir } = options;
    const store = new KvStore(options);
    await removeTempWalFiles(fs, dataDir);
    // pg_control is written last by bootstrap (atomically): without it, bootstrap starts over.
    if (!(await fs.exists(`${dataDir}/global/pg_control`))) {
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      // The data directory's own entry is durable only once its parent is synced (FS2);
      // bootstrapWal syncs what it creates inside the directory, not the directory itself.
      await fs.syncDir(parentDirectory(dataDir));
      await bootstrapWal({ fs, dataDir, segSizeBytes: options.segSizeBytes ?? 16 * 1024 * 1024, zeroFillSegments: options.zeroFillSegments ?? true });
      await fs.syncDir(dataDir);
    }
    const registry = new ResourceManagerRegistry();
    registry.register(store.#wrapRedo(xlogResourceManager));
    registry.register(store.#wrapRedo(store.#resourceManager()));
    store.#redoBackend = store.pool.registerBackend();
    const result = await startupWal({
      fs, dataDir, registry,
      redo: store.#redoContext(),
      checkpoint: {
        flushAllBuffers: async () => {
          store.#checkUsable();
          await store.pool.flushAll();
        },
        syncAllPending: async () => {
          try {
            await store.smgr.syncAllPending();
          } catch (err) {
            throw store.#panic(err);
          }
        },
        getNextXid: () => store.#nextXid as Xid,
        getNextOid: () => (FirstNormalObjectId + 1) as Oid,
      },
      wal: {
        ...(options.walBuffersBytes !== undefined ? { walBuffersBytes: options.walBuffersBytes } : {}),
        ...(options.commitDelayUs !== undefined ? { commitDelayUs: options.commitDelayUs } : {}),
        ...(options.zeroFillSegments !== undefined ? { zeroFillSegments: options.zeroFillSegments } : {}),
      },
      ...(options.log ? { log: options.log } : {}),
    });
    store.#redoBackend.close();
    store.#redoBackend = undefined;
    assert(result.status === 'running', 'crash recovery has no recovery target');
    store.#wal = result.wal;
    store.#checkpointer = result.checkpointer;
    store.#recovery = result.recovery;
    if (result.recovery.nextXid > store.#nextXid) store.#nextXid = result.recovery.nextXid;
    store.#bucketCount = (await store.#readMeta()) ?? (await store.#initialize(bucketCount));
    return store;
  }

  /** What recovery did at open. */
  get recovery(): RecoveryResult {
    assert(this.#recovery !== undefined, 'store not open');
    return this.#recovery;
  }

  get wal(): Wal {
    assert(this.#wal !== undefined, 'store not open');
    return this.#wal;
  }

  get bucketCount(): number {
    return this.#bucketCount;
  }

  /** The PANIC that stopped the store, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  // ---- the write-ahead rule (W1) -------------------------------------------------------------

  /** bufmgr's flushWalUpTo: awaited before any dirty page is written. */
  async #flushWalUpTo(lsn: Lsn): Promise<void> {
    // After a PANIC a page may hold a change that was never logged (and carries an older LSN):
    // no page may be written any more.
    if (this.#failure) throw this.#failure;
    if (this.#wal === undefined) {
      // During recovery every page change comes from WAL read from disk: it is durable up to
      // the last record replayed (startupWal gives no Wal before its end-of-recovery checkpoint).
      assert(lsn <= this.#replayedEndLsn, () => `page LSN ${lsn} ahead of the WAL replayed so far (${this.#replayedEndLsn})`);
      return;
    }
    await this.#wal.flush(lsn);
  }

  #checkUsable(): void {
    if (this.#failure) throw this.#failure;
    assert(!this.#closed, 'the store is closed');
  }

  /** Stops the store (PostgreSQL's PANIC): nothing is written any more; reopen to recover. */
  #panic(err: unknown): Error {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#failure ??= error;
    return error;
  }

  // ---- redo ---------------------------------------------------------------------------------

  #redoContext(): RedoContext {
    return {
      readPage: async (location: BlockLocation, mode: 'read' | 'zero') => {
        const backend = this.#redoBackend;
        assert(backend !== undefined, 'redo outside recovery');
        const fork = forkFromNumber(location.fork);
        const block = location.block as number;
        let id: BufferId;
        if (mode === 'zero') {
          if (!(await this.smgr.exists(location.rel, fork))) await this.smgr.create(location.rel, fork, { isRedo: true });
          // Bounded by the block number: each round adds one block.
          for (let n = await this.smgr.nblocks(location.rel, fork); n <= block; n++) {
            const ext = await backend.extendRelation(location.rel, fork);
            backend.releaseBuffer(ext.bufferId);
          }
          id = await backend.readBuffer(location.rel, fork, block, 'zero');
        } else {
          if (!(await this.smgr.exists(location.rel, fork)) || block >= (await this.smgr.nblocks(location.rel, fork))) return undefined;
          id = await backend.readBuffer(location.rel, fork, block, 'normal');
          await backend.lockBuffer(id, 'exclusive');
        }
        const bytes = backend.getPage(id).bytes;
        this.#redoHeld.push({ id, block, bytes });
        return bytes;
      },
      markDirty: (location: BlockLocation) => {
        const held = this.#redoHeld.find((h) => h.block === location.block);
        assert(held !== undefined && this.#redoBackend !== undefined, 'markDirty for a page redo does not hold');
        this.#redoBackend.markDirty(held.id);
      },
    };
  }

  /**
   * wal's RedoContext has no release step, so each resource manager is wrapped: after its redo
   * routine, the buffers it read are unlocked and unpinned (UnlockReleaseBuffer).
   */
  #wrapRedo(rm: ResourceManager): ResourceManager {
    return {
      ...rm,
      redo: async (record: DecodedRecord, ctx: RedoContext) => {
        if (record.endLsn > this.#replayedEndLsn) this.#replayedEndLsn = record.endLsn;
        try {
          await rm.redo(record, ctx);
        } finally {
          for (const held of this.#redoHeld.splice(0)) this.#redoBackend!.unlockReleaseBuffer(held.id);
        }
      },
    };
  }

  #resourceManager(): ResourceManager {
    return {
      id: RM_KV_ID,
      name: 'KV',
      redo: async (record: DecodedRecord, ctx: RedoContext) => {
        for (const block of record.blocks) {
          const { action, page } = await readBufferForRedo(ctx, record, block.id);
          if (action === 'notFound') this.stats.redoBlocksNotFound++;
          else if (action === 'restored') this.stats.redoBlocksRestored++;
          else if (action === 'done') this.stats.redoBlocksSkipped++;
          else {
            assert(page !== undefined, 'needsRedo without a page');
            applyPageOps(new Page(page), decodePageOps(block.data ?? new Uint8Array(0)));
            await finishBlockRedo(ctx, record, block, page);
            this.stats.redoBlocksApplied++;
          }
        }
      },
      desc: (record: DecodedRecord) => record.blocks.map((b) => `blk ${b.block}: ${b.data ? decodePageOps(b.data).map((o) => o.op).join(',') : '-'}${b.image ? ' FPW' : ''}`).join('; '),
      identify: (info: number) => (info === XLOG_KV_INIT ? 'INIT' : info === XLOG_KV_CHANGE ? 'CHANGE' : undefined),
    };
  }

  // ---- creation -----------------------------------------------------------------------------

  async #readMeta(): Promise<number | undefined> {
    const rel = KV_RELATION;
    if (!(await this.smgr.exists(rel, 'main')) || (await this.smgr.nblocks(rel, 'main')) === 0) return undefined;
    const backend = this.#takeBackend();
    try {
      const id = await backend.readBuffer(rel, 'main', 0);
      await backend.lockBuffer(id, 'share');
      const count = metaBucketCount(backend.getPage(id));
      backend.unlockReleaseBuffer(id);
      return count;
    } finally {
      this.#returnBackend(backend);
    }
  }

  /** Creates the metapage and bucket pages with one WAL record (all WILL_INIT) and flushes it. */
  async #initialize(bucketCount: number): Promise<number> {
    const rel = KV_RELATION;
    if (!(await this.smgr.exists(rel, 'main'))) await this.smgr.create(rel, 'main');
    const backend = this.#takeBackend();
    const ids: BufferId[] = [];
    try {
      for (let block = 0; block <= bucketCount; block++) {
        // Blocks a crashed earlier attempt left behind are reused; missing ones are added (W6).
        if (block < (await this.smgr.nblocks(rel, 'main'))) {
          ids.push(await backend.readBuffer(rel, 'main', block, 'zero'));
        } else {
          const { bufferId, blockNumber } = await backend.extendRelation(rel, 'main');
          assert(blockNumber === block, 'relation extended concurrently during initialisation');
          await backend.lockBuffer(bufferId, 'exclusive');
          ids.push(bufferId);
        }
      }
      const blocks: BlockRef[] = [];
      let endLsn: Lsn;
      try {
        for (let block = 0; block <= bucketCount; block++) {
          const ops: PageOp[] = [block === 0 ? { op: 'init', kind: PageKind.META, bucketCount } : { op: 'init', kind: PageKind.BUCKET }];
          applyPageOps(backend.getPage(ids[block]!), ops);
          backend.markDirty(ids[block]!);
          blocks.push({ id: block, rel, fork: 0, block: block as BlockNumber, flags: { willInit: true, standard: true }, page: backend.getPage(ids[block]!).bytes, data: encodePageOps(ops) });
        }
        ({ endLsn } = await this.wal.insert({ rmid: RM_KV_ID, info: XLOG_KV_INIT, xid: 0n as Xid, mainData: new Uint8Array(0), blocks }));
        for (const id of ids) backend.setPageLsn(id, endLsn);
      } catch (err) {
        throw this.#panic(err);
      }
      for (const id of ids.splice(0)) backend.unlockReleaseBuffer(id);
      await this.#flushCommit(endLsn);
      return bucketCount;
    } finally {
      for (const id of ids) backend.unlockReleaseBuffer(id);
      this.#returnBackend(backend);
    }
  }

  // ---- backends -----------------------------------------------------------------------------

  #takeBackend(): BufferBackend {
    return this.#idle.pop() ?? this.pool.registerBackend();
  }

  #returnBackend(backend: BufferBackend): void {
    // Anything still held after an error is released (AtEOXact_Buffers on abort).
    backend.atTransactionEnd(false);
    if (this.#idle.length < IDLE_BACKENDS_MAX) this.#idle.push(backend);
    else backend.close();
  }

  // ---- reading ------------------------------------------------------------------------------

  #bucketOf(key: Uint8Array): number {
    return (crc32c(key) % this.#bucketCount) + 1;
  }

  /**
   * Visits the chain of `bucket`, whose head page the caller holds locked (the head's lock is
   * the chain's lock: every access to a chain starts there, so holding it exclusively excludes
   * writers, shared excludes writers too). Other pages are pinned and share-locked one at a
   * time, so a chain may be longer than the buffer pool.
   */
  async #visitChain(backend: BufferBackend, headId: BufferId, visit: (page: Page, block: number) => boolean | void): Promise<void> {
    let block = pageNext(backend.getPage(headId));
    if (visit(backend.getPage(headId), (backend.getBufferTag(headId).blockNumber as number)) === true) return;
    for (let n = 0; block !== 0; n++) {
      assert(n < CHAIN_PAGES_MAX, () => `chain longer than ${CHAIN_PAGES_MAX} pages`);
      const id = await backend.readBuffer(KV_RELATION, 'main', block);
      try {
        await backend.lockBuffer(id, 'share');
      } catch (err) {
        backend.releaseBuffer(id);
        throw err;
      }
      try {
        const page = backend.getPage(id);
        if (visit(page, block) === true) return;
        block = pageNext(page);
      } finally {
        backend.unlockReleaseBuffer(id);
      }
    }
  }

  async #lockHead(backend: BufferBackend, bucket: number, mode: BufferLockMode): Promise<BufferId> {
    const id = await backend.readBuffer(KV_RELATION, 'main', bucket);
    try {
      await backend.lockBuffer(id, mode);
    } catch (err) {
      backend.releaseBuffer(id);
      throw err;
    }
    return id;
  }

  /** The value of `key`, or undefined. Reads go through the buffer pool (checksums verified, BUF8). */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.#checkUsable();
    const keyBytes = this.#checkKey(key);
    const backend = this.#takeBackend();
    try {
      const headId = await this.#lockHead(backend, this.#bucketOf(keyBytes), 'share');
      let found: Uint8Array | undefined;
      try {
        await this.#visitChain(backend, headId, (page) => {
          const off = findItem(page, keyBytes);
          if (off === 0) return false;
          found = decodeItem(page.getItem(off)).value.slice();
          return true;
        });
      } finally {
        backend.unlockReleaseBuffer(headId);
      }
      // A PANIC meanwhile may have left a page changed but not logged: return nothing from it.
      this.#checkUsable();
      return found;
    } finally {
      this.#returnBackend(backend);
    }
  }

  /** {@link get} decoded as UTF-8. */
  async getString(key: string): Promise<string | undefined> {
    const value = await this.get(key);
    return value === undefined ? undefined : new TextDecoder().decode(value);
  }

  /** Every key and value (each bucket read under its head's share lock; not a snapshot across buckets). */
  async entries(): Promise<Map<string, Uint8Array>> {
    this.#checkUsable();
    const decoder = new TextDecoder();
    const out = new Map<string, Uint8Array>();
    const backend = this.#takeBackend();
    try {
      for (let bucket = 1; bucket <= this.#bucketCount; bucket++) {
        const headId = await this.#lockHead(backend, bucket, 'share');
        try {
          await this.#visitChain(backend, headId, (page) => {
            for (let off = 1; off <= page.itemCount; off++) {
              const { key, value } = decodeItem(page.getItem(off));
              const name = decoder.decode(key);
              assert(!out.has(name), () => `key ${name} stored twice`);
              out.set(name, value.slice());
            }
          });
        } finally {
          backend.unlockReleaseBuffer(headId);
        }
      }
    } finally {
      this.#returnBackend(backend);
    }
    return out;
  }

  // ---- writing ------------------------------------------------------------------------------

  #checkKey(key: string): Uint8Array {
    const bytes = encoder.encode(key);
    if (bytes.length === 0 || bytes.length > KV_KEY_BYTES_MAX) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `key of ${bytes.length} bytes is not between 1 and ${KV_KEY_BYTES_MAX} bytes`);
    }
    return bytes;
  }

  /** Puts one key (a transaction of one operation). */
  put(key: string, value: Uint8Array | string): Promise<CommitResult> {
    return this.commit([{ key, value }]);
  }

  /** Deletes one key (a transaction of one operation); deleting an absent key is a no-op. */
  delete(key: string): Promise<CommitResult> {
    return this.commit([{ key }]);
  }

  /**
   * Applies `ops` atomically (later ops on the same key win) and resolves once the
   * transaction's record is durable (W4 for every page, then the WAL flush, group commit W27).
   */
  async commit(ops: readonly KvOp[]): Promise<CommitResult> {
    this.#checkUsable();
    if (ops.length > KV_OPS_PER_COMMIT_MAX) throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `a transaction has at most ${KV_OPS_PER_COMMIT_MAX} operations`);
    const byKey = new Map<string, { keyBytes: Uint8Array; value: Uint8Array | undefined }>();
    for (const op of ops) {
      const keyBytes = this.#checkKey(op.key);
      const value = op.value === undefined ? undefined : toBytes(op.value);
      if (value && value.length > KV_VALUE_BYTES_MAX) throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `value of ${value.length} bytes exceeds ${KV_VALUE_BYTES_MAX} bytes`);
      byKey.delete(op.key);
      byKey.set(op.key, { keyBytes, value });
    }
    const byBucket = new Map<number, Array<{ keyBytes: Uint8Array; value: Uint8Array | undefined }>>();
    for (const entry of byKey.values()) {
      const bucket = this.#bucketOf(entry.keyBytes);
      const list = byBucket.get(bucket);
      if (list) list.push(entry);
      else byBucket.set(bucket, [entry]);
    }
    const xid = this.#nextXid++ as Xid;
    const backend = this.#takeBackend();
    const held: BufferId[] = [];
    let endLsn: Lsn | undefined;
    let pageCount = 0;
    try {
      // 1. Lock the head page of every bucket touched, exclusively, in ascending bucket order
      //    (no deadlock); it locks the whole chain. Plan from a summary of the chain, then pin
      //    and lock exclusively just the pages that will change (never more than 33).
      const planned: PlannedPage[] = [];
      for (const bucket of [...byBucket.keys()].sort((a, b) => a - b)) {
        const headId = await this.#lockHead(backend, bucket, 'exclusive');
        held.push(headId);
        const entries = byBucket.get(bucket)!;
        const chain: Array<PlannedPage & { found: Map<number, number> }> = [];
        await this.#visitChain(backend, headId, (page, block) => {
          const found = new Map<number, number>();
          entries.forEach((entry, i) => {
            const off = findItem(page, entry.keyBytes);
            if (off !== 0) found.set(i, page.getItemId(off).lengthBytes);
          });
          chain.push({ id: 0 as BufferId, block, page: undefined as unknown as Page, availBytes: page.freeSpaceBytes, ops: [], willInit: false, found });
        });
        chain[0]!.id = headId;
        chain[0]!.page = backend.getPage(headId);
        for (const [i, { keyBytes, value }] of entries.entries()) {
          const holder = chain.find((p) => p.found.has(i));
          if (holder) {
            holder.ops.push({ op: 'delete', key: keyBytes });
            holder.availBytes += itemFootprintBytes(holder.found.get(i)!);
          }
          if (value === undefined) continue;
          const item = encodeItem(keyBytes, value);
          const needBytes = itemFootprintBytes(item.length);
          let target = chain.find((p) => p.availBytes >= needBytes);
          if (!target) {
            // A new overflow page at the end of the relation, linked from the chain's tail.
            const { bufferId, blockNumber } = await backend.extendRelation(KV_RELATION, 'main');
            held.push(bufferId);
            await backend.lockBuffer(bufferId, 'exclusive');
            chain[chain.length - 1]!.ops.push({ op: 'setNext', next: blockNumber });
            target = {
              id: bufferId, block: blockNumber, page: backend.getPage(bufferId), availBytes: KV_EMPTY_PAGE_FREE_BYTES,
              ops: [{ op: 'init', kind: PageKind.OVERFLOW }], willInit: true, found: new Map(),
            };
            chain.push(target);
            this.stats.overflowPagesAdded++;
          }
          target.ops.push({ op: 'add', item });
          target.availBytes -= needBytes;
        }
        for (const p of chain) {
          if (p.ops.length === 0) continue;
          if (p.id === 0) {
            // The chain cannot have changed: we hold its head exclusively.
            p.id = await this.#lockHead(backend, p.block, 'exclusive');
            held.push(p.id);
            p.page = backend.getPage(p.id);
          }
          planned.push(p);
        }
      }
      if (planned.length > KV_PAGES_PER_COMMIT_MAX) {
        throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `transaction changes ${planned.length} pages; at most ${KV_PAGES_PER_COMMIT_MAX}`);
      }
      // A PANIC elsewhere while we waited for locks: change nothing.
      this.#checkUsable();
      pageCount = planned.length;
      if (planned.length > 0) {
        // 2. Critical section (W4): modify, MarkBufferDirty, XLogInsert, PageSetLSN. An error here is a PANIC.
        try {
          const blocks: BlockRef[] = [];
          planned.forEach((p, i) => {
            applyPageOps(p.page, p.ops);
            backend.markDirty(p.id);
            blocks.push({
              id: i, rel: KV_RELATION, fork: 0, block: p.block as BlockNumber, flags: p.willInit ? { willInit: true, standard: true } : { standard: true },
              page: p.page.bytes, data: encodePageOps(p.ops),
            });
          });
          ({ endLsn } = await this.wal.insert({ rmid: RM_KV_ID, info: XLOG_KV_CHANGE, xid, mainData: new Uint8Array(0), blocks }));
          for (const p of planned) backend.setPageLsn(p.id, endLsn);
        } catch (err) {
          throw this.#panic(err);
        }
      }
    } finally {
      // 3. Unlock and unpin (a PANIC leaves the pages changed but unwritable: W1 callback refuses).
      for (const id of held) backend.unlockReleaseBuffer(id);
      this.#returnBackend(backend);
    }
    // 4. Commit: the record is durable once the WAL is flushed past it (group commit).
    if (endLsn !== undefined) await this.#flushCommit(endLsn);
    this.stats.commits++;
    this.stats.pagesChanged += pageCount;
    return { xid, endLsn: endLsn ?? this.wal.flushedLsn, pageCount };
  }

  async #flushCommit(endLsn: Lsn): Promise<void> {
    try {
      await this.wal.flush(endLsn);
    } catch (err) {
      // ENOSPC on WAL (WAL9) leaves the log usable but our record unflushed and the page
      // already changed in memory: it can neither be acknowledged nor undone. Stop.
      throw this.#panic(err);
    }
  }

  // ---- checkpoints and shutdown -------------------------------------------------------------

  /**
   * A checkpoint (W18): the redo pointer moves, every dirty page is written (WAL first) and
   * fsynced, the checkpoint record is logged and pg_control updated. ENOSPC on a data file
   * fails the checkpoint and the store continues; a failed fsync stops the store (FS3).
   */
  async checkpoint(): Promise<void> {
    this.#checkUsable();
    assert(this.#checkpointer !== undefined, 'store not open');
    try {
      await this.#checkpointer.checkpoint({ force: true });
    } catch (err) {
      if (isPanic(err) || this.#wal?.failure) throw this.#panic(err);
      throw err;
    }
  }

  /** Writes every dirty page (WAL first) without a checkpoint, as eviction or the background writer would. */
  async writeDirtyPages(): Promise<number> {
    this.#checkUsable();
    return (await this.pool.flushAll()).writtenCount;
  }

  /** Reads every block of the relation from its file through the transform (checksum verified). Returns the block count. */
  async verifyAllPages(): Promise<number> {
    const nblocks = await this.smgr.nblocks(KV_RELATION, 'main');
    const into = new Uint8Array(8192);
    for (let block = 0; block < nblocks; block++) await this.smgr.read(KV_RELATION, 'main', block, into);
    return nblocks;
  }

  /** Clean shutdown: a shutdown checkpoint, then the files are closed. A stopped store is only closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.#failure) {
      await this.#checkpointer?.checkpoint({ shutdown: true });
    }
    this.#closed = true;
    await this.#wal?.close();
    await this.smgr.closeAll().catch(() => undefined);
    for (const backend of this.#idle.splice(0)) backend.close();
  }
}
