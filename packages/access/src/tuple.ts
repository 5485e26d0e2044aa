// Heap tuples: the on-page header (PostgreSQL's HeapTupleHeaderData with 64-bit xids) and the
// encoding of a row over an abstract TupleDescriptor with PostgreSQL's alignment rules.
// Entry points: formTuple, deformTuple, readTupleHeader, writeTupleHeader, HEAP_TUPLE_HEADER_BYTES.

import { type Xid, PgError, SqlState, assert } from '@palisade/common';
import { maxAlign, BLCKSZ, SIZE_OF_PAGE_HEADER_DATA, SIZE_OF_ITEM_ID_DATA } from '@palisade/bufmgr';
import type { TupleHeader, Tid, CommandId } from '@palisade/mvcc';

/**
 * Header layout (little-endian), HEAP1:
 *
 * ```
 * 0  t_xmin        u64   inserting xid
 * 8  t_xmax        u64   deleting/locking xid or MultiXactId
 * 16 t_cid         u32   cmin, cmax or combo cid
 * 20 t_ctid.block  u32
 * 24 t_ctid.offset u16
 * 26 t_infomask2   u16   natts (low 11 bits) | HEAP_KEYS_UPDATED | HEAP_HOT_UPDATED | HEAP_ONLY_TUPLE
 * 28 t_infomask    u16   HEAP_HASNULL | HEAP_HASVARWIDTH | visibility and lock bits (mvcc's Infomask)
 * 30 t_hoff        u8    offset of the user data, MAXALIGNed
 * 31 t_bits        null bitmap, one bit per attribute (1 = not null), present iff HEAP_HASNULL
 * ```
 */
export const HEAP_TUPLE_HEADER_BYTES = 31;
const OFF_XMIN = 0;
const OFF_XMAX = 8;
const OFF_CID = 16;
const OFF_CTID_BLOCK = 20;
const OFF_CTID_OFFSET = 24;
const OFF_INFOMASK2 = 26;
const OFF_INFOMASK = 28;
const OFF_HOFF = 30;
const OFF_BITS = 31;

/** t_infomask bits that describe the data (the rest are mvcc's visibility bits). */
export const HEAP_HASNULL = 0x0001;
export const HEAP_HASVARWIDTH = 0x0002;
export const HEAP_HASEXTERNAL = 0x0004;
/** t_infomask2: number of attributes. */
export const HEAP_NATTS_MASK = 0x07ff;
/** Most attributes in a heap tuple (MaxHeapAttributeNumber). */
export const MAX_HEAP_ATTRIBUTE_COUNT = 1600;

/** Largest tuple that fits on an empty heap page (MaxHeapTupleSize): 8192 − 24 − 4. */
export const MAX_HEAP_TUPLE_BYTES = BLCKSZ - maxAlign(SIZE_OF_PAGE_HEADER_DATA + SIZE_OF_ITEM_ID_DATA);

/** pg_type.typalign. */
export type TypAlign = 'c' | 's' | 'i' | 'd';
/** pg_type.typstorage: plain, external, extended, main. */
export type TypStorage = 'p' | 'e' | 'x' | 'm';

/** One column as the heap needs to know it (a slice of pg_attribute). */
export interface AttributeDescriptor {
  /** Fixed length in bytes (> 0), or -1 for a varlena. cstring (-2) is not a storage type. */
  typlen: number;
  /** Passed by value (length 1, 2, 4 or 8). Informational: values are always bytes here. */
  typbyval: boolean;
  typalign: TypAlign;
  storage: TypStorage;
}

/** The columns of a relation. */
export interface TupleDescriptor {
  attributes: readonly AttributeDescriptor[];
}

/** A row: one entry per attribute, the value's bytes or null (SQL NULL). Varlena values are the payload without header. */
export type TupleValues = readonly (Uint8Array | null)[];

function alignOf(a: TypAlign): number {
  return a === 'c' ? 1 : a === 's' ? 2 : a === 'i' ? 4 : 8;
}
function alignUp(n: number, to: number): number {
  return (n + to - 1) & ~(to - 1);
}

/** Varlena values up to this many payload bytes use the 1-byte header (VARATT_SHORT_MAX − 1). */
const SHORT_VARLENA_PAYLOAD_MAX = 126;
/** Largest varlena payload: 1 GB − 1 − header (VARSIZE is 30 bits). */
export const MAX_VARLENA_PAYLOAD_BYTES = 0x3fffffff - 4;

