import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isPgError } from '@palisade/common';
import {
  formTuple, deformTuple, readTupleHeader, writeTupleHeader, headerSize, HEAP_TUPLE_HEADER_BYTES, HEAP_HASNULL, tupleHoff,
  type TupleDescriptor,
} from '../src/index.ts';
import { intTextDescriptor, int4, text } from './helpers.ts';

describe('heap tuple layout', () => {
  it('[HEAP1] header is 31 bytes plus null bitmap, MAXALIGNed into t_hoff', () => {
    expect(HEAP_TUPLE_HEADER_BYTES).toBe(31);
    expect(headerSize(2, false)).toBe(32);
    expect(headerSize(2, true)).toBe(32);
    expect(headerSize(9, true)).toBe(40);
    const t = formTuple(intTextDescriptor, [int4(7), null]);
    expect(tupleHoff(t)).toBe(32);
    expect((t[28]! & HEAP_HASNULL) !== 0).toBe(true);
  });

  it('[HEAP1] header fields round-trip with 64-bit xids', () => {
    const t = formTuple(intTextDescriptor, [int4(1), text('x')]);
    const tid = { block: 3, offset: 9 };
    const h = { xmin: (1n << 40n) as never, xmax: ((1n << 50n) + 5n) as never, cid: 77 as never, infomask: 0x0902, infomask2: 0x4002, tid, ctid: { block: 12345678, offset: 300 } };
    writeTupleHeader(t, h);
    const back = readTupleHeader(t, tid);
    expect(back).toEqual(h);
    expect(deformTuple(intTextDescriptor, t)).toEqual([int4(1), text('x')]);
  });

  it('[HEAP1b] int4 is aligned to 4 after a short varlena; long varlenas get an aligned 4-byte header', () => {
    const desc: TupleDescriptor = { attributes: [intTextDescriptor.attributes[1]!, intTextDescriptor.attributes[0]!] };
    const t = formTuple(desc, [text('ab'), int4(5)]);
    // data: 1-byte header + 'ab' = 3 bytes, pad to 4, int4 → 8 bytes of data.
    expect(t.length).toBe(32 + 8);
    const long = 'y'.repeat(300);
    const t2 = formTuple(desc, [text(long), int4(6)]);
    expect(t2.length).toBe(32 + 4 + 300 + 4);
    expect(deformTuple(desc, t2)).toEqual([text(long), int4(6)]);
  });

  it('[HEAP1b] wrong value count is an error, corrupt length is XX001', () => {
    expect(() => formTuple(intTextDescriptor, [int4(1)])).toThrow(/number of values/);
    const t = formTuple(intTextDescriptor, [int4(1), text('hello')]);
    t[36] = 0xff; // short varlena header claiming 127 bytes
    try {
      deformTuple(intTextDescriptor, t);
      expect.unreachable();
    } catch (e) {
      expect(isPgError(e) && e.code).toBe('XX001');
    }
  });

  it('[HEAP1b] encode/decode round trip for arbitrary rows', () => {
    const attr = fc.constantFrom(
      { typlen: 1, typbyval: true, typalign: 'c' as const, storage: 'p' as const },
      { typlen: 2, typbyval: true, typalign: 's' as const, storage: 'p' as const },
      { typlen: 4, typbyval: true, typalign: 'i' as const, storage: 'p' as const },
      { typlen: 8, typbyval: true, typalign: 'd' as const, storage: 'p' as const },
      { typlen: -1, typbyval: false, typalign: 'i' as const, storage: 'x' as const },
      { typlen: -1, typbyval: false, typalign: 'd' as const, storage: 'x' as const },
    );
    fc.assert(fc.property(fc.array(attr, { minLength: 1, maxLength: 20 }).chain((attrs) =>
      fc.tuple(fc.constant(attrs), fc.tuple(...attrs.map((a) => fc.option(a.typlen > 0 ? fc.uint8Array({ minLength: a.typlen, maxLength: a.typlen }) : fc.uint8Array({ maxLength: 400 }), { nil: null }))))),
    ([attrs, values]) => {
      const desc = { attributes: attrs };
      const t = formTuple(desc, values);
      expect(deformTuple(desc, t)).toEqual(values);
    }), { numRuns: 300 });
  });
});
