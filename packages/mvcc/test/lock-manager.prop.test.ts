// Random acquire / release / cancel sequences against the lock manager; after every step the
// lock table must satisfy the grant rule's invariants.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LockManager, ManualClock, relationLockTag, lockModesConflict, lockBit, type LockMode } from '../src/index.ts';

const PROCS = 4;
const TAGS = [relationLockTag(5, 1), relationLockTag(5, 2)];

type Op =
  | { kind: 'acquire'; proc: number; tag: number; mode: LockMode }
  | { kind: 'releaseAll'; proc: number }
  | { kind: 'cancel'; proc: number }
  | { kind: 'tick' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      proc: fc.nat(PROCS - 1),
      tag: fc.nat(TAGS.length - 1),
      mode: fc.integer({ min: 1, max: 8 }) as fc.Arbitrary<LockMode>,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('releaseAll' as const), proc: fc.nat(PROCS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), proc: fc.nat(PROCS - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
);

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('lock manager invariants', () => {
  it('[LK3][LK8][LK20] no conflicting grants, no grantable waiter left queued, every wait settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const clock = new ManualClock();
        const lm = new LockManager({ maxBackends: PROCS, maxLocksPerTransaction: 8, clock });
        const waits = new Map<number, { tag: number; mode: LockMode; ac: AbortController; settled: boolean }>();
        for (const op of ops) {
          if (op.kind === 'acquire') {
            if (waits.has(op.proc)) continue; // a proc waits for one lock at a time
            const ac = new AbortController();
            const w = { tag: op.tag, mode: op.mode, ac, settled: false };
            waits.set(op.proc, w);
            lm.acquire({ proc: op.proc, owner: 1, tag: TAGS[op.tag]!, mode: op.mode }, { signal: ac.signal })
              .then(
                () => undefined,
                () => undefined,
              )
              .finally(() => {
                w.settled = true;
                waits.delete(op.proc);
              });
          } else if (op.kind === 'releaseAll') {
            if (!waits.has(op.proc)) lm.releaseAll(op.proc);
          } else if (op.kind === 'cancel') {
            waits.get(op.proc)?.ac.abort();
          } else {
            clock.advance(1000);
          }
          await flush();
          for (const [ti, tag] of TAGS.entries()) {
            const holders = lm.holders(tag);
            // 1. granted modes of different procs never conflict
            for (const a of holders)
              for (const b of holders) {
                if (a.proc === b.proc) continue;
                for (let ma = 1; ma <= 8; ma++)
                  for (let mb = 1; mb <= 8; mb++) {
                    if (a.holdMask & lockBit(ma as LockMode) && b.holdMask & lockBit(mb as LockMode)) {
                      expect(lockModesConflict(ma as LockMode, mb as LockMode)).toBe(false);
                    }
                  }
              }
            // 2. the first queued waiter is blocked by a granted lock of another proc
            const queue = lm.waitQueue(tag);
            const first = queue[0];
            if (first !== undefined) {
              const w = waits.get(first)!;
              expect(w.tag).toBe(ti);
              const blocked = holders.some(
                (h) =>
                  h.proc !== first && [1, 2, 3, 4, 5, 6, 7, 8].some((m) => h.holdMask & lockBit(m as LockMode) && lockModesConflict(w.mode, m as LockMode)),
              );
              expect(blocked).toBe(true);
            }
            // 3. every queued proc is a pending wait of ours
            for (const p of queue) expect(waits.has(p)).toBe(true);
          }
          // 4. every pending wait is in exactly one queue
          for (const [p] of waits) expect(TAGS.filter((t) => lm.waitQueue(t).includes(p))).toHaveLength(1);
        }
        // Drain: release everything; all waits end (granted or deadlock) and the table empties.
        for (let round = 0; round < 20 && waits.size > 0; round++) {
          for (let p = 0; p < PROCS; p++) if (!waits.has(p)) lm.releaseAll(p);
          clock.advance(1000);
          await flush();
        }
        expect(waits.size).toBe(0);
        for (let p = 0; p < PROCS; p++) lm.releaseAll(p);
        expect(lm.slotsInUse).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
