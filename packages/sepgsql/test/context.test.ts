import { isPgError } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { Bitmap } from '../src/bitmap.ts';
import { formatSecurityContext, parseSecurityContext, tryParseSecurityContext } from '../src/context.ts';
import { compareLevels, formatMlsLevel, formatMlsRange, parseMlsLevel, parseMlsRange, rangeContains } from '../src/mls.ts';

describe('security contexts', () => {
  it('[SE1] parses user:role:type:range and formats it canonically', () => {
    const c = parseSecurityContext('unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0-s0:c0.c1023');
    expect(c.user).toBe('unconfined_u');
    expect(c.role).toBe('unconfined_r');
    expect(c.type).toBe('sepgsql_regtest_user_t');
    expect(c.range!.low.sens).toBe(1);
    expect(c.range!.high.cats.size).toBe(1024);
    expect(formatSecurityContext(c)).toBe('unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0-s0:c0.c1023');
  });

  it('[SE1] a context without a range is accepted unless MLS is required', () => {
    expect(formatSecurityContext(parseSecurityContext('system_u:object_r:table_t'))).toBe('system_u:object_r:table_t');
    expect(tryParseSecurityContext('system_u:object_r:table_t', undefined, true)).toBeUndefined();
    expect(tryParseSecurityContext('system_u:object_r:table_t:s0', undefined, false)).toBeUndefined();
  });

  it('[SE2] [S11] a syntactically invalid label is 42602 SELinux: invalid security label', () => {
    for (const bad of ['', 'foo', 'a:b', 'a::c', 'a:b:c:', 'a:b:c:s0:', 'a:b:c:x0', 'a:b:c:s0:c3.c1', 'a:b:c:s0:c1.c1', 'a b:c:d', 'a:b:c:s0-', 'a:b:c:s0:c']) {
      let err: unknown;
      try {
        parseSecurityContext(bad);
      } catch (e) {
        err = e;
      }
      expect(isPgError(err), bad).toBe(true);
      expect((err as { code: string }).code).toBe('42602');
      expect((err as Error).message).toBe(`SELinux: invalid security label: "${bad}"`);
    }
  });
});

describe('MLS levels and ranges', () => {
  it('[SE3] category lists and ranges expand and print as the kernel prints them', () => {
    expect(formatMlsLevel(parseMlsLevel('s0:c0,c1,c2,c5')!)).toBe('s0:c0.c2,c5');
    expect(formatMlsLevel(parseMlsLevel('s0:c0.c1')!)).toBe('s0:c0,c1');
    expect(formatMlsLevel(parseMlsLevel('s2:c5,c3.c4,c9')!)).toBe('s2:c3.c5,c9');
    expect(formatMlsRange(parseMlsRange('s0-s0')!)).toBe('s0');
    expect(formatMlsRange(parseMlsRange('s0:c1-s1:c1.c3')!)).toBe('s0:c1-s1:c1.c3');
    expect(parseMlsLevel('s0:c1.c0')).toBeUndefined();
  });

  it('[SE3] dominance: dom, domby, eq, incomp', () => {
    const l = (t: string) => parseMlsLevel(t)!;
    expect(compareLevels(l('s1:c0.c3'), l('s0:c1'))).toBe('dom');
    expect(compareLevels(l('s0:c1'), l('s1:c0.c3'))).toBe('domby');
    expect(compareLevels(l('s0:c1,c2'), l('s0:c2,c1'))).toBe('eq');
    expect(compareLevels(l('s1:c1'), l('s0:c2'))).toBe('incomp');
    expect(compareLevels(l('s0:c1'), l('s1'))).toBe('incomp');
    expect(rangeContains(parseMlsRange('s0-s0:c0.c1023')!, parseMlsRange('s0:c3-s0:c3.c9')!)).toBe(true);
    expect(rangeContains(parseMlsRange('s0-s0:c0.c15')!, parseMlsRange('s0-s0:c0.c16')!)).toBe(false);
  });

  it('[SE3] bitmaps hold ebitmap words and answer set questions', () => {
    const b = new Bitmap();
    b.setWord64(64, 0b101, 0x80000000);
    expect(b.toArray()).toEqual([64, 66, 127]);
    expect(b.highBit).toBe(128);
    expect(b.containsAll(Bitmap.of([64, 127]))).toBe(true);
    expect(b.union(Bitmap.of([1])).size).toBe(4);
    expect(b.intersect(Bitmap.of([66, 3])).toArray()).toEqual([66]);
  });
});
