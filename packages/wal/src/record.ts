// WAL record format: PostgreSQL's XLogRecord layout (W8–W11) with a 64-bit xid.
// Entry points: encodeRecordBody (everything after the header, outside any lock),
// finishRecord (header + CRC once the record's place and xl_prev are known), decodeRecord.
//
//   XLogRecord (28 bytes)      xl_tot_len u32 | xl_info u8 | xl_rmid u8 | 0 u16 | xl_xid u64 | xl_prev u64 | xl_crc u32
//   block header, per block    id u8 | fork_flags u8 | data_length u16
//                              [image: bimg_len u16 | hole_offset u16 | bimg_info u8]
//                              [RelFileLocator: spcOid u32 | dbOid u32 | relNumber u32 unless SAME_REL]
//                              block u32
//   main data header           255 | len u8   or   254 | len u32
//   payload                    per block: image bytes, then data; then main data
// All integers little-endian. The CRC is CRC-32C over the bytes after the header, then over
// the header up to xl_crc (W9). Records start MAXALIGNed (8) in the stream.

import { assert, type BlockNumber, type Lsn, type Oid, type RelFileNumber, type Xid } from '@palisade/common';
import { crc32cFinal, crc32cInit, crc32cUpdate } from '@palisade/common';
import { BLCKSZ, pageGetLsn, standardPageHole } from './page.ts';

/** Size of the fixed record header (PostgreSQL's is 24: Palisade's xl_xid is 64-bit). */
export const SIZE_OF_XLOG_RECORD = 28;
/** Byte offset of xl_crc in the header. */
const CRC_OFFSET = 24;
/** Records start at multiples of this (PostgreSQL's MAXALIGN on 64-bit machines). */
export const MAXALIGN = 8;
/** Highest block reference id (XLR_MAX_BLOCK_ID). */
export const XLR_MAX_BLOCK_ID = 32;
export const XLR_BLOCK_ID_DATA_SHORT = 255;
export const XLR_BLOCK_ID_DATA_LONG = 254;
/** The low nibble of xl_info is reserved (W10). */
export const XLR_INFO_MASK = 0x0f;
export const XLR_RMGR_INFO_MASK = 0xf0;
export const XLR_SPECIAL_REL_UPDATE = 0x01;
export const XLR_CHECK_CONSISTENCY = 0x02;

export const BKPBLOCK_FORK_MASK = 0x0f;
export const BKPBLOCK_HAS_IMAGE = 0x10;
export const BKPBLOCK_HAS_DATA = 0x20;
export const BKPBLOCK_WILL_INIT = 0x40;
export const BKPBLOCK_SAME_REL = 0x80;
export const BKPIMAGE_HAS_HOLE = 0x01;
export const BKPIMAGE_APPLY = 0x02;
/** Compression bits PostgreSQL defines; Palisade never sets them and refuses to read them. */
const BKPIMAGE_COMPRESSED_MASK = 0x04 | 0x08 | 0x10;

/** Largest record Palisade writes or accepts (xl_tot_len), bytes. PostgreSQL allows ~1 GB. */
export const MAX_RECORD_SIZE_BYTES = 4 * 1024 * 1024;
/** Largest per-block data (data_length is uint16). */
export const MAX_BLOCK_DATA_BYTES = 0xffff;

/** A relation's physical identity (PostgreSQL's RelFileLocator). */
export interface RelFileLocator {
  spcOid: Oid;
  dbOid: Oid;
  relNumber: RelFileNumber;
}

/** Flags of a block reference, named after PostgreSQL's REGBUF_* flags. */
export interface BlockRefFlags {
  /** The redo routine initializes the page from scratch: no image is needed (REGBUF_WILL_INIT). */
  willInit?: boolean;
  /** Always log a full-page image (REGBUF_FORCE_IMAGE). */
  forceImage?: boolean;
  /** Never log a full-page image (REGBUF_NO_IMAGE). */
  noImage?: boolean;
  /** The page has the standard layout: the hole between pd_lower and pd_upper may be omitted (REGBUF_STANDARD). */
  standard?: boolean;
}

