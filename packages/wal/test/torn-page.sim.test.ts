// Torn data pages repaired by full-page images (W3): a tiny buffer pool over one relation
// file, a resource manager that writes bytes into pages, pages written back (WAL first, W1)
// without sync and torn at a random byte by the crash; after recovery every page must equal
// exactly what the replayed WAL says, LSN included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockNumber, FileSystem, Lsn, Oid, RelFileNumber, Xid } from '@palisade/common';
import { BLCKSZ, pageGetLsn, pageSetLsn } from '../src/page.ts';
import type { DecodedRecord } from '../src/record.ts';
import { bootstrapWal, startupWal } from '../src/recovery.ts';
import { finishBlockRedo, readBufferForRedo, type BlockLocation, type RedoContext, type ResourceManager } from '../src/rmgr.ts';
import type { Wal } from '../src/wal.ts';
import { CrashingFileSystem } from './support/crashing-fs.ts';
import { DATA_DIR, newDisk, noopCallbacks, registryWith, type SimulatedFileSystem } from './support/harness.ts';
import { isIoFailure } from './support/workload.ts';

const RMID = 202;
const REL_PATH = `${DATA_DIR}/rel`;
const rel = { spcOid: 1663 as Oid, dbOid: 1 as Oid, relNumber: 16384 as RelFileNumber };
const BLOCKS = 4;

/** The test double of a buffer pool: pages in memory, dirty set, write-back with the WAL rule. */
class PagePool implements RedoContext {
  readonly pages = new Map<number, Uint8Array>();
  readonly dirty = new Set<number>();
  wal: Wal | undefined;
  constructor(readonly fs: FileSystem) {}

  async get(block: number): Promise<Uint8Array> {
    let page = this.pages.get(block);
    if (!page) {
      page = new Uint8Array(BLCKSZ);
      if (await this.fs.exists(REL_PATH)) {
        const h = await this.fs.open(REL_PATH);
        await h.read(page, 0, BLCKSZ, block * BLCKSZ);
        await h.close();
      }
      this.pages.set(block, page);
    }
    return page;
  }
  async readPage(loc: BlockLocation, mode: 'read' | 'zero'): Promise<Uint8Array> {
    const page = await this.get(loc.block);
    if (mode === 'zero') page.fill(0);
    return page;
  }
  markDirty(loc: BlockLocation): void {
    this.dirty.add(loc.block);
  }
  /** Writes one dirty page back, unsynced: WAL is flushed to its LSN first (W1). */
  async writeBack(block: number): Promise<void> {
    const page = this.pages.get(block);
    if (!page || !this.dirty.has(block)) return;
    if (this.wal) await this.wal.flush(pageGetLsn(page));
    if (!(await this.fs.exists(REL_PATH))) {
      // The storage manager creates the file durably before anything refers to it (W6).
      const created = await this.fs.open(REL_PATH, { create: true });
      await created.sync();
      await created.close();
      await this.fs.syncDir(DATA_DIR);
    }
    const h = await this.fs.open(REL_PATH);
    await h.write(page.slice(), 0, BLCKSZ, block * BLCKSZ);
    await h.close();
    this.dirty.delete(block);
  }
  async flushAll(): Promise<void> {
    for (const b of [...this.dirty]) await this.writeBack(b);
  }
  async syncAll(): Promise<void> {
    if (!(await this.fs.exists(REL_PATH))) return;
    const h = await this.fs.open(REL_PATH);
    await h.sync();
    await h.close();
  }
}

function encodeChange(offset: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + bytes.length);
  out[0] = offset & 0xff; out[1] = offset >> 8;
  out.set(bytes, 2);
  return out;
}

const pageRmgr: ResourceManager = {
  id: RMID,
  name: 'Page',
  async redo(record: DecodedRecord, ctx: RedoContext) {
    const { action, page, block } = await readBufferForRedo(ctx, record, 0);
    if (action !== 'needsRedo') return;
    const data = block.data!;
    page!.set(data.subarray(2), data[0]! | (data[1]! << 8));
    await finishBlockRedo(ctx, record, block, page!);
  },
  desc: () => 'write',
};

