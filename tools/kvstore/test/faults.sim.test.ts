// Faults on the simulated disk: ENOSPC on a data file write during a checkpoint or an eviction
// fails that operation and the store keeps working once space returns; a failed fsync, of a
// data file or of WAL, stops the store (FS3: never retried), and reopening recovers it.

import { SimulatedFileSystem } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { KV_RELATION, type KvStore } from '../src/index.ts';
import { openSim, valueFor } from './support/open.ts';

async function expectAll(store: KvStore, expected: Map<string, string>): Promise<void> {
  const entries = await store.entries();
  expect(new Map([...entries].map(([k, v]) => [k, new TextDecoder().decode(v)]))).toEqual(expected);
  await store.verifyAllPages();
  expect(store.transform.checksumFailureCount).toBe(0);
}

describe('faults', () => {
  it('[KV8] ENOSPC on a data file write during a checkpoint fails the checkpoint; the store keeps working and checkpoints once space returns', async () => {
    const fs = new SimulatedFileSystem({ seed: 11 });
    const store = await openSim(fs);
    const expected = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      expected.set(`k${i}`, valueFor(`k${i}`, i, 500));
      await store.put(`k${i}`, expected.get(`k${i}`)!);
    }
    const full = fs.addFault({ op: 'write', path: 'base/', code: 'ENOSPC', times: Number.POSITIVE_INFINITY });
    await expect(store.checkpoint()).rejects.toMatchObject({ code: '53100' });
    expect(store.failure).toBeUndefined();
    for (let i = 30; i < 40; i++) {
      expected.set(`k${i}`, valueFor(`k${i}`, i, 500));
      await store.put(`k${i}`, expected.get(`k${i}`)!);
    }
    expect(await store.getString('k35')).toBe(expected.get('k35'));
    full();
    await store.checkpoint();
    await store.put('after', 'space');
    expected.set('after', 'space');
    const reopened = await openSim(fs.crash({ seed: 11, keepProbability: 0 }));
    await expectAll(reopened, expected);
    await reopened.close();
  });

  it('[KV8] ENOSPC on a data file write during eviction fails that transaction only (nothing of it applied); the store keeps working', async () => {
    const fs = new SimulatedFileSystem({ seed: 12 });
    const store = await openSim(fs, { bufferCount: 16, bucketCount: 8 });
    const expected = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      expected.set(`k${i}`, valueFor(`k${i}`, 0, 2500));
      await store.put(`k${i}`, expected.get(`k${i}`)!);
    }
    await store.checkpoint();
    const blocks = await store.smgr.nblocks(KV_RELATION, 'main');
    expect(blocks).toBeGreaterThan(16);
    const full = fs.addFault({ op: 'write', path: 'base/', code: 'ENOSPC', times: Number.POSITIVE_INFINITY });
    const evictionsBefore = store.pool.stats.totals.evictions;
    let failures = 0;
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 60; i++) {
        const value = valueFor(`k${i}`, round, 2500);
        try {
          await store.commit([{ key: `k${i}`, value }, { key: `k${(i + 30) % 60}` }]);
          expected.set(`k${i}`, value);
          expected.delete(`k${(i + 30) % 60}`);
        } catch (err) {
          expect(err).toMatchObject({ code: '53100' });
          expect((err as Error).message).toMatch(/could not write block/);
          failures++;
        }
      }
    }
    expect(failures).toBeGreaterThan(0);
    expect(store.failure).toBeUndefined();
    expect(await store.smgr.nblocks(KV_RELATION, 'main')).toBe(blocks);
    full();
    await store.put('after', 'space');
    expected.set('after', 'space');
    expect(store.pool.stats.totals.evictions).toBeGreaterThan(evictionsBefore);
    await expectAll(store, expected);
    await store.checkpoint();
    const reopened = await openSim(fs.crash({ seed: 12 }), { bufferCount: 16, bucketCount: 8 });
    await expectAll(reopened, expected);
    await reopened.close();
  });

  it('[KV9][FS3] a failed fsync of a data file during a checkpoint stops the store; it is not retried; reopening recovers every commit', async () => {
    const fs = new SimulatedFileSystem({ seed: 13 });
    const store = await openSim(fs);
    const expected = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      expected.set(`k${i}`, valueFor(`k${i}`, i, 300));
      await store.put(`k${i}`, expected.get(`k${i}`)!);
    }
    const failing = fs.addFault({ op: 'sync', path: 'base/', code: 'EIO' });
    await expect(store.checkpoint()).rejects.toMatchObject({ severity: 'PANIC' });
    expect(store.failure).toBeDefined();
    failing();
    // Never retried and continued: every later call fails the same way.
    await expect(store.checkpoint()).rejects.toBe(store.failure);
    await expect(store.put('x', 'y')).rejects.toBe(store.failure);
    await expect(store.get('k1')).rejects.toBe(store.failure);
    await store.close();
    const reopened = await openSim(fs.crash({ seed: 13 }));
    expect(reopened.recovery.kind).toBe('crash');
    await expectAll(reopened, expected);
    await reopened.close();
  });

  it('[KV9][FS3] a failed WAL fsync at commit stops the store; the commit is not acknowledged and after recovery is all or nothing', async () => {
    const fs = new SimulatedFileSystem({ seed: 14 });
    const store = await openSim(fs);
    const expected = new Map<string, string>();
    for (let i = 0; i < 10; i++) {
      expected.set(`k${i}`, valueFor(`k${i}`, i, 300));
      await store.put(`k${i}`, expected.get(`k${i}`)!);
    }
    fs.addFault({ op: 'sync', path: 'pg_wal', code: 'EIO' });
    const ops = [{ key: 'k1' }, { key: 'new', value: 'value' }];
    await expect(store.commit(ops)).rejects.toMatchObject({ severity: 'PANIC' });
    expect(store.failure).toBeDefined();
    await expect(store.writeDirtyPages()).rejects.toBe(store.failure);
    await store.close();
    fs.clearFaults();
    const reopened = await openSim(fs.crash({ seed: 14 }));
    const entries = await reopened.entries();
    const applied = new Map(expected);
    applied.delete('k1');
    applied.set('new', 'value');
    const got = new Map([...entries].map(([k, v]) => [k, new TextDecoder().decode(v)]));
    expect([expected, applied].some((m) => JSON.stringify([...m].sort()) === JSON.stringify([...got].sort()))).toBe(true);
    await reopened.close();
  });
});