/** A page a record changes (XLogRegisterBuffer + XLogRegisterBufData). */
export interface BlockRef {
  /** Block reference id, 0..32, unique and ascending within a record. */
  id: number;
  rel: RelFileLocator;
  /** Fork number (0 main, 1 fsm, 2 vm, 3 init). */
  fork: number;
  block: BlockNumber;
  flags: BlockRefFlags;
  /** The page as it is now (before or after the change, under the content lock): the source of a full-page image. */
  page?: Uint8Array;
  /** Per-block data for the redo routine. */
  data?: Uint8Array;
}

/** What a caller hands to {@link Wal.insert}. */
export interface RecordInput {
  /** Resource manager id (0 is XLOG). */
  rmid: number;
  /** xl_info: high nibble for the resource manager, low nibble reserved (W10). */
  info: number;
  /** Transaction id, 0 if none (64-bit in Palisade). */
  xid: Xid;
  mainData: Uint8Array;
  blocks?: BlockRef[];
}

/** A block reference as decoded from WAL. */
export interface DecodedBlockRef {
  id: number;
  rel: RelFileLocator;
  fork: number;
  block: BlockNumber;
  flags: BlockRefFlags;
  data?: Uint8Array;
  /** The full 8 KiB page restored from the full-page image (hole zero-filled), if the record has one. */
  image?: Uint8Array;
  /** True when redo must restore {@link image} instead of redoing the change (BKPIMAGE_APPLY). */
  applyImage: boolean;
  /** Bytes the image took in the record (8192 minus the hole). */
  imageStoredBytes?: number;
}

/** A record as read back from WAL. */
export interface DecodedRecord {
  /** Where the record starts. */
  lsn: Lsn;
  /** Where the next record may start (the value data pages carry as their LSN). */
  endLsn: Lsn;
  prevLsn: Lsn;
  xid: Xid;
  rmid: number;
  info: number;
  /** xl_tot_len. */
  totalLengthBytes: number;
  mainData: Uint8Array;
  blocks: DecodedBlockRef[];
}

/** A record being inserted: the encoded bytes with the header still to be completed. */
export interface EncodedRecord {
  /** Header + body; the header's xl_prev and xl_crc are filled by {@link finishRecord}. */
  bytes: Uint8Array;
  /** CRC-32C state after the body (not finalized). */
  bodyCrc: number;
  /** Ids of the block references that carry a full-page image. */
  imageBlockIds: number[];
}

/** How full-page images are decided (W3). */
export interface ImagePolicy {
  /** The checkpoint redo pointer: a page whose LSN ≤ this gets an image. */
  redoRecPtr: Lsn;
  fullPageWrites: boolean;
}

/** Thrown by {@link decodeRecord} for a record that is not valid; readers treat it as the end of WAL. */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
}

interface BlockPlan {
  ref: BlockRef;
  image: Uint8Array | undefined;
  holeOffsetBytes: number;
  holeLengthBytes: number;
  sameRel: boolean;
}

function sameLocator(a: RelFileLocator, b: RelFileLocator): boolean {
  return a.spcOid === b.spcOid && a.dbOid === b.dbOid && a.relNumber === b.relNumber;
}

/** Whether a block reference gets a full-page image (W3). */
export function needsImage(ref: BlockRef, policy: ImagePolicy): boolean {
  if (ref.page === undefined) {
    assert(!ref.flags.forceImage, () => `block ${ref.id}: forceImage without a page`);
    return false;
  }
  if (ref.flags.forceImage) return true;
  if (ref.flags.noImage || ref.flags.willInit || !policy.fullPageWrites) return false;
  return pageGetLsn(ref.page) <= policy.redoRecPtr;
}

