// CRC-32C (Castagnoli), the checksum of PostgreSQL's WAL records and pg_control: reflected
// polynomial 0x82F63B78, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF. Entry points: the
// one-shot `crc32c` and the incremental `crc32cInit` / `crc32cUpdate` / `crc32cFinal`
// (PostgreSQL's INIT_CRC32C / COMP_CRC32C / FIN_CRC32C). Slicing-by-8: eight 256-entry tables
// let the inner loop consume eight bytes per round with table lookups only.

import { assert } from './assert.ts';

const POLYNOMIAL_REFLECTED = 0x82f63b78;
const TABLE_COUNT = 8;

/** TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(TABLE_COUNT * 256);
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    tables[b] = crc >>> 0;
  }
  for (let k = 1; k < TABLE_COUNT; k++) {
    for (let b = 0; b < 256; b++) {
      const previous = tables[(k - 1) * 256 + b] as number;
      tables[k * 256 + b] = ((previous >>> 8) ^ (tables[previous & 0xff] as number)) >>> 0;
    }
  }
  return tables;
}

/** The running value to start a CRC-32C with (PostgreSQL's INIT_CRC32C). */
export function crc32cInit(): number {
  return 0xffffffff;
}

/**
 * Feeds `data[offset, offset + length)` into a running CRC-32C (PostgreSQL's COMP_CRC32C).
 * `crc` is a value from {@link crc32cInit} or a previous update; the result is unsigned 32-bit.
 */
export function crc32cUpdate(crc: number, data: Uint8Array, offset = 0, length = data.length - offset): number {
  assert(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= data.length,
    () => `crc32cUpdate range [${offset}, ${offset}+${length}) outside ${data.length} bytes`);
  const t = TABLES;
  let c = crc >>> 0;
  let i = offset;
  const end = offset + length;
  const end8 = offset + (length & ~7);
  while (i < end8) {
    const lo = c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    c = (t[1792 + (lo & 0xff)] as number)
      ^ (t[1536 + ((lo >>> 8) & 0xff)] as number)
      ^ (t[1280 + ((lo >>> 16) & 0xff)] as number)
      ^ (t[1024 + (lo >>> 24)] as number)
      ^ (t[768 + (data[i + 4] as number)] as number)
      ^ (t[512 + (data[i + 5] as number)] as number)
      ^ (t[256 + (data[i + 6] as number)] as number)
      ^ (t[data[i + 7] as number] as number);
    i += 8;
  }
  while (i < end) {
    c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
    i += 1;
  }
  return c >>> 0;
}

/** Finishes a running CRC-32C (PostgreSQL's FIN_CRC32C). */
export function crc32cFinal(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32C of `data`. Pass a previous result as `initial` to continue it:
 * `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`.
 */
export function crc32c(data: Uint8Array, initial = 0): number {
  return crc32cFinal(crc32cUpdate(crc32cFinal(initial >>> 0), data));
}
