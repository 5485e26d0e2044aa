// A minimal Palisade instance for the access methods' tests and examples: storage manager,
// shared buffers, WAL with crash recovery, and the transaction manager, wired as the server
// wires them. Entry points: bootstrapInstance, openInstance, Instance.

import { type FileSystem, type Oid, type Xid, assert } from '@palisade/common';
import { BufferPool, ChecksumTransform, StorageManager } from '@palisade/bufmgr';
import {
  type DecodedRecord, type RecoveryResult, type ResourceManager, type Wal, type Checkpointer, ResourceManagerRegistry,
  bootstrapWal, startupWal, xlogResourceManager,
} from '@palisade/wal';
import { TransactionManager, MemorySlruStore, ProcFlags, decodeXactRecord, type Session } from '@palisade/mvcc';
import {
  BufferRedoContext, WalXactLog, XactRecordCollector, heapResourceManager, heap2ResourceManager, btreeResourceManager,
  type AccessBackend, type AccessStorage,
} from '@palisade/access';

export const DATA_DIR = '/pgdata';
const XACT_DIR = `${DATA_DIR}/pg_xact`;
/** Checkpoint waits for commits in progress at most this many rounds of 1 ms (DELAY_CHKPT). */
const COMMIT_WAIT_ROUNDS_MAX = 10_000;
const MAX_BACKENDS = 32;

/** Loads the commit log pages written by the last checkpoint (pg_xact/<page hex>). */
async function loadCommitLog(fs: FileSystem): Promise<MemorySlruStore> {
  const store = new MemorySlruStore();
  if (!(await fs.exists(XACT_DIR))) return store;
  for (const name of await fs.readdir(XACT_DIR)) {
    if (!/^[0-9A-F]{8}$/.test(name)) continue;
    store.write(parseInt(name, 16), await fs.readFile(`${XACT_DIR}/${name}`));
  }
  return store;
}

export interface InstanceOptions {
  /** shared_buffers in buffers (default 64). */
  bufferCount?: number;
  /** WAL segment size (default 1 MiB). */
  segSizeBytes?: number;
  /** deadlock_timeout (default 50 ms in tests). */
  deadlockTimeoutMs?: number;
}

/** A running instance over one file system. */
export class Instance implements AccessStorage {
  constructor(
    readonly fs: FileSystem,
    readonly smgr: StorageManager,
    readonly pool: BufferPool,
    readonly wal: Wal,
    readonly checkpointer: Checkpointer,
    readonly transactions: TransactionManager,
    readonly recovery: RecoveryResult,
  ) {}

  /** A session with its buffer backend. */
  connect(): AccessBackend {
    return { session: this.transactions.connect(), buffers: this.pool.registerBackend() };
  }

  /** Ends a session: rolls back, releases its buffers. */
  disconnect(b: AccessBackend): void {
    b.session.close();
    b.buffers.close();
  }

  async checkpoint(): Promise<void> {
    await this.checkpointer.checkpoint({ force: true });
  }

  /** Clean shutdown: shutdown checkpoint, close the log. */
  async shutdown(): Promise<void> {
    await this.checkpointer.checkpoint({ shutdown: true, force: true });
    await this.wal.close();
  }
}

/** Creates a cluster (initdb) on `fs`. */
export async function bootstrapInstance(fs: FileSystem, opts: InstanceOptions = {}): Promise<void> {
  await fs.mkdir(DATA_DIR, { recursive: true, mode: 0o700 });
  await fs.syncDir('/');
  await bootstrapWal({ fs, dataDir: DATA_DIR, segSizeBytes: opts.segSizeBytes ?? 1024 * 1024, dataChecksumVersion: 0 });
}

