// Slotted pages in PostgreSQL's layout (B20–B25): a 24-byte header, an array of 4-byte line
// pointers growing up from the header, item data growing down from pd_upper, and optional
// "special space" at the end. Entry points: `Page` (a view over 8 KiB of bytes, usually a
// shared buffer) and `pageHeaderIsSane` / `pageIsAllZero` used by read verification (B27).
//
// Multi-byte fields are little-endian, as PostgreSQL writes them on x86-64, so that pages are
// byte-identical with PostgreSQL 15's.
//
// pd_prune_xid: Palisade's transaction ids are 64-bit but the header keeps PostgreSQL's 24 bytes,
// so the field holds the low 32 bits of the xid. `pruneXid(nextXid)` widens it to the largest
// 64-bit xid ≤ nextXid with those low bits. The field is only a hint ("something on this page
// may be prunable once this xid is old enough"); a widened value that is too new only delays
// an opportunistic prune until VACUUM resets it, and can never make data visible or invisible.

import { assert, lsn as makeLsn, PgError, SqlState, type Lsn, type Xid, xid as makeXid } from '@palisade/common';
import {
  BLCKSZ, FirstOffsetNumber, InvalidOffsetNumber, LP_DEAD, LP_NORMAL, LP_REDIRECT, LP_UNUSED,
  MAX_OFFSET_NUMBER, PD_HAS_FREE_LINES, PD_VALID_FLAG_BITS, PG_PAGE_LAYOUT_VERSION,
  SIZE_OF_ITEM_ID_DATA, SIZE_OF_PAGE_HEADER_DATA, maxAlign,
} from './page-constants.ts';

const OFFSET_LSN_XLOGID = 0;
const OFFSET_LSN_XRECOFF = 4;
const OFFSET_CHECKSUM = 8;
const OFFSET_FLAGS = 10;
const OFFSET_LOWER = 12;
const OFFSET_UPPER = 14;
const OFFSET_SPECIAL = 16;
const OFFSET_PAGESIZE_VERSION = 18;
const OFFSET_PRUNE_XID = 20;

/** A decoded line pointer (ItemIdData, B24). */
export interface ItemId {
  /** Byte offset of the item on the page (for LP_REDIRECT: the target offset number). */
  offset: number;
  /** LP_UNUSED, LP_NORMAL, LP_REDIRECT or LP_DEAD. */
  flags: number;
  /** Item length in bytes. */
  lengthBytes: number;
}

/** Options of {@link Page.addItem} (PageAddItemExtended). */
export interface AddItemOptions {
  /** Put the item at this 1-based offset number instead of the first free one. */
  offsetNumber?: number;
  /** With `offsetNumber`: reuse that (unused) line pointer instead of shifting later ones up. */
  overwrite?: boolean;
  /** Limit the page to `maxItemCount` line pointers (heap pages: MaxHeapTuplesPerPage). */
  maxItemCount?: number;
}

/** MaxHeapTuplesPerPage for 8 KiB pages: 8168 / (MAXALIGN(23-byte tuple header) + 4). */
export const MAX_HEAP_TUPLES_PER_PAGE = Math.floor((BLCKSZ - SIZE_OF_PAGE_HEADER_DATA) / (maxAlign(23) + SIZE_OF_ITEM_ID_DATA));

/**
 * True if the header passes PostgreSQL's sanity check (B27): only known flag bits,
 * pd_lower ≤ pd_upper ≤ pd_special ≤ BLCKSZ and pd_special MAXALIGNed.
 */
export function pageHeaderIsSane(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SIZE_OF_PAGE_HEADER_DATA);
  const flags = view.getUint16(OFFSET_FLAGS, true);
  const lower = view.getUint16(OFFSET_LOWER, true);
  const upper = view.getUint16(OFFSET_UPPER, true);
  const special = view.getUint16(OFFSET_SPECIAL, true);
  return (flags & ~PD_VALID_FLAG_BITS) === 0 && lower <= upper && upper <= special && special <= BLCKSZ && special === maxAlign(special);
}

