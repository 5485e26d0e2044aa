// Group commit: commits/s with fsync on for 1, 8 and 64 concurrent committers (each commit =
// insert a 100-byte record + flush to its end), beside the machine's raw fdatasync rate
// measured in the same run (write 8 KiB + fdatasync in a loop, same directory). The goal is
// commits/s ≥ 0.9 × fdatasync/s × committers-per-flush.
// Run: pnpm exec tsx --conditions=@palisade/source packages/wal/bench/commit.bench.ts

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem, type Oid, type Xid } from '@palisade/common';
import { ResourceManagerRegistry, bootstrapWal, startupWal, xlogResourceManager, type Wal } from '@palisade/wal';

const root = mkdtempSync(join(tmpdir(), 'palisade-commit-bench-'));
const fs = new NodeFileSystem({ root });
const RUN_MS = 4000;
const ROUNDS = 3;

async function fdatasyncRate(): Promise<number> {
  const h = await fs.open('raw', { create: true });
  const page = new Uint8Array(8192).fill(1);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < RUN_MS) {
    await h.write(page, 0, page.length, (n % 64) * 8192);
    await h.sync();
    n++;
  }
  const rate = (n * 1000) / (performance.now() - start);
  await h.close();
  return rate;
}

async function openWal(name: string): Promise<Wal> {
  await fs.mkdir(name, { mode: 0o700 });
  await bootstrapWal({ fs, dataDir: name });
  const registry = new ResourceManagerRegistry();
  registry.register(xlogResourceManager);
  const r = await startupWal({
    fs, dataDir: name, registry, redo: { readPage: () => undefined, markDirty: () => undefined },
    checkpoint: { flushAllBuffers: async () => undefined, syncAllPending: async () => undefined, getNextXid: () => 3n as Xid, getNextOid: () => 1 as Oid },
  });
  if (r.status !== 'running') throw new Error('not running');
  return r.wal;
}

async function commitRate(wal: Wal, committers: number): Promise<{ commitsPerS: number; perFlush: number }> {
  const data = new Uint8Array(100).fill(7);
  const syncsBefore = wal.stats.flushSyncs;
  let commits = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: committers }, async () => {
    while (performance.now() - start < RUN_MS) {
      const { endLsn } = await wal.insert({ rmid: 128, info: 0, xid: 5n as Xid, mainData: data });
      await wal.flush(endLsn);
      commits++;
    }
  }));
  const elapsedMs = performance.now() - start;
  return { commitsPerS: (commits * 1000) / elapsedMs, perFlush: commits / Math.max(1, wal.stats.flushSyncs - syncsBefore) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const rows = [];
const wal = await openWal('data');
for (const committers of [1, 8, 64]) {
  const raw: number[] = [];
  const rates: number[] = [];
  const perFlush: number[] = [];
  // Interleaved rounds, so that both see the same machine load.
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(await fdatasyncRate());
    const r = await commitRate(wal, committers);
    rates.push(r.commitsPerS);
    perFlush.push(r.perFlush);
  }
  const fsyncPerS = median(raw);
  const cpf = median(perFlush);
  const commitsPerS = median(rates);
  rows.push({
    committers,
    'raw fdatasync/s (median)': Math.round(fsyncPerS),
    'commits/s (median)': Math.round(commitsPerS),
    'committers per flush': cpf.toFixed(2),
    'goal 0.9 × fsync × per-flush': Math.round(0.9 * fsyncPerS * cpf),
    'commits / goal': (commitsPerS / (0.9 * fsyncPerS * cpf)).toFixed(2),
  });
}
console.table(rows);
await wal.close();
rmSync(root, { recursive: true, force: true });
