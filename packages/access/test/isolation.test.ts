// Isolation through the heap API with mvcc's transactions (no SQL): lost update, READ COMMITTED
// re-check, SKIP LOCKED queue, deadlock, write skew under SERIALIZABLE, and randomized bank
// transfers under each isolation level with retries, also across a power loss.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isPgError } from '@palisade/common';
import { IsolationLevel, LockTupleMode, evalPlanQualDecision, type Tid } from '@palisade/mvcc';
import { checkHeap, type AccessBackend, type Heap, type HeapTuple } from '../src/index.ts';
import { openInstance } from '../examples/instance.ts';
import { accountsHeap, freshInstance, int4, readInt4, inTransaction } from './helpers.ts';

async function findRow(heap: Heap, b: AccessBackend, id: number): Promise<HeapTuple | undefined> {
  for await (const t of heap.scan(b, b.session.snapshot())) if (readInt4(t.values[0]) === id) return t;
  return undefined;
}

async function total(heap: Heap, b: AccessBackend): Promise<number> {
  let sum = 0;
  for await (const t of heap.scan(b, b.session.snapshot())) sum += readInt4(t.values[1]);
  return sum;
}

async function setup(n: number, balance: number, seed = 1) {
  const { fs, inst } = await freshInstance({ deadlockTimeoutMs: 20 }, seed);
  const heap = accountsHeap(inst);
  await heap.create();
  await inst.smgr.syncAllPending();
  const a = inst.connect();
  await inTransaction(a, async () => { for (let i = 0; i < n; i++) await heap.insert(a, [int4(i), int4(balance)]); });
  return { fs, inst, heap, a };
}

const retryable = (e: unknown): boolean => isPgError(e) && (e.code === '40001' || e.code === '40P01');

