import { describe, expect, it } from 'vitest';
import { PgError } from '@palisade/common';
import {
  TransactionManager,
  IsolationLevel,
  LockTupleMode,
  tupleLockModesConflict,
  ManualClock,
  Infomask,
  MultiXactStatus,
  xmaxMembers,
  evalPlanQualDecision,
  type LockTupleMode as LTM,
} from '../src/index.ts';
import { ToyHeap } from './toy-heap.ts';

const T = LockTupleMode;
const flush = () => new Promise<void>((r) => setImmediate(r));

/** M14 as stated. */
const conflictsM14: Record<number, LTM[]> = {
  [T.Exclusive]: [T.KeyShare, T.Share, T.NoKeyExclusive, T.Exclusive],
  [T.NoKeyExclusive]: [T.Share, T.NoKeyExclusive, T.Exclusive],
  [T.Share]: [T.NoKeyExclusive, T.Exclusive],
  [T.KeyShare]: [T.Exclusive],
};

async function world(n = 3) {
  const clock = new ManualClock();
  const m = new TransactionManager({ maxBackends: n + 1, clock });
  const heap = new ToyHeap();
  const setup = m.connect();
  await setup.begin();
  heap.insert(setup, 'a', 1);
  heap.insert(setup, 'b', 2);
  await setup.commit();
  const s = Array.from({ length: n }, () => m.connect());
  return { m, heap, s, clock };
}

describe('row-lock strengths', () => {
  for (const a of Object.values(T)) {
    for (const b of Object.values(T)) {
      const c = conflictsM14[a]!.includes(b);
      it(`[RL1][M14] ${a} vs ${b}: ${c ? 'conflict' : 'compatible'} (table and heap agree)`, async () => {
        expect(tupleLockModesConflict(a, b)).toBe(c);
        const { heap, s } = await world(2);
        await s[0]!.begin();
        await s[1]!.begin();
        expect(await heap.lockRow(s[0]!, 'a', a)).toBe('locked');
        expect(await heap.lockRow(s[1]!, 'a', b, { waitPolicy: 'skip' })).toBe(c ? 'skipped' : 'locked');
        s[0]!.rollback();
        s[1]!.rollback();
      });
    }
  }

  it('[RL2][M14] locks of the same transaction never conflict; a stronger request upgrades in place', async () => {
    const { heap, s } = await world(1);
    await s[0]!.begin();
    expect(await heap.lockRow(s[0]!, 'a', T.KeyShare)).toBe('locked');
    expect(await heap.lockRow(s[0]!, 'a', T.Exclusive, { waitPolicy: 'error' })).toBe('locked');
    const v = heap.versions[0]!.header;
    expect(v.infomask & Infomask.HEAP_XMAX_IS_MULTI).toBe(0);
    expect(xmaxMembers(v, (x) => s[0]!.getMultiMembers(x))).toEqual([{ xid: s[0]!.topXid, status: MultiXactStatus.ForUpdate }]);
    s[0]!.rollback();
  });

  it('[RL3][M15] several share lockers make a MultiXact with each member and strength', async () => {
    const { heap, s, m } = await world(3);
    for (const x of s) await x.begin();
    await heap.lockRow(s[0]!, 'a', T.Share);
    await heap.lockRow(s[1]!, 'a', T.KeyShare);
    await heap.lockRow(s[2]!, 'a', T.Share);
    const h = heap.versions[0]!.header;
    expect(h.infomask & Infomask.HEAP_XMAX_IS_MULTI).toBeTruthy();
    expect(h.infomask & Infomask.HEAP_XMAX_LOCK_ONLY).toBeTruthy();
    const members = m.multixacts.getMembers(h.xmax as bigint as never);
    expect(members.map((mb) => [mb.xid, mb.status])).toEqual([
      [s[0]!.topXid, MultiXactStatus.ForShare],
      [s[1]!.topXid, MultiXactStatus.ForKeyShare],
      [s[2]!.topXid, MultiXactStatus.ForShare],
    ]);
    for (const x of s) x.rollback();
  });

  it('[RL4][M15] a lock taken in a subtransaction is released by ROLLBACK TO; the earlier weaker lock survives', async () => {
    const { heap, s } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin();
    await heap.lockRow(s[0]!, 'a', T.KeyShare);
    s[0]!.savepoint('sp');
    await heap.lockRow(s[0]!, 'a', T.Exclusive);
    expect(await heap.lockRow(s[1]!, 'a', T.KeyShare, { waitPolicy: 'skip' })).toBe('skipped');
    s[0]!.rollbackToSavepoint('sp');
    expect(await heap.lockRow(s[1]!, 'a', T.KeyShare, { waitPolicy: 'skip' })).toBe('locked');
    expect(await heap.lockRow(s[1]!, 'a', T.Exclusive, { waitPolicy: 'skip' })).toBe('skipped');
    s[0]!.rollback();
    s[1]!.rollback();
  });
});

