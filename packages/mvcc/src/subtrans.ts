// pg_subtrans: the parent of every subtransaction xid, so that a sub-committed xid and a
// snapshot whose sub-xid cache overflowed can be resolved to the top-level transaction.
// Not WAL-logged and not needed after a crash (every transaction then is over), as in PostgreSQL.

import { type Xid, InvalidXid, assert } from '@palisade/common';
import { Slru, MemorySlruStore, type SlruPageStore } from './slru.ts';

const PAGE_SIZE_BYTES = 8192;
const ENTRIES_PER_PAGE = PAGE_SIZE_BYTES / 8;
/** Bounded walk: a subtransaction nesting deeper than this is a bug. */
const NESTING_MAX = 1_000_000;

export class SubTrans {
  private readonly slru: Slru;

  constructor(opts: { bufferCount?: number; store?: SlruPageStore } = {}) {
    this.slru = new Slru({ pageSizeBytes: PAGE_SIZE_BYTES, bufferCount: opts.bufferCount ?? 32, store: opts.store ?? new MemorySlruStore() });
  }

  setParent(xid: Xid, parent: Xid): void {
    assert(parent < xid, 'a subtransaction xid must be greater than its parent (M1)');
    const { slot, index } = this.at(xid, true);
    new DataView(this.slru.bytes.buffer, this.slru.bytes.byteOffset + this.slru.pageOffset(slot)).setBigUint64(index * 8, parent, true);
  }

  /** Parent of `xid`, InvalidXid for a top-level transaction. */
  getParent(xid: Xid): Xid {
    const { slot, index } = this.at(xid, false);
    return new DataView(this.slru.bytes.buffer, this.slru.bytes.byteOffset + this.slru.pageOffset(slot)).getBigUint64(index * 8, true) as Xid;
  }

  /** The top-level transaction of `xid` (xid itself if top-level). */
  getTopmost(xid: Xid): Xid {
    let x = xid;
    for (let i = 0; i < NESTING_MAX; i++) {
      const p = this.getParent(x);
      if (p === InvalidXid) return x;
      x = p;
    }
    assert(false, 'pg_subtrans parent chain too long');
  }

  truncate(oldestXid: Xid): void {
    this.slru.truncateBefore(Number(oldestXid / BigInt(ENTRIES_PER_PAGE)));
  }

  private at(xid: Xid, forWrite: boolean): { slot: number; index: number } {
    const page = Number(xid / BigInt(ENTRIES_PER_PAGE));
    return { slot: this.slru.slotFor(page, forWrite), index: Number(xid % BigInt(ENTRIES_PER_PAGE)) };
  }
}
