// WAL pages and segment files (W12, W13): the page header layout, segment file names and
// the arithmetic between LSNs, pages and segments.
//
//   short page header (24 bytes)  xlp_magic u16 | xlp_info u16 | xlp_tli u32 | xlp_pageaddr u64 | xlp_rem_len u32 | 0 u32
//   long page header (40 bytes)   short header | xlp_sysid u64 | xlp_seg_size u32 | xlp_xlog_blcksz u32
// The first page of every segment has the long header.

import { assert, type Lsn } from '@palisade/common';

/** WAL page size (XLOG_BLCKSZ). */
export const XLOG_BLCKSZ = 8192;
/**
 * Palisade's WAL format version in every page header (PostgreSQL 15 writes 0xD110). A reader
 * refuses pages with another magic, so PostgreSQL never mistakes Palisade WAL for its own.
 */
export const XLOG_PAGE_MAGIC = 0x5a01;
export const XLP_FIRST_IS_CONTRECORD = 0x0001;
export const XLP_LONG_HEADER = 0x0002;
export const XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x0004;
export const XLP_ALL_FLAGS = 0x0007;
export const SIZE_OF_SHORT_PAGE_HEADER = 24;
export const SIZE_OF_LONG_PAGE_HEADER = 40;
/** Default segment size (wal_segment_size). */
export const DEFAULT_SEGMENT_SIZE_BYTES = 16 * 1024 * 1024;
/** Smallest segment size Palisade accepts (PostgreSQL: 1 MiB; smaller ones let tests cross segments often). */
export const MIN_SEGMENT_SIZE_BYTES = 64 * 1024;
export const MAX_SEGMENT_SIZE_BYTES = 1024 * 1024 * 1024;
/** Timeline ids start at 1. */
export type TimeLineId = number;

/** Directory of WAL segments, relative to the data directory. */
export const PG_WAL_DIR = 'pg_wal';
export const ARCHIVE_STATUS_DIR = 'pg_wal/archive_status';

/** Checks a segment size: a power of two between the limits. */
export function isValidSegmentSize(sizeBytes: number): boolean {
  return Number.isInteger(sizeBytes) && sizeBytes >= MIN_SEGMENT_SIZE_BYTES && sizeBytes <= MAX_SEGMENT_SIZE_BYTES && (sizeBytes & (sizeBytes - 1)) === 0;
}

/** Segment number holding `pos`. */
export function segmentOf(pos: Lsn | bigint, segSizeBytes: number): bigint {
  return pos / BigInt(segSizeBytes);
}

/** LSN of the first byte of segment `segno`. */
export function segmentStart(segno: bigint, segSizeBytes: number): Lsn {
  return (segno * BigInt(segSizeBytes)) as Lsn;
}

/** Byte offset of `pos` inside its segment. */
export function segmentOffset(pos: Lsn | bigint, segSizeBytes: number): number {
  return Number(pos % BigInt(segSizeBytes));
}

/** Size of the page header of the page starting at `pageStart`. */
export function pageHeaderSize(pageStart: Lsn | bigint, segSizeBytes: number): number {
  return pageStart % BigInt(segSizeBytes) === 0n ? SIZE_OF_LONG_PAGE_HEADER : SIZE_OF_SHORT_PAGE_HEADER;
}

/** `%08X%08X%08X` (W13). */
export function segmentFileName(tli: TimeLineId, segno: bigint, segSizeBytes: number): string {
  const perId = 0x1_0000_0000n / BigInt(segSizeBytes);
  return hex8(tli) + hex8(Number(segno / perId)) + hex8(Number(segno % perId));
}

/** Parses a segment file name; undefined if `name` is not one. */
export function parseSegmentFileName(name: string, segSizeBytes: number): { tli: TimeLineId; segno: bigint } | undefined {
  const m = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/.exec(name);
  if (!m) return undefined;
  const perId = 0x1_0000_0000n / BigInt(segSizeBytes);
  const low = BigInt(`0x${m[3]}`);
  if (low >= perId) return undefined;
  return { tli: Number.parseInt(m[1]!, 16), segno: BigInt(`0x${m[2]}`) * perId + low };
}

/** `%08X.history` (W13). */
export function historyFileName(tli: TimeLineId): string {
  return `${hex8(tli)}.history`;
}

export function hex8(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

/** A decoded page header. */
export interface PageHeader {
  magic: number;
  info: number;
  tli: TimeLineId;
  pageAddr: Lsn;
  remLengthBytes: number;
  /** Long header only. */
  systemIdentifier?: bigint;
  segSizeBytes?: number;
  blockSizeBytes?: number;
}

/** Writes a page header at `buf[offset…]`; returns its size. */
export function writePageHeader(buf: Uint8Array, offset: number, header: PageHeader): number {
  const view = new DataView(buf.buffer, buf.byteOffset + offset, SIZE_OF_LONG_PAGE_HEADER);
  const long = (header.info & XLP_LONG_HEADER) !== 0;
  view.setUint16(0, header.magic, true);
  view.setUint16(2, header.info, true);
  view.setUint32(4, header.tli, true);
  view.setBigUint64(8, header.pageAddr, true);
  view.setUint32(16, header.remLengthBytes, true);
  view.setUint32(20, 0, true);
  if (!long) return SIZE_OF_SHORT_PAGE_HEADER;
  assert(header.systemIdentifier !== undefined && header.segSizeBytes !== undefined, 'long header needs sysid and seg size');
  view.setBigUint64(24, header.systemIdentifier, true);
  view.setUint32(32, header.segSizeBytes, true);
  view.setUint32(36, XLOG_BLCKSZ, true);
  return SIZE_OF_LONG_PAGE_HEADER;
}

/** Reads a page header at `buf[offset…]` (no validation). */
export function readPageHeader(buf: Uint8Array, offset: number): PageHeader {
  const view = new DataView(buf.buffer, buf.byteOffset + offset);
  const info = view.getUint16(2, true);
  const header: PageHeader = {
    magic: view.getUint16(0, true),
    info,
    tli: view.getUint32(4, true),
    pageAddr: view.getBigUint64(8, true) as Lsn,
    remLengthBytes: view.getUint32(16, true),
  };
  if (info & XLP_LONG_HEADER) {
    header.systemIdentifier = view.getBigUint64(24, true);
    header.segSizeBytes = view.getUint32(32, true);
    header.blockSizeBytes = view.getUint32(36, true);
  }
  return header;
}