/** Starts the instance: crash recovery if needed, then the transaction manager rebuilt from WAL. */
export async function openInstance(fs: FileSystem, opts: InstanceOptions = {}): Promise<Instance> {
  const smgr = new StorageManager({ fs, dataDirectory: DATA_DIR, transform: new ChecksumTransform({ dataChecksums: false }) });
  let walRef: Wal | undefined;
  let manager: TransactionManager | undefined;
  const pool = new BufferPool({
    bufferCount: opts.bufferCount ?? 64, smgr, dataChecksums: false,
    // During recovery every replayed record is already durable: nothing to flush.
    flushWalUpTo: async (lsn) => { if (walRef !== undefined) await walRef.flush(lsn); },
  });
  const clogStore = await loadCommitLog(fs);
  const collector = new XactRecordCollector();
  let maxXid = 2n;
  const observe = (rm: ResourceManager): ResourceManager => ({
    ...rm,
    redo: (record: DecodedRecord, ctx) => {
      if (record.xid > maxXid) maxXid = record.xid;
      return rm.redo(record, ctx);
    },
  });
  const registry = new ResourceManagerRegistry();
  registry.register(xlogResourceManager);
  registry.register(collector);
  registry.register(observe(heapResourceManager));
  registry.register(observe(heap2ResourceManager));
  registry.register(observe(btreeResourceManager));
  const redoBackend = pool.registerBackend();
  const nextXidNow = (): Xid => {
    if (manager !== undefined) return manager.procArray.nextXid();
    let max = maxXid;
    for (const r of collector.records) {
      const rec = decodeXactRecord(r.bytes);
      if (rec.kind !== 'multixact-create') {
        if (rec.xid > max) max = rec.xid;
        for (const s of rec.subxids) if (s > max) max = s;
      }
    }
    return (max + 1n) as Xid;
  };
  const started = await startupWal({
    fs, dataDir: DATA_DIR, registry, redo: new BufferRedoContext(redoBackend, smgr),
    checkpoint: {
      flushAllBuffers: async () => {
        if (manager !== undefined && walRef !== undefined) await checkpointCommitLog(fs, manager, walRef, clogStore);
        await pool.flushAll();
      },
      syncAllPending: async () => { await smgr.syncAllPending(); },
      getNextXid: nextXidNow,
      getNextOid: () => 20000 as Oid,
    },
  });
  redoBackend.close();
  assert(started.status === 'running', 'crash recovery must end with a running instance');
  walRef = started.wal;
  const nextXid = started.recovery.nextXid > nextXidNow() ? started.recovery.nextXid : nextXidNow();
  manager = TransactionManager.recover(collector.records, {
    log: new WalXactLog(started.wal), nextXid, deadlockTimeoutMs: opts.deadlockTimeoutMs ?? 50, maxBackends: MAX_BACKENDS, clogStore,
  });
  return new Instance(fs, smgr, pool, started.wal, started.checkpointer, manager, started.recovery);
}

/**
 * CheckPointCLOG: waits until no transaction is between its commit record and its commit-log
 * update (a commit before the redo pointer must be in the saved pages), flushes WAL, writes the
 * commit log's dirty pages into the store and the store durably into pg_xact.
 */
async function checkpointCommitLog(fs: FileSystem, manager: TransactionManager, wal: Wal, store: MemorySlruStore): Promise<void> {
  for (let round = 0; ; round++) {
    let busy = false;
    for (let slot = 0; slot < MAX_BACKENDS; slot++) if (manager.procArray.hasFlag(slot, ProcFlags.InCommit)) busy = true;
    if (!busy) break;
    assert(round < COMMIT_WAIT_ROUNDS_MAX, 'a commit stayed in progress through a checkpoint');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await wal.flush(wal.insertLsn);
  manager.clog.checkpoint();
  if (!(await fs.exists(XACT_DIR))) {
    await fs.mkdir(XACT_DIR, { mode: 0o700 });
    await fs.syncDir(DATA_DIR);
  }
  for (const pageNo of store.pageNumbers()) {
    const bytes = store.read(pageNo);
    if (bytes !== undefined) await fs.writeFileAtomic(`${XACT_DIR}/${pageNo.toString(16).toUpperCase().padStart(8, '0')}`, bytes);
  }
}

export type { Session };
