// The buffer hit path: pin + unpin of a resident page (tryReadBufferHit + releaseBuffer), with
// and without a share lock, against a baseline measured in the same run: Map.get of a
// (relation, block) key, the least any buffer lookup must do. Each task does 1000 operations
// per sample; the table shows median ns per operation and the ratio to the baseline.

import { Bench } from 'tinybench';
import { fillRelation, makePool, relation } from './setup.ts';

const BLOCK_COUNT = 512;
const OPS_PER_SAMPLE = 1000;
const { pool } = await makePool(1024);
const rel = relation(16384);
await fillRelation(pool, rel, BLOCK_COUNT);
const be = pool.registerBackend();

const baselineMap = new Map<number, { block: number }>();
for (let b = 0; b < BLOCK_COUNT; b++) baselineMap.set(rel.relNumber * 1_000_003 + b, { block: b });

let sink = 0;
const bench = new Bench({ time: 400, warmup: true, warmupTime: 200 });
bench.add('baseline: Map.get', () => {
  for (let i = 0; i < OPS_PER_SAMPLE; i++) sink += baselineMap.get(rel.relNumber * 1_000_003 + (i & (BLOCK_COUNT - 1)))!.block;
});
bench.add('pin + unpin (tryReadBufferHit)', () => {
  for (let i = 0; i < OPS_PER_SAMPLE; i++) {
    const id = be.tryReadBufferHit(rel, 'main', i & (BLOCK_COUNT - 1))!;
    be.releaseBuffer(id);
  }
});
bench.add('pin + share lock + unlock + unpin', () => {
  for (let i = 0; i < OPS_PER_SAMPLE; i++) {
    const id = be.tryReadBufferHit(rel, 'main', i & (BLOCK_COUNT - 1))!;
    be.tryLockBuffer(id, 'share');
    be.unlockReleaseBuffer(id);
  }
});
bench.add('await readBuffer (hit) + unpin', async () => {
  for (let i = 0; i < OPS_PER_SAMPLE; i++) {
    const id = await be.readBuffer(rel, 'main', i & (BLOCK_COUNT - 1));
    be.releaseBuffer(id);
  }
});
await bench.run();
pool.checkInvariants();

const nsPerOp = (name: string): number => {
  const result = bench.getTask(name)?.result;
  return result?.state === 'completed' ? (result.latency.p50 * 1e6) / OPS_PER_SAMPLE : Number.NaN;
};
const base = nsPerOp('baseline: Map.get');
console.table(bench.tasks.map((t) => ({
  task: t.name,
  'median ns/op': nsPerOp(t.name).toFixed(1),
  'x baseline': (nsPerOp(t.name) / base).toFixed(1),
})));
if (sink === -1) console.log(sink);
