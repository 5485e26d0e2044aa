// Durable puts/s with fsync on (NodeFileSystem, real files) for 1 and 8 concurrent committers
// beside the raw rate of "write 8 KiB + fdatasync" measured in the same run, in the same
// directory. One put = one transaction = one WAL record + a WAL flush (group commit shares the
// flush among concurrent committers). Medians of tinybench's per-iteration latencies.
// Run: pnpm exec tsx --conditions=@palisade/source tools/kvstore/bench/commit.bench.ts

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem } from '@palisade/common';
import { Bench } from 'tinybench';
import { KvStore } from '../src/index.ts';

const root = mkdtempSync(join(tmpdir(), 'palisade-kvstore-bench-'));
const fs = new NodeFileSystem({ root });
const TIME_MS = 3000;
const value = new Uint8Array(200).fill(42);

const raw = await fs.open('raw', { create: true });
const page = new Uint8Array(8192).fill(1);
let rawN = 0;
const store = await KvStore.open({ fs, dataDir: 'data', bucketCount: 16, bufferCount: 256 });
let key = 0;

/** Commits and WAL fdatasyncs per task, to report committers per flush. */
const perTask = new Map<string, { commits: number; syncs: number }>();
function counted(name: string): { beforeAll: () => void; afterAll: () => void } {
  let commits = 0;
  let syncs = 0;
  return {
    beforeAll: () => { commits = store.stats.commits; syncs = store.wal.stats.flushSyncs; },
    afterAll: () => {
      const prev = perTask.get(name) ?? { commits: 0, syncs: 0 };
      perTask.set(name, { commits: prev.commits + store.stats.commits - commits, syncs: prev.syncs + store.wal.stats.flushSyncs - syncs });
    },
  };
}

const bench = new Bench({ time: TIME_MS, warmup: true, warmupTime: 300 });
bench
  .add('raw write 8 KiB + fdatasync', async () => {
    await raw.write(page, 0, page.length, (rawN++ % 64) * 8192);
    await raw.sync();
  })
  .add('put, 1 committer', async () => {
    await store.put(`k${key++ % 5000}`, value);
  }, counted('1'))
  .add('put, 8 committers (8 puts per iteration)', async () => {
    await Promise.all(Array.from({ length: 8 }, () => store.put(`k${key++ % 5000}`, value)));
  }, counted('8'));

await bench.run();
const p50 = (i: number): number => (bench.tasks[i]!.result as { latency?: { p50?: number } } | undefined)?.latency?.p50 ?? Number.NaN;
const rawPerS = 1000 / p50(0);
const onePerS = 1000 / p50(1);
const eightPerS = (8 * 1000) / p50(2);
const perFlush = (name: string): string => {
  const t = perTask.get(name) ?? { commits: 0, syncs: 0 };
  return (t.commits / Math.max(1, t.syncs)).toFixed(2);
};
console.table([
  { benchmark: 'raw write 8 KiB + fdatasync', 'per s (median)': Math.round(rawPerS), 'ratio to raw': '1.00', 'commits per WAL fdatasync': '' },
  { benchmark: 'put, 1 committer', 'per s (median)': Math.round(onePerS), 'ratio to raw': (onePerS / rawPerS).toFixed(2), 'commits per WAL fdatasync': perFlush('1') },
  { benchmark: 'put, 8 committers', 'per s (median)': Math.round(eightPerS), 'ratio to raw': (eightPerS / rawPerS).toFixed(2), 'commits per WAL fdatasync': perFlush('8') },
]);
await raw.close();
await store.close();
rmSync(root, { recursive: true, force: true });
