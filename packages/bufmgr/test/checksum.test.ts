import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pageChecksum } from '../src/checksum.ts';
import { Page, pageGetChecksum } from '../src/page.ts';

const fixtureDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
// Raw pages copied from a PostgreSQL 15.18 cluster made with `initdb --data-checksums` (after
// CHECKPOINT); the block number is part of the file name because the checksum mixes it in.
const fixtures = readdirSync(fixtureDir).filter((f) => f.endsWith('.page')).map((name) => {
  const block = Number(/block(\d+)\.page$/.exec(name)![1]);
  return { name, block, bytes: new Uint8Array(readFileSync(fixtureDir + name)) };
});

describe('page checksum', () => {
  it('has PostgreSQL 15 fixtures to compare with', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
  });

  for (const { name, block, bytes } of fixtures) {
    it(`[B29][B30][B31][B32] equals the pd_checksum PostgreSQL 15 stored in ${name}`, () => {
      expect(pageChecksum(bytes, block)).toBe(pageGetChecksum(bytes));
    });
  }

  it('[B32] mixes in the block number, so a page moved to another block fails', () => {
    const { bytes, block } = fixtures[0]!;
    expect(pageChecksum(bytes, block + 1)).not.toBe(pageGetChecksum(bytes));
  });

  it('[B32] ignores the stored pd_checksum and leaves the page unchanged', () => {
    const bytes = fixtures[0]!.bytes.slice();
    const before = pageChecksum(bytes, 3);
    bytes[8] = bytes[8]! ^ 0xff;
    const copy = bytes.slice();
    expect(pageChecksum(bytes, 3)).toBe(before);
    expect(Buffer.compare(bytes, copy)).toBe(0);
  });

  it('[B32] is never 0 and fits in 16 bits', () => {
    const page = new Page(new Uint8Array(8192));
    page.init(0);
    for (let block = 0; block < 300; block++) {
      const c = pageChecksum(page.bytes, block);
      expect(c).toBeGreaterThanOrEqual(1);
      expect(c).toBeLessThanOrEqual(65535);
    }
  });

  it('[B29] gives the same result for an unaligned copy of the page', () => {
    const { bytes, block } = fixtures[1]!;
    const shifted = new Uint8Array(8192 + 1);
    shifted.set(bytes, 1);
    expect(pageChecksum(shifted.subarray(1), block)).toBe(pageChecksum(bytes, block));
  });
});
