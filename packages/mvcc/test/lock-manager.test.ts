import { describe, expect, it } from 'vitest';
import { PgError } from '@palisade/common';
import {
  LockManager,
  LockMode,
  ManualClock,
  lockModeNames,
  lockModesConflict,
  relationLockTag,
  transactionLockTag,
  TransactionManager,
  type LockMode as LockModeT,
} from '../src/index.ts';

const M = LockMode;
const modes = Object.values(M) as LockModeT[];
const rel = relationLockTag(5, 16384);
const rel2 = relationLockTag(5, 16385);

/** M10, written out from the statement (not from the implementation's table). */
const expected: Record<number, LockModeT[]> = {
  [M.AccessShare]: [M.AccessExclusive],
  [M.RowShare]: [M.Exclusive, M.AccessExclusive],
  [M.RowExclusive]: [M.Share, M.ShareRowExclusive, M.Exclusive, M.AccessExclusive],
  [M.ShareUpdateExclusive]: [M.ShareUpdateExclusive, M.Share, M.ShareRowExclusive, M.Exclusive, M.AccessExclusive],
  [M.Share]: [M.RowExclusive, M.ShareUpdateExclusive, M.ShareRowExclusive, M.Exclusive, M.AccessExclusive],
  [M.ShareRowExclusive]: [M.RowExclusive, M.ShareUpdateExclusive, M.Share, M.ShareRowExclusive, M.Exclusive, M.AccessExclusive],
  [M.Exclusive]: [M.RowShare, M.RowExclusive, M.ShareUpdateExclusive, M.Share, M.ShareRowExclusive, M.Exclusive, M.AccessExclusive],
  [M.AccessExclusive]: modes,
};

function mgr(clock = new ManualClock(), procs = 8) {
  const lm = new LockManager({ maxBackends: procs, maxLocksPerTransaction: 4, deadlockTimeoutMs: 1000, clock });
  for (let p = 0; p < procs; p++) lm.registerProc(p, 1000 + p);
  return lm;
}
const req = (proc: number, mode: LockModeT, tag = rel, owner = 1) => ({ proc, owner, tag, mode });
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('table-lock conflicts', () => {
  for (const a of modes) {
    for (const b of modes) {
      const conflict = expected[a]!.includes(b);
      it(`[LK1][M10] ${lockModeNames[a]} ${conflict ? 'conflicts' : 'does not conflict'} with ${lockModeNames[b]}`, () => {
        expect(lockModesConflict(a, b)).toBe(conflict);
        const lm = mgr();
        expect(lm.tryAcquire(req(0, a))).toBe('granted');
        expect(lm.tryAcquire(req(1, b))).toBe(conflict ? 'not-available' : 'granted');
      });
    }
  }

  it('[LK2][M11] a process never conflicts with its own locks', () => {
    const lm = mgr();
    for (const a of modes) expect(lm.tryAcquire(req(0, a))).not.toBe('not-available');
    expect(lm.heldMask(0, rel)).toBe(0b111111110);
  });
});

