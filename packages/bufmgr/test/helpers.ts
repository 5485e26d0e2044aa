// Test fixtures: a pool over the simulated file system, with a recording WAL stub.

import { InvalidLsn, oid, relFileNumber, SimulatedFileSystem, type Lsn, type PgError } from '@palisade/common';
import { BufferPool, type BufferPoolOptions, type BufferTag } from '../src/buffer-pool.ts';
import type { RelFileLocator } from '../src/relfile.ts';
import { StorageManager } from '../src/smgr.ts';
import { ChecksumTransform } from '../src/transform.ts';

export const DATA_DIR = '/data';

export function rel(relNumber: number, dbOid = 5): RelFileLocator {
  return { dbOid: oid(dbOid), relNumber: relFileNumber(relNumber) };
}

export interface TestPool {
  fs: SimulatedFileSystem;
  smgr: StorageManager;
  pool: BufferPool;
  checksums: ChecksumTransform;
  notices: PgError[];
  /** Every LSN passed to flushWalUpTo, in order. */
  walFlushes: Lsn[];
  /** Events in order: `wal:<lsn>` and `write:<path>:<block>`, to check W1. */
  events: string[];
  /** The WAL flush pointer of the stub. */
  flushedLsn: { value: Lsn };
  hintImages: BufferTag[];
}

export interface TestPoolOptions {
  bufferCount?: number;
  segmentSizeBlocks?: number;
  dataChecksums?: boolean;
  fs?: SimulatedFileSystem;
  openFileCountMax?: number;
  pool?: Partial<BufferPoolOptions>;
}

export async function makeTestPool(options: TestPoolOptions = {}): Promise<TestPool> {
  const fs = options.fs ?? new SimulatedFileSystem({ seed: 1 });
  if (!(await fs.exists(DATA_DIR))) {
    await fs.mkdir(DATA_DIR, { recursive: true });
    await fs.syncDir('/');
  }
  const notices: PgError[] = [];
  const events: string[] = [];
  const walFlushes: Lsn[] = [];
  const hintImages: BufferTag[] = [];
  const flushedLsn = { value: InvalidLsn };
  const checksums = new ChecksumTransform({ dataChecksums: options.dataChecksums ?? true, onNotice: (n) => notices.push(n) });
  const transform = {
    encodePage(bytes: Uint8Array, loc: { relationPath: string; blockNumber: number }) {
      events.push(`write:${loc.relationPath}:${loc.blockNumber}`);
      checksums.encodePage(bytes, loc);
    },
    decodePage: checksums.decodePage.bind(checksums),
  };
  const smgr = new StorageManager({
    fs, dataDirectory: DATA_DIR, segmentSizeBlocks: options.segmentSizeBlocks ?? 4, transform,
    onNotice: (n) => notices.push(n), openFileCountMax: options.openFileCountMax ?? 8,
  });
  const pool = new BufferPool({
    bufferCount: options.bufferCount ?? 16,
    smgr,
    dataChecksums: options.dataChecksums ?? true,
    flushWalUpTo: (lsn) => {
      walFlushes.push(lsn);
      events.push(`wal:${lsn}`);
      if (lsn > flushedLsn.value) flushedLsn.value = lsn;
    },
    walNeedsFlush: (lsn) => lsn > flushedLsn.value,
    logHintFullPageImage: (tag) => {
      hintImages.push(tag);
      return InvalidLsn;
    },
    onNotice: (n) => notices.push(n),
    ...options.pool,
  });
  return { fs, smgr, pool, checksums, notices, walFlushes, events, flushedLsn, hintImages };
}

/** Fills a page's bytes 100..107 with a recognisable stamp after PageInit. */
export function stampPage(bytes: Uint8Array, stamp: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  view.setUint32(8000, stamp, true);
}

export function readStamp(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(8000, true);
}
