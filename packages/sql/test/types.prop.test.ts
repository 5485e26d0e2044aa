// Property tests: numeric arithmetic against a BigInt-scaled model, text ↔ binary round trips
// for the scalar types, and order/hash consistency.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultIoContext, type Datum } from '../src/types/datum.ts';
import { Numeric } from '../src/types/numeric.ts';
import { typeByOid } from '../src/types/registry.ts';

const ctx = defaultIoContext;

/** A finite numeric as (unscaled, scale) with its text. */
const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 20 }));

function text(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let s = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  if (scale > 0) s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  return neg ? `-${s}` : s;
}

const p10 = (n: number) => 10n ** BigInt(n);

describe('types: numeric against a BigInt model', () => {
  it('[TYP6] add, sub and mul are exact with PostgreSQL result scales', () => {
    fc.assert(fc.property(decimal, decimal, ([ua, sa], [ub, sb]) => {
      const a = Numeric.parse(text(ua, sa));
      const b = Numeric.parse(text(ub, sb));
      const s = Math.max(sa, sb);
      expect(Numeric.add(a, b).toString()).toBe(text(ua * p10(s - sa) + ub * p10(s - sb), s));
      expect(Numeric.sub(a, b).toString()).toBe(text(ua * p10(s - sa) - ub * p10(s - sb), s));
      expect(Numeric.mul(a, b).toString()).toBe(text(ua * ub, sa + sb));
    }), { numRuns: 300 });
  });

  it('[TYP6] div rounds half away from zero at its result scale and is within half a unit', () => {
    fc.assert(fc.property(decimal, decimal, ([ua, sa], [ub, sb]) => {
      fc.pre(ub !== 0n);
      const q = Numeric.div(Numeric.parse(text(ua, sa)), Numeric.parse(text(ub, sb)));
      const r = q.dscale;
      // |q·10^r − a/b·10^r| ≤ 1/2  ⇔  |2·(q·b·10^sa) − 2·a·10^(r+sb)| ≤ |b·10^sa|
      const lhs = 2n * q.unscaled * ub * p10(sa) - 2n * ua * p10(r + sb);
      const bound = (ub < 0n ? -ub : ub) * p10(sa);
      expect((lhs < 0n ? -lhs : lhs) <= bound).toBe(true);
      expect(r).toBeGreaterThanOrEqual(Math.max(sa, sb));
    }), { numRuns: 300 });
  });

  it('[TYP6] binary send/receive and text output/input round trip', () => {
    fc.assert(fc.property(decimal, ([u, s]) => {
      const n = Numeric.parse(text(u, s));
      expect(Numeric.receive(n.send()).toString()).toBe(n.toString());
      expect(Numeric.parse(n.toString()).toString()).toBe(n.toString());
      expect(Numeric.compare(n, Numeric.parse(n.toString()))).toBe(0);
    }), { numRuns: 300 });
  });

  it('[TYP16] equal numerics hash alike regardless of display scale', () => {
    fc.assert(fc.property(decimal, fc.integer({ min: 0, max: 5 }), ([u, s], extra) => {
      const a = Numeric.parse(text(u, s));
      const b = Numeric.parse(text(u * p10(extra), s + extra));
      expect(Numeric.compare(a, b)).toBe(0);
      expect(a.hash()).toBe(b.hash());
    }), { numRuns: 200 });
  });
});

const samples: Array<[number, fc.Arbitrary<Datum>]> = [
  [16, fc.boolean()],
  [21, fc.integer({ min: -32768, max: 32767 })],
  [23, fc.integer()],
  [20, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  [701, fc.double()],
  [700, fc.float()],
  [25, fc.string()],
  [17, fc.uint8Array({ maxLength: 40 })],
  [2950, fc.uuid()],
  [1082, fc.integer({ min: -2451545, max: 2_000_000 })],
  [1114, fc.bigInt({ min: -211813488000000000n, max: 9223371331199999999n })],
  [1184, fc.bigInt({ min: -211813488000000000n, max: 9223371331199999999n })],
  [1186, fc.record({ months: fc.integer({ min: -100000, max: 100000 }), days: fc.integer({ min: -100000, max: 100000 }), micros: fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }) })],
];

describe('types: text and binary round trips', () => {
  for (const [oid, arb] of samples) {
    const impl = typeByOid(oid)!;
    it(`[TYP1] ${impl.name}: output → input and send → receive give the same value`, () => {
      fc.assert(fc.property(arb, (v) => {
        const out = impl.output(v, ctx);
        expect(impl.output(impl.input(out, -1, ctx), ctx)).toBe(out);
        expect(impl.output(impl.receive(impl.send(v, ctx), -1, ctx), ctx)).toBe(out);
      }), { numRuns: 150 });
    });
  }

  it('[TYP14] int4[] and text[] round trip through text and binary', () => {
    const arr = typeByOid(1009)!;
    fc.assert(fc.property(fc.array(fc.option(fc.string(), { nil: null }), { maxLength: 8 }), (values) => {
      const v = values.length ? { elementType: 25, dims: [values.length], lowerBounds: [1], values } : { elementType: 25, dims: [], lowerBounds: [], values: [] };
      const out = arr.output(v, ctx);
      expect(arr.input(out, -1, ctx)).toEqual(v);
      expect(arr.receive(arr.send(v, ctx), -1, ctx)).toEqual(v);
    }), { numRuns: 200 });
  });
});

describe('types: ordering', () => {
  it('[TYP5] float8 ordering is total: NaN above +Infinity, -0 equal to 0', () => {
    const f = typeByOid(701)!;
    expect(f.compare!(NaN, Infinity)).toBe(1);
    expect(f.compare!(NaN, NaN)).toBe(0);
    expect(f.compare!(-0, 0)).toBe(0);
    expect(f.hash!(-0)).toBe(f.hash!(0));
  });

  it('[TYP7] bpchar compares and hashes without trailing spaces', () => {
    const t = typeByOid(1042)!;
    expect(t.compare!('ab', 'ab   ')).toBe(0);
    expect(t.hash!('ab')).toBe(t.hash!('ab   '));
    expect(t.compare!('ab', 'abc')).toBeLessThan(0);
  });

  it('[TYP6] numeric ordering: -Infinity < finite < Infinity < NaN', () => {
    const vals = ['NaN', 'Infinity', '1.5', '-Infinity', '-2'].map((s) => Numeric.parse(s));
    vals.sort(Numeric.compare);
    expect(vals.map(String)).toEqual(['-Infinity', '-2', '1.5', 'Infinity', 'NaN']);
  });

  it('[TYP13] intervals compare by their 30-day-month span', () => {
    const t = typeByOid(1186)!;
    const month = t.input('1 month', -1, ctx);
    const days = t.input('30 days', -1, ctx);
    expect(t.compare!(month, days)).toBe(0);
    expect(t.hash!(month)).toBe(t.hash!(days));
  });

  it('[TYP12] timestamptz sorts by instant; the same instant in two zones is equal', () => {
    const t = typeByOid(1184)!;
    const a = t.input('2000-01-01 12:00+02', -1, ctx);
    const b = t.input('2000-01-01 10:00 UTC', -1, ctx);
    expect(t.compare!(a, b)).toBe(0);
    expect(t.output(a, { ...ctx, timeZone: 'Asia/Tokyo' })).toBe('2000-01-01 19:00:00+09');
  });
});
