// Shared set-up of the benchmarks: a pool over the simulated file system with relations of
// initialised pages.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lsn, NodeFileSystem, oid, relFileNumber, SimulatedFileSystem, type FileSystem } from '@palisade/common';
import { BufferPool, ChecksumTransform, StorageManager, type RelFileLocator } from '@palisade/bufmgr';

export function relation(relNumber: number): RelFileLocator {
  return { dbOid: oid(5), relNumber: relFileNumber(relNumber) };
}

/**
 * A pool of `bufferCount` buffers with checksums on, over the simulated file system or, with
 * `realFiles`, over real files in a temporary directory (removed at exit).
 */
export async function makePool(bufferCount: number, options: { realFiles?: boolean } = {}): Promise<{ pool: BufferPool; smgr: StorageManager }> {
  let fs: FileSystem;
  if (options.realFiles === true) {
    const root = mkdtempSync(join(tmpdir(), 'palisade-bufmgr-bench-'));
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
    fs = new NodeFileSystem({ root });
  } else {
    fs = new SimulatedFileSystem();
  }
  // Relative: NodeFileSystem resolves it under its root.
  await fs.mkdir('data', { recursive: true });
  const smgr = new StorageManager({ fs, dataDirectory: 'data', transform: new ChecksumTransform({ dataChecksums: true }) });
  const pool = new BufferPool({ bufferCount, smgr, dataChecksums: true, flushWalUpTo: () => {}, logHintFullPageImage: () => lsn(0) });
  return { pool, smgr };
}

/** Creates a relation of `blocks` initialised pages, written and synced. */
export async function fillRelation(pool: BufferPool, rel: RelFileLocator, blocks: number): Promise<void> {
  await pool.smgr.create(rel, 'main');
  const be = pool.registerBackend();
  for (let b = 0; b < blocks; b++) {
    const { bufferId } = await be.extendRelation(rel, 'main');
    await be.lockBuffer(bufferId, 'exclusive');
    const page = be.getPage(bufferId);
    page.init(0);
    page.addItem(new Uint8Array(100).fill(b & 0xff));
    be.markDirty(bufferId);
    be.unlockReleaseBuffer(bufferId);
  }
  await pool.flushAll();
  await pool.smgr.syncAllPending();
  be.close();
}
