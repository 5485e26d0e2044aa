// The transaction layer as the engine sees it. TransactionManager is the interface a storage
// engine with MVCC implements (begin, commit, abort, subtransactions for savepoints);
// InProcessTransactionManager provides the state machine's needs without storage.

/** Characteristics of a transaction (BEGIN ISOLATION LEVEL … READ ONLY … DEFERRABLE). */
export interface TransactionOptions {
  isolation: 'serializable' | 'repeatable read' | 'read committed' | 'read uncommitted';
  readOnly: boolean;
  deferrable: boolean;
}

/** A running top-level transaction or subtransaction, as the manager identifies it. */
export interface TransactionHandle {
  readonly id: number;
}

/**
 * What the engine asks of the transaction system. Calls are strictly nested: a subtransaction
 * is committed (released) or aborted before its parent ends, and ending a parent ends its
 * children first (the engine does this; a manager may assert it).
 */
export interface TransactionManager {
  begin(options: TransactionOptions): TransactionHandle;
  commit(tx: TransactionHandle): void;
  abort(tx: TransactionHandle): void;
  /** Starts a subtransaction of `parent` (a SAVEPOINT). */
  beginSub(parent: TransactionHandle): TransactionHandle;
  /** RELEASE: the subtransaction's work becomes its parent's. */
  commitSub(sub: TransactionHandle): void;
  /** ROLLBACK TO: the subtransaction's work is undone. */
  abortSub(sub: TransactionHandle): void;
}

/** A manager with no storage behind it: it numbers transactions and checks the nesting. */
export class InProcessTransactionManager implements TransactionManager {
  private nextId = 1;
  private readonly open: number[] = [];

  /** How many transactions and subtransactions are open (for tests). */
  get openCount(): number {
    return this.open.length;
  }

  private start(): TransactionHandle {
    const tx = { id: this.nextId++ };
    this.open.push(tx.id);
    return tx;
  }

  private end(tx: TransactionHandle): void {
    const top = this.open.pop();
    if (top !== tx.id) throw new Error(`transaction ${tx.id} ended out of order (innermost open: ${top})`);
  }

  begin(_options: TransactionOptions): TransactionHandle {
    if (this.open.length !== 0) throw new Error('begin() inside an open transaction');
    return this.start();
  }
  commit(tx: TransactionHandle): void { this.end(tx); }
  abort(tx: TransactionHandle): void { this.end(tx); }
  beginSub(_parent: TransactionHandle): TransactionHandle { return this.start(); }
  commitSub(sub: TransactionHandle): void { this.end(sub); }
  abortSub(sub: TransactionHandle): void { this.end(sub); }
}
