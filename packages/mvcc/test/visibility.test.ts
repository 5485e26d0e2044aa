import { describe, expect, it } from 'vitest';
import type { Xid } from '@palisade/common';
import {
  TransactionManager,
  newTupleHeader,
  heapTupleSatisfiesMVCC,
  heapTupleSatisfiesSelf,
  heapTupleSatisfiesDirty,
  heapTupleSatisfiesAny,
  heapTupleSatisfiesUpdate,
  heapTupleSatisfiesVacuum,
  Infomask,
  TMResult,
  HTSVResult,
  MemoryXactLog,
  type TupleHeader,
} from '../src/index.ts';

const tid = (offset: number) => ({ block: 0, offset });

async function setup() {
  const m = new TransactionManager();
  const [a, b] = [m.connect(), m.connect()];
  await a.begin();
  await b.begin();
  return { m, a, b };
}

describe('HeapTupleSatisfiesMVCC', () => {
  it('[MV30][M4] own insert is visible to later commands, not to the inserting command', async () => {
    const { a } = await setup();
    const t = newTupleHeader(a.getXid(), a.commandId, tid(1));
    expect(heapTupleSatisfiesMVCC(t, a.snapshot(), a)).toBe(false);
    a.commandCounterIncrement();
    expect(heapTupleSatisfiesMVCC(t, a.snapshot(), a)).toBe(true);
  });

  it('[MV30][M4] own delete hides the tuple from later commands only (combo cid keeps cmin)', async () => {
    const { a } = await setup();
    const t = newTupleHeader(a.getXid(), a.commandId, tid(1));
    a.commandCounterIncrement();
    t.xmax = a.getXid();
    t.infomask &= ~Infomask.HEAP_XMAX_INVALID;
    a.stampCmax(t);
    expect(t.infomask & Infomask.HEAP_COMBOCID).toBeTruthy();
    expect(a.getCmin(t)).toBe(0);
    expect(a.getCmax(t)).toBe(1);
    expect(heapTupleSatisfiesMVCC(t, a.snapshot(), a)).toBe(true);
    a.commandCounterIncrement();
    expect(heapTupleSatisfiesMVCC(t, a.snapshot(), a)).toBe(false);
  });

  it('[MV30][M4] uncommitted inserts of others are invisible; committed ones become visible to new snapshots', async () => {
    const { a, b } = await setup();
    const t = newTupleHeader(a.getXid(), a.commandId, tid(1));
    b.startStatement();
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(false);
    await a.commit();
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(false); // same statement snapshot
    b.startStatement();
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(true);
    expect(t.infomask & Infomask.HEAP_XMIN_COMMITTED).toBeTruthy();
  });

  it('[MV30][M4] an aborted inserter hides the tuple and sets XMIN_INVALID', async () => {
    const { a, b } = await setup();
    const t = newTupleHeader(a.getXid(), 0, tid(1));
    a.rollback();
    b.startStatement();
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(false);
    expect(t.infomask & Infomask.HEAP_XMIN_INVALID).toBeTruthy();
  });

  it('[MV30][M4] a lock-only xmax does not hide the tuple', async () => {
    const { a, b } = await setup();
    const t = newTupleHeader(2n as Xid, 0, tid(1));
    t.xmax = a.getXid();
    t.infomask = Infomask.HEAP_XMAX_LOCK_ONLY | Infomask.HEAP_XMAX_EXCL_LOCK;
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(true);
  });

  it('[MV31][M5] frozen tuples are visible to every snapshot, whatever their original xmin', async () => {
    const { a, b } = await setup();
    const t = newTupleHeader(a.getXid(), 0, tid(1));
    t.infomask |= Infomask.HEAP_XMIN_FROZEN; // frozen by vacuum while (impossibly) running: the bits win
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(true);
    const f = newTupleHeader(2n as Xid, 0, tid(2));
    expect(heapTupleSatisfiesMVCC(f, b.snapshot(), b)).toBe(true);
  });

  it('[MV32][W26] commit hint bits are not set before an asynchronous commit is flushed', async () => {
    const log = new MemoryXactLog();
    const hinted: TupleHeader[] = [];
    const m = new TransactionManager({ log, onHintBitsSet: (t) => hinted.push(t) });
    const [a, b] = [m.connect(), m.connect()];
    await a.begin({ synchronousCommit: false });
    const t = newTupleHeader(a.getXid(), 0, tid(1));
    await a.commit();
    await b.begin();
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(true);
    expect(t.infomask & Infomask.HEAP_XMIN_COMMITTED).toBe(0);
    await log.flush(log.records.at(-1)!.lsn);
    expect(heapTupleSatisfiesMVCC(t, b.snapshot(), b)).toBe(true);
    expect(t.infomask & Infomask.HEAP_XMIN_COMMITTED).toBeTruthy();
    expect(hinted).toContain(t);
  });
});

