// WAL insertion throughput: MB/s of records inserted (encode, CRC-32C, copy into the WAL
// buffers, write-out to segments without fsync) for 100-byte and 8 KiB records, beside a
// baseline measured in the same run: CRC-32C alone over the same bytes, the least any
// insertion must do.
// Run: pnpm exec tsx --conditions=@palisade/source packages/wal/bench/insert.bench.ts

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { NodeFileSystem, crc32c, type Oid, type Xid } from '@palisade/common';
import { ResourceManagerRegistry, bootstrapWal, startupWal, xlogResourceManager, type Wal } from '@palisade/wal';

const root = mkdtempSync(join(tmpdir(), 'palisade-wal-bench-'));
const fs = new NodeFileSystem({ root });
const BATCH_RECORDS = 64;

async function openWal(name: string): Promise<Wal> {
  await fs.mkdir(name, { mode: 0o700 });
  await bootstrapWal({ fs, dataDir: name });
  const registry = new ResourceManagerRegistry();
  registry.register(xlogResourceManager);
  const r = await startupWal({
    fs, dataDir: name, registry, redo: { readPage: () => undefined, markDirty: () => undefined },
    checkpoint: { flushAllBuffers: async () => undefined, syncAllPending: async () => undefined, getNextXid: () => 3n as Xid, getNextOid: () => 1 as Oid },
    wal: { walBuffersBytes: 16 * 1024 * 1024 },
  });
  if (r.status !== 'running') throw new Error('not running');
  return r.wal;
}

const sizesBytes = [100, 8192];
const wals = new Map<number, Wal>();
for (const size of sizesBytes) wals.set(size, await openWal(`d${size}`));
const payloads = new Map(sizesBytes.map((n) => [n, Uint8Array.from({ length: n }, (_, i) => (i * 131 + 17) & 0xff)]));

let sink = 0;
const bench = new Bench({ time: 2000, warmupTime: 300 });
for (const size of sizesBytes) {
  const data = payloads.get(size)!;
  const wal = wals.get(size)!;
  bench.add(`crc32c only, ${size} B`, () => {
    for (let i = 0; i < BATCH_RECORDS; i++) sink ^= crc32c(data);
  });
  bench.add(`insert, ${size} B`, async () => {
    for (let i = 0; i < BATCH_RECORDS; i++) await wal.insert({ rmid: 128, info: 0, xid: 5n as Xid, mainData: data });
  });
}
await bench.run();

const rows = [];
for (const size of sizesBytes) {
  const base = bench.getTask(`crc32c only, ${size} B`)?.result;
  const ins = bench.getTask(`insert, ${size} B`)?.result;
  if (base?.state !== 'completed' || ins?.state !== 'completed') throw new Error('a task did not complete');
  const mb = (opsPerS: number) => (opsPerS * BATCH_RECORDS * size) / 1e6;
  rows.push({
    'record payload (bytes)': size,
    'insert records/s (median)': Math.round(ins.throughput.p50 * BATCH_RECORDS),
    'insert MB/s (median)': mb(ins.throughput.p50).toFixed(1),
    'baseline crc32c MB/s': mb(base.throughput.p50).toFixed(1),
    'insert / baseline': (ins.throughput.p50 / base.throughput.p50).toFixed(2),
  });
}
console.table(rows);
console.log(`sink ${sink & 1}`);
for (const wal of wals.values()) await wal.close();
rmSync(root, { recursive: true, force: true });
