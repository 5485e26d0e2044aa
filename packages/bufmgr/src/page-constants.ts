// Sizes and bit values of PostgreSQL's page layout (B20–B24), shared by the page, checksum and
// storage-manager code. Entry points: `BLCKSZ`, `SIZE_OF_PAGE_HEADER_DATA`.

/** Page size in bytes (PostgreSQL's BLCKSZ). Fixed: every Palisade page is 8 KiB. */
export const BLCKSZ = 8192;
/** Size of the page header in bytes (B20). */
export const SIZE_OF_PAGE_HEADER_DATA = 24;
/** Size of one line pointer in bytes (B24). */
export const SIZE_OF_ITEM_ID_DATA = 4;
/** `PG_PAGE_LAYOUT_VERSION` (B22). */
export const PG_PAGE_LAYOUT_VERSION = 4;
/** Alignment of tuples and special space in bytes (MAXALIGN on 64-bit platforms). */
export const MAXIMUM_ALIGNOF_BYTES = 8;

/** pd_flags bits (B21). */
export const PD_HAS_FREE_LINES = 0x1;
export const PD_PAGE_FULL = 0x2;
export const PD_ALL_VISIBLE = 0x4;
export const PD_VALID_FLAG_BITS = 0x7;

/** Line pointer states (B24). */
export const LP_UNUSED = 0;
export const LP_NORMAL = 1;
export const LP_REDIRECT = 2;
export const LP_DEAD = 3;

/** Offset numbers are 1-based; 0 means "no item". */
export const InvalidOffsetNumber = 0;
export const FirstOffsetNumber = 1;
/** The most line pointers an 8 KiB page can hold (MaxOffsetNumber). */
export const MAX_OFFSET_NUMBER = Math.floor(BLCKSZ / SIZE_OF_ITEM_ID_DATA);

/** Rounds `lengthBytes` up to a multiple of 8 (MAXALIGN). */
export function maxAlign(lengthBytes: number): number {
  return (lengthBytes + MAXIMUM_ALIGNOF_BYTES - 1) & ~(MAXIMUM_ALIGNOF_BYTES - 1);
}
