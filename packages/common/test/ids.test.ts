import { describe, expect, it } from 'vitest';
import { blockNumber, formatLsn, lsn, oid, parseLsn, xid } from '../src/index.ts';

describe('branded ids', () => {
  it('[ID2] format and parse LSNs like PostgreSQL (X/Y in hex)', () => {
    const v = lsn(0x16_b374d848n);
    expect(formatLsn(v)).toBe('16/B374D848');
    expect(parseLsn('16/B374D848')).toBe(v);
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('nonsense')).toBeUndefined();
  });

  it('[ID1] refuse values outside their range', () => {
    expect(() => oid(-1)).toThrow(RangeError);
    expect(() => oid(2 ** 32)).toThrow(RangeError);
    expect(() => blockNumber(1.5)).toThrow(RangeError);
    expect(() => xid(-1n)).toThrow(RangeError);
    expect(xid(2n ** 63n)).toBe(2n ** 63n);
  });
});

describe('special values', () => {
  it("[ID3] are PostgreSQL's", async () => {
    const m = await import('../src/index.ts');
    expect([m.InvalidXid, m.BootstrapXid, m.FrozenXid, m.FirstNormalXid]).toEqual([0n, 1n, 2n, 3n]);
    expect([m.InvalidOid, m.InvalidBlockNumber, m.FirstNormalObjectId, m.InvalidLsn]).toEqual([0, 0xffffffff, 16384, 0n]);
  });
});