function dataLength(desc: TupleDescriptor, values: TupleValues): { bytes: number; hasVarWidth: boolean } {
  let off = 0;
  let hasVarWidth = false;
  desc.attributes.forEach((a, i) => {
    const v = values[i];
    if (v === null || v === undefined) return;
    if (a.typlen > 0) {
      off = alignUp(off, alignOf(a.typalign)) + a.typlen;
    } else {
      hasVarWidth = true;
      if (v.length <= SHORT_VARLENA_PAYLOAD_MAX) off += 1 + v.length;
      else off = alignUp(off, alignOf(a.typalign)) + 4 + v.length;
    }
  });
  return { bytes: off, hasVarWidth };
}

/** Size of the header including the null bitmap, MAXALIGNed (t_hoff). */
export function headerSize(natts: number, hasNull: boolean): number {
  return maxAlign(HEAP_TUPLE_HEADER_BYTES + (hasNull ? Math.ceil(natts / 8) : 0));
}

/**
 * heap_form_tuple: encodes `values` with an empty header (xmin/xmax 0, infomask
 * HEAP_XMAX_INVALID is set by the heap on insert). Fixed-length values must have exactly
 * `typlen` bytes; varlenas get a 1-byte header up to 126 bytes, else a 4-byte header aligned to typalign.
 */
export function formTuple(desc: TupleDescriptor, values: TupleValues): Uint8Array {
  const natts = desc.attributes.length;
  assert(natts <= MAX_HEAP_ATTRIBUTE_COUNT, 'too many attributes');
  if (values.length !== natts) {
    throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `number of values (${values.length}) does not match the number of columns (${natts})`);
  }
  const hasNull = values.some((v) => v === null);
  desc.attributes.forEach((a, i) => {
    const v = values[i];
    if (v === null || v === undefined) return;
    if (a.typlen > 0) assert(v.length === a.typlen, () => `attribute ${i + 1} has ${v.length} bytes, type length is ${a.typlen}`);
    else {
      assert(a.typlen === -1, 'only fixed-length and varlena attributes are storable');
      if (v.length > MAX_VARLENA_PAYLOAD_BYTES) throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `invalid memory alloc request size ${v.length}`);
    }
  });
  const hoff = headerSize(natts, hasNull);
  const { bytes: dataBytes, hasVarWidth } = dataLength(desc, values);
  const out = new Uint8Array(hoff + dataBytes);
  const view = new DataView(out.buffer);
  view.setUint16(OFF_INFOMASK2, natts & HEAP_NATTS_MASK, true);
  view.setUint16(OFF_INFOMASK, (hasNull ? HEAP_HASNULL : 0) | (hasVarWidth ? HEAP_HASVARWIDTH : 0), true);
  out[OFF_HOFF] = hoff;
  let off = 0;
  desc.attributes.forEach((a, i) => {
    const v = values[i];
    if (v === null || v === undefined) return;
    if (hasNull) out[OFF_BITS + (i >> 3)]! |= 1 << (i & 7);
    if (a.typlen > 0) {
      off = alignUp(off, alignOf(a.typalign));
      out.set(v, hoff + off);
      off += a.typlen;
    } else if (v.length <= SHORT_VARLENA_PAYLOAD_MAX) {
      // 1-byte header: (total length << 1) | 1, as PostgreSQL's little-endian VARATT_SHORT.
      out[hoff + off] = ((v.length + 1) << 1) | 1;
      out.set(v, hoff + off + 1);
      off += 1 + v.length;
    } else {
      off = alignUp(off, alignOf(a.typalign));
      // 4-byte header: total length << 2 (low two bits 00 = uncompressed inline).
      view.setUint32(hoff + off, (v.length + 4) * 4, true);
      out.set(v, hoff + off + 4);
      off += 4 + v.length;
    }
  });
  assert(off === dataBytes, 'tuple length mismatch');
  return out;
}

/**
 * heap_deform_tuple: the values of a stored tuple (copies). Attributes beyond the tuple's natts
 * (added later by ALTER TABLE) read as null. Malformed data raises XX001.
 */
