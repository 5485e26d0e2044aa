import { describe, expect, it } from 'vitest';
import { SimulatedFileSystem } from '@palisade/common';
import { DBState, readControlFile } from '../src/control.ts';
import { bootstrapWal, startupWal } from '../src/recovery.ts';
import { PG_WAL_DIR, parseSegmentFileName } from '../src/segment.ts';
import { DATA_DIR, SeqRmgr, newDisk, noPages, noopCallbacks, registryWith } from './support/harness.ts';
import { put, reopen } from './support/open.ts';

const SEG = 64 * 1024;
const WAL_DIR = `${DATA_DIR}/${PG_WAL_DIR}`;

/** A stale temporary segment, as a crash during segment creation leaves it (durable, partly filled). */
async function leaveTempFile(fs: SimulatedFileSystem, name: string): Promise<void> {
  const h = await fs.open(`${WAL_DIR}/${name}`, { create: true, exclusive: true });
  await h.write(new Uint8Array(4096).fill(0x77), 0, 4096, 0);
  await h.sync();
  await h.close();
  await fs.syncDir(WAL_DIR);
}

async function tempFiles(fs: SimulatedFileSystem): Promise<string[]> {
  return (await fs.readdir(WAL_DIR)).filter((name) => name.startsWith('xlogtemp.'));
}

/** Inserts and flushes until a segment beyond the current ones had to be created. */
async function fillSegments(wal: Awaited<ReturnType<typeof reopen>>['wal'], segments: number): Promise<void> {
  for (let i = 0; i < segments * 24; i++) await put(wal, i, 3000);
  await wal.flushAll();
}

describe('temporary segment files (WAL15)', () => {
  it('[WAL15] startup removes leftover xlogtemp files of a crashed process with the same pid, and new segments are created', async () => {
    const fs = await newDisk();
    await bootstrapWal({ fs, dataDir: DATA_DIR, segSizeBytes: SEG });
    for (let n = 1; n <= 3; n++) await leaveTempFile(fs, `xlogtemp.${process.pid}.${n}`);
    await leaveTempFile(fs, 'xlogtemp.1.1');
    const o = await reopen(fs);
    expect(await tempFiles(fs)).toEqual([]);
    const before = o.wal.stats.segmentsCreated;
    await fillSegments(o.wal, 3);
    expect(o.wal.stats.segmentsCreated).toBeGreaterThan(before);
    expect(o.wal.failure).toBeUndefined();
    await o.wal.close();
    const again = await reopen(fs.crash({ seed: 3, keepProbability: 0 }));
    expect(again.rm.replayed).toEqual([...Array(3 * 24).keys()]);
    await again.wal.close();
  });

  it('[WAL15] bootstrap removes leftover xlogtemp files in an existing pg_wal before creating the first segment', async () => {
    const fs = await newDisk();
    await fs.mkdir(WAL_DIR, { mode: 0o700 });
    await leaveTempFile(fs, `xlogtemp.${process.pid}.1`);
    await bootstrapWal({ fs, dataDir: DATA_DIR, segSizeBytes: SEG });
    expect(await tempFiles(fs)).toEqual([]);
    const o = await reopen(fs);
    expect(o.rm.replayed).toEqual([]);
    await o.wal.close();
  });

  it('[WAL15] a stale temporary file that appears after startup does not block segment creation', async () => {
    const fs = await newDisk();
    await bootstrapWal({ fs, dataDir: DATA_DIR, segSizeBytes: SEG });
    const o = await reopen(fs);
    for (let n = 1; n <= 4; n++) await leaveTempFile(fs, `xlogtemp.${process.pid}.${n}`);
    await fillSegments(o.wal, 3);
    expect(o.wal.failure).toBeUndefined();
    expect(o.wal.stats.segmentsCreated).toBeGreaterThan(0);
    const segments = (await fs.readdir(WAL_DIR)).filter((name) => parseSegmentFileName(name, SEG) !== undefined);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    await o.wal.close();
  });
});

describe('bootstrap durability (WAL16)', () => {
  for (const dataDir of [DATA_DIR, '/srv/clusters/main/data']) {
    for (const seed of [1, 2, 3]) {
      it(`[WAL16] a power loss right after bootstrapWal into a new ${dataDir} keeps the cluster, which starts (seed ${seed})`, async () => {
        const fs = new SimulatedFileSystem({ seed });
        const control = await bootstrapWal({ fs, dataDir, segSizeBytes: SEG });
        const after = fs.crash({ seed, keepProbability: 0 });
        expect(await after.exists(`${dataDir}/global/pg_control`)).toBe(true);
        expect(await after.exists(`${dataDir}/${PG_WAL_DIR}/archive_status`)).toBe(true);
        const read = await readControlFile(after, dataDir);
        expect(read.systemIdentifier).toBe(control.systemIdentifier);
        expect(read.state).toBe(DBState.DB_SHUTDOWNED);
        const rm = new SeqRmgr();
        const r = await startupWal({ fs: after, dataDir, registry: registryWith(rm), redo: noPages, checkpoint: noopCallbacks() });
        expect(r.status).toBe('running');
        if (r.status === 'running') {
          expect(r.recovery.kind).toBe('none');
          await r.wal.close();
        }
      });
    }
  }
});
