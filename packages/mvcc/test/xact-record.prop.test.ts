import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Xid } from '@palisade/common';
import { type XactRecord, type MultiXactId, encodeXactRecord, decodeXactRecord, MultiXactStatus } from '../src/index.ts';

const xidArb = fc.bigInt({ min: 3n, max: (1n << 64n) - 1n }).map((v) => v as Xid);
const recordArb: fc.Arbitrary<XactRecord> = fc.oneof(
  fc.record({ kind: fc.constant('commit' as const), xid: xidArb, subxids: fc.array(xidArb, { maxLength: 20 }), commitTimeMs: fc.double({ noNaN: true }) }),
  fc.record({ kind: fc.constant('abort' as const), xid: xidArb, subxids: fc.array(xidArb, { maxLength: 20 }) }),
  fc.record({
    kind: fc.constant('multixact-create' as const),
    mxid: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }).map((v) => v as MultiXactId),
    members: fc.array(fc.record({ xid: xidArb, status: fc.constantFrom(...Object.values(MultiXactStatus)) }), { minLength: 1, maxLength: 10 }),
  }),
);

describe('xact records', () => {
  it('[MV8] every record decodes to what was encoded', () => {
    fc.assert(
      fc.property(recordArb, (rec) => {
        expect(decodeXactRecord(encodeXactRecord(rec))).toEqual(rec);
      }),
    );
  });

  it('[MV8] a record of the wrong length is refused (assertion)', () => {
    fc.assert(
      fc.property(recordArb, fc.integer({ min: 1, max: 8 }), (rec, cut) => {
        const bytes = encodeXactRecord(rec);
        expect(() => decodeXactRecord(bytes.subarray(0, Math.max(1, bytes.length - cut)))).toThrow();
      }),
    );
  });
});
