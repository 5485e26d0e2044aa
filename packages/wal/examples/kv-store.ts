// A tiny durable key-value store built on @palisade/wal alone.
//
// State is a Map. Every commit is one WAL record (a batch of puts), acknowledged once the
// WAL is flushed past it. A checkpoint writes the whole Map to a snapshot file atomically,
// tagged with the LSN it includes; after a crash the store loads the snapshot and redo
// replays the records after it (skipping those the snapshot already has, by LSN).
//
// Run it:  node --import tsx --conditions=@palisade/source examples/kv-store.ts <dir> [count]
// It commits batches in a loop and prints "ACK <n>" for every acknowledged commit.

import { NodeFileSystem, type Lsn, type Oid, type Xid } from '@palisade/common';
import {
  RM_MIN_CUSTOM_ID, ResourceManagerRegistry, bootstrapWal, startupWal, xlogResourceManager, type Checkpointer, type DecodedRecord, type Wal,
} from '@palisade/wal';

const KV_RMID = RM_MIN_CUSTOM_ID + 2;
const XLOG_KV_PUT = 0x00;

interface Snapshot { lsn: string; entries: Array<[string, string]> }

function encodeBatch(entries: Array<[string, string]>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(entries));
}
function decodeBatch(bytes: Uint8Array): Array<[string, string]> {
  return JSON.parse(new TextDecoder().decode(bytes)) as Array<[string, string]>;
}

/** A durable Map<string, string>. */
export class KvStore {
  readonly #map = new Map<string, string>();
  #wal!: Wal;
  #checkpointer!: Checkpointer;
  /** LSN up to which the Map reflects WAL (the end of the last applied record). */
  #appliedLsn = 0n;
  #nextXid = 3n;

  private constructor(readonly fs: NodeFileSystem, readonly dir: string) {}

  /** Opens (creating or recovering) the store in `dir`. */
  static async open(dir: string): Promise<KvStore> {
    const fs = new NodeFileSystem();
    const store = new KvStore(fs, dir);
    if (!(await fs.exists(`${dir}/global/pg_control`))) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await bootstrapWal({ fs, dataDir: dir, segSizeBytes: 1024 * 1024 });
    }
    if (await fs.exists(`${dir}/kv.snapshot`)) {
      const snap = JSON.parse(new TextDecoder().decode(await fs.readFile(`${dir}/kv.snapshot`))) as Snapshot;
      for (const [k, v] of snap.entries) store.#map.set(k, v);
      store.#appliedLsn = BigInt(snap.lsn);
    }
    const registry = new ResourceManagerRegistry();
    registry.register(xlogResourceManager);
    registry.register({
      id: KV_RMID,
      name: 'KV',
      redo: (record: DecodedRecord) => {
        // Redo is idempotent by LSN: the snapshot already has what ends at or before its LSN.
        if (record.endLsn <= store.#appliedLsn) return;
        for (const [k, v] of decodeBatch(record.mainData)) store.#map.set(k, v);
        store.#appliedLsn = record.endLsn;
      },
      desc: (record: DecodedRecord) => `PUT ${decodeBatch(record.mainData).map(([k]) => k).join(', ')}`,
    });
    const result = await startupWal({
      fs,
      dataDir: dir,
      registry,
      redo: { readPage: () => undefined, markDirty: () => undefined },
      checkpoint: {
        flushAllBuffers: () => store.#writeSnapshot(),
        syncAllPending: async () => undefined,
        getNextXid: () => store.#nextXid as Xid,
        getNextOid: () => 10000 as Oid,
      },
    });
    if (result.status !== 'running') throw new Error('recovery stopped at a target');
    store.#wal = result.wal;
    store.#checkpointer = result.checkpointer;
    store.#nextXid = result.recovery.nextXid;
    return store;
  }

  /** The "buffer pool" write: the whole Map, after the WAL it reflects is durable (the WAL rule). */
  async #writeSnapshot(): Promise<void> {
    const lsn = this.#appliedLsn;
    if (this.#wal) await this.#wal.flush(lsn as Lsn);
    const snap: Snapshot = { lsn: lsn.toString(), entries: [...this.#map] };
    await this.fs.writeFileAtomic(`${this.dir}/kv.snapshot`, new TextEncoder().encode(JSON.stringify(snap)));
  }

  get(key: string): string | undefined {
    return this.#map.get(key);
  }

  get size(): number {
    return this.#map.size;
  }

  /** Commits a batch atomically; resolves once it is durable. */
  async commit(entries: Array<[string, string]>): Promise<void> {
    const xid = this.#nextXid++;
    const { endLsn } = await this.#wal.insert({ rmid: KV_RMID, info: XLOG_KV_PUT, xid: xid as Xid, mainData: encodeBatch(entries) });
    for (const [k, v] of entries) this.#map.set(k, v);
    this.#appliedLsn = endLsn;
    await this.#wal.flush(endLsn);
  }

  async checkpoint(): Promise<void> {
    await this.#checkpointer.checkpoint({ force: true });
  }

  /** Clean shutdown: a shutdown checkpoint, then the log is closed. */
  async close(): Promise<void> {
    await this.#checkpointer.checkpoint({ shutdown: true });
    await this.#wal.close();
  }
}

/** The child process of the kill test: commit batch n (two keys, one record), print ACK n, repeat. */
async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: kv-store.ts <dir> [count]');
  const count = Number(process.argv[3] ?? Number.MAX_SAFE_INTEGER);
  const store = await KvStore.open(dir);
  // Batches are numbered from the number already present: k<n>a and k<n>b.
  let n = store.size / 2;
  process.stdout.write(`READY ${n}\n`);
  for (let i = 0; i < count; i++, n++) {
    await store.commit([[`k${n}a`, `v${n}`], [`k${n}b`, `v${n}`]]);
    process.stdout.write(`ACK ${n}\n`);
    if (n % 40 === 39) await store.checkpoint();
  }
  await store.close();
  process.stdout.write('CLOSED\n');
}

const script = process.argv[1]?.split('/').pop() ?? '';
if (/^kv-store\.(ts|mjs|js)$/.test(script)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
