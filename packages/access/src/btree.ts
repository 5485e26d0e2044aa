// B-tree indexes (nbtree): Lehman–Yao trees with right-links and high keys, heap TID as the
// last key column (so every entry is unique and duplicates need no special case), insertion
// with page splits propagated to the root, an MVCC-respecting uniqueness check, forward and
// backward range scans returning heap TIDs, LP_DEAD hints and their removal on full pages.
// Entry point: the Btree class. Page and tuple layouts: README "B-tree layout".

import { type BlockNumber, type Xid, AssertionError, PgError, SqlState, assert, featureNotSupported } from '@palisade/common';
import { type BufferId, type Page, LP_DEAD, BLCKSZ, maxAlign, SIZE_OF_ITEM_ID_DATA, SIZE_OF_PAGE_HEADER_DATA } from '@palisade/bufmgr';
import { type BlockRef, type RelFileLocator, RmgrId } from '@palisade/wal';
import type { Tid } from '@palisade/mvcc';
import type { AccessBackend, AccessStorage, Heap } from './heap.ts';
import { BtreeInfo as BtInfo, encodeOffsets } from './btree-wal.ts';

/** One key column: how its values compare (the opclass's support function 1). */
export interface IndexColumn {
  /** < 0, 0, > 0 for non-null values in ascending order. */
  compare(a: Uint8Array, b: Uint8Array): number;
  /** DESC column. */
  desc?: boolean;
  /** NULLS FIRST (default: NULLS LAST for ASC, NULLS FIRST for DESC, as PostgreSQL). */
  nullsFirst?: boolean;
}

/** A B-tree index: its files, names for messages, key columns, uniqueness, and its table. */
export interface BtreeRelationInfo {
  locator: RelFileLocator;
  relOid: number;
  /** Index name; the unique constraint's name in 23505 messages. */
  name: string;
  columns: readonly IndexColumn[];
  unique: boolean;
  /** Column names for the 23505 DETAIL `Key (a, b)=(…) already exists.` */
  columnNames: readonly string[];
  /** Renders key values for that DETAIL (the SQL layer's output functions). */
  formatKey(values: IndexKey): string;
}

/** Key values of one entry (null = SQL NULL). */
export type IndexKey = readonly (Uint8Array | null)[];

/** An index entry found by a scan. */
export interface IndexEntry {
  heapTid: Tid;
  key: (Uint8Array | null)[];
}

/** Bounds of a range scan: a key prefix (first n columns), inclusive or not. */
export interface ScanBound {
  key: IndexKey;
  inclusive: boolean;
}

export interface BtreeScanOptions {
  lower?: ScanBound;
  upper?: ScanBound;
  direction?: 'forward' | 'backward';
}

// ---- page layout ------------------------------------------------------------------------------

/** Special space (BTPageOpaqueData): btpo_prev u32, btpo_next u32, btpo_level u32, btpo_flags u16, cycle id u16. */
export const BTREE_SPECIAL_BYTES = 16;
export const BTP_LEAF = 0x1;
export const BTP_ROOT = 0x2;
export const BTP_META = 0x8;
export const BTP_HAS_GARBAGE = 0x40;
/** btpo_next of the rightmost page / btpo_prev of the leftmost (P_NONE). */
export const P_NONE = 0;
export const BTREE_MAGIC = 0x053162;
export const BTREE_VERSION = 4;
const META_BLOCK = 0;
/** Tree height at most (a bound for descents and stacks; 2^32 blocks need far fewer levels). */
const LEVELS_MAX = 32;
/** Right-moves at most during one step (each follows a concurrent split). */
const MOVE_RIGHT_MAX = 1_000_000;
/** Largest entry (BTMaxItemSize: a third of a page, so that a split always succeeds). */
export const BTREE_MAX_ITEM_BYTES = Math.floor((BLCKSZ - SIZE_OF_PAGE_HEADER_DATA - BTREE_SPECIAL_BYTES) / 3) - SIZE_OF_ITEM_ID_DATA - 8;

interface Opaque { prev: number; next: number; level: number; flags: number }

function readOpaque(page: Page): Opaque {
  const s = page.specialSpace();
  const v = new DataView(s.buffer, s.byteOffset, BTREE_SPECIAL_BYTES);
  return { prev: v.getUint32(0, true), next: v.getUint32(4, true), level: v.getUint32(8, true), flags: v.getUint16(12, true) };
}
function writeOpaque(page: Page, o: Opaque): void {
  const s = page.specialSpace();
  const v = new DataView(s.buffer, s.byteOffset, BTREE_SPECIAL_BYTES);
  v.setUint32(0, o.prev, true);
  v.setUint32(4, o.next, true);
  v.setUint32(8, o.level, true);
  v.setUint16(12, o.flags, true);
}

/**
 * An index tuple (BT2): ptr (leaf: heap TID; internal: child block, offset 0), size, the heap TID
 * tiebreaker, natts (0 = minus infinity), then per column a null flag, a u32 length and the bytes.
 */
interface ITuple { ptrBlock: number; ptrOffset: number; tie: Tid | undefined; keys: (Uint8Array | null)[] }

