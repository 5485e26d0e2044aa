import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitmap } from '../src/bitmap.ts';
import { formatSecurityContext, parseSecurityContext } from '../src/context.ts';
import { type MlsLevel, compareLevels, formatMlsLevel, levelDominates, parseMlsLevel } from '../src/mls.ts';

const level = fc.record({
  sens: fc.integer({ min: 1, max: 16 }),
  cats: fc.uniqueArray(fc.integer({ min: 0, max: 1023 }), { maxLength: 40 }).map((xs) => Bitmap.of(xs)),
}) as fc.Arbitrary<MlsLevel>;

describe('MLS properties', () => {
  it('[SE3] format then parse is the identity on levels and contexts', () => {
    fc.assert(
      fc.property(level, level, (a, b) => {
        const text = formatMlsLevel(a);
        const back = parseMlsLevel(text)!;
        expect(back.sens).toBe(a.sens);
        expect(back.cats.toArray()).toEqual(a.cats.toArray());
        const ctx = `u:r:t:${text}-${formatMlsLevel(b)}`;
        const parsed = parseSecurityContext(ctx);
        expect(parseSecurityContext(formatSecurityContext(parsed))).toEqual(parsed);
      }),
      { numRuns: 100 },
    );
  });

  it('[SE3] dominance is a partial order and compareLevels agrees with it', () => {
    fc.assert(
      fc.property(level, level, level, (a, b, c) => {
        expect(levelDominates(a, a)).toBe(true);
        if (levelDominates(a, b) && levelDominates(b, c)) expect(levelDominates(a, c)).toBe(true);
        const rel = compareLevels(a, b);
        const inv = compareLevels(b, a);
        expect({ eq: 'eq', dom: 'domby', domby: 'dom', incomp: 'incomp' }[rel]).toBe(inv);
      }),
      { numRuns: 100 },
    );
  });
});
