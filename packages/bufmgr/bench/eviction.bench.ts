// Clock-sweep eviction throughput: reading a relation 4× the pool size in a loop, so every
// read evicts a victim (clean, or dirty and written first). Baseline measured in the same run:
// StorageManager.read of the same blocks (file read + checksum verification), the I/O any miss
// must pay. Real files in a temporary directory, no fsync (the page cache absorbs the writes).
// Reports median pages/s and the ratio to the baseline.

import { Bench } from 'tinybench';
import { lsn } from '@palisade/common';
import { fillRelation, makePool, relation } from './setup.ts';

const POOL_BUFFERS = 64;
const BLOCK_COUNT = POOL_BUFFERS * 4;
const PAGES_PER_SAMPLE = 64;
// Real files (in the OS page cache): the simulated file system keeps every unsynced write.
const { pool, smgr } = await makePool(POOL_BUFFERS, { realFiles: true });
const rel = relation(16384);
await fillRelation(pool, rel, BLOCK_COUNT);
const be = pool.registerBackend();
const scratch = new Uint8Array(8192);

let next = 0;
let lsnCounter = 1;
const bench = new Bench({ time: 1500, warmup: true, warmupTime: 300 });
bench.add('baseline: smgr.read (file read + checksum)', async () => {
  for (let i = 0; i < PAGES_PER_SAMPLE; i++) await smgr.read(rel, 'main', (next++) % BLOCK_COUNT, scratch);
});
bench.add('readBuffer miss, clean victim', async () => {
  for (let i = 0; i < PAGES_PER_SAMPLE; i++) be.releaseBuffer(await be.readBuffer(rel, 'main', (next++) % BLOCK_COUNT));
});
bench.add('readBuffer miss + dirty, dirty victim written first', async () => {
  for (let i = 0; i < PAGES_PER_SAMPLE; i++) {
    const id = await be.readBuffer(rel, 'main', (next++) % BLOCK_COUNT);
    await be.lockBuffer(id, 'exclusive');
    be.markDirty(id);
    be.setPageLsn(id, lsn(lsnCounter++));
    be.unlockReleaseBuffer(id);
  }
});
await bench.run();
pool.checkInvariants();

const pagesPerSecond = (name: string): number => {
  const result = bench.getTask(name)?.result;
  return result?.state === 'completed' ? (PAGES_PER_SAMPLE * 1000) / result.latency.p50 : Number.NaN;
};
const base = pagesPerSecond('baseline: smgr.read (file read + checksum)');
console.table(bench.tasks.map((t) => ({
  task: t.name,
  'median pages/s': Math.round(pagesPerSecond(t.name)),
  'x baseline': (pagesPerSecond(t.name) / base).toFixed(2),
})));
const totals = pool.relationStats(rel);
console.log(`evictions ${totals.evictions}, writes ${totals.writes}, reads ${totals.reads}`);
