// The store's page layout and the page operations that both the do-path and redo apply.
// One relation (fork main) holds a metapage (block 0), `bucketCount` primary bucket pages
// (blocks 1..bucketCount) and overflow pages appended later and chained from a bucket page.
// Every page is a standard slotted page with 8 bytes of special space:
//
//   special  next u32 (overflow block of this chain, 0 = none) | kind u16 | 0 u16
//   item     keyLength u16 | key (UTF-8) | value            (bucket and overflow pages)
//   item     magic u32 | version u16 | bucketCount u16      (the metapage's single item)
//
// A change to a page is a list of operations (init, delete key, add item, set next). The
// WAL record carries that list as the block's data; redo applies the same list with the same
// function to the same page state (physiological logging), so the result is byte-identical.
// Entry points: applyPageOps, encodePageOps, findItem, encodeItem.

import { assert, PgError, SqlState } from '@palisade/common';
import { BLCKSZ, type Page, SIZE_OF_ITEM_ID_DATA, SIZE_OF_PAGE_HEADER_DATA, maxAlign } from '@palisade/bufmgr';

/** Bytes of special space on every page of the store. */
export const KV_SPECIAL_BYTES = 8;
/** Free bytes on an empty bucket or overflow page. */
export const KV_EMPTY_PAGE_FREE_BYTES = BLCKSZ - SIZE_OF_PAGE_HEADER_DATA - KV_SPECIAL_BYTES;
/** Longest key, bytes (UTF-8). */
export const KV_KEY_BYTES_MAX = 256;
/** Longest value, bytes: a few KiB, so that any item fits on an empty page with room to spare. */
export const KV_VALUE_BYTES_MAX = 4096;
export const KV_META_MAGIC = 0x3153_564b; // "KVS1"
export const KV_META_VERSION = 1;
/** Most primary buckets: the initialising record references the metapage and every bucket page (≤ 33 blocks, W11). */
export const KV_BUCKET_COUNT_MAX = 32;

export const PageKind = { META: 1, BUCKET: 2, OVERFLOW: 3 } as const;
export type PageKindValue = (typeof PageKind)[keyof typeof PageKind];

/** One change to one page. */
export type PageOp =
  | { op: 'init'; kind: PageKindValue; bucketCount?: number }
  | { op: 'delete'; key: Uint8Array }
  | { op: 'add'; item: Uint8Array }
  | { op: 'setNext'; next: number };

const OP_INIT = 1;
const OP_DELETE = 2;
const OP_ADD = 3;
const OP_SET_NEXT = 4;

/** An item: keyLength u16 | key | value. */
export function encodeItem(key: Uint8Array, value: Uint8Array): Uint8Array {
  assert(key.length > 0 && key.length <= KV_KEY_BYTES_MAX && value.length <= KV_VALUE_BYTES_MAX, 'item bounds are checked by the caller');
  const item = new Uint8Array(2 + key.length + value.length);
  item[0] = key.length & 0xff;
  item[1] = key.length >>> 8;
  item.set(key, 2);
  item.set(value, 2 + key.length);
  return item;
}

/** Bytes an item of `itemBytes` takes on a page, line pointer included. */
export function itemFootprintBytes(itemBytes: number): number {
  return maxAlign(itemBytes) + SIZE_OF_ITEM_ID_DATA;
}

function itemKeyEquals(item: Uint8Array, key: Uint8Array): boolean {
  const keyLength = item[0]! | (item[1]! << 8);
  if (keyLength !== key.length || 2 + keyLength > item.length) return false;
  for (let i = 0; i < keyLength; i++) if (item[2 + i] !== key[i]) return false;
  return true;
}

/** Offset number of the item with `key`, or 0. */
export function findItem(page: Page, key: Uint8Array): number {
  const count = page.itemCount;
  for (let off = 1; off <= count; off++) if (itemKeyEquals(page.getItem(off), key)) return off;
  return 0;
}

/** The item's key and value (views into the page). */
export function decodeItem(item: Uint8Array): { key: Uint8Array; value: Uint8Array } {
  const keyLength = item[0]! | (item[1]! << 8);
  if (2 + keyLength > item.length) throw new PgError(SqlState.DATA_CORRUPTED, `corrupted key-value item: key length ${keyLength}, item length ${item.length}`);
  return { key: item.subarray(2, 2 + keyLength), value: item.subarray(2 + keyLength) };
}

export function pageNext(page: Page): number {
  const special = page.specialSpace();
  return new DataView(special.buffer, special.byteOffset, KV_SPECIAL_BYTES).getUint32(0, true);
}

export function pageKind(page: Page): number {
  const special = page.specialSpace();
  if (special.length !== KV_SPECIAL_BYTES) return 0;
  return new DataView(special.buffer, special.byteOffset, KV_SPECIAL_BYTES).getUint16(4, true);
}

