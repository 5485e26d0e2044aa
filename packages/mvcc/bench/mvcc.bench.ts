// Micro-benchmarks: snapshot acquisition with 0 and 100 open transactions, and acquire/release
// of a non-conflicting table lock, each against a baseline measured in the same run.

import { Bench } from 'tinybench';
import { TransactionManager, LockMode, relationLockTag } from '../src/index.ts';

const bench = new Bench({ time: 500 });

const idle = new TransactionManager({ maxBackends: 128 });
const idleSession = idle.connect();
await idleSession.begin();

const busy = new TransactionManager({ maxBackends: 128 });
const busySession = busy.connect();
for (let i = 0; i < 100; i++) {
  const s = busy.connect();
  await s.begin();
  s.getXid();
}
await busySession.begin();

const lockManager = idle.locks;
const tag = relationLockTag(5, 16384);
const baselineMap = new Map<string, number>();

bench
  .add('baseline: copy a 100-element bigint array', () => {
    const xs: bigint[] = [];
    for (let i = 0; i < 100; i++) xs.push(BigInt(i));
    xs.sort((a, b) => (a < b ? -1 : 1));
  })
  .add('snapshot, 0 open transactions', () => {
    idleSession.startStatement();
    idleSession.snapshot();
  })
  .add('snapshot, 100 open transactions', () => {
    busySession.startStatement();
    busySession.snapshot();
  })
  .add('baseline: Map set + delete of a string key', () => {
    baselineMap.set('r:5:16384', 1);
    baselineMap.delete('r:5:16384');
  })
  .add('table lock acquire + release (AccessShare, no conflict)', () => {
    lockManager.tryAcquire({ proc: idleSession.proc, owner: 1, tag, mode: LockMode.AccessShare });
    lockManager.release({ proc: idleSession.proc, owner: 1, tag, mode: LockMode.AccessShare });
  });

await bench.run();
console.table(bench.table());
