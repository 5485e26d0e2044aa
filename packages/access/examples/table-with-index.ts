// A table with a unique index on the simulated file system: insert, update (HOT and not),
// index scan, power loss, crash recovery, and the structural checker. Run it with
//   pnpm exec tsx --conditions=@palisade/source packages/access/examples/table-with-index.ts

import { SimulatedFileSystem, oid, relFileNumber } from '@palisade/common';
import { Heap, Btree, checkHeap, checkBtree, type TupleDescriptor } from '@palisade/access';
import { bootstrapInstance, openInstance, type Instance } from './instance.ts';

const int4 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, n, true); return b; };
const readInt4 = (b: Uint8Array | null | undefined): number => new DataView(b!.buffer, b!.byteOffset, 4).getInt32(0, true);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const readText = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b!);

// CREATE TABLE users (id int4, name text); CREATE UNIQUE INDEX users_pkey ON users (id);
const descriptor: TupleDescriptor = {
  attributes: [{ typlen: 4, typbyval: true, typalign: 'i', storage: 'p' }, { typlen: -1, typbyval: false, typalign: 'i', storage: 'x' }],
};
function open(inst: Instance): { heap: Heap; index: Btree } {
  const heap = new Heap({ locator: { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(16400) }, relOid: 16400, name: 'users', descriptor }, inst);
  const index = new Btree({
    locator: { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(16401) }, relOid: 16401, name: 'users_pkey', unique: true,
    columns: [{ compare: (a, b) => readInt4(a) - readInt4(b) }], columnNames: ['id'], formatKey: (k) => String(readInt4(k[0] ?? null)),
  }, inst, heap);
  return { heap, index };
}

export async function runExample(log: (line: string) => void = console.log): Promise<string[]> {
  const fs = new SimulatedFileSystem({ seed: 42 });
  await bootstrapInstance(fs);
  const inst = await openInstance(fs);
  const { heap, index } = open(inst);
  const s = inst.connect();
  await heap.create();
  await index.create(s);
  await inst.smgr.syncAllPending(); // the catalog's storage record would make the files durable

  await s.session.begin();
  s.session.startStatement();
  for (const [id, name] of [[1, 'ada'], [2, 'grace'], [3, 'barbara']] as const) {
    const tid = await heap.insert(s, [int4(id), text(name)]);
    await index.insert(s, [int4(id)], tid);
  }
  await s.session.commit();

  // UPDATE users SET name = 'Ada Lovelace' WHERE id = 1: the key did not change, so it is HOT.
  await s.session.begin();
  s.session.startStatement();
  for await (const e of index.scan(s, { lower: { key: [int4(1)], inclusive: true }, upper: { key: [int4(1)], inclusive: true } })) {
    const row = await heap.hotSearch(s, e.heapTid, s.session.snapshot());
    if (row !== undefined) await heap.update(s, row.tid, [int4(1), text('Ada Lovelace')], { indexedColumnsChanged: false });
  }
  await s.session.commit();
  log('committed 3 inserts and 1 HOT update');

  // An uncommitted change, then power loss.
  await s.session.begin();
  s.session.startStatement();
  await index.insert(s, [int4(4)], await heap.insert(s, [int4(4), text('never committed')]));
  const crashed = fs.crash({ seed: 7 });
  log('power lost');

  const recovered = await openInstance(crashed);
  log(`recovery replayed ${recovered.recovery.recordsReplayed} records`);
  const again = open(recovered);
  const r = recovered.connect();
  await r.session.begin();
  r.session.startStatement();
  const rows: string[] = [];
  for await (const e of again.index.scan(r)) {
    const row = await again.heap.hotSearch(r, e.heapTid, r.session.snapshot());
    if (row !== undefined) rows.push(`${readInt4(row.values[0])} ${readText(row.values[1])}`);
  }
  const problems = [...(await checkHeap(again.heap, r, r.session.snapshot())), ...(await checkBtree(again.index, r))];
  await r.session.commit();
  log(`after recovery: ${rows.join(', ')}; checker: ${problems.length === 0 ? 'clean' : JSON.stringify(problems)}`);
  await recovered.shutdown();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runExample();
}