/** The metapage's bucket count, or undefined if `page` is not a valid metapage. */
export function metaBucketCount(page: Page): number | undefined {
  if (page.isNew() || pageKind(page) !== PageKind.META || page.itemCount !== 1) return undefined;
  const item = page.getItem(1);
  if (item.length !== 8) return undefined;
  const view = new DataView(item.buffer, item.byteOffset, 8);
  if (view.getUint32(0, true) !== KV_META_MAGIC || view.getUint16(4, true) !== KV_META_VERSION) return undefined;
  return view.getUint16(6, true);
}

/**
 * Applies `ops` to the page in order. Used by the do-path (inside the critical section) and by
 * redo; any inconsistency is a bug or corruption and fails an assertion.
 */
export function applyPageOps(page: Page, ops: readonly PageOp[]): void {
  for (const op of ops) {
    switch (op.op) {
      case 'init': {
        page.init(KV_SPECIAL_BYTES);
        const special = page.specialSpace();
        const view = new DataView(special.buffer, special.byteOffset, KV_SPECIAL_BYTES);
        view.setUint16(4, op.kind, true);
        if (op.kind === PageKind.META) {
          const item = new Uint8Array(8);
          const iv = new DataView(item.buffer);
          iv.setUint32(0, KV_META_MAGIC, true);
          iv.setUint16(4, KV_META_VERSION, true);
          iv.setUint16(6, op.bucketCount ?? 0, true);
          assert(page.addItem(item) === 1, 'metapage item must fit');
        }
        break;
      }
      case 'delete': {
        const off = findItem(page, op.key);
        assert(off !== 0, 'deleting a key the page does not hold');
        page.deleteItem(off);
        break;
      }
      case 'add': {
        assert(page.addItem(op.item) !== 0, () => `item of ${op.item.length} bytes does not fit (free ${page.freeSpaceBytes})`);
        break;
      }
      case 'setNext': {
        const special = page.specialSpace();
        new DataView(special.buffer, special.byteOffset, KV_SPECIAL_BYTES).setUint32(0, op.next, true);
        break;
      }
    }
  }
}

/** The block data of a WAL record: the ops, each tagged. */
export function encodePageOps(ops: readonly PageOp[]): Uint8Array {
  let total = 0;
  for (const op of ops) {
    if (op.op === 'init') total += 4;
    else if (op.op === 'delete') total += 3 + op.key.length;
    else if (op.op === 'add') total += 3 + op.item.length;
    else total += 5;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const op of ops) {
    switch (op.op) {
      case 'init':
        out[pos] = OP_INIT; out[pos + 1] = op.kind; view.setUint16(pos + 2, op.bucketCount ?? 0, true); pos += 4;
        break;
      case 'delete':
        out[pos] = OP_DELETE; view.setUint16(pos + 1, op.key.length, true); out.set(op.key, pos + 3); pos += 3 + op.key.length;
        break;
      case 'add':
        out[pos] = OP_ADD; view.setUint16(pos + 1, op.item.length, true); out.set(op.item, pos + 3); pos += 3 + op.item.length;
        break;
      case 'setNext':
        out[pos] = OP_SET_NEXT; view.setUint32(pos + 1, op.next, true); pos += 5;
        break;
    }
  }
  return out;
}

/** Reads back {@link encodePageOps}; a malformed list (a writer bug, as the record's CRC was valid) fails an assertion. */
export function decodePageOps(data: Uint8Array): PageOp[] {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const ops: PageOp[] = [];
  let pos = 0;
  // Bounded by the data length: every op consumes at least 4 bytes.
  while (pos < data.length) {
    const tag = data[pos];
    if (tag === OP_INIT) {
      assert(pos + 4 <= data.length, 'truncated init op');
      const kind = data[pos + 1] as PageKindValue;
      const bucketCount = view.getUint16(pos + 2, true);
      ops.push(kind === PageKind.META ? { op: 'init', kind, bucketCount } : { op: 'init', kind });
      pos += 4;
    } else if (tag === OP_DELETE || tag === OP_ADD) {
      assert(pos + 3 <= data.length, 'truncated op');
      const length = view.getUint16(pos + 1, true);
      assert(pos + 3 + length <= data.length, 'truncated op payload');
      const bytes = data.slice(pos + 3, pos + 3 + length);
      ops.push(tag === OP_DELETE ? { op: 'delete', key: bytes } : { op: 'add', item: bytes });
      pos += 3 + length;
    } else {
      assert(tag === OP_SET_NEXT && pos + 5 <= data.length, () => `bad page op ${tag}`);
      ops.push({ op: 'setNext', next: view.getUint32(pos + 1, true) });
      pos += 5;
    }
  }
  return ops;
}
