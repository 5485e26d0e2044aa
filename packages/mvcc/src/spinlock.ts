// A minimal exclusive lock word in shared memory (the role of PostgreSQL's LWLocks for
// ProcArrayLock and XidGenLock). All callers hold it only across synchronous code, so on one
// event loop it is never contended; from worker threads a contender sleeps in Atomics.wait.

import { assert } from '@palisade/common';

export class SpinLock {
  constructor(
    private readonly word: Int32Array,
    private readonly index: number,
  ) {}

  /** Runs `fn` holding the lock. Not reentrant: nesting is a bug. */
  with<T>(fn: () => T): T {
    for (let spins = 0; Atomics.compareExchange(this.word, this.index, 0, 1) !== 0; spins++) {
      // Same-thread re-entry would wait forever; the bound turns it into an assertion.
      assert(spins < 1_000_000, 'spin lock held too long (re-entered?)');
      Atomics.wait(this.word, this.index, 1, 1);
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.word, this.index, 0);
      Atomics.notify(this.word, this.index, 1);
    }
  }

  isHeld(): boolean {
    return Atomics.load(this.word, this.index) !== 0;
  }
}
