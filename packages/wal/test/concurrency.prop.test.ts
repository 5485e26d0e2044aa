// Interleavings of concurrent sessions (fc.scheduler): every file-system call of the WAL
// resolves in an order fast-check chooses, while sessions insert and commit. Afterwards a
// power loss that drops every unsynced write must still leave every acknowledged commit.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FileHandle, FileSystem, Xid } from '@palisade/common';
import { bootstrapWal, startupWal } from '../src/recovery.ts';
import { Wal } from '../src/wal.ts';
import { switchWal } from '../src/xlog.ts';
import { DATA_DIR, SeqRmgr, TEST_RMID, newDisk, noPages, noopCallbacks, registryWith, testPayload, type SimulatedFileSystem } from './support/harness.ts';

/** Wraps every asynchronous call so that the scheduler decides when it resolves. */
function scheduled(s: fc.Scheduler, disk: SimulatedFileSystem): FileSystem {
  const wrapHandle = (h: FileHandle): FileHandle => ({
    path: h.path,
    read: s.scheduleFunction((b: Uint8Array, o: number, l: number, p: number) => h.read(b, o, l, p)),
    write: s.scheduleFunction((b: Uint8Array, o: number, l: number, p: number) => h.write(b, o, l, p)),
    sync: s.scheduleFunction(() => h.sync()),
    truncate: s.scheduleFunction((n: number) => h.truncate(n)),
    size: s.scheduleFunction(() => h.size()),
    close: s.scheduleFunction(() => h.close()),
  });
  return {
    open: s.scheduleFunction(async (p: string, o?: Parameters<FileSystem['open']>[1]) => wrapHandle(await disk.open(p, o))),
    readFile: s.scheduleFunction((p: string) => disk.readFile(p)),
    writeFileAtomic: s.scheduleFunction((p: string, d: Uint8Array, m?: number) => disk.writeFileAtomic(p, d, m)),
    stat: s.scheduleFunction((p: string) => disk.stat(p)),
    exists: s.scheduleFunction((p: string) => disk.exists(p)),
    mkdir: s.scheduleFunction((p: string, o?: { recursive?: boolean; mode?: number }) => disk.mkdir(p, o)),
    readdir: s.scheduleFunction((p: string) => disk.readdir(p)),
    unlink: s.scheduleFunction((p: string) => disk.unlink(p)),
    rename: s.scheduleFunction((a: string, b: string) => disk.rename(a, b)),
    rm: s.scheduleFunction((p: string) => disk.rm(p)),
    chmod: s.scheduleFunction((p: string, m: number) => disk.chmod(p, m)),
    syncDir: s.scheduleFunction((p: string) => disk.syncDir(p)),
  };
}

describe('concurrent sessions', () => {
  it('[W27] under any interleaving, group commit acknowledges only durable commits and keeps each session\'s order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 6 }), async (s, sessions) => {
        const disk = await newDisk();
        await bootstrapWal({ fs: disk, dataDir: DATA_DIR, segSizeBytes: 64 * 1024, zeroFillSegments: false });
        const started = await startupWal({ fs: disk, dataDir: DATA_DIR, registry: registryWith(new SeqRmgr()), redo: noPages, checkpoint: noopCallbacks(), wal: { walBuffersBytes: 64 * 1024 } });
        if (started.status !== 'running') throw new Error('not running');
        // Continue at a segment start (no partial page to carry over) on the scheduled file system.
        const endLsn0 = await switchWal(started.wal);
        const prevLsn = started.wal.lastRecordLsn;
        await started.wal.close();
        const wal = await s.waitFor(Wal.open({
          fs: scheduled(s, disk), dataDir: DATA_DIR, systemIdentifier: started.control.data.systemIdentifier, timeLineId: 1, segSizeBytes: 64 * 1024,
          start: { endLsn: endLsn0, prevLsn }, redoRecPtr: started.wal.redoRecPtr, walBuffersBytes: 64 * 1024, zeroFillSegments: false,
        }));
        const acked: number[] = [];
        const work = sessions.map(async (sizes, sessionIndex) => {
          for (const [i, size] of sizes.entries()) {
            const seq = sessionIndex * 100 + i;
            const { endLsn } = await wal.insert({ rmid: TEST_RMID, info: 0, xid: BigInt(seq) as Xid, mainData: testPayload(seq, size) });
            await wal.flush(endLsn);
            expect(wal.flushedLsn).toBeGreaterThanOrEqual(endLsn);
            acked.push(seq);
          }
        });
        await s.waitFor(Promise.all(work));
        // Power loss that keeps nothing unsynced.
        const after = disk.crash({ seed: 1, keepProbability: 0, tearProbability: 0 });
        const rm = new SeqRmgr();
        const re = await startupWal({ fs: after, dataDir: DATA_DIR, registry: registryWith(rm), redo: noPages, checkpoint: noopCallbacks() });
        for (const seq of acked) expect(rm.replayed).toContain(seq);
        for (let k = 0; k < sessions.length; k++) {
          const mine = rm.replayed.filter((x) => Math.floor(x / 100) === k);
          expect(mine).toEqual([...mine].sort((a, b) => a - b));
        }
        if (re.status === 'running') await re.wal.close();
      }),
      { numRuns: process.env.PALISADE_SOAK ? 500 : 10 },
    );
  }, 60_000);
});