describe('other satisfies variants', () => {
  it('[MV33] Self sees committed-now and all own changes including the current command', async () => {
    const { a, b } = await setup();
    const own = newTupleHeader(a.getXid(), a.commandId, tid(1));
    expect(heapTupleSatisfiesSelf(own, a)).toBe(true);
    expect(heapTupleSatisfiesSelf(own, b)).toBe(false);
    await a.commit();
    expect(heapTupleSatisfiesSelf(own, b)).toBe(true);
    expect(heapTupleSatisfiesAny(own)).toBe(true);
  });

  it('[MV33] Dirty returns in-progress inserts and reports the xids to wait for', async () => {
    const { a, b } = await setup();
    const t = newTupleHeader(a.getXid(), 0, tid(1));
    expect(heapTupleSatisfiesDirty(t, b)).toEqual({ visible: true, xmin: t.xmin });
    const c = newTupleHeader(2n as Xid, 0, tid(2));
    c.xmax = t.xmin;
    c.infomask = 0;
    expect(heapTupleSatisfiesDirty(c, b)).toEqual({ visible: true, xmax: t.xmin });
  });

  it('[MV34] Update: Ok, Invisible, SelfModified, BeingModified, Updated, Deleted', async () => {
    const { m, a, b } = await setup();
    const base = newTupleHeader(2n as Xid, 0, tid(1));
    expect(heapTupleSatisfiesUpdate(base, b.commandId, b)).toBe(TMResult.Ok);
    const mine = newTupleHeader(a.getXid(), a.commandId, tid(2));
    expect(heapTupleSatisfiesUpdate(mine, a.commandId, a)).toBe(TMResult.Invisible);
    a.commandCounterIncrement();
    mine.xmax = a.getXid();
    mine.infomask = 0;
    a.stampCmax(mine);
    expect(heapTupleSatisfiesUpdate(mine, a.commandId, a)).toBe(TMResult.SelfModified);
    a.commandCounterIncrement();
    expect(heapTupleSatisfiesUpdate(mine, a.commandId, a)).toBe(TMResult.Invisible);
    const upd = newTupleHeader(2n as Xid, 0, tid(3));
    upd.xmax = a.getXid();
    upd.infomask = 0;
    upd.ctid = tid(4);
    expect(heapTupleSatisfiesUpdate(upd, b.commandId, b)).toBe(TMResult.BeingModified);
    const del = newTupleHeader(2n as Xid, 0, tid(5));
    del.xmax = a.getXid();
    del.infomask = 0;
    await a.commit();
    expect(heapTupleSatisfiesUpdate(upd, b.commandId, b)).toBe(TMResult.Updated);
    expect(heapTupleSatisfiesUpdate(del, b.commandId, b)).toBe(TMResult.Deleted);
    void m;
  });

  it('[MV35][M33] Vacuum: LIVE, DEAD, RECENTLY_DEAD, INSERT_IN_PROGRESS, DELETE_IN_PROGRESS', async () => {
    const { m, a, b } = await setup();
    const t = newTupleHeader(a.getXid(), 0, tid(1));
    expect(heapTupleSatisfiesVacuum(t, m.getOldestXmin(), b)).toBe(HTSVResult.INSERT_IN_PROGRESS);
    await a.commit();
    expect(heapTupleSatisfiesVacuum(t, m.getOldestXmin(), b)).toBe(HTSVResult.LIVE);
    await a.begin();
    t.xmax = a.getXid();
    t.infomask &= ~Infomask.HEAP_XMAX_INVALID;
    expect(heapTupleSatisfiesVacuum(t, m.getOldestXmin(), b)).toBe(HTSVResult.DELETE_IN_PROGRESS);
    b.snapshot(); // b's snapshot still needs the old version
    await a.commit();
    expect(heapTupleSatisfiesVacuum(t, m.getOldestXmin(), b)).toBe(HTSVResult.RECENTLY_DEAD);
    await b.commit();
    expect(heapTupleSatisfiesVacuum(t, m.getOldestXmin(), b)).toBe(HTSVResult.DEAD);
    await a.begin();
    const aborted = newTupleHeader(a.getXid(), 0, tid(2));
    a.rollback();
    expect(heapTupleSatisfiesVacuum(aborted, m.getOldestXmin(), b)).toBe(HTSVResult.DEAD);
  });
});
