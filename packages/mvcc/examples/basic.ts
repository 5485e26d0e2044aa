// A standalone tour of @palisade/mvcc: two sessions, a tuple, snapshots, a row lock wait and
// a serialization failure. Run with `node --experimental-strip-types` or through the test suite.

import { TransactionManager, IsolationLevel, LockMode, relationLockTag, newTupleHeader, heapTupleSatisfiesMVCC } from '@palisade/mvcc';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const manager = new TransactionManager({ maxBackends: 4 });
  const alice = manager.connect();
  const bob = manager.connect();

  // Alice inserts a tuple; until she commits, Bob's snapshots do not see it (M4).
  await alice.begin();
  const tuple = newTupleHeader(alice.getXid(), alice.commandId, { block: 0, offset: 1 });
  await bob.begin({ isolation: IsolationLevel.RepeatableRead });
  log(`bob sees the tuple before commit: ${heapTupleSatisfiesMVCC(tuple, bob.snapshot(), bob)}`);
  log(`bob's snapshot: ${bob.currentSnapshotText()}`);
  await alice.commit();
  log(`bob (repeatable read) sees it after alice's commit: ${heapTupleSatisfiesMVCC(tuple, bob.snapshot(), bob)}`);
  await bob.commit();
  await bob.begin();
  log(`a new snapshot sees it: ${heapTupleSatisfiesMVCC(tuple, bob.snapshot(), bob)}`);
  await bob.commit();

  // Table locks: ACCESS EXCLUSIVE blocks ACCESS SHARE until the holder commits (M10, M12).
  const table = relationLockTag(5, 16384);
  await alice.begin();
  await alice.lock(table, LockMode.AccessExclusive);
  await bob.begin();
  const waiting = bob.lock(table, LockMode.AccessShare).then(() => log('bob got ACCESS SHARE after alice committed'));
  await alice.commit();
  await waiting;
  await bob.commit();

  alice.close();
  bob.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