function encodeITuple(t: ITuple): Uint8Array {
  let size = 16;
  for (const k of t.keys) size += 1 + (k === null ? 0 : 4 + k.length);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, t.ptrBlock, true);
  v.setUint16(4, t.ptrOffset, true);
  v.setUint16(6, size & 0xffff, true);
  v.setUint32(8, t.tie?.block ?? 0, true);
  v.setUint16(12, t.tie?.offset ?? 0, true);
  out[14] = t.keys.length;
  out[15] = t.tie !== undefined ? 1 : 0;
  let o = 16;
  for (const k of t.keys) {
    if (k === null) { out[o++] = 0; continue; }
    out[o++] = 1;
    v.setUint32(o, k.length, true);
    out.set(k, o + 4);
    o += 4 + k.length;
  }
  return out;
}

function decodeITuple(bytes: Uint8Array): ITuple {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const corrupt = (): PgError => new PgError(SqlState.INDEX_CORRUPTED, 'index tuple is corrupted');
  if (bytes.length < 16) throw corrupt();
  const natts = bytes[14]!;
  const keys: (Uint8Array | null)[] = [];
  let o = 16;
  for (let i = 0; i < natts; i++) {
    if (o >= bytes.length) throw corrupt();
    if (bytes[o++] === 0) { keys.push(null); continue; }
    if (o + 4 > bytes.length) throw corrupt();
    const len = v.getUint32(o, true);
    if (o + 4 + len > bytes.length) throw corrupt();
    keys.push(bytes.slice(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return {
    ptrBlock: v.getUint32(0, true), ptrOffset: v.getUint16(4, true),
    tie: bytes[15] === 1 ? { block: v.getUint32(8, true), offset: v.getUint16(12, true) } : undefined, keys,
  };
}

/** What a search compares against: key columns (maybe a prefix) and a heap-TID position. */
interface SearchKey { keys: IndexKey; tie: Tid | 'minus' | 'plus' }

function compareTids(a: Tid, b: Tid): number {
  return a.block !== b.block ? (a.block < b.block ? -1 : 1) : a.offset - b.offset;
}

// ---- the access method ------------------------------------------------------------------------

/** Pages changed by one insertion that splits, logged together as one record (BT6). */
interface Touched { buf: BufferId; block: number }

export class Btree {
  constructor(readonly relation: BtreeRelationInfo, readonly storage: AccessStorage, readonly heap: Heap) {}

  get locator(): RelFileLocator {
    return this.relation.locator;
  }

  /** Compares an entry's keys with a search key column by column (BT1: ASC/DESC, NULLS FIRST/LAST). */
  #compareKeys(search: IndexKey, item: IndexKey): number {
    const n = Math.min(search.length, item.length);
    for (let i = 0; i < n; i++) {
      const col = this.relation.columns[i]!;
      const a = search[i] ?? null;
      const b = item[i] ?? null;
      const nullsFirst = col.nullsFirst ?? col.desc === true;
      let c: number;
      if (a === null && b === null) c = 0;
      else if (a === null) c = nullsFirst ? -1 : 1;
      else if (b === null) c = nullsFirst ? 1 : -1;
      else {
        c = col.compare(a, b);
        if (col.desc === true) c = -c;
      }
      if (c !== 0) return c < 0 ? -1 : 1;
    }
    return 0;
  }

  /** search vs item: < 0 if the search position is before the item. Minus-infinity items are before everything. */
  #compare(search: SearchKey, item: ITuple): number {
    if (item.keys.length === 0) return 1;
    const c = this.#compareKeys(search.keys, item.keys);
    if (c !== 0) return c;
    if (search.keys.length < this.relation.columns.length) return search.tie === 'plus' ? 1 : -1;
    if (search.tie === 'minus') return -1;
    if (search.tie === 'plus') return 1;
    if (item.tie === undefined) return 1;
    return compareTids(search.tie, item.tie);
  }

  /** Creates the index: metapage and an empty root leaf (logged as full pages). */
  async create(b: AccessBackend): Promise<void> {
    const smgr = this.storage.pool.smgr;
    if (!(await smgr.exists(this.locator, 'main'))) await smgr.create(this.locator, 'main');
    assert((await smgr.nblocks(this.locator, 'main')) === 0, 'index already has pages');
    const meta = await b.buffers.extendRelation(this.locator, 'main');
    await b.buffers.lockBuffer(meta.bufferId, 'exclusive');
    const root = await b.buffers.extendRelation(this.locator, 'main');
    await b.buffers.lockBuffer(root.bufferId, 'exclusive');
    const rootPage = b.buffers.getPage(root.bufferId);
    rootPage.init(BTREE_SPECIAL_BYTES);
    writeOpaque(rootPage, { prev: P_NONE, next: P_NONE, level: 0, flags: BTP_LEAF | BTP_ROOT });
    this.#writeMeta(b.buffers.getPage(meta.bufferId), root.blockNumber, 0);
    b.buffers.markDirty(meta.bufferId);
    b.buffers.markDirty(root.bufferId);
    await this.#logImages(b, [{ buf: meta.bufferId, block: meta.blockNumber }, { buf: root.bufferId, block: root.blockNumber }], BtInfo.NEWROOT);
    b.buffers.unlockReleaseBuffer(root.bufferId);
    b.buffers.unlockReleaseBuffer(meta.bufferId);
  }

  #writeMeta(page: Page, rootBlock: number, level: number): void {
    page.init(BTREE_SPECIAL_BYTES);
    writeOpaque(page, { prev: P_NONE, next: P_NONE, level: 0, flags: BTP_META });
    const meta = new Uint8Array(16);
    const v = new DataView(meta.buffer);
    v.setUint32(0, BTREE_MAGIC, true);
    v.setUint32(4, BTREE_VERSION, true);
    v.setUint32(8, rootBlock, true);
    v.setUint32(12, level, true);
    assert(page.addItem(meta) === 1, 'metapage item');
  }

  async #readMeta(b: AccessBackend): Promise<{ root: number; level: number }> {
    const buf = await b.buffers.readBuffer(this.locator, 'main', META_BLOCK);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      const page = b.buffers.getPage(buf);
      if (page.isNew() || page.itemCount < 1) {
        throw new PgError(SqlState.INDEX_CORRUPTED, `index "${this.relation.name}" contains unexpected zero page at block ${META_BLOCK}`, { hint: 'Please REINDEX it.' });
      }
      const item = page.getItem(1);
      const v = new DataView(item.buffer, item.byteOffset, 16);
      if (v.getUint32(0, true) !== BTREE_MAGIC) throw new PgError(SqlState.INDEX_CORRUPTED, `index "${this.relation.name}" is not a btree`);
      return { root: v.getUint32(8, true), level: v.getUint32(12, true) };
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /** Logs a record whose pages are carried as full images (splits, new roots). */
  async #logImages(b: AccessBackend, pages: Touched[], info: number): Promise<void> {
    assert(pages.length <= 33, 'a split touched more pages than one record can carry');
    const blocks: BlockRef[] = pages.map((t, i) => ({
      id: i, rel: this.locator, fork: 0, block: t.block as BlockNumber, flags: { forceImage: true, standard: true }, page: b.buffers.getPage(t.buf).bytes,
    }));
    await this.#insertWal(b, pages.map((t) => t.buf), { rmid: RmgrId.Btree, info, xid: 0n as Xid, mainData: new Uint8Array(0), blocks });
  }

  async #insertWal(b: AccessBackend, bufs: BufferId[], input: Parameters<AccessStorage['wal']['insert']>[0]): Promise<void> {
    let endLsn;
    try {
      endLsn = (await this.storage.wal.insert(input)).endLsn;
    } catch (e) {
      throw new AssertionError(`PANIC: could not insert WAL record inside a critical section: ${(e as Error).message}`);
    }
    for (const buf of bufs) b.buffers.setPageLsn(buf, endLsn);
  }

  #items(page: Page): ITuple[] {
    const out: ITuple[] = [];
    for (let off = 1; off <= page.itemCount; off++) out.push(decodeITuple(page.getItem(off)));
    return out;
  }

  /** First data item's offset (P_FIRSTDATAKEY): 1 on the rightmost page of a level, else 2 (1 is the high key). */
  #firstData(o: Opaque): number {
    return o.next === P_NONE ? 1 : 2;
  }

  /** Must the search move right of this page (BT3)? True if the page is not rightmost and search ≥ high key. */
  #mustMoveRight(page: Page, o: Opaque, search: SearchKey): boolean {
    if (o.next === P_NONE) return false;
    return this.#compare(search, decodeITuple(page.getItem(1))) >= 0;
  }

  /**
   * _bt_search (BT3, BT4): descends from the root to the leaf that may hold `search`, moving
   * right past concurrent splits at each level. Readers hold one lock at a time. Returns the
   * leaf locked in `leafMode`, and the path of internal pages for splits.
   */
  async #descend(b: AccessBackend, search: SearchKey, leafMode: 'share' | 'exclusive'): Promise<{ buf: BufferId; block: number; stack: number[] }> {
    const meta = await this.#readMeta(b);
    let block = meta.root;
    const stack: number[] = [];
    for (let depth = 0; depth <= LEVELS_MAX; depth++) {
      let buf = await b.buffers.readBuffer(this.locator, 'main', block);
      await b.buffers.lockBuffer(buf, 'share');
      let page = b.buffers.getPage(buf);
      let o = readOpaque(page);
      if ((o.flags & BTP_LEAF) !== 0 && leafMode === 'exclusive') {
        b.buffers.unlockBuffer(buf);
        await b.buffers.lockBuffer(buf, 'exclusive');
        page = b.buffers.getPage(buf);
        o = readOpaque(page);
      }
      for (let i = 0; this.#mustMoveRight(page, o, search); i++) {
        assert(i < MOVE_RIGHT_MAX, 'moved right too often');
        const next = o.next;
        const mode = (o.flags & BTP_LEAF) !== 0 ? leafMode : 'share';
        b.buffers.unlockReleaseBuffer(buf);
        block = next;
        buf = await b.buffers.readBuffer(this.locator, 'main', block);
        await b.buffers.lockBuffer(buf, mode);
        page = b.buffers.getPage(buf);
        o = readOpaque(page);
      }
      if ((o.flags & BTP_LEAF) !== 0) return { buf, block, stack };
      // Child: the last pivot ≤ search (the first data item is minus infinity).
      const first = this.#firstData(o);
      assert(page.itemCount >= first, 'internal page without pivots');
      const child = decodeITuple(page.getItem(Math.max(first, this.#lastAtOrBefore(page, o, search)))).ptrBlock;
      stack.push(block);
      b.buffers.unlockReleaseBuffer(buf);
      block = child;
    }
    assert(false, 'tree deeper than LEVELS_MAX');
  }

  /**
   * Inserts an entry for `heapTid` (BT5–BT7). For a unique index, a live conflicting entry
   * raises 23505; one whose transaction is still running makes us wait for it and retry.
   */
  async insert(b: AccessBackend, key: IndexKey, heapTid: Tid): Promise<void> {
    assert(key.length === this.relation.columns.length, 'key has the wrong number of columns');
    const tuple = encodeITuple({ ptrBlock: heapTid.block, ptrOffset: heapTid.offset, tie: heapTid, keys: [...key] });
    if (tuple.length > BTREE_MAX_ITEM_BYTES) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `index row size ${tuple.length} exceeds btree version 4 maximum ${BTREE_MAX_ITEM_BYTES} for index "${this.relation.name}"`, {
        detail: `Index row references tuple (${heapTid.block},${heapTid.offset}) in relation.`,
        hint: 'Values larger than 1/3 of a buffer page cannot be indexed.',
      });
    }
    // Inserts conflict with SIREAD locks on the index (relation granularity, BT9).
    b.session.checkForSerializableConflictIn({ kind: 'relation', dbOid: this.locator.dbOid, relOid: this.relation.relOid });
    const checkUnique = this.relation.unique && key.every((k) => k !== null);
    for (let attempt = 0; attempt < MOVE_RIGHT_MAX; attempt++) {
      const start: SearchKey = { keys: key, tie: checkUnique ? 'minus' : heapTid };
      let { buf, block, stack } = await this.#descend(b, start, 'exclusive');
      if (checkUnique) {
        let verdict: Xid | undefined;
        try {
          verdict = await this.#checkUnique(b, buf, key);
        } catch (e) {
          b.buffers.unlockReleaseBuffer(buf);
          throw e;
        }
        if (verdict !== undefined) {
          b.buffers.unlockReleaseBuffer(buf);
          await b.session.xactLockTableWait(verdict);
          continue;
        }
        // Move right to where (key, heapTid) belongs, coupling locks.
        const full: SearchKey = { keys: key, tie: heapTid };
        for (let i = 0; ; i++) {
          assert(i < MOVE_RIGHT_MAX, 'moved right too often');
          const page = b.buffers.getPage(buf);
          const o = readOpaque(page);
          if (!this.#mustMoveRight(page, o, full)) break;
          const next = await b.buffers.readBuffer(this.locator, 'main', o.next);
          await b.buffers.lockBuffer(next, 'exclusive');
          b.buffers.unlockReleaseBuffer(buf);
          buf = next;
          block = o.next;
        }
      }
      await this.#insertOnPage(b, buf, block, stack, tuple, { keys: key, tie: heapTid });
      return;
    }
    assert(false, 'unique check retried too often');
  }

  /**
   * _bt_check_unique (BT7): examines every entry with an equal key, from `buf` rightwards.
   * Returns the xid to wait for, undefined if none is live, or throws 23505.
   */
  async #checkUnique(b: AccessBackend, buf: BufferId, key: IndexKey): Promise<Xid | undefined> {
    let page = b.buffers.getPage(buf);
    let other: BufferId | undefined;
    try {
      for (let hops = 0; hops < MOVE_RIGHT_MAX; hops++) {
        const o = readOpaque(page);
        for (let off = this.#firstData(o); off <= page.itemCount; off++) {
          if (page.getItemId(off).flags === LP_DEAD) continue;
          const it = decodeITuple(page.getItem(off));
          const c = this.#compareKeys(key, it.keys);
          if (c < 0) return undefined;
          if (c > 0) continue;
          const probe = await this.heap.probeForUnique(b, { block: it.ptrBlock, offset: it.ptrOffset });
          if (probe.state === 'wait') return probe.xid;
          if (probe.state === 'live') {
            throw new PgError(SqlState.UNIQUE_VIOLATION, `duplicate key value violates unique constraint "${this.relation.name}"`, {
              detail: `Key (${this.relation.columnNames.join(', ')})=(${this.relation.formatKey(key)}) already exists.`,
              constraint: this.relation.name,
            });
          }
        }
        if (o.next === P_NONE) return undefined;
        // Equal keys may continue on the right sibling: read it under a share lock while holding ours.
        const hk = decodeITuple(page.getItem(1));
        if (this.#compareKeys(key, hk.keys) < 0) return undefined;
        if (other !== undefined) b.buffers.unlockReleaseBuffer(other);
        other = await b.buffers.readBuffer(this.locator, 'main', o.next);
        await b.buffers.lockBuffer(other, 'share');
        page = b.buffers.getPage(other);
      }
      assert(false, 'unique check walked too far');
    } finally {
      if (other !== undefined) b.buffers.unlockReleaseBuffer(other);
    }
  }

  /** Position for a new item: after every item before it (binary search over data items). */
  /** The last data item ≤ search (binary search), or firstData − 1 if none. */
  #lastAtOrBefore(page: Page, o: Opaque, search: SearchKey): number {
    let lo = this.#firstData(o);
    let hi = page.itemCount + 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#compare(search, decodeITuple(page.getItem(mid))) >= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  #insertPosition(page: Page, o: Opaque, search: SearchKey): number {
    let lo = this.#firstData(o);
    let hi = page.itemCount + 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#compare(search, decodeITuple(page.getItem(mid))) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * _bt_insertonpg: adds `tuple` to the exclusively locked page, first removing LP_DEAD
   * entries if it is full, else splitting it and inserting the new downlink into the parent,
   * recursively. A split and everything it causes is one WAL record (BT6).
   */
  async #insertOnPage(b: AccessBackend, buf: BufferId, block: number, stack: number[], tuple: Uint8Array, search: SearchKey): Promise<void> {
    const page = b.buffers.getPage(buf);
    const need = maxAlign(tuple.length) + SIZE_OF_ITEM_ID_DATA;
    const o = readOpaque(page);
    if (page.freeSpaceBytes < need && (o.flags & BTP_LEAF) !== 0) await this.#deleteDeadItems(b, buf, block);
    if (page.freeSpaceBytes >= need) {
      const off = this.#insertPosition(page, readOpaque(page), search);
      // Critical section.
      assert(page.addItem(tuple, { offsetNumber: off }) === off, 'index tuple did not fit');
      b.buffers.markDirty(buf);
      const data = new Uint8Array(2 + tuple.length);
      new DataView(data.buffer).setUint16(0, off, true);
      data.set(tuple, 2);
      await this.#insertWal(b, [buf], {
        rmid: RmgrId.Btree, info: (o.flags & BTP_LEAF) !== 0 ? BtInfo.INSERT_LEAF : BtInfo.INSERT_UPPER, xid: 0n as Xid, mainData: new Uint8Array(0),
        blocks: [{ id: 0, rel: this.locator, fork: 0, block: block as BlockNumber, flags: { standard: true }, page: page.bytes, data }],
      });
      b.buffers.unlockReleaseBuffer(buf);
      return;
    }
    const touched: Touched[] = [];
    try {
      await this.#split(b, buf, block, stack, tuple, search, touched);
      await this.#logImages(b, touched, BtInfo.SPLIT);
    } finally {
      for (const t of touched) b.buffers.unlockReleaseBuffer(t.buf);
    }
  }

  /** Splits the locked page around the new tuple; adds every page it changes (locked) to `touched`. */
  async #split(b: AccessBackend, buf: BufferId, block: number, stack: number[], tuple: Uint8Array, search: SearchKey, touched: Touched[]): Promise<void> {
    touched.push({ buf, block });
    const page = b.buffers.getPage(buf);
    const o = readOpaque(page);
    const first = this.#firstData(o);
    const highKey = o.next !== P_NONE ? page.getItem(1).slice() : undefined;
    const items: Uint8Array[] = [];
    for (let off = first; off <= page.itemCount; off++) if (page.getItemId(off).flags !== LP_DEAD || (o.flags & BTP_LEAF) === 0) items.push(page.getItem(off).slice());
    let pos = 0;
    while (pos < items.length && this.#compare(search, decodeITuple(items[pos]!)) > 0) pos++;
    items.splice(pos, 0, tuple);
    // Split point: half of the bytes on each side (at least one item each).
    const total = items.reduce((s, t) => s + maxAlign(t.length) + SIZE_OF_ITEM_ID_DATA, 0);
    let leftCount = 0;
    for (let acc = 0; leftCount < items.length - 1 && acc + maxAlign(items[leftCount]!.length) <= total / 2; leftCount++) acc += maxAlign(items[leftCount]!.length) + SIZE_OF_ITEM_ID_DATA;
    if (leftCount === 0) leftCount = 1;
    const leftItems = items.slice(0, leftCount);
    const rightItems = items.slice(leftCount);
    // The right page's first key bounds the left page: it becomes the left high key and the new downlink's key.
    const firstRight = decodeITuple(rightItems[0]!);
    const isLeaf = (o.flags & BTP_LEAF) !== 0;
    const sep: ITuple = { ptrBlock: 0, ptrOffset: 0, tie: firstRight.tie, keys: firstRight.keys };
    if (!isLeaf) {
      // On internal pages the first right item becomes minus infinity: its key moves up only.
      rightItems[0] = encodeITuple({ ptrBlock: firstRight.ptrBlock, ptrOffset: 0, tie: undefined, keys: [] });
    }
    const right = await b.buffers.extendRelation(this.locator, 'main');
    await b.buffers.lockBuffer(right.bufferId, 'exclusive');
    touched.push({ buf: right.bufferId, block: right.blockNumber });
    let oldRight: BufferId | undefined;
    if (o.next !== P_NONE) {
      oldRight = await b.buffers.readBuffer(this.locator, 'main', o.next);
      await b.buffers.lockBuffer(oldRight, 'exclusive');
      touched.push({ buf: oldRight, block: o.next });
    }
    // Critical section: rebuild left, build right, fix the old right sibling's left-link.
    const wasRoot = (o.flags & BTP_ROOT) !== 0;
    const rightPage = b.buffers.getPage(right.bufferId);
    rightPage.init(BTREE_SPECIAL_BYTES);
    writeOpaque(rightPage, { prev: block, next: o.next, level: o.level, flags: o.flags & ~BTP_ROOT & ~BTP_HAS_GARBAGE });
    if (highKey !== undefined) assert(rightPage.addItem(highKey) === 1, 'right high key');
    for (const t of rightItems) assert(rightPage.addItem(t) > 0, 'right page overflow');
    page.init(BTREE_SPECIAL_BYTES);
    writeOpaque(page, { prev: o.prev, next: right.blockNumber, level: o.level, flags: o.flags & ~BTP_ROOT & ~BTP_HAS_GARBAGE });
    assert(page.addItem(encodeITuple(sep)) === 1, 'left high key');
    for (const t of leftItems) assert(page.addItem(t) > 0, 'left page overflow');
    if (oldRight !== undefined) {
      const orp = b.buffers.getPage(oldRight);
      writeOpaque(orp, { ...readOpaque(orp), prev: right.blockNumber });
      b.buffers.markDirty(oldRight);
    }
    b.buffers.markDirty(buf);
    b.buffers.markDirty(right.bufferId);
    const downlink = encodeITuple({ ptrBlock: right.blockNumber, ptrOffset: 0, tie: sep.tie, keys: sep.keys });
    if (wasRoot) {
      await this.#newRoot(b, block, right.blockNumber, downlink, o.level + 1, touched);
      return;
    }
    await this.#insertParent(b, stack, block, o.level, downlink, { keys: sep.keys, tie: sep.tie ?? 'minus' }, touched);
  }

  /** _bt_newroot: a root above the two halves of the old root; the metapage points to it. */
  async #newRoot(b: AccessBackend, leftBlock: number, rightBlock: number, downlink: Uint8Array, level: number, touched: Touched[]): Promise<void> {
    assert(level < LEVELS_MAX, 'tree too deep');
    const root = await b.buffers.extendRelation(this.locator, 'main');
    await b.buffers.lockBuffer(root.bufferId, 'exclusive');
    touched.push({ buf: root.bufferId, block: root.blockNumber });
    const meta = await b.buffers.readBuffer(this.locator, 'main', META_BLOCK);
    await b.buffers.lockBuffer(meta, 'exclusive');
    touched.push({ buf: meta, block: META_BLOCK });
    const page = b.buffers.getPage(root.bufferId);
    page.init(BTREE_SPECIAL_BYTES);
    writeOpaque(page, { prev: P_NONE, next: P_NONE, level, flags: BTP_ROOT });
    assert(page.addItem(encodeITuple({ ptrBlock: leftBlock, ptrOffset: 0, tie: undefined, keys: [] })) === 1, 'root minus infinity');
    assert(page.addItem(downlink) === 2, 'root downlink');
    this.#writeMeta(b.buffers.getPage(meta), root.blockNumber, level);
    b.buffers.markDirty(root.bufferId);
    b.buffers.markDirty(meta);
  }

  /**
   * _bt_insert_parent: locks the parent exclusively (children stay locked: locks go up and
   * right only, BT4), finds the downlink to the left child moving right if the parent split
   * meanwhile, and inserts the new downlink after it — splitting the parent if needed.
   */
  async #insertParent(b: AccessBackend, stack: number[], leftBlock: number, childLevel: number, downlink: Uint8Array, search: SearchKey, touched: Touched[]): Promise<void> {
    // The stack is empty when the page was the root at descent time and the root has split
    // since: find the parent level afresh from the current root (_bt_getstackbuf's fallback).
    let block = stack.pop() ?? (await this.#leftmostAtLevel(b, childLevel + 1));
    let buf = await b.buffers.readBuffer(this.locator, 'main', block);
    await b.buffers.lockBuffer(buf, 'exclusive');
    for (let hops = 0; ; hops++) {
      assert(hops < MOVE_RIGHT_MAX, 'downlink to a split page not found');
      const page = b.buffers.getPage(buf);
      const o = readOpaque(page);
      let found = false;
      for (let off = this.#firstData(o); off <= page.itemCount; off++) if (decodeITuple(page.getItem(off)).ptrBlock === leftBlock) found = true;
      if (found) break;
      assert(o.next !== P_NONE, 'downlink to a split page not found on its level');
      const next = await b.buffers.readBuffer(this.locator, 'main', o.next);
      await b.buffers.lockBuffer(next, 'exclusive');
      b.buffers.unlockReleaseBuffer(buf);
      buf = next;
      block = o.next;
    }
    const page = b.buffers.getPage(buf);
    const need = maxAlign(downlink.length) + SIZE_OF_ITEM_ID_DATA;
    if (page.freeSpaceBytes >= need) {
      const off = this.#insertPosition(page, readOpaque(page), search);
      assert(page.addItem(downlink, { offsetNumber: off }) === off, 'downlink did not fit');
      b.buffers.markDirty(buf);
      touched.push({ buf, block });
      return;
    }
    await this.#split(b, buf, block, stack, downlink, search, touched);
  }

  /**
   * The leftmost page of `level`, following first downlinks from the root (share locks, one at
   * a time). The metapage is read without our locks on it: a caller holding locks on pages being
   * split never holds the metapage.
   */
  async #leftmostAtLevel(b: AccessBackend, level: number): Promise<number> {
    const meta = await this.#readMeta(b);
    assert(meta.level >= level, 'parent level above the root');
    let block = meta.root;
    for (let depth = 0; depth <= LEVELS_MAX; depth++) {
      const buf = await b.buffers.readBuffer(this.locator, 'main', block);
      await b.buffers.lockBuffer(buf, 'share');
      const page = b.buffers.getPage(buf);
      const o = readOpaque(page);
      const child = o.level > level ? decodeITuple(page.getItem(this.#firstData(o))).ptrBlock : undefined;
      b.buffers.unlockReleaseBuffer(buf);
      if (child === undefined) {
        assert(o.level === level, 'level not found on the leftmost path');
        return block;
      }
      block = child;
    }
    assert(false, 'tree deeper than LEVELS_MAX');
  }

  /** _bt_delitems_delete: removes LP_DEAD entries from a full leaf (logged). */
  async #deleteDeadItems(b: AccessBackend, buf: BufferId, block: number): Promise<void> {
    const page = b.buffers.getPage(buf);
    const dead: number[] = [];
    for (let off = this.#firstData(readOpaque(page)); off <= page.itemCount; off++) if (page.getItemId(off).flags === LP_DEAD) dead.push(off);
    if (dead.length === 0) return;
    for (let i = dead.length - 1; i >= 0; i--) page.deleteItem(dead[i]!);
    const o = readOpaque(page);
    writeOpaque(page, { ...o, flags: o.flags & ~BTP_HAS_GARBAGE });
    b.buffers.markDirty(buf);
    await this.#insertWal(b, [buf], {
      rmid: RmgrId.Btree, info: BtInfo.DELETE, xid: 0n as Xid, mainData: new Uint8Array(0),
      blocks: [{ id: 0, rel: this.locator, fork: 0, block: block as BlockNumber, flags: { standard: true }, page: page.bytes, data: encodeOffsets(dead) }],
    });
  }

  /**
   * Range scan (BT8): entries between the bounds in key order (forward) or reverse, page at a
   * time under a share lock; the caller fetches each heap TID with its snapshot. SERIALIZABLE
   * scans take a SIREAD lock on the whole index (BT9).
   */
  async *scan(b: AccessBackend, opts: BtreeScanOptions = {}): AsyncGenerator<IndexEntry> {
    b.session.predicateLock({ kind: 'relation', dbOid: this.locator.dbOid, relOid: this.relation.relOid });
    const forward = (opts.direction ?? 'forward') === 'forward';
    const inLower = (it: ITuple): boolean => {
      if (opts.lower === undefined) return true;
      const c = this.#compareKeys(opts.lower.key, it.keys);
      return c < 0 || (c === 0 && opts.lower.inclusive);
    };
    const inUpper = (it: ITuple): boolean => {
      if (opts.upper === undefined) return true;
      const c = this.#compareKeys(opts.upper.key, it.keys);
      return c > 0 || (c === 0 && opts.upper.inclusive);
    };
    let start: SearchKey;
    if (forward) start = opts.lower ? { keys: opts.lower.key, tie: opts.lower.inclusive ? 'minus' : 'plus' } : { keys: [], tie: 'minus' };
    else start = opts.upper ? { keys: opts.upper.key, tie: opts.upper.inclusive ? 'plus' : 'minus' } : { keys: [], tie: 'plus' };
    if (!forward && opts.upper === undefined) {
      // Rightmost leaf: descend along the last downlinks.
      start = { keys: [], tie: 'plus' };
    }
    let { buf, block } = await this.#descendEdge(b, start, forward);
    for (let pages = 0; ; pages++) {
      assert(pages < 1 << 30, 'scan visited too many pages');
      const page = b.buffers.getPage(buf);
      const o = readOpaque(page);
      const out: IndexEntry[] = [];
      let done = false;
      const first = this.#firstData(o);
      const offsets: number[] = [];
      // On the page the descent found, start at the search position (binary search).
      const from = pages === 0 && start.keys.length > 0 ? this.#insertPosition(page, o, start) : undefined;
      if (forward) for (let off = from ?? first; off <= page.itemCount; off++) offsets.push(off);
      else for (let off = from !== undefined ? from - 1 : page.itemCount; off >= first; off--) offsets.push(off);
      for (const off of offsets) {
        if (page.getItemId(off).flags === LP_DEAD) continue;
        const it = decodeITuple(page.getItem(off));
        if (forward) {
          if (!inLower(it)) continue;
          if (!inUpper(it)) { done = true; break; }
        } else {
          if (!inUpper(it)) continue;
          if (!inLower(it)) { done = true; break; }
        }
        out.push({ heapTid: { block: it.ptrBlock, offset: it.ptrOffset }, key: it.keys });
      }
      const next = o.next;
      const prev = o.prev;
      b.buffers.unlockReleaseBuffer(buf);
      yield* out;
      if (done) return;
      if (forward) {
        if (next === P_NONE) return;
        block = next;
        buf = await b.buffers.readBuffer(this.locator, 'main', block);
        await b.buffers.lockBuffer(buf, 'share');
      } else {
        if (prev === P_NONE) return;
        const r = await this.#walkLeft(b, prev, block);
        buf = r.buf;
        block = r.block;
      }
    }
  }

  /** Descends to the leaf for `start`; with tie 'plus' and no keys, to the rightmost leaf; 'minus' and none: leftmost. */
  async #descendEdge(b: AccessBackend, start: SearchKey, _forward: boolean): Promise<{ buf: BufferId; block: number }> {
    if (start.keys.length > 0) {
      const r = await this.#descend(b, start, 'share');
      return { buf: r.buf, block: r.block };
    }
    const meta = await this.#readMeta(b);
    let block = meta.root;
    for (let depth = 0; depth <= LEVELS_MAX; depth++) {
      let buf = await b.buffers.readBuffer(this.locator, 'main', block);
      await b.buffers.lockBuffer(buf, 'share');
      let page = b.buffers.getPage(buf);
      let o = readOpaque(page);
      if (start.tie === 'plus') {
        for (let i = 0; o.next !== P_NONE; i++) {
          assert(i < MOVE_RIGHT_MAX, 'moved right too often');
          b.buffers.unlockReleaseBuffer(buf);
          block = o.next;
          buf = await b.buffers.readBuffer(this.locator, 'main', block);
          await b.buffers.lockBuffer(buf, 'share');
          page = b.buffers.getPage(buf);
          o = readOpaque(page);
        }
      }
      if ((o.flags & BTP_LEAF) !== 0) return { buf, block };
      const off = start.tie === 'plus' ? page.itemCount : this.#firstData(o);
      const child = decodeITuple(page.getItem(off)).ptrBlock;
      b.buffers.unlockReleaseBuffer(buf);
      block = child;
    }
    assert(false, 'tree deeper than LEVELS_MAX');
  }

  /** _bt_walk_left: the page whose right-link is `from`, starting at its last known left sibling. */
  async #walkLeft(b: AccessBackend, leftGuess: number, from: number): Promise<{ buf: BufferId; block: number }> {
    let block = leftGuess;
    for (let hops = 0; hops < MOVE_RIGHT_MAX; hops++) {
      const buf = await b.buffers.readBuffer(this.locator, 'main', block);
      await b.buffers.lockBuffer(buf, 'share');
      const o = readOpaque(b.buffers.getPage(buf));
      if (o.next === from) return { buf, block };
      b.buffers.unlockReleaseBuffer(buf);
      // The left page split after we left it: its new right half is still left of `from`.
      assert(o.next !== P_NONE, 'left sibling chain broken');
      block = o.next;
    }
    assert(false, 'walked right too often while moving left');
  }

  /**
   * _bt_killitems (BT10): marks the entry for `heapTid` LP_DEAD, a hint that its heap tuple is
   * dead to everyone; a later insert into a full page removes it.
   */
  async killItem(b: AccessBackend, key: IndexKey, heapTid: Tid): Promise<boolean> {
    const { buf } = await this.#descend(b, { keys: key, tie: heapTid }, 'share');
    try {
      const page = b.buffers.getPage(buf);
      const o = readOpaque(page);
      for (let off = this.#firstData(o); off <= page.itemCount; off++) {
        const it = decodeITuple(page.getItem(off));
        if (it.tie !== undefined && compareTids(it.tie, heapTid) === 0 && this.#compareKeys(key, it.keys) === 0) {
          if (page.getItemId(off).flags === LP_DEAD) return false;
          page.markItemDead(off);
          writeOpaque(page, { ...o, flags: o.flags | BTP_HAS_GARBAGE });
          b.buffers.markDirtyHint(buf);
          return true;
        }
      }
      return false;
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }

  /**
   * btbulkdelete (VAC3): removes every entry whose heap TID `isDead` says is dead, leaf by leaf
   * from the left, each under a cleanup lock, logged. Returns the number removed.
   */
  async bulkDelete(b: AccessBackend, isDead: (tid: Tid) => boolean): Promise<number> {
    let { buf, block } = await this.#descendEdge(b, { keys: [], tie: 'minus' }, true);
    b.buffers.unlockBuffer(buf);
    let removed = 0;
    for (let pages = 0; pages < 1 << 30; pages++) {
      await b.buffers.lockBufferForCleanup(buf);
      const page = b.buffers.getPage(buf);
      const o = readOpaque(page);
      const dead: number[] = [];
      for (let off = this.#firstData(o); off <= page.itemCount; off++) {
        const it = decodeITuple(page.getItem(off));
        if (isDead({ block: it.ptrBlock, offset: it.ptrOffset })) dead.push(off);
      }
      if (dead.length > 0) {
        for (let i = dead.length - 1; i >= 0; i--) page.deleteItem(dead[i]!);
        b.buffers.markDirty(buf);
        await this.#insertWal(b, [buf], {
          rmid: RmgrId.Btree, info: BtInfo.VACUUM, xid: 0n as Xid, mainData: new Uint8Array(0),
          blocks: [{ id: 0, rel: this.locator, fork: 0, block: block as BlockNumber, flags: { standard: true }, page: page.bytes, data: encodeOffsets(dead) }],
        });
        removed += dead.length;
      }
      const next = o.next;
      b.buffers.unlockReleaseBuffer(buf);
      if (next === P_NONE) return removed;
      block = next;
      buf = await b.buffers.readBuffer(this.locator, 'main', block);
    }
    assert(false, 'bulk delete visited too many pages');
  }

  /** Not implemented: index-only scans need the visibility map. */
  indexOnlyScan(): never {
    throw featureNotSupported('index-only scan');
  }

  /** For the checker: decoded items and opaque data of a page. */
  static pageContents(page: Page): { opaque: Opaque; items: { tuple: ITuple; dead: boolean }[] } {
    const items: { tuple: ITuple; dead: boolean }[] = [];
    for (let off = 1; off <= page.itemCount; off++) items.push({ tuple: decodeITuple(page.getItem(off)), dead: page.getItemId(off).flags === LP_DEAD });
    return { opaque: readOpaque(page), items };
  }

  /** Compare two entries' keys and tiebreakers as the index orders them (for the checker). */
  compareEntries(a: { keys: IndexKey; tie: Tid | undefined }, item: ITuple): number {
    return this.#compare({ keys: a.keys, tie: a.tie ?? 'minus' }, item);
  }
}

export type { ITuple as BtreeTuple, Opaque as BtreePageOpaque };