describe('wait queue', () => {
  it('[LK3][M11] waiters are granted in FIFO order; a compatible request queues behind a conflicting waiter', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.AccessShare));
    const order: number[] = [];
    const w1 = lm.acquire(req(1, M.AccessExclusive)).then(() => order.push(1));
    // Compatible with the granted lock but not with the earlier waiter: must queue.
    expect(lm.tryAcquire(req(2, M.AccessShare))).toBe('not-available');
    const w2 = lm.acquire(req(2, M.AccessShare)).then(() => order.push(2));
    expect(lm.waitQueue(rel)).toEqual([1, 2]);
    lm.releaseAll(0);
    await w1;
    expect(order).toEqual([1]);
    lm.releaseAll(1);
    await w2;
    expect(order).toEqual([1, 2]);
  });

  it('[LK4][M11] a waiter that holds a lock a queued request needs is inserted ahead of that request', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.AccessShare)); // proc 0 holds AccessShare
    lm.tryAcquire(req(1, M.RowExclusive)); // proc 1 holds RowExclusive
    const w2 = lm.acquire(req(2, M.AccessExclusive)); // waits behind both holders
    const w0 = lm.acquire(req(0, M.Share)); // conflicts with proc 1's RowExclusive; proc 2 wants what proc 0 holds
    expect(lm.waitQueue(rel)).toEqual([0, 2]);
    lm.releaseAll(1);
    await w0;
    expect(lm.holds(0, rel, M.Share)).toBe(true);
    lm.releaseAll(0);
    await w2;
    expect(lm.holds(2, rel, M.AccessExclusive)).toBe(true);
  });

  it('[LK4][M11] such a waiter is granted at once when nothing ahead of its position conflicts', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.RowShare));
    const w1 = lm.acquire(req(1, M.Exclusive));
    // RowExclusive conflicts with the waiting Exclusive, but proc 0 holds RowShare which that waiter needs.
    await expect(lm.acquire(req(0, M.RowExclusive))).resolves.toBe('granted');
    lm.releaseAll(0);
    await w1;
  });

  it('[LK5][M17] NOWAIT-style requests return not-available instead of waiting', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.AccessExclusive));
    await expect(lm.acquire(req(1, M.AccessShare), { dontWait: true })).resolves.toBe('not-available');
    expect(lm.waitQueue(rel)).toEqual([]);
  });

  it('[LK6][M17] lock_timeout cancels the wait with 55P03', async () => {
    const clock = new ManualClock();
    const lm = mgr(clock);
    lm.tryAcquire(req(0, M.AccessExclusive));
    const w = lm.acquire(req(1, M.AccessShare), { lockTimeoutMs: 200 });
    clock.advance(199);
    expect(lm.isWaiting(1)).toBe(true);
    clock.advance(1);
    await expect(w).rejects.toMatchObject({ code: '55P03', message: 'canceling statement due to lock timeout' });
    expect(lm.isWaiting(1)).toBe(false);
  });

  it('[LK7] an AbortSignal cancels the wait with 57014 (or the PgError given as reason)', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.AccessExclusive));
    const ac = new AbortController();
    const w = lm.acquire(req(1, M.AccessShare), { signal: ac.signal });
    const ac2 = new AbortController();
    const w2 = lm.acquire(req(2, M.AccessShare), { signal: ac2.signal });
    ac.abort();
    await expect(w).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
    ac2.abort(new PgError('57014', 'canceling statement due to statement timeout'));
    await expect(w2).rejects.toMatchObject({ message: 'canceling statement due to statement timeout' });
    expect(lm.waitQueue(rel)).toEqual([]);
  });

  it('[LK8] a cancelled waiter lets the waiters behind it through', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.AccessShare));
    const ac = new AbortController();
    const w1 = lm.acquire(req(1, M.AccessExclusive), { signal: ac.signal });
    const w2 = lm.acquire(req(2, M.RowShare));
    ac.abort();
    await expect(w1).rejects.toBeInstanceOf(PgError);
    await expect(w2).resolves.toBe('granted');
  });

  it('[LK9] the lock table is bounded: 53200 out of shared memory with the GUC hint', () => {
    const lm = new LockManager({ maxBackends: 1, maxLocksPerTransaction: 3 });
    for (let r = 0; r < 3; r++) lm.tryAcquire(req(0, M.AccessShare, relationLockTag(5, r)));
    expect(() => lm.tryAcquire(req(0, M.AccessShare, relationLockTag(5, 99)))).toThrow(
      expect.objectContaining({ code: '53200', message: 'out of shared memory', hint: 'You might need to increase max_locks_per_transaction.' }),
    );
    lm.releaseAll(0);
    expect(lm.slotsInUse).toBe(0);
  });
});