type Op = { kind: 'write'; block: number; offset: number; length: number; fill: number } | { kind: 'evict'; block: number } | { kind: 'checkpoint' } | { kind: 'commit' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), block: fc.integer({ min: 0, max: BLOCKS - 1 }), offset: fc.integer({ min: 8, max: BLCKSZ - 200 }), length: fc.integer({ min: 1, max: 200 }), fill: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('evict' as const), block: fc.integer({ min: 0, max: BLOCKS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('checkpoint' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const) }) },
);

interface Change { endLsn: bigint; block: number; offset: number; bytes: Uint8Array }

async function start(fs: FileSystem, pool: PagePool) {
  const r = await startupWal({
    fs, dataDir: DATA_DIR, registry: registryWith(pageRmgr), redo: pool, wal: { walBuffersBytes: 64 * 1024 },
    checkpoint: noopCallbacks({ flushAllBuffers: () => pool.flushAll(), syncAllPending: () => pool.syncAll() }),
  });
  if (r.status !== 'running') throw new Error('not running');
  pool.wal = r.wal;
  return r;
}

async function runCase(ops: Op[], crashFraction: number, seed: number): Promise<void> {
  const disk: SimulatedFileSystem = await newDisk();
  await bootstrapWal({ fs: disk, dataDir: DATA_DIR, segSizeBytes: 64 * 1024, zeroFillSegments: false });
  const changes: Change[] = [];
  const probe = new CrashingFileSystem(disk.clone(), { crashAtOperation: Number.MAX_SAFE_INTEGER, seed });
  await workload(probe, ops, []);
  const fs = new CrashingFileSystem(disk, { crashAtOperation: disk.operationCount + Math.floor(probe.disk.operationCount * crashFraction), seed, keepProbability: 0.2, tearProbability: 1 });
  await workload(fs, ops, changes);
  const after = fs.crashNow();
  const pool = new PagePool(after);
  const r = await start(after, pool);
  const end = r.recovery.endLsn;
  const expected = Array.from({ length: BLOCKS }, () => new Uint8Array(BLCKSZ));
  for (const c of changes) {
    if (c.endLsn > end) continue;
    expected[c.block]!.set(c.bytes, c.offset);
    pageSetLsn(expected[c.block]!, c.endLsn as Lsn);
  }
  for (let b = 0; b < BLOCKS; b++) {
    const got = await pool.get(b);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(expected[b]!)), `block ${b} differs after recovery (end ${end})`).toBe(0);
  }
}

async function workload(fs: CrashingFileSystem, ops: Op[], changes: Change[]): Promise<void> {
  const pool = new PagePool(fs);
  let wal: Wal | undefined;
  try {
    const r = await start(fs, pool);
    wal = r.wal;
    for (const op of ops) {
      if (op.kind === 'write') {
        const page = await pool.get(op.block);
        const bytes = new Uint8Array(op.length).fill(op.fill);
        page.set(bytes, op.offset);
        const { endLsn } = await wal.insert({
          rmid: RMID, info: 0, xid: 5n as Xid, mainData: new Uint8Array(0),
          blocks: [{ id: 0, rel, fork: 0, block: op.block as BlockNumber, flags: {}, page, data: encodeChange(op.offset, bytes) }],
        });
        pageSetLsn(page, endLsn);
        pool.dirty.add(op.block);
        changes.push({ endLsn, block: op.block, offset: op.offset, bytes });
      } else if (op.kind === 'evict') await pool.writeBack(op.block);
      else if (op.kind === 'checkpoint') await r.checkpointer.checkpoint({ force: true });
      else await wal.flushAll();
    }
  } catch (err) {
    if (!(fs.crashed && isIoFailure(err))) throw err;
  }
}

describe('torn pages', () => {
  it('[W3][W2] a data page torn by a crash is restored exactly by its full-page image and later records', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 2 ** 30 }), runCase), {
      numRuns: process.env.PALISADE_SOAK ? 5000 : 300,
      reporter: (details) => {
        if (details.failed) throw new Error(`torn page simulation failed: seed ${details.seed}\n${fc.defaultReportMessage(details)}`);
      },
    });
  }, 120_000);
});
