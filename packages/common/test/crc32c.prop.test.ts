import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cFinal, crc32cInit, crc32cUpdate } from '../src/index.ts';

/** The textbook bit-at-a-time CRC-32C, as the reference the table-driven code must match. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c (property)', () => {
  it('[CRC1] slicing-by-8 equals the bitwise definition at every length and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (data, skip) => {
        const view = data.subarray(Math.min(skip, data.length));
        expect(crc32c(view)).toBe(crc32cBitwise(view));
      }),
      { numRuns: 500 },
    );
  });

  it('[CRC2] any split into incremental updates equals the one-shot CRC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 6 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
        let crc = crc32cInit();
        let from = 0;
        for (const to of [...points, data.length]) {
          crc = crc32cUpdate(crc, data, from, to - from);
          from = to;
        }
        expect(crc32cFinal(crc)).toBe(crc32c(data));
        const at = points[0] ?? 0;
        expect(crc32c(data.subarray(at), crc32c(data.subarray(0, at)))).toBe(crc32c(data));
      }),
      { numRuns: 500 },
    );
  });
});