describe('shared lock table', () => {
  it('[LK13] the lock table lives in a SharedArrayBuffer another LockManager can attach to', () => {
    const sab = new SharedArrayBuffer(LockManager.sharedBytes(4, 8));
    const a = new LockManager({ maxBackends: 4, maxLocksPerTransaction: 8, sharedBuffer: sab });
    a.tryAcquire(req(0, M.RowExclusive));
    const b = new LockManager({ maxBackends: 4, maxLocksPerTransaction: 8, sharedBuffer: sab });
    expect(b.holders(rel)).toEqual([{ proc: 0, holdMask: 1 << M.RowExclusive }]);
    expect(b.tryAcquire(req(1, M.Share))).toBe('not-available');
    expect(b.tryAcquire(req(1, M.RowShare))).toBe('granted');
    expect(a.heldMask(1, rel)).toBe(1 << M.RowShare);
  });

  it('[LK13][LK9] heavy churn of distinct tags reuses entries and keeps lookups correct', () => {
    const lm = new LockManager({ maxBackends: 2, maxLocksPerTransaction: 8 });
    for (let round = 0; round < 500; round++) {
      const tags = Array.from({ length: 8 }, (_, i) => relationLockTag(5, round * 8 + i));
      for (const t of tags) expect(lm.tryAcquire(req(0, M.AccessShare, t))).toBe('granted');
      expect(lm.tryAcquire(req(1, M.AccessExclusive, tags[3]))).toBe('not-available');
      for (const t of tags) expect(lm.release(req(0, M.AccessShare, t))).toBe(true);
      expect(lm.slotsInUse).toBe(0);
    }
    expect(lm.table.locksInUse()).toEqual([]);
  });
});

describe('pg_locks', () => {
  it('[LK12] status() lists held modes and waiting requests with pg_locks columns', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.RowExclusive));
    lm.tryAcquire(req(0, M.Exclusive, transactionLockTag(7n)));
    const w = lm.acquire(req(1, M.AccessExclusive));
    const rows = lm.status();
    expect(rows).toContainEqual(
      expect.objectContaining({ locktype: 'relation', database: 5, relation: 16384, pid: 1000, mode: 'RowExclusiveLock', granted: true }),
    );
    expect(rows).toContainEqual(expect.objectContaining({ locktype: 'transactionid', transactionid: 7n, mode: 'ExclusiveLock', granted: true }));
    expect(rows).toContainEqual(expect.objectContaining({ locktype: 'relation', pid: 1001, mode: 'AccessExclusiveLock', granted: false }));
    expect(rows).toHaveLength(3);
    lm.releaseAll(0);
    await w;
  });
});

describe('bounded table and waiters', () => {
  it('[LK9] a waiter reserves its slot when it queues, so its grant can never fail for lack of space', async () => {
    const lm = new LockManager({ maxBackends: 2, maxLocksPerTransaction: 1 });
    lm.tryAcquire(req(0, M.AccessExclusive));
    const w = lm.acquire(req(1, M.AccessShare));
    expect(lm.slotsInUse).toBe(2);
    expect(() => lm.tryAcquire(req(0, M.AccessShare, rel2))).toThrow(expect.objectContaining({ code: '53200' }));
    lm.releaseAll(0);
    await expect(w).resolves.toBe('granted');
    lm.releaseAll(1);
    expect(lm.slotsInUse).toBe(0);
  });
});

