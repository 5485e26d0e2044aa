import { describe, expect, it } from 'vitest';
import { isPgError } from '@palisade/common';
import { IsolationLevel, LockTupleMode, Infomask2, evalPlanQualDecision } from '@palisade/mvcc';
import { LP_REDIRECT, LP_DEAD } from '@palisade/bufmgr';
import { Heap } from '../src/index.ts';
import { accountsHeap, freshInstance, int4, readInt4, inTransaction, intTextDescriptor, text, tableLocator } from './helpers.ts';

async function rows(heap: Heap, b: Parameters<Heap['scan']>[0]): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for await (const t of heap.scan(b, b.session.snapshot())) out.push([readInt4(t.values[0]), readInt4(t.values[1])]);
  return out.sort((x, y) => x[0] - y[0]);
}

describe('heap access method', () => {
  it('[HEAP2] insert then fetch by TID and scan; uncommitted rows invisible to others (M4)', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const a = inst.connect();
    const c = inst.connect();
    await a.session.begin();
    a.session.startStatement();
    const tid = await heap.insert(a, [int4(1), int4(100)]);
    a.session.commandCounterIncrement();
    const own = await heap.fetch(a, tid, a.session.snapshot());
    expect(own && readInt4(own.values[1])).toBe(100);
    await c.session.begin();
    c.session.startStatement();
    expect(await heap.fetch(c, tid, c.session.snapshot())).toBeUndefined();
    await a.session.commit();
    c.session.startStatement();
    expect(await rows(heap, c)).toEqual([[1, 100]]);
    await c.session.commit();
  });

  it('[HEAP3] a row larger than a page fails with 54000 row is too big', async () => {
    const { inst } = await freshInstance();
    const heap = new Heap({ locator: tableLocator, relOid: 1, name: 't', descriptor: intTextDescriptor }, inst);
    await heap.create();
    const a = inst.connect();
    await a.session.begin();
    a.session.startStatement();
    try {
      await heap.insert(a, [int4(1), text('x'.repeat(9000))]);
      expect.unreachable();
    } catch (e) {
      expect(isPgError(e) && e.code).toBe('54000');
      expect((e as Error).message).toBe('row is too big: size 9040, maximum size 8160');
    }
    a.session.rollback();
  });

  it('[HEAP4] an update that fits and changes no indexed column is HOT; hotSearch from the root finds the new version', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const a = inst.connect();
    const tid = await inTransaction(a, () => heap.insert(a, [int4(1), int4(10)]));
    const r = await inTransaction(a, () => heap.update(a, tid, [int4(1), int4(11)], { indexedColumnsChanged: false }));
    expect(r.result).toBe('Ok');
    const newTid = (r as { tid: { block: number; offset: number } }).tid;
    expect(newTid.block).toBe(tid.block);
    await a.session.begin();
    a.session.startStatement();
    const old = await heap.fetch(a, tid, a.session.snapshot());
    expect(old).toBeUndefined();
    const found = await heap.hotSearch(a, tid, a.session.snapshot());
    expect(found && readInt4(found.values[1])).toBe(11);
    expect(found && (found.header.infomask2 & Infomask2.HEAP_ONLY_TUPLE) !== 0).toBe(true);
    // A non-HOT update (indexed column changed) makes a normal tuple.
    const r2 = await heap.update(a, newTid, [int4(2), int4(12)], { indexedColumnsChanged: true });
    expect(r2.result).toBe('Ok');
    a.session.commandCounterIncrement();
    const t2 = await heap.fetch(a, (r2 as { tid: { block: number; offset: number } }).tid, a.session.snapshot());
    expect(t2 && (t2.header.infomask2 & Infomask2.HEAP_ONLY_TUPLE)).toBe(0);
    await a.session.commit();
  });

  it('[HEAP6] M19/M21: concurrent update — READ COMMITTED gets Updated with the new ctid, REPEATABLE READ fails 40001', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const a = inst.connect();
    const c = inst.connect();
    const tid = await inTransaction(a, () => heap.insert(a, [int4(1), int4(10)]));
    for (const isolation of [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead]) {
      await a.session.begin();
      a.session.startStatement();
      const cur = (await (async () => { for await (const t of heap.scan(a, a.session.snapshot())) return t; })())!;
      const r = await heap.update(a, cur.tid, [int4(1), int4(20)], { indexedColumnsChanged: false });
      expect(r.result).toBe('Ok');
      await c.session.begin({ isolation });
      c.session.startStatement();
      const seen = (await (async () => { for await (const t of c.session && heap.scan(c, c.session.snapshot())) return t; })())!;
      const pending = heap.update(c, seen.tid, [int4(1), int4(30)], { indexedColumnsChanged: false });
      await a.session.commit();
      const out = await pending;
      expect(out.result).toBe('Updated');
      if (isolation === IsolationLevel.RepeatableRead) {
        expect(() => evalPlanQualDecision(isolation, out as never)).toThrow(/could not serialize access due to concurrent update/);
      } else {
        const d = evalPlanQualDecision(isolation, out as never);
        expect(d.action).toBe('refetch');
        const newer = await heap.fetch(c, (d as { ctid: { block: number; offset: number } }).ctid, c.session.snapshot());
        // READ COMMITTED re-check reads the newest committed version with a new statement snapshot.
        c.session.startStatement();
        const again = await heap.fetch(c, (d as { ctid: { block: number; offset: number } }).ctid, c.session.snapshot());
        expect(newer === undefined || readInt4(newer.values[1]) === 20).toBe(true);
        expect(again && readInt4(again.values[1])).toBe(20);
        const r3 = await heap.update(c, again!.tid, [int4(1), int4(30)], { indexedColumnsChanged: false });
        expect(r3.result).toBe('Ok');
      }
      if (isolation === IsolationLevel.RepeatableRead) c.session.rollback();
      else await c.session.commit();
    }
    void tid;
  });

  it('[HEAP8] FOR UPDATE NOWAIT fails 55P03, SKIP LOCKED reports WouldBlock, FOR KEY SHARE is compatible with NO KEY UPDATE', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const a = inst.connect();
    const c = inst.connect();
    const tid = await inTransaction(a, () => heap.insert(a, [int4(1), int4(10)]));
    await a.session.begin();
    a.session.startStatement();
    expect((await heap.lock(a, tid, LockTupleMode.NoKeyExclusive)).result).toBe('Ok');
    await c.session.begin();
    c.session.startStatement();
    try {
      await heap.lock(c, tid, LockTupleMode.Exclusive, { waitPolicy: 'error' });
      expect.unreachable();
    } catch (e) {
      expect(isPgError(e) && e.code).toBe('55P03');
      expect((e as Error).message).toBe('could not obtain lock on row in relation "accounts"');
    }
    c.session.rollback();
    await c.session.begin();
    c.session.startStatement();
    expect((await heap.lock(c, tid, LockTupleMode.Share, { waitPolicy: 'skip' })).result).toBe('WouldBlock');
    expect((await heap.lock(c, tid, LockTupleMode.KeyShare)).result).toBe('Ok');
    await c.session.commit();
    await a.session.commit();
  });

  it('[PRUNE1] pruning removes dead HOT members, redirects the root, and the chain still resolves', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const a = inst.connect();
    const root = await inTransaction(a, () => heap.insert(a, [int4(1), int4(0)]));
    let cur = root;
    for (let i = 1; i <= 5; i++) {
      const r = await inTransaction(a, () => heap.update(a, cur, [int4(1), int4(i)], { indexedColumnsChanged: false }));
      cur = (r as { tid: typeof cur }).tid;
    }
    await a.session.begin();
    a.session.startStatement();
    expect(await heap.maybePrune(a, 0, true)).toBe(true);
    const buf = await a.buffers.readBuffer(tableLocator, 'main', 0);
    await a.buffers.lockBuffer(buf, 'share');
    const page = a.buffers.getPage(buf);
    expect(page.getItemId(root.offset).flags).toBe(LP_REDIRECT);
    a.buffers.unlockReleaseBuffer(buf);
    const found = await heap.hotSearch(a, root, a.session.snapshot());
    expect(found && readInt4(found.values[1])).toBe(5);
    // Delete and prune: the root becomes LP_DEAD.
    expect((await heap.delete(a, found!.tid)).result).toBe('Ok');
    await a.session.commit();
    await a.session.begin();
    a.session.startStatement();
    expect(await heap.maybePrune(a, 0, true)).toBe(true);
    const buf2 = await a.buffers.readBuffer(tableLocator, 'main', 0);
    await a.buffers.lockBuffer(buf2, 'share');
    expect(a.buffers.getPage(buf2).getItemId(root.offset).flags).toBe(LP_DEAD);
    a.buffers.unlockReleaseBuffer(buf2);
    await a.session.commit();
  });
});