describe('lockers and an updater', () => {
  it('[RL3][M14] a non-key UPDATE does not wait for a KEY SHARE locker: xmax becomes a MultiXact with the updater', async () => {
    const { heap, s, m } = await world(3);
    for (const x of s) await x.begin();
    await heap.lockRow(s[0]!, 'a', T.KeyShare);
    s[1]!.startStatement();
    const nv = await heap.update(s[1]!, 'a', (v) => v + 100, { waitPolicy: 'error' });
    expect(nv?.value).toBe(101);
    const old = heap.versions[0]!.header;
    expect(old.infomask & Infomask.HEAP_XMAX_IS_MULTI).toBeTruthy();
    expect(old.infomask & Infomask.HEAP_XMAX_LOCK_ONLY).toBe(0);
    expect(m.multixacts.getMembers(old.xmax as bigint as never).map((mb) => mb.status)).toEqual([MultiXactStatus.ForKeyShare, MultiXactStatus.NoKeyUpdate]);
    // Others still see the old version while the updater runs, and the new one after it commits.
    s[2]!.startStatement();
    expect(heap.view(s[2]!).get('a')).toBe(1);
    // A key-changing lock (FOR UPDATE) must wait for both.
    expect(await heap.lockRow(s[2]!, 'a', T.Exclusive, { waitPolicy: 'skip' })).toBe('skipped');
    await s[1]!.commit();
    s[2]!.startStatement();
    expect(heap.view(s[2]!).get('a')).toBe(101);
    s[0]!.rollback();
    await s[2]!.commit();
  });

  it('[RL3][MV34] a MultiXact whose updater aborted leaves the row updatable once the lockers are gone', async () => {
    const { heap, s } = await world(3);
    for (const x of s) await x.begin();
    await heap.lockRow(s[0]!, 'a', T.KeyShare);
    await heap.update(s[1]!, 'a', (v) => v + 100);
    s[1]!.rollback();
    await s[0]!.commit();
    s[2]!.startStatement();
    expect((await heap.update(s[2]!, 'a', (v) => v * 3, { waitPolicy: 'error' }))?.value).toBe(3);
    await s[2]!.commit();
  });
});

