import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PgError } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { BLCKSZ } from '../src/page-constants.ts';
import { Page, pageGetChecksum } from '../src/page.ts';
import { ChecksumTransform, chainPageTransforms, type PageTransform } from '../src/transform.ts';

const heap = () => new Uint8Array(readFileSync(fileURLToPath(new URL('./fixtures/pg15-heap-16384-block5.page', import.meta.url))));
const loc = { relationPath: 'base/5/16384', blockNumber: 5 };

function make(options: Partial<ConstructorParameters<typeof ChecksumTransform>[0]> = {}) {
  const notices: PgError[] = [];
  const t = new ChecksumTransform({ dataChecksums: true, onNotice: (n) => notices.push(n), ...options });
  return { t, notices };
}

describe('read verification (PageIsVerified)', () => {
  it('[B27][B32] accepts a PostgreSQL page with its stored checksum', () => {
    const { t, notices } = make();
    const bytes = heap();
    t.decodePage(bytes, loc);
    expect(notices).toEqual([]);
  });

  it('[B27] a bad checksum fails with XX001 "invalid page in block" and a WARNING with both checksums', () => {
    const { t, notices } = make();
    const bytes = heap();
    const expected = pageGetChecksum(bytes);
    bytes[5000] = bytes[5000]! ^ 1;
    expect(() => t.decodePage(bytes, loc)).toThrow(expect.objectContaining({ code: 'XX001', message: 'invalid page in block 5 of relation base/5/16384' }));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.severity).toBe('WARNING');
    expect(notices[0]!.code).toBe('XX001');
    expect(notices[0]!.message).toMatch(new RegExp(`^page verification failed, calculated checksum \\d+ but expected ${expected}$`));
    expect(t.checksumFailureCount).toBe(1);
  });

  it('[B32] a page read at another block number fails its checksum', () => {
    const { t } = make();
    expect(() => t.decodePage(heap(), { ...loc, blockNumber: 6 })).toThrow(expect.objectContaining({ code: 'XX001' }));
  });

  it('[B27] an all-zero page is accepted; a new page with garbage is not', () => {
    const { t, notices } = make();
    t.decodePage(new Uint8Array(BLCKSZ), loc);
    const junk = new Uint8Array(BLCKSZ);
    junk[4000] = 7;
    expect(() => t.decodePage(junk, loc)).toThrow(expect.objectContaining({ code: 'XX001' }));
    expect(notices).toEqual([]);
  });

  it('[B27] an insane header fails even with checksums off', () => {
    const { t } = make({ dataChecksums: false });
    const page = new Page(new Uint8Array(BLCKSZ));
    page.init(0);
    page.flags = 0x40;
    expect(() => t.decodePage(page.bytes, loc)).toThrow(expect.objectContaining({ code: 'XX001' }));
  });

  it('[B27] ignore_checksum_failure uses the page (with the WARNING) if its header is sane', () => {
    const { t, notices } = make({ ignoreChecksumFailure: true });
    const bytes = heap();
    bytes[5000] = bytes[5000]! ^ 1;
    const copy = bytes.slice();
    t.decodePage(bytes, loc);
    expect(Buffer.compare(bytes, copy)).toBe(0);
    expect(notices.map((n) => n.message)[0]).toMatch(/^page verification failed/);
    bytes[10] = 0xff; // pd_flags: now insane as well
    expect(() => t.decodePage(bytes, loc)).toThrow(expect.objectContaining({ code: 'XX001' }));
  });

  it('[B27] zero_damaged_pages zeroes the page with a WARNING "; zeroing out page"', () => {
    const { t, notices } = make({ zeroDamagedPages: true });
    const bytes = heap();
    bytes[5000] = bytes[5000]! ^ 1;
    t.decodePage(bytes, loc);
    expect(bytes.every((b) => b === 0)).toBe(true);
    expect(notices.map((n) => n.message)).toContain('invalid page in block 5 of relation base/5/16384; zeroing out page');
  });

  it('[B32] encode sets a checksum that decode accepts; new pages are left alone', () => {
    const { t } = make();
    const page = new Page(new Uint8Array(BLCKSZ));
    page.init(0);
    page.addItem(new Uint8Array([1, 2, 3]));
    t.encodePage(page.bytes, loc);
    expect(page.checksum).not.toBe(0);
    t.decodePage(page.bytes, loc);
    const zero = new Uint8Array(BLCKSZ);
    t.encodePage(zero, loc);
    expect(zero.every((b) => b === 0)).toBe(true);
  });

  it('chains transforms: encode in order, decode in reverse (room for encryption at rest)', () => {
    const order: string[] = [];
    const tag = (name: string): PageTransform => ({
      encodePage: () => { order.push(`enc:${name}`); },
      decodePage: () => { order.push(`dec:${name}`); },
    });
    const chain = chainPageTransforms(tag('checksum'), tag('encrypt'));
    const bytes = new Uint8Array(BLCKSZ);
    chain.encodePage(bytes, loc);
    chain.decodePage(bytes, loc);
    expect(order).toEqual(['enc:checksum', 'enc:encrypt', 'dec:encrypt', 'dec:checksum']);
  });
});