/**
 * Encodes everything after the record header and starts the CRC over it. Pure and lock-free:
 * callers do it before reserving space, and redo it if the redo pointer moved meanwhile.
 */
export function encodeRecordBody(input: RecordInput, policy: ImagePolicy): EncodedRecord {
  assert(Number.isInteger(input.rmid) && input.rmid >= 0 && input.rmid <= 255, () => `rmid ${input.rmid} out of range`);
  assert(Number.isInteger(input.info) && input.info >= 0 && input.info <= 255, () => `info ${input.info} out of range`);
  const blocks = input.blocks ?? [];
  const plans: BlockPlan[] = [];
  let headerBytes = 0;
  let payloadBytes = 0;
  let prevRel: RelFileLocator | undefined;
  let prevId = -1;
  for (const ref of blocks) {
    assert(Number.isInteger(ref.id) && ref.id > prevId && ref.id <= XLR_MAX_BLOCK_ID, () => `block id ${ref.id} not ascending within 0..${XLR_MAX_BLOCK_ID}`);
    assert(Number.isInteger(ref.fork) && ref.fork >= 0 && ref.fork <= BKPBLOCK_FORK_MASK, () => `fork ${ref.fork} out of range`);
    assert(!(ref.flags.forceImage && ref.flags.noImage), 'forceImage and noImage together');
    prevId = ref.id;
    const dataBytes = ref.data?.length ?? 0;
    assert(dataBytes <= MAX_BLOCK_DATA_BYTES, () => `block ${ref.id} data is ${dataBytes} bytes, maximum ${MAX_BLOCK_DATA_BYTES}`);
    let image: Uint8Array | undefined;
    let holeOffsetBytes = 0;
    let holeLengthBytes = 0;
    if (needsImage(ref, policy)) {
      image = ref.page;
      assert(image !== undefined && image.length === BLCKSZ, () => `block ${ref.id} page must be ${BLCKSZ} bytes`);
      if (ref.flags.standard) ({ offsetBytes: holeOffsetBytes, lengthBytes: holeLengthBytes } = standardPageHole(image));
    }
    const sameRel = prevRel !== undefined && sameLocator(prevRel, ref.rel);
    prevRel = ref.rel;
    headerBytes += 4 + (image ? 5 : 0) + (sameRel ? 0 : 12) + 4;
    payloadBytes += (image ? BLCKSZ - holeLengthBytes : 0) + dataBytes;
    plans.push({ ref, image, holeOffsetBytes, holeLengthBytes, sameRel });
  }
  const mainBytes = input.mainData.length;
  if (mainBytes > 0) headerBytes += mainBytes < 256 ? 2 : 5;
  payloadBytes += mainBytes;
  const totalBytes = SIZE_OF_XLOG_RECORD + headerBytes + payloadBytes;
  assert(totalBytes <= MAX_RECORD_SIZE_BYTES, () => `record of ${totalBytes} bytes exceeds ${MAX_RECORD_SIZE_BYTES}`);

  const bytes = new Uint8Array(totalBytes);
  const view = new DataView(bytes.buffer);
  let pos = SIZE_OF_XLOG_RECORD;
  const imageBlockIds: number[] = [];
  for (const plan of plans) {
    const { ref } = plan;
    const dataBytes = ref.data?.length ?? 0;
    let forkFlags = ref.fork;
    if (plan.image) forkFlags |= BKPBLOCK_HAS_IMAGE;
    if (dataBytes > 0) forkFlags |= BKPBLOCK_HAS_DATA;
    if (ref.flags.willInit) forkFlags |= BKPBLOCK_WILL_INIT;
    if (plan.sameRel) forkFlags |= BKPBLOCK_SAME_REL;
    bytes[pos] = ref.id;
    bytes[pos + 1] = forkFlags;
    view.setUint16(pos + 2, dataBytes, true);
    pos += 4;
    if (plan.image) {
      imageBlockIds.push(ref.id);
      view.setUint16(pos, BLCKSZ - plan.holeLengthBytes, true);
      view.setUint16(pos + 2, plan.holeOffsetBytes, true);
      bytes[pos + 4] = BKPIMAGE_APPLY | (plan.holeLengthBytes > 0 ? BKPIMAGE_HAS_HOLE : 0);
      pos += 5;
    }
    if (!plan.sameRel) {
      view.setUint32(pos, ref.rel.spcOid, true);
      view.setUint32(pos + 4, ref.rel.dbOid, true);
      view.setUint32(pos + 8, ref.rel.relNumber, true);
      pos += 12;
    }
    view.setUint32(pos, ref.block, true);
    pos += 4;
  }
  if (mainBytes > 0) {
    if (mainBytes < 256) {
      bytes[pos] = XLR_BLOCK_ID_DATA_SHORT;
      bytes[pos + 1] = mainBytes;
      pos += 2;
    } else {
      bytes[pos] = XLR_BLOCK_ID_DATA_LONG;
      view.setUint32(pos + 1, mainBytes, true);
      pos += 5;
    }
  }
  for (const plan of plans) {
    if (plan.image) {
      if (plan.holeLengthBytes > 0) {
        bytes.set(plan.image.subarray(0, plan.holeOffsetBytes), pos);
        pos += plan.holeOffsetBytes;
        const tail = plan.image.subarray(plan.holeOffsetBytes + plan.holeLengthBytes);
        bytes.set(tail, pos);
        pos += tail.length;
      } else {
        bytes.set(plan.image, pos);
        pos += BLCKSZ;
      }
    }
    if (plan.ref.data && plan.ref.data.length > 0) {
      bytes.set(plan.ref.data, pos);
      pos += plan.ref.data.length;
    }
  }
  bytes.set(input.mainData, pos);
  pos += mainBytes;
  assert(pos === totalBytes, () => `encoded ${pos} bytes, planned ${totalBytes}`);

  view.setUint32(0, totalBytes, true);
  bytes[4] = input.info;
  bytes[5] = input.rmid;
  view.setBigUint64(8, input.xid, true);
  const bodyCrc = crc32cUpdate(crc32cInit(), bytes, SIZE_OF_XLOG_RECORD, totalBytes - SIZE_OF_XLOG_RECORD);
  return { bytes, bodyCrc, imageBlockIds };
}

