// What the WAL needs to know about a data page: where its LSN and its free-space "hole" live.
// Palisade's pages use PostgreSQL's PageHeaderData layout (little-endian): pd_lsn at byte 0
// as two uint32 halves (high word first), pd_lower at byte 12, pd_upper at byte 14.
// Entry points: pageGetLsn, pageSetLsn, standardPageHole.

import { assert, type Lsn } from '@palisade/common';

/** Size of a data page (PostgreSQL's BLCKSZ). */
export const BLCKSZ = 8192;
/** Size of PostgreSQL's PageHeaderData; a hole never starts before it. */
export const SIZE_OF_PAGE_HEADER = 24;

/** The page's LSN (pd_lsn): the end of the last WAL record that changed it. */
export function pageGetLsn(page: Uint8Array): Lsn {
  assert(page.length === BLCKSZ, () => `page is ${page.length} bytes, expected ${BLCKSZ}`);
  const view = new DataView(page.buffer, page.byteOffset, 8);
  return ((BigInt(view.getUint32(0, true)) << 32n) | BigInt(view.getUint32(4, true))) as Lsn;
}

/** Sets the page's LSN (pd_lsn). */
export function pageSetLsn(page: Uint8Array, value: Lsn): void {
  assert(page.length === BLCKSZ, () => `page is ${page.length} bytes, expected ${BLCKSZ}`);
  const view = new DataView(page.buffer, page.byteOffset, 8);
  view.setUint32(0, Number(value >> 32n), true);
  view.setUint32(4, Number(value & 0xffff_ffffn), true);
}

/**
 * The unused space between pd_lower and pd_upper of a page in the standard layout, which a
 * full-page image may omit (W3, REGBUF_STANDARD). An implausible header (a new, all-zero page)
 * has no hole: the whole page is logged.
 */
export function standardPageHole(page: Uint8Array): { offsetBytes: number; lengthBytes: number } {
  assert(page.length === BLCKSZ, () => `page is ${page.length} bytes, expected ${BLCKSZ}`);
  const lower = page[12]! | (page[13]! << 8);
  const upper = page[14]! | (page[15]! << 8);
  if (lower >= SIZE_OF_PAGE_HEADER && lower < upper && upper <= BLCKSZ) return { offsetBytes: lower, lengthBytes: upper - lower };
  return { offsetBytes: 0, lengthBytes: 0 };
}
