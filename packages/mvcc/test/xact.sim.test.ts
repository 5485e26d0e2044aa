// Crash simulation: random transaction programs (synchronous and asynchronous commits, aborts,
// savepoints rolled back or released, transactions left running), then a crash that keeps only
// the flushed xact records, then recovery by redo. The rebuilt commit log must say exactly
// what the durable records say.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Xid } from '@palisade/common';
import { TransactionManager, MemoryXactLog } from '../src/index.ts';

interface Program {
  subs: { rollback: boolean }[];
  outcome: 'sync' | 'async' | 'abort' | 'running';
}

const programArb = fc.array(
  fc.record({
    subs: fc.array(fc.record({ rollback: fc.boolean() }), { maxLength: 3 }),
    outcome: fc.constantFrom('sync' as const, 'async' as const, 'abort' as const, 'running' as const),
  }),
  { minLength: 1, maxLength: 12 },
);

describe('crash recovery of the commit log', () => {
  it('[MV6][MV14][W21][W23] after a crash, redo of the durable records rebuilds exactly the durable outcomes', async () => {
    await fc.assert(
      fc.asyncProperty(programArb, async (programs) => {
        const log = new MemoryXactLog();
        const m = new TransactionManager({ log, maxBackends: programs.length + 1 });
        const facts: { top: Xid; kept: Xid[]; dropped: Xid[]; outcome: Program['outcome']; commitLsn?: bigint }[] = [];
        for (const p of programs) {
          const s = m.connect();
          await s.begin({ synchronousCommit: p.outcome !== 'async' });
          const top = s.getXid();
          const kept: Xid[] = [];
          const dropped: Xid[] = [];
          p.subs.forEach((sub, i) => {
            s.savepoint(`s${i}`);
            const x = s.getXid();
            if (sub.rollback) {
              s.rollbackToSavepoint(`s${i}`);
              dropped.push(x);
            } else {
              s.releaseSavepoint(`s${i}`);
              kept.push(x);
            }
          });
          const fact: (typeof facts)[number] = { top, kept, dropped, outcome: p.outcome };
          if (p.outcome === 'sync' || p.outcome === 'async') {
            await s.commit();
            fact.commitLsn = log.records.at(-1)!.lsn;
          } else if (p.outcome === 'abort') {
            s.rollback();
          }
          facts.push(fact);
        }
        const flushed = log.flushedLsn();
        const r = TransactionManager.recover(log.durableRecords());
        for (const f of facts) {
          const durable = f.commitLsn !== undefined && f.commitLsn <= flushed;
          if (f.outcome === 'sync') expect(durable).toBe(true);
          expect(r.didCommit(f.top)).toBe(durable);
          for (const k of f.kept) expect(r.didCommit(k)).toBe(durable);
          for (const d of f.dropped) expect(r.didCommit(d)).toBe(false);
          expect(r.procArray.isInProgress(f.top)).toBe(false);
        }
        // nextXid is past every xid a durable record names.
        let maxDurable = 0n;
        for (const f of facts) {
          if (f.commitLsn === undefined || f.commitLsn > flushed) continue;
          for (const x of [f.top, ...f.kept]) if (x > maxDurable) maxDurable = x;
        }
        expect(r.procArray.nextXid() > maxDurable).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