/** Fills xl_prev and xl_crc: the record is complete. */
export function finishRecord(record: EncodedRecord, prevLsn: Lsn): void {
  const view = new DataView(record.bytes.buffer, record.bytes.byteOffset, SIZE_OF_XLOG_RECORD);
  view.setBigUint64(16, prevLsn, true);
  const crc = crc32cFinal(crc32cUpdate(record.bodyCrc, record.bytes, 0, CRC_OFFSET));
  view.setUint32(CRC_OFFSET, crc, true);
}

/** Rounds up to the record alignment. */
export function maxAlign(value: number): number {
  return (value + MAXALIGN - 1) & ~(MAXALIGN - 1);
}

/** Reads xl_tot_len from the first bytes of a record. */
export function recordTotalLength(header: Uint8Array, offset = 0): number {
  return (header[offset]! | (header[offset + 1]! << 8) | (header[offset + 2]! << 16) | (header[offset + 3]! << 24)) >>> 0;
}

/**
 * Checks the parts of the header that can be checked before the whole record is read:
 * plausible length, zero padding, and the back-link to the previous record.
 */
export function validateRecordHeader(header: Uint8Array, lsn: Lsn, expectedPrevLsn: Lsn | undefined): void {
  assert(header.length >= SIZE_OF_XLOG_RECORD, 'short header');
  const view = new DataView(header.buffer, header.byteOffset, SIZE_OF_XLOG_RECORD);
  const totalBytes = view.getUint32(0, true);
  if (totalBytes < SIZE_OF_XLOG_RECORD) throw new InvalidRecordError(`invalid record length at ${fmt(lsn)}: wanted ${SIZE_OF_XLOG_RECORD}, got ${totalBytes}`);
  if (totalBytes > MAX_RECORD_SIZE_BYTES) throw new InvalidRecordError(`record length ${totalBytes} at ${fmt(lsn)} too long`);
  if (view.getUint16(6, true) !== 0) throw new InvalidRecordError(`invalid padding in record header at ${fmt(lsn)}`);
  const prev = view.getBigUint64(16, true) as Lsn;
  if (expectedPrevLsn !== undefined && prev !== expectedPrevLsn) {
    throw new InvalidRecordError(`record with incorrect prev-link ${fmt(prev)} at ${fmt(lsn)}`);
  }
}

