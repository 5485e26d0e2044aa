// SSI scenarios in the style of PostgreSQL's isolation specs, driven through the API with the toy heap.

import { describe, expect, it } from 'vitest';
import { PgError } from '@palisade/common';
import { TransactionManager, IsolationLevel, type Session, PredicateLockTable, type PredicateTarget } from '../src/index.ts';
import { ToyHeap, DB, REL } from './toy-heap.ts';

const SER = IsolationLevel.Serializable;

async function setup(rows: Record<string, number>, n = 3) {
  const m = new TransactionManager({ maxBackends: n + 1 });
  const heap = new ToyHeap();
  const init = m.connect();
  await init.begin();
  for (const [k, v] of Object.entries(rows)) heap.insert(init, k, v);
  await init.commit();
  init.close();
  return { m, heap, s: Array.from({ length: n }, () => m.connect()) };
}

async function outcome(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'ok';
  } catch (e) {
    if (e instanceof PgError) return e.code;
    throw e;
  }
}

function sum(heap: ToyHeap, s: Session): number {
  s.startStatement();
  return heap.scan(s).reduce((a, v) => a + v.value, 0);
}

describe('write skew', () => {
  async function doctors(iso: IsolationLevel) {
    const { m, heap, s } = await setup({ alice: 1, bob: 1 }, 2);
    const [t1, t2] = s as [Session, Session];
    await t1.begin({ isolation: iso });
    await t2.begin({ isolation: iso });
    expect(sum(heap, t1)).toBe(2);
    expect(sum(heap, t2)).toBe(2);
    const results: string[] = [];
    results.push(await outcome(heap.update(t1, 'alice', () => 0)));
    results.push(await outcome(heap.update(t2, 'bob', () => 0)));
    results.push(await outcome(t1.commit()));
    results.push(await outcome(t2.commit()));
    t1.rollback();
    t2.rollback();
    return { results, m };
  }

  it('[SSI1][M26][M27] under SERIALIZABLE exactly one of two write-skewing transactions fails with 40001', async () => {
    const { results, m } = await doctors(SER);
    expect(results.filter((r) => r === '40001')).toHaveLength(1);
    expect(results).toEqual(['ok', 'ok', 'ok', '40001']);
    expect(m.ssi.trackedCount).toBe(0);
  });

  it('[SSI1][M27] the failure carries PostgreSQL message, reason code and hint', async () => {
    const { heap, s } = await setup({ alice: 1, bob: 1 }, 2);
    const [t1, t2] = s as [Session, Session];
    await t1.begin({ isolation: SER });
    await t2.begin({ isolation: SER });
    sum(heap, t1);
    sum(heap, t2);
    await heap.update(t1, 'alice', () => 0);
    await heap.update(t2, 'bob', () => 0);
    await t1.commit();
    await expect(t2.commit()).rejects.toMatchObject({
      code: '40001',
      message: 'could not serialize access due to read/write dependencies among transactions',
      detail: 'Reason code: Canceled on identification as a pivot, during commit attempt.',
      hint: 'The transaction might succeed if retried.',
    });
    expect(t2.blockState).toBe('idle');
  });

  it('[SSI2][M30] under REPEATABLE READ write skew is allowed', async () => {
    const { results } = await doctors(IsolationLevel.RepeatableRead);
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('[SSI3][M29] a relation-level SIREAD lock (seqscan) conflicts with an INSERT', async () => {
    const { heap, s } = await setup({ a: 1 }, 2);
    const [t1, t2] = s as [Session, Session];
    await t1.begin({ isolation: SER });
    await t2.begin({ isolation: SER });
    t1.startStatement();
    heap.scan(t1, { seqscan: true });
    t2.startStatement();
    heap.scan(t2, { seqscan: true });
    heap.insert(t1, 'x', 1);
    heap.insert(t2, 'y', 1);
    expect(await outcome(t1.commit())).toBe('ok');
    expect(await outcome(t2.commit())).toBe('40001');
  });
});

describe('read-only anomaly', () => {
  /** Fekete et al.: T2 withdraws reading x and y; T1 deposits into y and commits; T3 (read only) reads both. */
  async function scenario(t3Opts: { readOnly: boolean }) {
    const { heap, s } = await setup({ x: 0, y: 0 }, 3);
    const [t1, t2, t3] = s as [Session, Session, Session];
    await t2.begin({ isolation: SER });
    t2.startStatement();
    const seen = Object.fromEntries(heap.view(t2));
    await t1.begin({ isolation: SER });
    t1.startStatement();
    heap.get(t1, 'y');
    await heap.update(t1, 'y', (v) => v + 20);
    await t1.commit();
    await t3.begin({ isolation: SER, readOnly: t3Opts.readOnly });
    t3.startStatement();
    const t3view = Object.fromEntries(heap.view(t3));
    const t3commit = await outcome(t3.commit());
    t2.startStatement();
    const penalty = seen.x! + seen.y! - 10 < 0 ? 1 : 0;
    const t2write = await outcome(heap.update(t2, 'x', (v) => v - 10 - penalty));
    const t2commit = t2write === 'ok' ? await outcome(t2.commit()) : 'skipped';
    t2.rollback();
    return { t3view, t3commit, t2write, t2commit };
  }

  it('[SSI4][M28] the read-only transaction makes the structure dangerous: the pivot fails on write', async () => {
    const r = await scenario({ readOnly: true });
    expect(r.t3view).toEqual({ x: 0, y: 20 });
    expect(r.t3commit).toBe('ok');
    expect(r.t2write).toBe('40001');
  });

  it('[SSI4][M28] the same with an implicitly read-only T3 also fails the pivot', async () => {
    const r = await scenario({ readOnly: false });
    expect(r.t2write === '40001' || r.t2commit === '40001').toBe(true);
  });

  it('[SSI5][M31] SERIALIZABLE READ ONLY DEFERRABLE waits for a safe snapshot and then sees a serializable state', async () => {
    const { m, heap, s } = await setup({ x: 0, y: 0 }, 3);
    const [t1, t2, t3] = s as [Session, Session, Session];
    await t2.begin({ isolation: SER });
    t2.startStatement();
    heap.view(t2);
    await t1.begin({ isolation: SER });
    t1.startStatement();
    await heap.update(t1, 'y', (v) => v + 20);
    await t1.commit();
    let started = false;
    const t3begin = t3.begin({ isolation: SER, readOnly: true, deferrable: true }).then(() => {
      started = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(false); // T2 is a concurrent read/write transaction
    t2.startStatement();
    await heap.update(t2, 'x', (v) => v - 11);
    await t2.commit();
    await t3begin;
    t3.startStatement();
    // The first snapshot was unsafe (T2 committed with a conflict out to T1, which T3 saw), so T3 retook one.
    expect(Object.fromEntries(heap.view(t3))).toEqual({ x: -11, y: 20 });
    expect(t3.serializableXact?.roSafe).toBe(true);
    expect(m.ssi.locks.size).toBe(0);
    await t3.commit();
  });

  it('[SSI5][M31] with no concurrent writer the deferrable transaction starts at once and takes no SIREAD locks', async () => {
    const { m, heap, s } = await setup({ x: 0 }, 1);
    await s[0]!.begin({ isolation: SER, readOnly: true, deferrable: true });
    s[0]!.startStatement();
    heap.view(s[0]!);
    expect(m.ssi.locks.size).toBe(0);
    await s[0]!.commit();
  });

  it('[SSI5][M31] a READ ONLY transaction becomes safe when its concurrent writers finish cleanly, and drops its SIREAD locks', async () => {
    const { m, heap, s } = await setup({ x: 0, y: 0 }, 2);
    const [w, r] = s as [Session, Session];
    await w.begin({ isolation: SER });
    w.snapshot();
    await r.begin({ isolation: SER, readOnly: true });
    r.startStatement();
    heap.view(r);
    expect(m.ssi.locks.size).toBe(2);
    expect(r.serializableXact?.roSafe).toBe(false);
    await heap.update(w, 'y', () => 1);
    await w.commit();
    expect(r.serializableXact?.roSafe).toBe(true);
    expect(m.ssi.locks.targetsOf(r.serializableXact!)).toEqual([]);
    await r.commit();
    expect(m.ssi.locks.size).toBe(0);
  });

  it('[SSI5] a wait for a safe snapshot can be cancelled', async () => {
    const { s } = await setup({ x: 0 }, 2);
    await s[0]!.begin({ isolation: SER });
    s[0]!.snapshot();
    const ac = new AbortController();
    const b = s[1]!.begin({ isolation: SER, readOnly: true, deferrable: true, signal: ac.signal });
    ac.abort();
    await expect(b).rejects.toMatchObject({ code: '57014' });
    expect(s[1]!.blockState).toBe('idle');
    s[0]!.rollback();
  });
});

describe('hot standby', () => {
  it('[SSI14][M31] SERIALIZABLE on a hot standby is 0A000', async () => {
    const m = new TransactionManager({ hotStandby: true });
    const s = m.connect();
    await expect(s.begin({ isolation: SER })).rejects.toMatchObject({
      code: '0A000',
      message: 'cannot use serializable mode in a hot standby',
      hint: 'You can use REPEATABLE READ instead.',
    });
    expect(s.blockState).toBe('idle');
    await s.begin({ isolation: IsolationLevel.RepeatableRead });
    s.rollback();
  });
});

describe('commit ordering (M28)', () => {
  /** T0 reads x; T1 writes x and reads y; T2 writes y: T0 -rw-> T1 -rw-> T2. */
  async function chain(order: ('t0' | 't1' | 't2')[], t0ReadOnly = false) {
    const { heap, s } = await setup({ x: 0, y: 0 }, 3);
    const [t0, t1, t2] = s as [Session, Session, Session];
    await t0.begin({ isolation: SER, readOnly: t0ReadOnly });
    await t1.begin({ isolation: SER });
    await t2.begin({ isolation: SER });
    t0.startStatement();
    heap.get(t0, 'x');
    t1.startStatement();
    heap.get(t1, 'y');
    await heap.update(t1, 'x', (v) => v + 1);
    await heap.update(t2, 'y', (v) => v + 1);
    const by = { t0, t1, t2 };
    const results: string[] = [];
    for (const name of order) results.push(`${name}:${await outcome(by[name].commit())}`);
    return results;
  }

  it('[SSI13][M28] no rollback when the pivot commits before Tout', async () => {
    expect(await chain(['t1', 't2', 't0'])).toEqual(['t1:ok', 't2:ok', 't0:ok']);
  });

  it('[SSI13][M28] when Tout commits first while Tin and the pivot run, the pivot is cancelled', async () => {
    expect(await chain(['t2', 't1', 't0'])).toEqual(['t2:ok', 't1:40001', 't0:ok']);
  });

  it("[SSI13][M28] a READ ONLY Tin whose snapshot precedes Tout's commit does not make the structure dangerous", async () => {
    expect(await chain(['t2', 't1', 't0'], true)).toEqual(['t2:ok', 't1:ok', 't0:ok']);
  });
});

describe('predicate locks', () => {
  const tuple = (block: number, offset: number): PredicateTarget => ({ kind: 'tuple', dbOid: DB, relOid: REL, block, offset });

  it('[SSI6][M29] tuple locks are promoted to a page lock past max_pred_locks_per_page, pages to the relation', () => {
    const t = new PredicateLockTable<object>({ lockSlotsMax: 1000, maxPerPage: 2, maxPerRelation: 3 });
    const h = {};
    t.acquire(h, tuple(0, 1));
    t.acquire(h, tuple(0, 2));
    expect(t.targetsOf(h).map((x) => x.kind)).toEqual(['tuple', 'tuple']);
    t.acquire(h, tuple(0, 3));
    expect(t.targetsOf(h)).toEqual([{ kind: 'page', dbOid: DB, relOid: REL, block: 0 }]);
    expect(t.covers(h, tuple(0, 9))).toBe(true);
    t.acquire(h, tuple(1, 1));
    t.acquire(h, tuple(2, 1));
    t.acquire(h, tuple(3, 1));
    expect(t.targetsOf(h)).toEqual([{ kind: 'relation', dbOid: DB, relOid: REL }]);
    expect(t.size).toBe(1);
  });

  it('[SSI6][M29] a B-tree page split copies gap locks to the new page; a combine moves them; index locks move to the heap', () => {
    const t = new PredicateLockTable<object>({ lockSlotsMax: 1000, maxPerPage: 2, maxPerRelation: 32 });
    const h = {};
    const page = (block: number, relOid = 900): PredicateTarget => ({ kind: 'page', dbOid: DB, relOid, block });
    t.acquire(h, page(1));
    t.pageSplit(DB, 900, 1, 7);
    expect(t.holdersOf(page(7))).toEqual([h]);
    expect(t.holdersOf(page(1))).toEqual([h]);
    t.pageCombine(DB, 900, 7, 3);
    expect(t.holdersOf(page(7))).toEqual([]);
    expect(t.holdersOf(page(3))).toEqual([h]);
    t.transferToRelation(DB, 900, REL);
    expect(t.targetsOf(h)).toEqual([{ kind: 'relation', dbOid: DB, relOid: REL }]);
  });

  it('[SSI3][M29] TRUNCATE-style writes conflict with every SIREAD lock on the relation', async () => {
    const { heap, s } = await setup({ a: 1, b: 2 }, 2);
    const [t1, t2] = s as [Session, Session];
    await t1.begin({ isolation: SER });
    await t2.begin({ isolation: SER });
    t1.startStatement();
    heap.get(t1, 'a');
    t2.startStatement();
    heap.get(t2, 'b');
    t2.checkTableForSerializableConflictIn(DB, REL);
    t1.startStatement();
    await heap.update(t1, 'b', () => 5); // t2 read b: t2 -rw-> t1, and t1 -rw-> t2 from the truncate
    expect(await outcome(t1.commit())).toBe('ok');
    expect(await outcome(t2.commit())).toBe('40001');
  });

  it('[SSI7] the predicate lock table is bounded: 53200 naming max_pred_locks_per_transaction', () => {
    const t = new PredicateLockTable<object>({ lockSlotsMax: 2, maxPerPage: 100, maxPerRelation: 100 });
    const h = {};
    t.acquire(h, tuple(0, 1));
    t.acquire(h, tuple(0, 2));
    expect(() => t.acquire(h, tuple(0, 3))).toThrow(
      expect.objectContaining({ code: '53200', hint: 'You might need to increase max_pred_locks_per_transaction.' }),
    );
  });

  it('[SSI8][M29] SIREAD locks survive subtransaction rollback and the commit, until overlapping transactions finish', async () => {
    const { m, heap, s } = await setup({ a: 1 }, 2);
    const [t1, t2] = s as [Session, Session];
    await t2.begin({ isolation: SER });
    t2.snapshot();
    await t1.begin({ isolation: SER });
    t1.savepoint('sp');
    t1.startStatement();
    heap.view(t1);
    t1.rollbackToSavepoint('sp');
    expect(m.ssi.locks.size).toBe(1);
    heap.insert(t1, 'b', 2); // a writer: its record must outlive it while t2 runs
    await t1.commit();
    expect(m.ssi.locks.size).toBe(1); // t2 overlaps t1
    await t2.commit();
    expect(m.ssi.locks.size).toBe(0);
    expect(m.ssi.trackedCount).toBe(0);
  });

  it('[SSI9][M30] transactions below SERIALIZABLE take no SIREAD locks and are not checked', async () => {
    const { m, heap, s } = await setup({ a: 1 }, 1);
    await s[0]!.begin({ isolation: IsolationLevel.RepeatableRead });
    s[0]!.startStatement();
    heap.view(s[0]!);
    await heap.update(s[0]!, 'a', () => 5);
    expect(m.ssi.locks.size).toBe(0);
    expect(s[0]!.serializableXact).toBeUndefined();
    await s[0]!.commit();
  });

  it('[SSI10] a rolled-back serializable transaction is forgotten at once', async () => {
    const { m, heap, s } = await setup({ a: 1 }, 2);
    await s[1]!.begin({ isolation: SER });
    s[1]!.snapshot();
    await s[0]!.begin({ isolation: SER });
    s[0]!.startStatement();
    heap.view(s[0]!);
    s[0]!.rollback();
    expect(m.ssi.trackedCount).toBe(1);
    expect(m.ssi.locks.size).toBe(0);
    s[1]!.rollback();
    expect(m.ssi.trackedCount).toBe(0);
  });
});
