// Unit tests of KvStore on the simulated file system: the API, the page layout, the
// protocol's visible effects (page LSNs, full-page images after a checkpoint) and reopening.

import { SimulatedFileSystem } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { KV_VALUE_BYTES_MAX, KvStore } from '../src/index.ts';
import { DATA_DIR, openSim, valueFor } from './support/open.ts';

describe('KvStore', () => {
  it('[KV1] put, get, overwrite and delete', async () => {
    const fs = new SimulatedFileSystem({ seed: 1 });
    const store = await openSim(fs);
    await store.put('a', 'one');
    await store.put('b', 'two');
    await store.put('a', 'three');
    await store.delete('b');
    expect(await store.getString('a')).toBe('three');
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('never')).toBeUndefined();
    await store.close();
  });

  it('[KV2] a transaction of many keys is one record; values up to a few KiB spill into overflow pages', async () => {
    const fs = new SimulatedFileSystem({ seed: 2 });
    const store = await openSim(fs, { bucketCount: 2 });
    const before = store.wal.stats.recordsInserted;
    const ops = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: valueFor(`k${i}`, 0, 3000) }));
    const result = await store.commit(ops);
    expect(store.wal.stats.recordsInserted - before).toBe(1);
    expect(result.pageCount).toBeGreaterThan(2);
    expect(store.stats.overflowPagesAdded).toBeGreaterThan(0);
    for (const { key, value } of ops) expect(await store.getString(key)).toBe(value);
    await expect(store.put('big', 'x'.repeat(KV_VALUE_BYTES_MAX + 1))).rejects.toMatchObject({ code: '54000' });
    await store.close();
  });

  it('[KV3] reopens after a clean shutdown with every commit, without replaying anything', async () => {
    const fs = new SimulatedFileSystem({ seed: 3 });
    const a = await openSim(fs);
    for (let i = 0; i < 50; i++) await a.put(`k${i}`, valueFor(`k${i}`, i, 200));
    await a.close();
    const b = await openSim(fs);
    expect(b.recovery.kind).toBe('none');
    const entries = await b.entries();
    expect(entries.size).toBe(50);
    expect(new TextDecoder().decode(entries.get('k49'))).toBe(valueFor('k49', 49, 200));
    await b.close();
  });

  it('[W4][W3] a changed page carries its record\'s end LSN; the first change after a checkpoint logs a full-page image', async () => {
    const fs = new SimulatedFileSystem({ seed: 4 });
    const store = await openSim(fs);
    await store.put('x', '1');
    await store.checkpoint();
    const fpiBefore = store.wal.stats.fullPageImages;
    const { endLsn } = await store.put('x', '2');
    expect(store.wal.stats.fullPageImages).toBe(fpiBefore + 1);
    await store.put('x', '3');
    expect(store.wal.stats.fullPageImages).toBe(fpiBefore + 1);
    expect(store.wal.flushedLsn).toBeGreaterThanOrEqual(endLsn);
    await store.close();
  });

  it('[W1] concurrent committers share WAL flushes (group commit) and all become durable', async () => {
    const fs = new SimulatedFileSystem({ seed: 5 });
    const store = await openSim(fs);
    const syncsBefore = store.wal.stats.flushSyncs;
    await Promise.all(Array.from({ length: 8 }, (_, w) => (async () => {
      for (let i = 0; i < 10; i++) await store.put(`w${w}-${i}`, valueFor(`w${w}`, i, 100));
    })()));
    expect(store.wal.stats.flushSyncs - syncsBefore).toBeLessThan(80);
    const crashed = fs.crash({ seed: 5, keepProbability: 0 });
    const again = await openSim(crashed);
    expect(again.recovery.kind).toBe('crash');
    expect((await again.entries()).size).toBe(80);
    await again.close();
  });

  it('[KV4] a data directory path is created 0700', async () => {
    const fs = new SimulatedFileSystem({ seed: 6 });
    const store = await KvStore.open({ fs, dataDir: DATA_DIR, segSizeBytes: 1024 * 1024, zeroFillSegments: false });
    expect((await fs.stat(DATA_DIR)).mode).toBe(0o700);
    await store.close();
  });
});

describe('KvStore regressions', () => {
  it('[KV10] a temporary WAL segment left by a crash does not stop the next segment from being created (crash simulation)', async () => {
    const fs = new SimulatedFileSystem({ seed: 20 });
    const a = await openSim(fs);
    await a.close();
    // What a crash during segment creation leaves behind, named as this process would name its next one.
    await fs.writeFileAtomic(`${DATA_DIR}/pg_wal/xlogtemp.${process.pid}.1`, new Uint8Array(4096));
    const b = await openSim(fs);
    const segmentsBefore = b.wal.stats.segmentsCreated;
    for (let i = 0; i < 320; i++) await b.put(`k${i % 24}`, valueFor(`k${i % 24}`, i, 3500));
    expect(b.wal.stats.segmentsCreated).toBeGreaterThan(segmentsBefore);
    expect(await b.getString('k23')).toBe(valueFor('k23', 311, 3500));
    await b.close();
  });
});