describe('release', () => {
  it('[LK10][M12] locks are held to transaction end and released at commit', async () => {
    const m = new TransactionManager({ maxBackends: 2, clock: new ManualClock() });
    const [a, b] = [m.connect(), m.connect()];
    await a.begin();
    await a.lock(rel, M.AccessExclusive);
    await b.begin();
    const w = b.lock(rel, M.AccessShare);
    expect(m.locks.isWaiting(b.proc)).toBe(true);
    await a.commit();
    await expect(w).resolves.toBe('granted');
    await b.commit();
    expect(m.locks.slotsInUse).toBe(0);
  });

  it('[LK10][M12] ROLLBACK TO releases the locks the subtransaction took, not the outer ones', async () => {
    const m = new TransactionManager({ maxBackends: 2 });
    const a = m.connect();
    await a.begin();
    await a.lock(rel, M.RowExclusive);
    a.savepoint('sp');
    await a.lock(rel2, M.AccessExclusive);
    await a.lock(rel, M.Share);
    a.rollbackToSavepoint('sp');
    expect(m.locks.holds(a.proc, rel2, M.AccessExclusive)).toBe(false);
    expect(m.locks.holds(a.proc, rel, M.Share)).toBe(false);
    expect(m.locks.holds(a.proc, rel, M.RowExclusive)).toBe(true);
    a.savepoint('sp2');
    await a.lock(rel2, M.AccessExclusive);
    a.releaseSavepoint('sp2');
    a.savepoint('sp3');
    a.rollbackToSavepoint('sp3');
    expect(m.locks.holds(a.proc, rel2, M.AccessExclusive)).toBe(true); // now owned by the parent
    a.rollback();
    expect(m.locks.slotsInUse).toBe(0);
  });

  it('[LK11] session-level locks survive transaction end', async () => {
    const m = new TransactionManager({ maxBackends: 2 });
    const a = m.connect();
    const adv = { kind: 'advisory', dbOid: 5, key1: 0, key2: 42, field4: 1 } as const;
    await a.lock(adv, M.Exclusive, { session: true });
    await a.begin();
    await a.commit();
    expect(m.locks.holds(a.proc, adv, M.Exclusive)).toBe(true);
    expect(a.unlock(adv, M.Exclusive, { session: true })).toBe(true);
    expect(m.locks.slotsInUse).toBe(0);
  });
});

