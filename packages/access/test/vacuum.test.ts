import { describe, expect, it } from 'vitest';
import { oid, relFileNumber } from '@palisade/common';
import { LP_UNUSED } from '@palisade/bufmgr';
import { Btree, lazyVacuum, autovacuumNeeded, checkHeap, checkBtree, checkIndexCoversHeap } from '../src/index.ts';
import { openInstance } from '../examples/instance.ts';
import { accountsHeap, freshInstance, int4, readInt4, inTransaction, tableLocator } from './helpers.ts';

describe('VACUUM', () => {
  it('[VAC1][VAC2][VAC3] removes dead tuples and their index entries in several bounded passes; survives a crash', async () => {
    const { fs, inst } = await freshInstance({ bufferCount: 32 });
    const heap = accountsHeap(inst);
    await heap.create();
    const index = new Btree({
      locator: { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(16391) }, relOid: 16391, name: 'accounts_id', unique: false,
      columns: [{ compare: (a, b) => readInt4(a) - readInt4(b) }], columnNames: ['id'], formatKey: () => '',
    }, inst, heap);
    const b = inst.connect();
    await index.create(b);
    await inst.smgr.syncAllPending();
    const tids = await inTransaction(b, async () => {
      const out = [];
      for (let i = 0; i < 400; i++) {
        const tid = await heap.insert(b, [int4(i), int4(i)]);
        await index.insert(b, [int4(i)], tid);
        out.push(tid);
      }
      return out;
    });
    await inTransaction(b, async () => {
      for (let i = 0; i < 400; i += 2) expect((await heap.delete(b, tids[i]!)).result).toBe('Ok');
    });
    const r = await inTransaction(b, () => lazyVacuum(b, heap, [index], { deadTidCountMax: 30 }));
    expect(r.deadItemsRemoved).toBe(200);
    expect(r.indexEntriesRemoved).toBe(200);
    expect(r.indexPasses).toBeGreaterThan(5);
    // The first deleted tuple's line pointer is reusable.
    const buf = await b.buffers.readBuffer(tableLocator, 'main', tids[0]!.block);
    await b.buffers.lockBuffer(buf, 'share');
    expect(b.buffers.getPage(buf).getItemId(tids[0]!.offset).flags).toBe(LP_UNUSED);
    b.buffers.unlockReleaseBuffer(buf);
    // VACUUM writes no commit record: make its WAL durable before the power loss.
    await inst.wal.flush(inst.wal.insertLsn);
    const crashed = fs.crash({ seed: 3, keepProbability: 0.3 });
    const rec = await openInstance(crashed, { bufferCount: 32 });
    const heap2 = accountsHeap(rec);
    const index2 = new Btree(index.relation, rec, heap2);
    const c = rec.connect();
    await c.session.begin();
    c.session.startStatement();
    expect(await checkHeap(heap2, c, c.session.snapshot())).toEqual([]);
    expect(await checkBtree(index2, c)).toEqual([]);
    expect(await checkIndexCoversHeap(heap2, index2, c, c.session.snapshot(), (v) => [v[0]!])).toEqual([]);
    let count = 0;
    for await (const e of index2.scan(c)) {
      expect(readInt4(e.key[0]) % 2).toBe(1);
      count++;
    }
    expect(count).toBe(200);
    await c.session.commit();
  });

  it('[VAC5] autovacuum threshold is 50 + 0.2 × reltuples dead tuples, or 1000 + 0.2 × reltuples inserts', () => {
    expect(autovacuumNeeded({ reltuples: 1000, deadTuples: 250 })).toBe(false);
    expect(autovacuumNeeded({ reltuples: 1000, deadTuples: 251 })).toBe(true);
    expect(autovacuumNeeded({ reltuples: 0, deadTuples: 51 })).toBe(true);
    expect(autovacuumNeeded({ reltuples: 1000, deadTuples: 0, insertsSinceVacuum: 1201 })).toBe(true);
    expect(autovacuumNeeded({ reltuples: 1000, deadTuples: 0, insertsSinceVacuum: 1200 })).toBe(false);
    expect(autovacuumNeeded({ reltuples: 100, deadTuples: 60 }, { vacuumThreshold: 0, vacuumScaleFactor: 0.5 })).toBe(true);
  });
});