function fmt(value: Lsn): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

/**
 * Decodes and verifies one complete record (`bytes` is exactly xl_tot_len long). Throws
 * {@link InvalidRecordError} if the CRC or any header is wrong.
 */
export function decodeRecord(bytes: Uint8Array, lsn: Lsn, endLsn: Lsn): DecodedRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const totalBytes = view.getUint32(0, true);
  if (totalBytes !== bytes.length) throw new InvalidRecordError(`record length mismatch at ${fmt(lsn)}`);
  validateRecordHeader(bytes, lsn, undefined);
  const crc = crc32cFinal(crc32cUpdate(crc32cUpdate(crc32cInit(), bytes, SIZE_OF_XLOG_RECORD, totalBytes - SIZE_OF_XLOG_RECORD), bytes, 0, CRC_OFFSET));
  if (crc !== view.getUint32(CRC_OFFSET, true)) throw new InvalidRecordError(`incorrect resource manager data checksum in record at ${fmt(lsn)}`);

  interface Pending { ref: DecodedBlockRef; dataBytes: number; imageBytes: number; holeOffsetBytes: number; hasImage: boolean }
  const pending: Pending[] = [];
  let pos = SIZE_OF_XLOG_RECORD;
  let mainBytes = 0;
  let payloadBytes = 0;
  let prevRel: RelFileLocator | undefined;
  let maxId = -1;
  const need = (n: number): void => {
    if (pos + n > totalBytes) throw new InvalidRecordError(`record at ${fmt(lsn)} is too short for its block headers`);
  };
  // Bounded: every round consumes at least 2 bytes of a record of bounded length.
  while (pos < totalBytes - payloadBytes) {
    need(1);
    const id = bytes[pos]!;
    if (id === XLR_BLOCK_ID_DATA_SHORT) {
      need(2);
      mainBytes = bytes[pos + 1]!;
      pos += 2;
      payloadBytes += mainBytes;
      break;
    }
    if (id === XLR_BLOCK_ID_DATA_LONG) {
      need(5);
      mainBytes = view.getUint32(pos + 1, true);
      pos += 5;
      payloadBytes += mainBytes;
      break;
    }
    if (id > XLR_MAX_BLOCK_ID) throw new InvalidRecordError(`invalid block_id ${id} at ${fmt(lsn)}`);
    if (id <= maxId) throw new InvalidRecordError(`out-of-order block_id ${id} at ${fmt(lsn)}`);
    maxId = id;
    need(4);
    const forkFlags = bytes[pos + 1]!;
    const dataBytes = view.getUint16(pos + 2, true);
    pos += 4;
    const hasData = (forkFlags & BKPBLOCK_HAS_DATA) !== 0;
    if (hasData !== dataBytes > 0) throw new InvalidRecordError(`BKPBLOCK_HAS_DATA inconsistent with data length ${dataBytes} at ${fmt(lsn)}`);
    let imageBytes = 0;
    let holeOffsetBytes = 0;
    let applyImage = false;
    const hasImage = (forkFlags & BKPBLOCK_HAS_IMAGE) !== 0;
    if (hasImage) {
      need(5);
      imageBytes = view.getUint16(pos, true);
      holeOffsetBytes = view.getUint16(pos + 2, true);
      const bimgInfo = bytes[pos + 4]!;
      pos += 5;
      if ((bimgInfo & BKPIMAGE_COMPRESSED_MASK) !== 0) throw new InvalidRecordError(`compressed full-page image at ${fmt(lsn)} is not supported`);
      applyImage = (bimgInfo & BKPIMAGE_APPLY) !== 0;
      const holeBytes = BLCKSZ - imageBytes;
      if (bimgInfo & BKPIMAGE_HAS_HOLE) {
        if (holeOffsetBytes === 0 || holeBytes <= 0 || holeOffsetBytes + holeBytes > BLCKSZ) {
          throw new InvalidRecordError(`BKPIMAGE_HAS_HOLE set, but hole offset ${holeOffsetBytes} length ${holeBytes} block image length ${imageBytes} at ${fmt(lsn)}`);
        }
      } else if (holeOffsetBytes !== 0 || imageBytes !== BLCKSZ) {
        throw new InvalidRecordError(`BKPIMAGE_HAS_HOLE not set, but hole offset ${holeOffsetBytes} length ${holeBytes} at ${fmt(lsn)}`);
      }
    }
    let rel: RelFileLocator;
    if (forkFlags & BKPBLOCK_SAME_REL) {
      if (prevRel === undefined) throw new InvalidRecordError(`BKPBLOCK_SAME_REL set but no previous rel at ${fmt(lsn)}`);
      rel = prevRel;
    } else {
      need(12);
      rel = { spcOid: view.getUint32(pos, true) as Oid, dbOid: view.getUint32(pos + 4, true) as Oid, relNumber: view.getUint32(pos + 8, true) as RelFileNumber };
      pos += 12;
    }
    prevRel = rel;
    need(4);
    const block = view.getUint32(pos, true) as BlockNumber;
    pos += 4;
    payloadBytes += imageBytes + dataBytes;
    const flags: BlockRefFlags = {};
    if (forkFlags & BKPBLOCK_WILL_INIT) flags.willInit = true;
    pending.push({ ref: { id, rel, fork: forkFlags & BKPBLOCK_FORK_MASK, block, flags, applyImage }, dataBytes, imageBytes, holeOffsetBytes, hasImage });
  }
  if (pos + payloadBytes !== totalBytes) throw new InvalidRecordError(`record at ${fmt(lsn)} has ${totalBytes - pos} payload bytes, headers say ${payloadBytes}`);
  for (const p of pending) {
    if (p.hasImage) {
      const image = new Uint8Array(BLCKSZ);
      const holeBytes = BLCKSZ - p.imageBytes;
      if (holeBytes > 0) {
        image.set(bytes.subarray(pos, pos + p.holeOffsetBytes), 0);
        image.set(bytes.subarray(pos + p.holeOffsetBytes, pos + p.imageBytes), p.holeOffsetBytes + holeBytes);
      } else {
        image.set(bytes.subarray(pos, pos + BLCKSZ));
      }
      p.ref.image = image;
      p.ref.imageStoredBytes = p.imageBytes;
      pos += p.imageBytes;
    }
    if (p.dataBytes > 0) {
      p.ref.data = bytes.slice(pos, pos + p.dataBytes);
      pos += p.dataBytes;
    }
  }
  const mainData = bytes.slice(pos, pos + mainBytes);
  return {
    lsn,
    endLsn,
    prevLsn: view.getBigUint64(16, true) as Lsn,
    xid: view.getBigUint64(8, true) as Xid,
    rmid: bytes[5]!,
    info: bytes[4]!,
    totalLengthBytes: totalBytes,
    mainData,
    blocks: pending.map((p) => p.ref),
  };
}
