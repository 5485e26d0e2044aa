// Wires @palisade/mvcc's transaction records into @palisade/wal: an XactLog over a Wal, and
// the Transaction resource manager that collects those records during recovery for
// TransactionManager.recover. Entry points: WalXactLog, XactRecordCollector.
//
// mvcc's XactLog.insert is synchronous (as XLogInsert) while Wal.insert is asynchronous (it
// may have to write WAL buffers out first). Wal.insert completes synchronously whenever the
// buffers have room, so the adapter returns the real end LSN in that case. Otherwise it
// returns a placeholder far above any real LSN, remembers the pending insert, and resolves it
// in flush(); the commit log then merely withholds commit hint bits for that transaction until
// a later flush, which is safe (W26).

import { type Lsn, assert } from '@palisade/common';
import { type DecodedRecord, type InsertResult, type ResourceManager, RmgrId, type Wal } from '@palisade/wal';
import type { XactLog } from '@palisade/mvcc';

/** Placeholders remembered at most; an older one's flush flushes everything inserted so far. */
const PENDING_COUNT_MAX = 1024;
const PLACEHOLDER_BASE = 1n << 62n;

export class WalXactLog implements XactLog {
  readonly #pending = new Map<bigint, Promise<InsertResult>>();
  #nextPlaceholder = PLACEHOLDER_BASE;

  constructor(readonly wal: Pick<Wal, 'insert' | 'flush' | 'insertLsn' | 'flushedLsn'>) {}

  insert(record: Uint8Array): Lsn {
    const before = this.wal.insertLsn;
    const p = this.wal.insert({ rmid: RmgrId.Transaction, info: 0, xid: 0n as never, mainData: record });
    const after = this.wal.insertLsn;
    if (after !== before) {
      // Inserted synchronously: `after` is the record's end.
      p.catch(() => undefined);
      return after;
    }
    const placeholder = this.#nextPlaceholder++;
    if (this.#pending.size >= PENDING_COUNT_MAX) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    p.catch(() => undefined);
    this.#pending.set(placeholder, p);
    return placeholder as Lsn;
  }

  async flush(upTo: Lsn): Promise<void> {
    if (upTo >= PLACEHOLDER_BASE) {
      const p = this.#pending.get(upTo);
      this.#pending.delete(upTo);
      const end = p !== undefined ? (await p).endLsn : this.wal.insertLsn;
      await this.wal.flush(end);
      return;
    }
    assert(upTo <= this.wal.insertLsn, 'flush request beyond the inserted WAL');
    await this.wal.flush(upTo);
  }

  flushedLsn(): Lsn {
    return this.wal.flushedLsn;
  }
}

/** Recovery's Transaction resource manager: keeps each record for TransactionManager.recover. */
export class XactRecordCollector implements ResourceManager {
  readonly id = RmgrId.Transaction;
  readonly name = 'Transaction';
  /** Records replayed, in WAL order, with their end LSNs. */
  readonly records: { lsn: Lsn; bytes: Uint8Array }[] = [];
  /** Bound on records kept (those of one recovery). */
  static readonly recordCountMax = 50_000_000;

  redo(record: DecodedRecord): void {
    assert(this.records.length < XactRecordCollector.recordCountMax, 'too many transaction records in one recovery');
    this.records.push({ lsn: record.endLsn, bytes: record.mainData.slice() });
  }

  desc(record: DecodedRecord): string {
    return `${record.mainData.length} bytes`;
  }
}