/** True if every byte of the page is zero (a page extended but never initialised, W6). */
export function pageIsAllZero(bytes: Uint8Array): boolean {
  assert(bytes.length === BLCKSZ, 'page must be BLCKSZ bytes');
  if (bytes.byteOffset % 8 === 0) {
    const words = new BigUint64Array(bytes.buffer, bytes.byteOffset, BLCKSZ / 8);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
    return true;
  }
  for (let i = 0; i < BLCKSZ; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** True if pd_upper is 0: the page was never initialised (PageIsNew, B23). */
export function pageIsNew(bytes: Uint8Array): boolean {
  return bytes[OFFSET_UPPER] === 0 && bytes[OFFSET_UPPER + 1] === 0;
}

/** Reads pd_checksum. */
export function pageGetChecksum(bytes: Uint8Array): number {
  return bytes[OFFSET_CHECKSUM]! | (bytes[OFFSET_CHECKSUM + 1]! << 8);
}

/** Writes pd_checksum. */
export function pageSetChecksum(bytes: Uint8Array, checksum: number): void {
  assert(checksum >= 0 && checksum <= 0xffff, 'checksum is 16-bit');
  bytes[OFFSET_CHECKSUM] = checksum & 0xff;
  bytes[OFFSET_CHECKSUM + 1] = checksum >>> 8;
}

/** Reads pd_lsn of a page held as bytes. */
export function pageGetLsn(bytes: Uint8Array): Lsn {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return ((BigInt(view.getUint32(OFFSET_LSN_XLOGID, true)) << 32n) | BigInt(view.getUint32(OFFSET_LSN_XRECOFF, true))) as Lsn;
}

/**
 * An 8 KiB slotted page: a view over `bytes` (which it never copies), with PostgreSQL's
 * `PageInit`, `PageAddItem`, `PageGetItem`, `PageRepairFragmentation`, … as methods.
 * Offset numbers are 1-based (B24).
 */
export class Page {
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    assert(bytes.length === BLCKSZ, () => `a page is ${BLCKSZ} bytes, got ${bytes.length}`);
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, BLCKSZ);
  }

  /**
   * PageInit (B23): zero-fills the page and sets pd_lower = 24,
   * pd_upper = pd_special = BLCKSZ − MAXALIGN(specialSizeBytes), pd_pagesize_version = 8192 | 4.
   */
  init(specialSizeBytes = 0): void {
    const special = maxAlign(specialSizeBytes);
    assert(special >= 0 && special <= BLCKSZ - SIZE_OF_PAGE_HEADER_DATA, () => `special space of ${specialSizeBytes} bytes does not fit`);
    this.bytes.fill(0);
    this.lower = SIZE_OF_PAGE_HEADER_DATA;
    this.upper = BLCKSZ - special;
    this.special = BLCKSZ - special;
    this.#view.setUint16(OFFSET_PAGESIZE_VERSION, BLCKSZ | PG_PAGE_LAYOUT_VERSION, true);
  }

  /** PageIsNew: pd_upper is 0, the page was never initialised. */
  isNew(): boolean {
    return this.upper === 0;
  }

  /** pd_lsn: end+1 of the last WAL record that changed the page (B26). */
  get lsn(): Lsn {
    return makeLsn((BigInt(this.#view.getUint32(OFFSET_LSN_XLOGID, true)) << 32n) | BigInt(this.#view.getUint32(OFFSET_LSN_XRECOFF, true)));
  }
  set lsn(value: Lsn) {
    this.#view.setUint32(OFFSET_LSN_XLOGID, Number(value >> 32n), true);
    this.#view.setUint32(OFFSET_LSN_XRECOFF, Number(value & 0xffff_ffffn), true);
  }

  get checksum(): number { return this.#view.getUint16(OFFSET_CHECKSUM, true); }
  set checksum(value: number) { this.#view.setUint16(OFFSET_CHECKSUM, value, true); }
  get flags(): number { return this.#view.getUint16(OFFSET_FLAGS, true); }
  set flags(value: number) { this.#view.setUint16(OFFSET_FLAGS, value, true); }
  get lower(): number { return this.#view.getUint16(OFFSET_LOWER, true); }
  set lower(value: number) { this.#view.setUint16(OFFSET_LOWER, value, true); }
  get upper(): number { return this.#view.getUint16(OFFSET_UPPER, true); }
  set upper(value: number) { this.#view.setUint16(OFFSET_UPPER, value, true); }
  get special(): number { return this.#view.getUint16(OFFSET_SPECIAL, true); }
  set special(value: number) { this.#view.setUint16(OFFSET_SPECIAL, value, true); }
  /** pd_pagesize_version (B22). */
  get pageSizeVersion(): number { return this.#view.getUint16(OFFSET_PAGESIZE_VERSION, true); }
  /** Page size in bytes recorded in the header (pd_pagesize_version & 0xFF00). */
  get pageSizeBytes(): number { return this.pageSizeVersion & 0xff00; }
  /** Layout version recorded in the header (pd_pagesize_version & 0x00FF). */
  get layoutVersion(): number { return this.pageSizeVersion & 0x00ff; }

  /** The raw 32-bit pd_prune_xid field (low 32 bits of the xid; 0 = none). */
  get pruneXidLow32(): number { return this.#view.getUint32(OFFSET_PRUNE_XID, true); }

  /**
   * pd_prune_xid widened to 64 bits: the largest xid ≤ `nextXid` whose low 32 bits are the
   * stored ones; undefined when none is set. See the file comment for why this is safe.
   */
  pruneXid(nextXid: Xid): Xid | undefined {
    const low = BigInt(this.pruneXidLow32);
    if (low === 0n) return undefined;
    let full = (nextXid & ~0xffff_ffffn) | low;
    if (full > nextXid) full -= 1n << 32n;
    return full < 0n ? undefined : makeXid(full);
  }

  /** Sets pd_prune_xid (its low 32 bits), or clears it with undefined. */
  setPruneXid(value: Xid | undefined): void {
    this.#view.setUint32(OFFSET_PRUNE_XID, value === undefined ? 0 : Number(value & 0xffff_ffffn), true);
  }

  /** Number of line pointers (PageGetMaxOffsetNumber). */
  get itemCount(): number {
    const lower = this.lower;
    return lower <= SIZE_OF_PAGE_HEADER_DATA ? 0 : (lower - SIZE_OF_PAGE_HEADER_DATA) / SIZE_OF_ITEM_ID_DATA;
  }

  /** PageIsEmpty: no line pointers. */
  isEmpty(): boolean {
    return this.lower <= SIZE_OF_PAGE_HEADER_DATA;
  }

  /** Bytes between the line-pointer array and the item data (pd_upper − pd_lower), 0 if negative. */
  get freeSpaceBytes(): number {
    const space = this.upper - this.lower;
    return space < 0 ? 0 : space;
  }

  /** PageGetFreeSpace: free space less one line pointer for the next item. */
  get freeSpaceForNewItemBytes(): number {
    const space = this.upper - this.lower;
    return space < SIZE_OF_ITEM_ID_DATA ? 0 : space - SIZE_OF_ITEM_ID_DATA;
  }

  /** The special space at the page end (PageGetSpecialPointer). */
  specialSpace(): Uint8Array {
    return this.bytes.subarray(this.special, BLCKSZ);
  }

  /** The line pointer at `offsetNumber` (1-based). */
  getItemId(offsetNumber: number): ItemId {
    const word = this.#readItemIdWord(offsetNumber);
    return { offset: word & 0x7fff, flags: (word >>> 15) & 0x3, lengthBytes: word >>> 17 };
  }

  /** The item's bytes (a view, not a copy). The line pointer must be LP_NORMAL or LP_DEAD with storage. */
  getItem(offsetNumber: number): Uint8Array {
    const { offset, lengthBytes } = this.getItemId(offsetNumber);
    assert(lengthBytes > 0 && offset + lengthBytes <= BLCKSZ, () => `item ${offsetNumber} has no storage`);
    return this.bytes.subarray(offset, offset + lengthBytes);
  }

  /**
   * PageAddItemExtended: places `data` on the page and returns its offset number, or
   * InvalidOffsetNumber (0) if it does not fit or the requested slot cannot be used.
   */
  addItem(data: Uint8Array, options: AddItemOptions = {}): number {
    const lengthBytes = data.length;
    assert(lengthBytes > 0 && lengthBytes < 0x8000, () => `item of ${lengthBytes} bytes`);
    const lower = this.lower;
    const upper = this.upper;
    const special = this.special;
    if (lower < SIZE_OF_PAGE_HEADER_DATA || lower > upper || upper > special || special > BLCKSZ) {
      throw pageCorrupted(`corrupted page pointers: lower = ${lower}, upper = ${upper}, special = ${special}`);
    }
    const limit = this.itemCount + 1;
    let offsetNumber = options.offsetNumber ?? InvalidOffsetNumber;
    let needShuffle = false;
    if (offsetNumber !== InvalidOffsetNumber) {
      if (options.overwrite === true) {
        if (offsetNumber < limit) {
          const item = this.getItemId(offsetNumber);
          if (item.flags !== LP_UNUSED || item.lengthBytes !== 0) return InvalidOffsetNumber;
        }
      } else if (offsetNumber < limit) {
        needShuffle = true;
      }
    } else if ((this.flags & PD_HAS_FREE_LINES) !== 0) {
      for (offsetNumber = FirstOffsetNumber; offsetNumber < limit; offsetNumber++) {
        const item = this.getItemId(offsetNumber);
        if (item.flags === LP_UNUSED && item.lengthBytes === 0) break;
      }
      if (offsetNumber >= limit) this.flags = this.flags & ~PD_HAS_FREE_LINES;
    } else {
      offsetNumber = limit;
    }
    if (offsetNumber > limit || offsetNumber < FirstOffsetNumber) return InvalidOffsetNumber;
    const maxItemCount = options.maxItemCount ?? MAX_OFFSET_NUMBER;
    if (offsetNumber > maxItemCount) return InvalidOffsetNumber;

    const newLower = offsetNumber === limit || needShuffle ? lower + SIZE_OF_ITEM_ID_DATA : lower;
    const alignedBytes = maxAlign(lengthBytes);
    const newUpper = upper - alignedBytes;
    if (newLower > newUpper) return InvalidOffsetNumber;

    if (needShuffle) {
      const from = this.#itemIdPosition(offsetNumber);
      this.bytes.copyWithin(from + SIZE_OF_ITEM_ID_DATA, from, lower);
    }
    this.#writeItemId(offsetNumber, newUpper, LP_NORMAL, lengthBytes);
    this.bytes.set(data, newUpper);
    this.bytes.fill(0, newUpper + lengthBytes, newUpper + alignedBytes);
    this.lower = newLower;
    this.upper = newUpper;
    return offsetNumber;
  }

  /** Marks an item LP_DEAD keeping its storage (ItemIdMarkDead). */
  markItemDead(offsetNumber: number): void {
    const item = this.getItemId(offsetNumber);
    this.#writeItemId(offsetNumber, item.offset, LP_DEAD, item.lengthBytes);
  }

  /** Makes a line pointer LP_UNUSED without storage (ItemIdSetUnused); its space is reclaimed by {@link repairFragmentation}. */
  setItemUnused(offsetNumber: number): void {
    this.#writeItemId(offsetNumber, 0, LP_UNUSED, 0);
    this.flags = this.flags | PD_HAS_FREE_LINES;
  }

  /** Makes a line pointer a HOT redirect to `targetOffsetNumber` (ItemIdSetRedirect). */
  setItemRedirect(offsetNumber: number, targetOffsetNumber: number): void {
    assert(targetOffsetNumber >= FirstOffsetNumber && targetOffsetNumber <= this.itemCount, 'redirect target out of range');
    this.#writeItemId(offsetNumber, targetOffsetNumber, LP_REDIRECT, 0);
  }

  /**
   * PageIndexTupleDelete: removes the item and its line pointer, closing both gaps; later
   * items' offset numbers decrease by one. For index pages, where offsets are not stable.
   */
  deleteItem(offsetNumber: number): void {
    const count = this.itemCount;
    assert(offsetNumber >= FirstOffsetNumber && offsetNumber <= count, () => `offset ${offsetNumber} out of range 1..${count}`);
    const { offset, lengthBytes } = this.getItemId(offsetNumber);
    const alignedBytes = maxAlign(lengthBytes);
    const upper = this.upper;
    if (lengthBytes > 0) {
      if (offset < upper || offset + alignedBytes > this.special) {
        throw pageCorrupted(`corrupted line pointer: offset = ${offset}, size = ${lengthBytes}`);
      }
      // Slide the data below the removed item up over it.
      this.bytes.copyWithin(upper + alignedBytes, upper, offset);
      this.bytes.fill(0, upper, upper + alignedBytes);
    }
    const position = this.#itemIdPosition(offsetNumber);
    this.bytes.copyWithin(position, position + SIZE_OF_ITEM_ID_DATA, this.lower);
    this.lower = this.lower - SIZE_OF_ITEM_ID_DATA;
    this.bytes.fill(0, this.lower, this.lower + SIZE_OF_ITEM_ID_DATA);
    if (lengthBytes > 0) {
      this.upper = upper + alignedBytes;
      for (let i = FirstOffsetNumber; i <= this.itemCount; i++) {
        const item = this.getItemId(i);
        if (item.lengthBytes > 0 && item.flags !== LP_REDIRECT && item.offset < offset) {
          this.#writeItemId(i, item.offset + alignedBytes, item.flags, item.lengthBytes);
        }
      }
    }
  }

  /**
   * PageRepairFragmentation: moves the data of LP_NORMAL items together at the end of the
   * page, keeping every offset number; LP_DEAD items lose their storage, LP_UNUSED pointers
   * are zeroed and PD_HAS_FREE_LINES records whether any exist. Callers must hold a cleanup
   * lock (B9) — other backends may hold pointers into the page only if they hold a pin, and
   * the cleanup lock proves there is none.
   */
  repairFragmentation(): void {
    const count = this.itemCount;
    const special = this.special;
    if (this.lower < SIZE_OF_PAGE_HEADER_DATA || this.lower > this.upper || this.upper > special || special > BLCKSZ || special !== maxAlign(special)) {
      throw pageCorrupted(`corrupted page pointers: lower = ${this.lower}, upper = ${this.upper}, special = ${special}`);
    }
    const live: { offsetNumber: number; offset: number; lengthBytes: number }[] = [];
    let unusedCount = 0;
    for (let i = FirstOffsetNumber; i <= count; i++) {
      const item = this.getItemId(i);
      if (item.flags === LP_NORMAL) {
        if (item.offset < this.upper || item.offset + item.lengthBytes > special) {
          throw pageCorrupted(`corrupted line pointer: ${item.offset}`);
        }
        live.push({ offsetNumber: i, offset: item.offset, lengthBytes: item.lengthBytes });
      } else if (item.flags === LP_DEAD) {
        this.#writeItemId(i, 0, LP_DEAD, 0);
      } else if (item.flags === LP_UNUSED) {
        this.#writeItemId(i, 0, LP_UNUSED, 0);
        unusedCount++;
      }
    }
    // Place items from the page end downwards in decreasing order of their current offset,
    // so each move goes towards higher addresses and never overwrites an item not yet moved.
    live.sort((a, b) => b.offset - a.offset);
    let upper = special;
    for (const item of live) {
      const alignedBytes = maxAlign(item.lengthBytes);
      upper -= alignedBytes;
      assert(upper >= item.offset, 'compaction moves items towards the page end');
      if (upper !== item.offset) this.bytes.copyWithin(upper, item.offset, item.offset + item.lengthBytes);
      this.#writeItemId(item.offsetNumber, upper, LP_NORMAL, item.lengthBytes);
    }
    this.bytes.fill(0, this.lower, upper);
    this.upper = upper;
    this.flags = unusedCount > 0 ? this.flags | PD_HAS_FREE_LINES : this.flags & ~PD_HAS_FREE_LINES;
  }

  /** True if the header passes the sanity check of B27. */
  headerIsSane(): boolean {
    return pageHeaderIsSane(this.bytes);
  }

  #itemIdPosition(offsetNumber: number): number {
    return SIZE_OF_PAGE_HEADER_DATA + (offsetNumber - 1) * SIZE_OF_ITEM_ID_DATA;
  }

  #readItemIdWord(offsetNumber: number): number {
    assert(offsetNumber >= FirstOffsetNumber && offsetNumber <= this.itemCount, () => `offset number ${offsetNumber} out of range 1..${this.itemCount}`);
    return this.#view.getUint32(this.#itemIdPosition(offsetNumber), true);
  }

  #writeItemId(offsetNumber: number, offset: number, flags: number, lengthBytes: number): void {
    assert(offset >= 0 && offset < 0x8000 && lengthBytes >= 0 && lengthBytes < 0x8000 && flags >= 0 && flags <= 3, 'line pointer fields out of range');
    // lp_off in bits 0–14, lp_flags in bits 15–16, lp_len in bits 17–31 (GCC on x86-64).
    const word = (offset | (flags << 15) | (lengthBytes << 17)) >>> 0;
    this.#view.setUint32(this.#itemIdPosition(offsetNumber), word, true);
  }
}

/** A page's pointers contradict each other: the data is corrupt, not the caller (XX001, as PostgreSQL). */
function pageCorrupted(message: string): PgError {
  return new PgError(SqlState.DATA_CORRUPTED, message);
}