describe('deadlocks', () => {
  it('[LK20][M23][M25] a two-process deadlock aborts exactly the process that ran the check, with DETAIL lines', async () => {
    const clock = new ManualClock();
    const lm = mgr(clock);
    lm.tryAcquire(req(0, M.AccessExclusive, rel));
    lm.tryAcquire(req(1, M.AccessExclusive, rel2));
    const w0 = lm.acquire(req(0, M.AccessExclusive, rel2));
    clock.advance(500);
    const w1 = lm.acquire(req(1, M.AccessShare, rel));
    clock.advance(500); // proc 0's deadlock_timeout fires first: it is the victim
    await expect(w0).rejects.toMatchObject({
      code: '40P01',
      message: 'deadlock detected',
      detail:
        'Process 1000 waits for AccessExclusiveLock on relation 16385 of database 5; blocked by process 1001.\n' +
        'Process 1001 waits for AccessShareLock on relation 16384 of database 5; blocked by process 1000.',
      hint: 'See server log for query details.',
    });
    lm.releaseAll(0);
    await expect(w1).resolves.toBe('granted');
    clock.advance(5000);
    expect(lm.isWaiting(1)).toBe(false);
  });

  it('[LK21][M23] before deadlock_timeout nothing is checked; without a cycle the waiter keeps waiting silently', async () => {
    const clock = new ManualClock();
    const lm = mgr(clock);
    lm.tryAcquire(req(0, M.AccessExclusive));
    const w = lm.acquire(req(1, M.AccessShare));
    clock.advance(999);
    expect(lm.deadlockChecks).toBe(0);
    clock.advance(1);
    expect(lm.deadlockChecks).toBe(1);
    expect(lm.isWaiting(1)).toBe(true);
    lm.releaseAll(0);
    await expect(w).resolves.toBe('granted');
  });

  it('[LK22][M24] a three-process cycle is found by the checker; the others proceed', async () => {
    const clock = new ManualClock();
    const lm = mgr(clock);
    const t = [relationLockTag(5, 1), relationLockTag(5, 2), relationLockTag(5, 3)];
    t.forEach((tag, p) => lm.tryAcquire(req(p, M.Exclusive, tag)));
    const w0 = lm.acquire(req(0, M.Exclusive, t[1]));
    const w1 = lm.acquire(req(1, M.Exclusive, t[2]));
    clock.advance(100);
    const w2 = lm.acquire(req(2, M.Exclusive, t[0]));
    clock.advance(900); // procs 0 and 1 check first; the cycle closes only at proc 2's request
    const err = await w0.catch((e: PgError) => e);
    expect(err).toMatchObject({ code: '40P01' });
    expect((err as PgError).detail?.split('\n')).toHaveLength(3);
    expect(lm.isWaiting(1) && lm.isWaiting(2)).toBe(true);
    lm.releaseAll(0);
    await expect(w2).resolves.toBe('granted');
    lm.releaseAll(2);
    await expect(w1).resolves.toBe('granted');
  });

  it('[LK23][M24] a cycle through soft edges only is resolved by reordering the wait queue, without an error', async () => {
    const clock = new ManualClock();
    const lm = mgr(clock);
    // proc 0 holds AccessShare; proc 1 waits for AccessExclusive (queued); proc 2 holds rel2 and
    // queues for Share behind proc 1 (soft edge 2 → 1); proc 1 ... build: 1 waits hard on 0,
    // 0 waits on rel2 held by 2 (hard 0 → 2), 2 waits behind 1 in rel's queue (soft 2 → 1).
    lm.tryAcquire(req(0, M.AccessShare, rel));
    lm.tryAcquire(req(2, M.AccessExclusive, rel2));
    const w1 = lm.acquire(req(1, M.AccessExclusive, rel));
    const w2 = lm.acquire(req(2, M.Share, rel));
    const w0 = lm.acquire(req(0, M.AccessShare, rel2));
    expect(lm.waitQueue(rel)).toEqual([1, 2]);
    clock.advance(1000); // proc 1 checks: hard 1→0, hard 0→2, soft 2→1 — reorder so 2 goes first
    await flush();
    await expect(w2).resolves.toBe('granted');
    expect(lm.waitQueue(rel)).toEqual([1]);
    lm.releaseAll(2);
    await expect(w0).resolves.toBe('granted');
    lm.releaseAll(0);
    await expect(w1).resolves.toBe('granted');
  });

  it('[LK24][M25] two processes that would wait for each other in one queue get 40P01 at once', async () => {
    const lm = mgr();
    lm.tryAcquire(req(0, M.RowShare));
    lm.tryAcquire(req(1, M.RowShare));
    const w0 = lm.acquire(req(0, M.Exclusive)); // waits for proc 1's RowShare
    await expect(lm.acquire(req(1, M.Exclusive))).rejects.toMatchObject({ code: '40P01' });
    lm.releaseAll(1);
    await expect(w0).resolves.toBe('granted');
  });

  it('[LK25] xactLockTableWait waits for a transaction to end', async () => {
    const m = new TransactionManager({ maxBackends: 2, clock: new ManualClock() });
    const [a, b] = [m.connect(), m.connect()];
    await a.begin();
    const x = a.getXid();
    await b.begin();
    let done = false;
    const w = b.xactLockTableWait(x).then((r) => {
      done = true;
      return r;
    });
    await flush();
    expect(done).toBe(false);
    expect(m.locks.holders(transactionLockTag(x))).toHaveLength(1);
    await a.commit();
    await expect(w).resolves.toBe('finished');
    await b.commit();
  });

  it('[LK25] xactLockTableWait on a sub-xid that committed into its parent waits for the parent', async () => {
    const m = new TransactionManager({ maxBackends: 2, clock: new ManualClock() });
    const [a, b] = [m.connect(), m.connect()];
    await a.begin();
    a.getXid();
    a.savepoint('s');
    const sub = a.getXid();
    await b.begin();
    let done = false;
    const w = b.xactLockTableWait(sub).then(() => {
      done = true;
    });
    a.releaseSavepoint('s'); // sub-xid lock moves to the parent owner: still held
    await flush();
    expect(done).toBe(false);
    await a.commit();
    await w;
    expect(done).toBe(true);
    await b.commit();
  });
});
