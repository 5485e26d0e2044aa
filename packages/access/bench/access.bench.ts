// Access-method micro-benchmarks on the in-memory simulated file system (no disk latency):
// heap insert and point fetch, B-tree insert with random and sequential keys and point lookup,
// and commit throughput of 8 concurrent transactions updating disjoint rows vs the same row.
// Baseline in the same run: Map.set / Map.get. Median ns per operation.
//   pnpm exec tsx --conditions=@palisade/source packages/access/bench/access.bench.ts

import { Bench } from 'tinybench';
import { SimulatedFileSystem, oid, relFileNumber, isPgError } from '@palisade/common';
import { LockTupleMode, type Tid } from '@palisade/mvcc';
import { Heap, Btree, type TupleDescriptor, type AccessBackend } from '@palisade/access';
import { bootstrapInstance, openInstance } from '../examples/instance.ts';

const OPS = 200;
const KEY_COUNT = 20_000;
const desc: TupleDescriptor = { attributes: [{ typlen: 4, typbyval: true, typalign: 'i', storage: 'p' }, { typlen: 4, typbyval: true, typalign: 'i', storage: 'p' }] };
const int4 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, n, true); return b; };
const readInt4 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);

const fs = new SimulatedFileSystem({ seed: 1 });
await bootstrapInstance(fs, { segSizeBytes: 16 * 1024 * 1024 });
const inst = await openInstance(fs, { bufferCount: 4096 });
let rel = 20000;
const newHeap = async (): Promise<Heap> => {
  const h = new Heap({ locator: { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(rel) }, relOid: rel++, name: 't', descriptor: desc }, inst);
  await h.create();
  return h;
};
const newIndex = async (b: AccessBackend, heap: Heap): Promise<Btree> => {
  const i = new Btree({ locator: { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(rel) }, relOid: rel++, name: 'i', unique: false, columns: [{ compare: (x, y) => readInt4(x) - readInt4(y) }], columnNames: ['k'], formatKey: () => '' }, inst, heap);
  await i.create(b);
  return i;
};
const b = inst.connect();
await b.session.begin();
b.session.startStatement();

const heap = await newHeap();
const tids: Tid[] = [];
for (let i = 0; i < KEY_COUNT; i++) tids.push(await heap.insert(b, [int4(i), int4(i)]));
const lookupIndex = await newIndex(b, heap);
for (let i = 0; i < KEY_COUNT; i++) await lookupIndex.insert(b, [int4((i * 7919) % KEY_COUNT)], tids[i]!);
await b.session.commit();
await b.session.begin();
b.session.startStatement();
const snap = b.session.snapshot();

const insertHeap = await newHeap();
const randomIndex = await newIndex(b, insertHeap);
const seqIndex = await newIndex(b, insertHeap);
let n = 0;
const map = new Map<number, number>();
const bench = new Bench({ time: 500, warmup: true, warmupTime: 100 });
bench.add('baseline: Map.set', () => { for (let i = 0; i < OPS; i++) map.set(n++, i); });
bench.add('baseline: Map.get', () => { for (let i = 0; i < OPS; i++) map.get(i); });
bench.add('heap insert (2 × int4)', async () => { for (let i = 0; i < OPS; i++) await insertHeap.insert(b, [int4(i), int4(i)]); });
bench.add(`heap point fetch (${KEY_COUNT} rows)`, async () => { for (let i = 0; i < OPS; i++) await heap.fetch(b, tids[(i * 31) % KEY_COUNT]!, snap); });
let rk = 0;
bench.add('btree insert, random keys', async () => { for (let i = 0; i < OPS; i++) await randomIndex.insert(b, [int4((rk++ * 2654435761) >>> 0)], tids[0]!); });
let sk = 0;
bench.add('btree insert, sequential keys', async () => { for (let i = 0; i < OPS; i++) await seqIndex.insert(b, [int4(sk++)], tids[0]!); });
bench.add(`btree point lookup (${KEY_COUNT} keys)`, async () => {
  for (let i = 0; i < OPS; i++) {
    const k = int4((i * 7919) % KEY_COUNT);
    for await (const e of lookupIndex.scan(b, { lower: { key: [k], inclusive: true }, upper: { key: [k], inclusive: true } })) void e;
  }
});
await bench.run();
await b.session.commit();

const rows: [string, number][] = bench.tasks.map((t) => [t.name, ((t.result as { latency?: { p50?: number } } | undefined)?.latency?.p50 ?? NaN) * 1e6 / OPS]);
const base = rows[0]![1];
console.table(rows.map(([name, ns]) => ({ task: name, 'ns/op (median)': Math.round(ns), 'vs Map.set': (ns / base).toFixed(1) })));

// Commit throughput: 8 sessions, each 50 transactions of one update, disjoint rows vs one row.
async function commits(same: boolean): Promise<number> {
  const t = await newHeap();
  const s0 = inst.connect();
  await s0.session.begin();
  s0.session.startStatement();
  const rowTids: Tid[] = [];
  for (let i = 0; i < 8; i++) rowTids.push(await t.insert(s0, [int4(i), int4(0)]));
  await s0.session.commit();
  const sessions = Array.from({ length: 8 }, () => inst.connect());
  const start = performance.now();
  let done = 0;
  await Promise.all(sessions.map(async (s, w) => {
    for (let k = 0; k < 50; k++) {
      for (let attempt = 0; attempt < 1000; attempt++) {
        await s.session.begin();
        s.session.startStatement();
        try {
          const id = same ? 0 : w;
          let row;
          for await (const r of t.scan(s, s.session.snapshot())) if (readInt4(r.values[0]!) === id) row = r;
          const lk = await t.lock(s, row!.tid, LockTupleMode.NoKeyExclusive);
          if (lk.result !== 'Ok') { s.session.rollback(); continue; }
          await t.update(s, row!.tid, [int4(id), int4(readInt4(row!.values[1]!) + 1)], { indexedColumnsChanged: false });
          await s.session.commit();
          done++;
          break;
        } catch (e) {
          s.session.rollback();
          if (!isPgError(e)) throw e;
        }
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  for (const s of sessions) inst.disconnect(s);
  return done / seconds;
}
const disjoint = await commits(false);
const same = await commits(true);
console.table([{ workload: '8 sessions, disjoint rows', 'commits/s': Math.round(disjoint) }, { workload: '8 sessions, same row', 'commits/s': Math.round(same), ratio: (same / disjoint).toFixed(2) }]);
await inst.wal.close();