export function deformTuple(desc: TupleDescriptor, tuple: Uint8Array): (Uint8Array | null)[] {
  const corrupt = (what: string): PgError => new PgError(SqlState.DATA_CORRUPTED, `invalid tuple: ${what}`);
  if (tuple.length < HEAP_TUPLE_HEADER_BYTES) throw corrupt('shorter than its header');
  const view = new DataView(tuple.buffer, tuple.byteOffset, tuple.length);
  const natts = view.getUint16(OFF_INFOMASK2, true) & HEAP_NATTS_MASK;
  const hasNull = (view.getUint16(OFF_INFOMASK, true) & HEAP_HASNULL) !== 0;
  const hoff = tuple[OFF_HOFF]!;
  if (hoff !== headerSize(natts, hasNull) || hoff > tuple.length) throw corrupt(`t_hoff ${hoff}`);
  const out: (Uint8Array | null)[] = [];
  let off = 0;
  const len = tuple.length - hoff;
  for (let i = 0; i < desc.attributes.length; i++) {
    const a = desc.attributes[i]!;
    if (i >= natts || (hasNull && (tuple[OFF_BITS + (i >> 3)]! & (1 << (i & 7))) === 0)) {
      out.push(null);
      continue;
    }
    if (a.typlen > 0) {
      off = alignUp(off, alignOf(a.typalign));
      if (off + a.typlen > len) throw corrupt(`attribute ${i + 1} past the end`);
      out.push(tuple.slice(hoff + off, hoff + off + a.typlen));
      off += a.typlen;
      continue;
    }
    if (off >= len) throw corrupt(`attribute ${i + 1} past the end`);
    const first = tuple[hoff + off]!;
    if ((first & 1) === 1) {
      const total = first >> 1;
      if (total < 1 || off + total > len) throw corrupt(`attribute ${i + 1} length ${total}`);
      out.push(tuple.slice(hoff + off + 1, hoff + off + total));
      off += total;
    } else {
      // A 4-byte header starts at the aligned position; padding bytes before it are zero.
      off = alignUp(off, alignOf(a.typalign));
      if (off + 4 > len) throw corrupt(`attribute ${i + 1} header past the end`);
      const word = view.getUint32(hoff + off, true);
      if ((word & 3) !== 0) throw corrupt(`attribute ${i + 1} is compressed or external`);
      const total = word >>> 2;
      if (total < 4 || off + total > len) throw corrupt(`attribute ${i + 1} length ${total}`);
      out.push(tuple.slice(hoff + off + 4, hoff + off + total));
      off += total;
    }
  }
  return out;
}

/** Reads the header fields mvcc works on from a stored tuple at `tid`. */
export function readTupleHeader(tuple: Uint8Array, tid: Tid): TupleHeader {
  const view = new DataView(tuple.buffer, tuple.byteOffset, HEAP_TUPLE_HEADER_BYTES);
  return {
    xmin: view.getBigUint64(OFF_XMIN, true) as Xid,
    xmax: view.getBigUint64(OFF_XMAX, true) as Xid,
    cid: view.getUint32(OFF_CID, true) as CommandId,
    infomask: view.getUint16(OFF_INFOMASK, true),
    infomask2: view.getUint16(OFF_INFOMASK2, true),
    tid,
    ctid: { block: view.getUint32(OFF_CTID_BLOCK, true), offset: view.getUint16(OFF_CTID_OFFSET, true) },
  };
}

/** Writes the mvcc header fields back into a stored tuple (t_hoff and data bits untouched). */
export function writeTupleHeader(tuple: Uint8Array, h: TupleHeader): void {
  const view = new DataView(tuple.buffer, tuple.byteOffset, HEAP_TUPLE_HEADER_BYTES);
  view.setBigUint64(OFF_XMIN, h.xmin, true);
  view.setBigUint64(OFF_XMAX, h.xmax, true);
  view.setUint32(OFF_CID, h.cid, true);
  view.setUint32(OFF_CTID_BLOCK, h.ctid.block, true);
  view.setUint16(OFF_CTID_OFFSET, h.ctid.offset, true);
  view.setUint16(OFF_INFOMASK2, h.infomask2, true);
  view.setUint16(OFF_INFOMASK, h.infomask, true);
}

/** Only the infomask (hint bits): the one field a share-locked reader may change (B8). */
export function writeTupleInfomask(tuple: Uint8Array, infomask: number): void {
  tuple[OFF_INFOMASK] = infomask & 0xff;
  tuple[OFF_INFOMASK + 1] = (infomask >> 8) & 0xff;
}

/** Number of attributes stored in the tuple. */
export function tupleNatts(tuple: Uint8Array): number {
  return (tuple[OFF_INFOMASK2]! | (tuple[OFF_INFOMASK2 + 1]! << 8)) & HEAP_NATTS_MASK;
}

/** The tuple's t_hoff. */
export function tupleHoff(tuple: Uint8Array): number {
  return tuple[OFF_HOFF]!;
}
