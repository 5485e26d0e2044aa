// Sequential scan of a relation twice the pool size, twice in a row, with the BULKREAD ring
// and without (the baseline, measured in the same run): how many pages of the scanned
// relation and of a previously cached "hot" relation stay resident, and what each scan costs.

import { Bench } from 'tinybench';
import type { BufferAccessStrategy, BufferPool } from '@palisade/bufmgr';
import { fillRelation, makePool, relation } from './setup.ts';

const POOL_BUFFERS = 256;
const SCAN_BLOCKS = POOL_BUFFERS * 2;
const HOT_BLOCKS = POOL_BUFFERS / 2;
const scanned = relation(16384);
const hot = relation(16385);

async function prepare(): Promise<BufferPool> {
  const { pool } = await makePool(POOL_BUFFERS);
  await fillRelation(pool, scanned, SCAN_BLOCKS);
  await fillRelation(pool, hot, HOT_BLOCKS);
  await pool.dropRelationBuffers(scanned);
  const be = pool.registerBackend();
  for (let round = 0; round < 3; round++) for (let b = 0; b < HOT_BLOCKS; b++) be.releaseBuffer(await be.readBuffer(hot, 'main', b));
  be.close();
  return pool;
}

async function scan(pool: BufferPool, strategy: BufferAccessStrategy | undefined): Promise<void> {
  const be = pool.registerBackend();
  for (let b = 0; b < SCAN_BLOCKS; b++) be.releaseBuffer(await be.readBuffer(scanned, 'main', b, 'normal', strategy));
  be.close();
}

function hotResident(pool: BufferPool): number {
  const be = pool.registerBackend();
  let resident = 0;
  for (let b = 0; b < HOT_BLOCKS; b++) {
    const id = be.tryReadBufferHit(hot, 'main', b);
    if (id !== undefined) {
      resident++;
      be.releaseBuffer(id);
    }
  }
  be.close();
  return resident;
}

const rows: Record<string, string | number>[] = [];
for (const withRing of [false, true]) {
  const pool = await prepare();
  const ring = withRing ? pool.getAccessStrategy('bulkread') : undefined;
  const before = pool.relationStats(scanned);
  const hotBefore = pool.relationStats(hot);
  await scan(pool, ring);
  await scan(pool, ring);
  const after = pool.relationStats(scanned);
  const hotAfter = pool.relationStats(hot);
  rows.push({
    strategy: withRing ? `BULKREAD ring (${ring!.ringSizeBuffers} buffers)` : 'baseline: no ring',
    'scan hits': after.hits - before.hits,
    'scan reads': after.reads - before.reads,
    'scan evictions': after.evictions - before.evictions,
    'hot pages evicted': hotAfter.evictions - hotBefore.evictions,
    'hot pages still resident': `${hotResident(pool)} / ${HOT_BLOCKS}`,
  });
}

// Time per scan, each on a freshly prepared pool state's steady state (repeated scans).
const timedPools = { none: await prepare(), ring: await prepare() };
const ringStrategy = timedPools.ring.getAccessStrategy('bulkread');
const bench = new Bench({ time: 2000, warmup: true, warmupTime: 300 });
bench.add('baseline: scan without ring', () => scan(timedPools.none, undefined));
bench.add('scan with BULKREAD ring', () => scan(timedPools.ring, ringStrategy));
await bench.run();
const msPerScan = (name: string): number => {
  const r = bench.getTask(name)?.result;
  return r?.state === 'completed' ? r.latency.p50 : Number.NaN;
};
const base = msPerScan('baseline: scan without ring');
console.table(rows);
console.table(bench.tasks.map((t) => ({
  task: t.name,
  'median ms/scan': msPerScan(t.name).toFixed(2),
  'µs/page': ((msPerScan(t.name) * 1000) / SCAN_BLOCKS).toFixed(1),
  'x baseline': (msPerScan(t.name) / base).toFixed(2),
})));
