// Randomized bank transfers under each isolation level, interleaved by fast-check's scheduler,
// with retries on 40001 / 40P01. The total never changes; under SERIALIZABLE every history
// of committed transactions equals some serial order (checked against all orders).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PgError } from '@palisade/common';
import { TransactionManager, IsolationLevel, ManualClock, type Session } from '../src/index.ts';
import { ToyHeap } from './toy-heap.ts';

const ACCOUNTS = ['a', 'b', 'c', 'd'] as const;
const INITIAL = 100;

interface Transfer {
  from: number;
  to: number;
  via: number;
  amount: number;
}

interface Committed {
  t: Transfer;
  read: [number, number];
}

const transferArb = fc
  .record({
    from: fc.integer({ min: 0, max: 3 }),
    to: fc.integer({ min: 0, max: 3 }),
    via: fc.integer({ min: 0, max: 3 }),
    amount: fc.integer({ min: 1, max: 250 }),
  })
  .filter((t) => t.from !== t.to);

/** Serial semantics of one transfer: move `amount` if from + via (via ≠ from) covers it. */
function serialStep(state: number[], t: Transfer): [number, number] {
  const read: [number, number] = [state[t.from]!, state[t.via]!];
  const cover = t.via === t.from ? read[0] : read[0] + read[1];
  if (cover >= t.amount) {
    state[t.from]! -= t.amount;
    state[t.to]! += t.amount;
  }
  return read;
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

async function run(iso: IsolationLevel, transfers: Transfer[], sched: fc.Scheduler) {
  const clock = new ManualClock();
  const m = new TransactionManager({ maxBackends: transfers.length + 2, clock });
  const heap = new ToyHeap();
  const init = m.connect();
  await init.begin();
  for (const k of ACCOUNTS) heap.insert(init, k, INITIAL);
  await init.commit();

  const committed: Committed[] = [];
  const step = <T>(v: T) => sched.schedule(Promise.resolve(v));

  async function attempt(s: Session, t: Transfer): Promise<void> {
    await s.begin({ isolation: iso });
    try {
      await step(0);
      s.startStatement();
      const view = heap.view(s);
      const read: [number, number] = [view.get(ACCOUNTS[t.from]!)!, view.get(ACCOUNTS[t.via]!)!];
      const cover = t.via === t.from ? read[0] : read[0] + read[1];
      if (cover >= t.amount) {
        await step(1);
        s.startStatement();
        await heap.update(s, ACCOUNTS[t.from]!, (v) => v - t.amount);
        s.commandCounterIncrement();
        await step(2);
        s.startStatement();
        await heap.update(s, ACCOUNTS[t.to]!, (v) => v + t.amount);
        s.commandCounterIncrement();
      }
      await step(3);
      await s.commit();
      committed.push({ t, read });
    } catch (e) {
      s.rollback();
      throw e;
    }
  }

  const outcomes = transfers.map(async (t) => {
    const s = m.connect();
    for (let tries = 0; tries < 100; tries++) {
      try {
        await attempt(s, t);
        return;
      } catch (e) {
        if (!(e instanceof PgError) || (e.code !== '40001' && e.code !== '40P01')) throw e;
      }
    }
    throw new Error('transfer did not succeed after 100 retries');
  });
  let done = false;
  const all = Promise.all(outcomes).finally(() => {
    done = true;
  });
  for (let round = 0; round < 10_000 && !done; round++) {
    await sched.waitAll();
    await new Promise((r) => setImmediate(r));
    if (!done && sched.count() === 0) clock.advance(1000); // everyone left is in a lock wait: let deadlock_timeout fire
  }
  await all;

  const reader = m.connect();
  await reader.begin();
  reader.startStatement();
  const final = ACCOUNTS.map((k) => heap.view(reader).get(k)!);
  await reader.commit();
  return { final, committed, m };
}

describe('bank transfers', () => {
  for (const iso of [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Serializable]) {
    it(`[SSI11][M19][M21][M25] ${iso}: the total never changes, with retries on 40001/40P01`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(transferArb, { minLength: 2, maxLength: 4 }), fc.scheduler(), async (transfers, sched) => {
          const { final } = await run(iso, transfers, sched);
          expect(final.reduce((a, b) => a + b, 0)).toBe(INITIAL * ACCOUNTS.length);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('[SSI12][M26] SERIALIZABLE: every history equals one of the serial orders of its transactions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(transferArb, { minLength: 2, maxLength: 4 }), fc.scheduler(), async (transfers, sched) => {
        const { final, committed, m } = await run(IsolationLevel.Serializable, transfers, sched);
        expect(committed).toHaveLength(transfers.length);
        const ok = permutations(committed).some((order) => {
          const state = ACCOUNTS.map(() => INITIAL);
          for (const c of order) {
            const read = serialStep(state, c.t);
            if (read[0] !== c.read[0] || read[1] !== c.read[1]) return false;
          }
          return state.every((v, i) => v === final[i]);
        });
        expect(ok).toBe(true);
        expect(m.ssi.trackedCount).toBe(0);
      }),
      { numRuns: 120 },
    );
  });
});