describe('waiting for row locks', () => {
  it('[RL5][M17] NOWAIT fails with 55P03 naming the relation', async () => {
    const { heap, s } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin();
    await heap.lockRow(s[0]!, 'a', T.Exclusive);
    await expect(heap.lockRow(s[1]!, 'a', T.Share, { waitPolicy: 'error' })).rejects.toMatchObject({
      code: '55P03',
      message: 'could not obtain lock on row in relation "accounts"',
    });
    s[0]!.rollback();
    s[1]!.rollback();
  });

  it('[RL6][M17] lock_timeout on a row-lock wait is 55P03 "canceling statement due to lock timeout"', async () => {
    const { heap, s, clock } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin();
    await heap.lockRow(s[0]!, 'a', T.Exclusive);
    const w = heap.lockRow(s[1]!, 'a', T.Exclusive, { lockTimeoutMs: 50 });
    await flush();
    clock.advance(50);
    await expect(w).rejects.toMatchObject({ code: '55P03', message: 'canceling statement due to lock timeout' });
    s[0]!.rollback();
    s[1]!.rollback();
  });

  it('[RL7][M16] waiters are served FIFO through the tuple lock: a later share locker cannot overtake a waiting updater', async () => {
    const { heap, s, m } = await world(3);
    for (const x of s) await x.begin();
    await heap.lockRow(s[0]!, 'a', T.Exclusive);
    const order: string[] = [];
    const upd = heap.lockRow(s[1]!, 'a', T.Exclusive).then((r) => {
      order.push(`excl:${r}`);
    });
    await flush();
    // The first waiter holds the tuple lock while it sleeps on the holder's xid; the next queues on the tuple lock.
    const sh = heap.lockRow(s[2]!, 'a', T.Share).then((r) => {
      order.push(`share:${r}`);
    });
    await flush();
    expect(order).toEqual([]);
    expect(m.locks.waitQueue({ kind: 'tuple', dbOid: 5, relOid: 16384, block: 0, offset: 1 })).toEqual([s[2]!.proc]);
    await s[0]!.commit();
    await upd;
    expect(order).toEqual(['excl:locked']);
    await s[1]!.commit();
    await sh;
    expect(order).toEqual(['excl:locked', 'share:locked']);
    await s[2]!.commit();
  });

  it('[RL8][M19] READ COMMITTED: an UPDATE that waited for a committed concurrent update applies to the newest version', async () => {
    const { heap, s } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin({ isolation: IsolationLevel.ReadCommitted });
    await heap.update(s[0]!, 'a', (v) => v + 10);
    s[1]!.startStatement();
    const w = heap.update(s[1]!, 'a', (v) => v * 2);
    await flush();
    await s[0]!.commit();
    const nv = await w;
    expect(nv?.value).toBe(22);
    await s[1]!.commit();
  });

  it('[RL8][M19] READ COMMITTED: if the concurrent updater aborts, the original row is used', async () => {
    const { heap, s } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin();
    await heap.update(s[0]!, 'a', (v) => v + 10);
    s[1]!.startStatement();
    const w = heap.update(s[1]!, 'a', (v) => v * 2);
    await flush();
    s[0]!.rollback();
    expect((await w)?.value).toBe(2);
    await s[1]!.commit();
  });

  it('[RL8][M19] READ COMMITTED: a row deleted concurrently is skipped', async () => {
    const { heap, s } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin();
    await heap.delete(s[0]!, 'a');
    s[1]!.startStatement();
    const w = heap.update(s[1]!, 'a', (v) => v * 2);
    await flush();
    await s[0]!.commit();
    expect(await w).toBeUndefined();
    await s[1]!.commit();
  });

  it('[RL9][M21] REPEATABLE READ / SERIALIZABLE: the same situation fails with 40001', async () => {
    for (const iso of [IsolationLevel.RepeatableRead, IsolationLevel.Serializable]) {
      const { heap, s } = await world(2);
      await s[1]!.begin({ isolation: iso });
      s[1]!.snapshot();
      await s[0]!.begin();
      await heap.update(s[0]!, 'a', (v) => v + 10);
      const w = heap.update(s[1]!, 'a', (v) => v * 2);
      await flush();
      await s[0]!.commit();
      await expect(w).rejects.toMatchObject({ code: '40001', message: 'could not serialize access due to concurrent update' });
      s[1]!.rollback();
    }
    expect(() => evalPlanQualDecision(IsolationLevel.RepeatableRead, { result: 'Deleted', ctid: { block: 0, offset: 1 } })).toThrow(
      'could not serialize access due to concurrent delete',
    );
  });

  it('[RL10][M25] two sessions updating two rows in opposite order: one gets 40P01, the other completes', async () => {
    const { heap, s, clock } = await world(2);
    await s[0]!.begin();
    await s[1]!.begin();
    await heap.update(s[0]!, 'a', (v) => v + 1);
    await heap.update(s[1]!, 'b', (v) => v + 1);
    s[0]!.startStatement();
    s[1]!.startStatement();
    const w0 = heap.update(s[0]!, 'b', (v) => v + 1);
    await flush();
    const w1 = heap.update(s[1]!, 'a', (v) => v + 1);
    await flush();
    clock.advance(1000);
    const err = await w0.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgError);
    expect((err as PgError).code).toBe('40P01');
    expect((err as PgError).detail).toMatch(/^Process \d+ waits for ShareLock on transaction \d+; blocked by process \d+\./);
    s[0]!.rollback();
    expect((await w1)?.value).toBe(2);
    await s[1]!.commit();
  });
});
