// PostgreSQL's data page checksum (B29–B32), bit-exact with PostgreSQL 15 on little-endian
// machines. Entry point: `pageChecksum(page, blockNumber)`.
//
// The algorithm is an FNV-1a variant computed as 32 independent sums over the page seen as a
// 64 × 32 matrix of 32-bit words, so that a compiler can vectorise it; the sums are mixed with
// two rounds of zeros, XOR-folded, combined with the block number and reduced to 1..65535.
// Words are read little-endian whatever the host: a page is portable between machines.

import { assert, type BlockNumber } from '@palisade/common';
import { BLCKSZ } from './page-constants.ts';

const COLUMN_COUNT = 32;
const FNV_PRIME = 16777619;

/** The sums' fixed starting values (B30). */
const BASE_OFFSETS: readonly number[] = [
  0x5b1f36e9, 0xb8525960, 0x02ab50aa, 0x1de66d2a, 0x79ff467a, 0x9bb9f8a3, 0x217e7cd2, 0x83e13d2c,
  0xf8d4474f, 0xe39eb970, 0x42c6ae16, 0x993216fa, 0x7b093b5d, 0x98daff3c, 0xf718902a, 0x0b1c9cdb,
  0xe58f764b, 0x187636bc, 0x5d7b3bb1, 0xe73de7de, 0x92bec979, 0xcca6c0b2, 0x304a0979, 0x85aa43d4,
  0x783125bb, 0x6ca8eaa2, 0xe407eac6, 0x4b5cfc3e, 0x9fbf8c76, 0x15ca20be, 0xf2ca9fd3, 0x959bd756,
];

/** Word index (in 32-bit words) holding pd_checksum in its low 16 bits (byte offset 8). */
const CHECKSUM_WORD_INDEX = 2;

const sums = new Int32Array(COLUMN_COUNT);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Scratch copy for pages that are not 4-byte aligned or on a big-endian host. */
const alignedCopy = new Uint8Array(BLCKSZ);

/**
 * The 32-bit checksum of a page before block-number mixing and reduction, with pd_checksum
 * taken as zero (B32) without modifying `page`. Arithmetic stays in int32 (the bit patterns
 * are those of PostgreSQL's uint32 sums) so that the loop never allocates.
 * One round (B31) is: tmp = sum ^ value; sum = tmp * prime ^ (tmp >>> 17), modulo 2^32.
 */
function pageChecksumBlock(page: Uint8Array): number {
  assert(page.length === BLCKSZ, () => `page checksum needs ${BLCKSZ} bytes, got ${page.length}`);
  let source = page;
  if (page.byteOffset % 4 !== 0) {
    alignedCopy.set(page);
    source = alignedCopy;
  }
  const words = new Int32Array(source.buffer, source.byteOffset, BLCKSZ / 4);
  if (!littleEndianHost) {
    const view = new DataView(source.buffer, source.byteOffset, BLCKSZ);
    const swapped = new Int32Array(BLCKSZ / 4);
    for (let k = 0; k < swapped.length; k++) swapped[k] = view.getInt32(k * 4, true);
    return checksumWords(swapped);
  }
  return checksumWords(words);
}

function checksumWords(words: Int32Array): number {
  for (let j = 0; j < COLUMN_COUNT; j++) sums[j] = BASE_OFFSETS[j]! | 0;
  // Row 0 holds pd_checksum (low half of word 2), which counts as zero.
  for (let j = 0; j < COLUMN_COUNT; j++) {
    const value = j === CHECKSUM_WORD_INDEX ? words[j]! & 0xffff0000 : words[j]!;
    const tmp = sums[j]! ^ value;
    sums[j] = Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
  }
  const rowCount = BLCKSZ / (4 * COLUMN_COUNT);
  for (let i = 1; i < rowCount; i++) {
    const base = i * COLUMN_COUNT;
    for (let j = 0; j < COLUMN_COUNT; j++) {
      const tmp = sums[j]! ^ words[base + j]!;
      sums[j] = Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
    }
  }
  for (let round = 0; round < 2; round++) {
    for (let j = 0; j < COLUMN_COUNT; j++) {
      const tmp = sums[j]!;
      sums[j] = Math.imul(tmp, FNV_PRIME) ^ (tmp >>> 17);
    }
  }
  let result = 0;
  for (let j = 0; j < COLUMN_COUNT; j++) result ^= sums[j]!;
  return result >>> 0;
}

/**
 * PostgreSQL's `pg_checksum_page`: the 16-bit checksum of an 8 KiB page at `blockNumber` of its
 * relation fork. Never 0, so that 0 can mean "no checksum". The stored pd_checksum is ignored.
 * Only pages that are not new (pd_upper ≠ 0) carry a checksum.
 */
export function pageChecksum(page: Uint8Array, blockNumber: BlockNumber | number): number {
  const checksum = pageChecksumBlock(page);
  return (((checksum ^ blockNumber) >>> 0) % 65535) + 1;
}