describe('isolation through the heap', () => {
  it('[ISO1] M21: lost update is refused under REPEATABLE READ with 40001', async () => {
    const { inst, heap } = await setup(1, 100);
    const t1 = inst.connect();
    const t2 = inst.connect();
    await t1.session.begin({ isolation: IsolationLevel.RepeatableRead });
    await t2.session.begin({ isolation: IsolationLevel.RepeatableRead });
    t1.session.startStatement();
    t2.session.startStatement();
    const r1 = (await findRow(heap, t1, 0))!;
    const r2 = (await findRow(heap, t2, 0))!;
    expect((await heap.update(t1, r1.tid, [int4(0), int4(readInt4(r1.values[1]) + 10)], { indexedColumnsChanged: false })).result).toBe('Ok');
    const pending = heap.update(t2, r2.tid, [int4(0), int4(readInt4(r2.values[1]) + 20)], { indexedColumnsChanged: false });
    await t1.session.commit();
    const out = await pending;
    expect(out.result).toBe('Updated');
    expect(() => evalPlanQualDecision(IsolationLevel.RepeatableRead, out as { result: 'Updated'; ctid: Tid })).toThrow('could not serialize access due to concurrent update');
    t2.session.rollback();
  });

  it('[ISO2] M19: READ COMMITTED waits, re-fetches the committed version and re-checks; a deleted row is skipped', async () => {
    const { inst, heap } = await setup(2, 100);
    const t1 = inst.connect();
    const t2 = inst.connect();
    await t1.session.begin();
    t1.session.startStatement();
    const row = (await findRow(heap, t1, 0))!;
    await heap.update(t1, row.tid, [int4(0), int4(150)], { indexedColumnsChanged: false });
    const del = (await findRow(heap, t1, 1))!;
    await heap.delete(t1, del.tid);
    await t2.session.begin();
    t2.session.startStatement();
    const seen = (await findRow(heap, t2, 0))!;
    const seenDel = (await findRow(heap, t2, 1))!;
    expect(readInt4(seen.values[1])).toBe(100);
    const p = heap.update(t2, seen.tid, [int4(0), int4(0)], { indexedColumnsChanged: false });
    await new Promise((r) => setTimeout(r, 10));
    await t1.session.commit();
    const r = await p;
    expect(r.result).toBe('Updated');
    const d = evalPlanQualDecision(IsolationLevel.ReadCommitted, r as { result: 'Updated'; ctid: Tid });
    expect(d.action).toBe('refetch');
    t2.session.startStatement();
    const newest = (await heap.fetch(t2, (d as { ctid: Tid }).ctid, t2.session.snapshot()))!;
    // The qual "balance >= 120" is re-evaluated on the new version (150): still true, so the update applies to it.
    expect(readInt4(newest.values[1]) >= 120).toBe(true);
    expect((await heap.update(t2, newest.tid, [int4(0), int4(readInt4(newest.values[1]) + 1)], { indexedColumnsChanged: false })).result).toBe('Ok');
    const rd = await heap.delete(t2, seenDel.tid);
    expect(rd.result).toBe('Deleted');
    expect(evalPlanQualDecision(IsolationLevel.ReadCommitted, rd as { result: 'Deleted'; ctid: Tid }).action).toBe('skip');
    await t2.session.commit();
    await t1.session.begin();
    t1.session.startStatement();
    expect(readInt4((await findRow(heap, t1, 0))!.values[1])).toBe(151);
    await t1.session.commit();
  });

  it('[ISO3] M17: a SKIP LOCKED job queue hands each job to one worker', async () => {
    const { inst, heap } = await setup(3, 0);
    const workers = [inst.connect(), inst.connect(), inst.connect()];
    const taken: number[] = [];
    for (const w of workers) {
      await w.session.begin();
      w.session.startStatement();
      for await (const t of heap.scan(w, w.session.snapshot())) {
        const r = await heap.lock(w, t.tid, LockTupleMode.Exclusive, { waitPolicy: 'skip' });
        if (r.result === 'Ok') { taken.push(readInt4(t.values[0])); break; }
        expect(r.result).toBe('WouldBlock');
      }
    }
    expect(taken.sort()).toEqual([0, 1, 2]);
    for (const w of workers) await w.session.commit();
  });

  it('[ISO4] M25: crossing row locks deadlock; exactly one fails with 40P01, the other proceeds', async () => {
    const { inst, heap, a } = await setup(2, 0);
    await a.session.begin();
    a.session.startStatement();
    const rA = (await findRow(heap, a, 0))!.tid;
    const rB = (await findRow(heap, a, 1))!.tid;
    await a.session.commit();
    const t1 = inst.connect();
    const t2 = inst.connect();
    await t1.session.begin();
    await t2.session.begin();
    t1.session.startStatement();
    t2.session.startStatement();
    await heap.lock(t1, rA, LockTupleMode.Exclusive);
    await heap.lock(t2, rB, LockTupleMode.Exclusive);
    const outcome = async (b: AccessBackend, tid: Tid): Promise<string> => {
      try {
        await heap.lock(b, tid, LockTupleMode.Exclusive);
        return 'ok';
      } catch (e) {
        b.session.rollback();
        return isPgError(e) ? e.code : String(e);
      }
    };
    const p1 = outcome(t1, rB);
    const p2 = outcome(t2, rA);
    const first = await Promise.race([p1, p2]);
    expect(first).toBe('40P01');
    // The survivor now gets its lock.
    const both = await Promise.all([p1, p2]);
    expect(both.filter((x) => x === '40P01').length).toBe(1);
    expect(both.filter((x) => x === 'ok').length).toBe(1);
    if (t1.session.blockState !== 'idle') await t1.session.commit();
    if (t2.session.blockState !== 'idle') await t2.session.commit();
  });

  it('[ISO5] M26: write skew is refused under SERIALIZABLE (one 40001) and allowed under REPEATABLE READ', async () => {
    for (const isolation of [IsolationLevel.Serializable, IsolationLevel.RepeatableRead]) {
      const { inst, heap } = await setup(2, 1);
      const t1 = inst.connect();
      const t2 = inst.connect();
      await t1.session.begin({ isolation });
      await t2.session.begin({ isolation });
      t1.session.startStatement();
      t2.session.startStatement();
      const outcomes: string[] = [];
      // "If at least two doctors are on call, I may leave": both read, then both write, then both commit.
      expect(await total(heap, t1)).toBe(2);
      expect(await total(heap, t2)).toBe(2);
      const step = async (b: AccessBackend, fn: () => Promise<unknown>): Promise<void> => {
        if (b.session.blockState === 'idle') return;
        try {
          await fn();
        } catch (e) {
          b.session.rollback();
          outcomes.push(isPgError(e) ? e.code : String(e));
        }
      };
      await step(t1, async () => heap.update(t1, (await findRow(heap, t1, 0))!.tid, [int4(0), int4(0)], { indexedColumnsChanged: false }));
      await step(t2, async () => heap.update(t2, (await findRow(heap, t2, 1))!.tid, [int4(1), int4(0)], { indexedColumnsChanged: false }));
      await step(t1, async () => { await t1.session.commit(); outcomes.push('commit'); });
      await step(t2, async () => { await t2.session.commit(); outcomes.push('commit'); });
      if (isolation === IsolationLevel.Serializable) expect(outcomes.sort()).toEqual(['40001', 'commit']);
      else expect(outcomes).toEqual(['commit', 'commit']);
    }
  });

  it('[ISO6] SSI11: random bank transfers keep the total under every isolation level with retries, also across a power loss', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Serializable),
      fc.array(fc.tuple(fc.nat(4), fc.nat(4), fc.integer({ min: 1, max: 30 })), { minLength: 4, maxLength: 16 }),
      fc.nat(1000),
      async (isolation, transfers, seed) => {
        const { fs, inst, heap } = await setup(5, 100, seed);
        const workers = [inst.connect(), inst.connect(), inst.connect()];
        const queue = transfers.filter(([f, t]) => f !== t);
        const transfer = async (w: AccessBackend, from: number, to: number, amount: number): Promise<void> => {
          for (let attempt = 0; attempt < 200; attempt++) {
            await w.session.begin({ isolation });
            try {
              w.session.startStatement();
              const ids = attempt % 2 === 0 ? [from, to] : [to, from];
              const locked = new Map<number, HeapTuple>();
              for (const id of ids) {
                for (let refetch = 0; ; refetch++) {
                  expect(refetch).toBeLessThan(1000);
                  const row = (await findRow(heap, w, id))!;
                  const r = await heap.lock(w, row.tid, LockTupleMode.NoKeyExclusive);
                  if (r.result === 'Ok') { locked.set(id, row); break; }
                  evalPlanQualDecision(isolation, r as { result: 'Updated'; ctid: Tid });
                  w.session.startStatement();
                }
              }
              const f = locked.get(from)!;
              const t = locked.get(to)!;
              await heap.update(w, f.tid, [int4(from), int4(readInt4(f.values[1]) - amount)], { indexedColumnsChanged: false });
              await heap.update(w, t.tid, [int4(to), int4(readInt4(t.values[1]) + amount)], { indexedColumnsChanged: false });
              await w.session.commit();
              return;
            } catch (e) {
              w.session.rollback();
              if (!retryable(e)) throw e;
            }
          }
          throw new Error('transfer kept failing');
        };
        await Promise.all(workers.map(async (w, i) => {
          for (let j = i; j < queue.length; j += workers.length) {
            const [from, to, amount] = queue[j]!;
            await transfer(w, from, to, amount);
          }
        }));
        const check = inst.connect();
        await check.session.begin();
        check.session.startStatement();
        expect(await total(heap, check)).toBe(500);
        expect(await checkHeap(heap, check, check.session.snapshot())).toEqual([]);
        await check.session.commit();
        const rec = await openInstance(fs.crash({ seed, keepProbability: 0.5 }));
        const c = rec.connect();
        await c.session.begin();
        c.session.startStatement();
        expect(await total(accountsHeap(rec), c)).toBe(500);
        await c.session.commit();
        await rec.wal.close();
      },
    ), { numRuns: 15 });
  });
});
