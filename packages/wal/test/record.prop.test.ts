import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockNumber, Lsn, Oid, RelFileNumber, Xid } from '@palisade/common';
import { BLCKSZ, pageSetLsn } from '../src/page.ts';
import { decodeRecord, encodeRecordBody, finishRecord, maxAlign, type BlockRef, type RecordInput } from '../src/record.ts';

const relArb = fc.record({
  spcOid: fc.constantFrom(1663, 1664).map((v) => v as Oid),
  dbOid: fc.constantFrom(1, 5, 16384).map((v) => v as Oid),
  relNumber: fc.constantFrom(1259, 16385, 2 ** 32 - 2).map((v) => v as RelFileNumber),
});

/** A page with a plausible header: LSN, pd_lower/pd_upper, random content outside the hole. */
const pageArb = fc.record({ lsn: fc.bigInt({ min: 0n, max: 2n ** 40n }), lower: fc.integer({ min: 0, max: BLCKSZ }), upper: fc.integer({ min: 0, max: BLCKSZ }), seed: fc.integer() }).map(({ lsn, lower, upper, seed }) => {
  const page = new Uint8Array(BLCKSZ);
  let x = seed | 1;
  for (let i = 0; i < BLCKSZ; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    page[i] = x & 0xff;
  }
  pageSetLsn(page, lsn as Lsn);
  const lo = Math.min(lower, upper);
  const hi = Math.max(lower, upper);
  page[12] = lo & 0xff; page[13] = lo >> 8; page[14] = hi & 0xff; page[15] = hi >> 8;
  // The hole is zero in a real page; the image must reproduce the page exactly then.
  if (lo >= 24 && lo < hi) page.fill(0, lo, hi);
  return page;
});

const blocksArb = fc.uniqueArray(fc.integer({ min: 0, max: 32 }), { maxLength: 5 }).chain((ids) =>
  fc.tuple(...ids.sort((a, b) => a - b).map((id) =>
    fc.record({
      id: fc.constant(id),
      rel: relArb,
      fork: fc.integer({ min: 0, max: 3 }),
      block: fc.integer({ min: 0, max: 2 ** 32 - 2 }).map((v) => v as BlockNumber),
      flags: fc.record({ willInit: fc.boolean(), forceImage: fc.boolean(), standard: fc.boolean() }, { requiredKeys: [] }),
      page: fc.option(pageArb, { nil: undefined }),
      data: fc.option(fc.uint8Array({ minLength: 1, maxLength: 600 }), { nil: undefined }),
    }).map((b) => {
      const ref: BlockRef = { ...b };
      if (ref.flags.forceImage && !ref.page) ref.flags = { ...ref.flags, forceImage: false };
      return ref;
    }),
  )),
);

const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  rmid: fc.integer({ min: 0, max: 255 }),
  info: fc.integer({ min: 0, max: 255 }),
  xid: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => v as Xid),
  mainData: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 256, maxLength: 70_000 })),
  blocks: blocksArb,
});

/** Byte equality without vitest's slow deep comparison of large arrays. */
function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return Buffer.compare(Buffer.from(a ?? []), Buffer.from(b ?? [])) === 0;
}

describe('record encoding', () => {
  it('[W8][W9][W11] decode(encode(r)) returns the record, images restored to the exact page', () => {
    fc.assert(fc.property(recordArb, fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.boolean(), (input, redo, fpw) => {
      const encoded = encodeRecordBody(input, { redoRecPtr: redo as Lsn, fullPageWrites: fpw });
      finishRecord(encoded, 0x1234_5678n as Lsn);
      const lsn = 0x100_0028n as Lsn;
      const decoded = decodeRecord(encoded.bytes, lsn, (lsn + BigInt(maxAlign(encoded.bytes.length))) as Lsn);
      expect(decoded.rmid).toBe(input.rmid);
      expect(decoded.info).toBe(input.info);
      expect(decoded.xid).toBe(input.xid);
      expect(decoded.prevLsn).toBe(0x1234_5678n);
      expect(same(decoded.mainData, input.mainData)).toBe(true);
      expect(decoded.blocks.map((b) => b.id)).toEqual((input.blocks ?? []).map((b) => b.id));
      for (const [i, ref] of (input.blocks ?? []).entries()) {
        const got = decoded.blocks[i]!;
        expect(got.rel).toEqual(ref.rel);
        expect(got.fork).toBe(ref.fork);
        expect(got.block).toBe(ref.block);
        expect(got.flags.willInit === true).toBe(ref.flags.willInit === true);
        expect(same(got.data, ref.data)).toBe(true);
        const wantsImage = encoded.imageBlockIds.includes(ref.id);
        expect(got.image !== undefined).toBe(wantsImage);
        if (wantsImage) {
          expect(same(got.image, ref.page)).toBe(true);
          expect(got.applyImage).toBe(true);
        }
      }
    }), { numRuns: 300 });
  });

  it('[W9] any single flipped bit is detected', () => {
    fc.assert(fc.property(recordArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (input, at, bit) => {
      const encoded = encodeRecordBody(input, { redoRecPtr: 0n as Lsn, fullPageWrites: true });
      finishRecord(encoded, 0n as Lsn);
      const bytes = encoded.bytes.slice();
      const index = at % bytes.length;
      bytes[index]! ^= 1 << bit;
      expect(() => decodeRecord(bytes, 0x1000n as Lsn, 0x2000n as Lsn)).toThrow();
    }), { numRuns: 300 });
  });
});
