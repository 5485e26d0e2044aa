// I/O-error loops: fail operation N with EIO or ENOSPC, for every N the workload performs;
// then lose power and recover. Whatever failed, every acknowledged commit survives and no
// record past a hole is replayed; after ENOSPC the log keeps working.

import { describe, expect, it } from 'vitest';
import { PgError } from '@palisade/common';
import { bootstrapWal } from '../src/recovery.ts';
import { DATA_DIR, newDisk, type SimulatedFileSystem } from './support/harness.ts';
import { commitNext, insertNext, isIoFailure, startInstance } from './support/workload.ts';

async function workload(fs: SimulatedFileSystem): Promise<{ acked: number; errors: PgError[]; panicked: boolean; failedOther: number }> {
  const errors: PgError[] = [];
  let failedOther = 0;
  const inst = await startInstance(fs, { walBuffersBytes: 64 * 1024 });
  const step = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      // PgErrors from the WAL; raw errno errors from the test's own snapshot file.
      if (!(err instanceof PgError) && !isIoFailure(err)) throw err;
      if (err instanceof PgError) errors.push(err);
      else failedOther += 1;
    }
  };
  // Bounded workload: 30 steps of inserts, commits and two checkpoints.
  for (let i = 0; i < 30 && !inst.wal.failure; i++) {
    if (i % 10 === 5) await step(() => inst.checkpointer.checkpoint({ force: true }));
    else if (i % 3 === 0) await step(() => Promise.all([commitNext(inst, 500), commitNext(inst, 3000), commitNext(inst, 10)]));
    else await step(() => insertNext(inst, 7000));
  }
  return { acked: inst.acked, errors, panicked: inst.wal.failure !== undefined, failedOther };
}

async function baseline(): Promise<{ disk: SimulatedFileSystem; opsBefore: number; opsTotal: number }> {
  const disk = await newDisk();
  await bootstrapWal({ fs: disk, dataDir: DATA_DIR, segSizeBytes: 64 * 1024, zeroFillSegments: false });
  const probe = disk.clone();
  await workload(probe);
  return { disk, opsBefore: disk.operationCount, opsTotal: probe.operationCount };
}

describe('I/O error loops', () => {
  for (const code of ['EIO', 'ENOSPC'] as const) {
    it(`[W21] failing operation N with ${code}, for every N, never loses an acknowledged commit`, async () => {
      const { disk, opsTotal } = await baseline();
      let failures = 0;
      for (let n = 1; n <= opsTotal; n++) {
        const fs = disk.clone();
        fs.failOperation(fs.operationCount + n, code);
        let result: Awaited<ReturnType<typeof workload>>;
        try {
          result = await workload(fs);
        } catch (err) {
          // Startup itself failed (the fault hit recovery): nothing was acknowledged in this run.
          expect(isIoFailure(err)).toBe(true);
          result = { acked: 0, errors: [], panicked: true, failedOther: 1 };
        }
        failures += result.errors.length + result.failedOther;
        for (const e of result.errors) {
          if (code === 'ENOSPC' && e.severity !== 'PANIC') expect(e.code).toBe('53100');
        }
        // Restart: power loss, recovery, the structural check of the recovered sequence.
        const recovered = await startInstance(fs.crash({ seed: n }), { walBuffersBytes: 64 * 1024 });
        expect(recovered.state.violation).toBeUndefined();
        expect(recovered.state.count).toBeGreaterThanOrEqual(result.acked);
      }
      expect(failures).toBeGreaterThan(0);
    }, 120_000);
  }
});
