import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { xid } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import {
  BLCKSZ, LP_DEAD, LP_NORMAL, LP_REDIRECT, LP_UNUSED, PD_ALL_VISIBLE, PD_HAS_FREE_LINES, SIZE_OF_PAGE_HEADER_DATA, maxAlign,
} from '../src/page-constants.ts';
import { MAX_HEAP_TUPLES_PER_PAGE, Page, pageHeaderIsSane, pageIsAllZero, pageIsNew } from '../src/page.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));

function newPage(special = 0): Page {
  const page = new Page(new Uint8Array(BLCKSZ));
  page.init(special);
  return page;
}

const item = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('page layout', () => {
  it('[B20][B22][B23] PageInit writes the 24-byte header as PostgreSQL does', () => {
    const page = newPage(16);
    const v = new DataView(page.bytes.buffer);
    expect(v.getUint16(12, true)).toBe(SIZE_OF_PAGE_HEADER_DATA);
    expect(v.getUint16(14, true)).toBe(BLCKSZ - 16);
    expect(v.getUint16(16, true)).toBe(BLCKSZ - 16);
    expect(v.getUint16(18, true)).toBe(8192 | 4);
    expect(page.pageSizeBytes).toBe(8192);
    expect(page.layoutVersion).toBe(4);
    expect(page.freeSpaceBytes).toBe(BLCKSZ - 16 - 24);
    expect(page.isEmpty()).toBe(true);
    expect(page.isNew()).toBe(false);
  });

  it('[B23] special space is MAXALIGNed at the page end', () => {
    const page = newPage(13);
    expect(page.special).toBe(BLCKSZ - maxAlign(13));
    expect(page.specialSpace().length).toBe(16);
  });

  it('[B23] a zero page is new; PageIsNew checks pd_upper', () => {
    const bytes = new Uint8Array(BLCKSZ);
    expect(pageIsNew(bytes)).toBe(true);
    expect(pageIsAllZero(bytes)).toBe(true);
    bytes[100] = 1;
    expect(pageIsNew(bytes)).toBe(true);
    expect(pageIsAllZero(bytes)).toBe(false);
  });

  it('[B20] pd_lsn is stored as xlogid then xrecoff', () => {
    const page = newPage();
    page.lsn = 0x0000_0016_b374_d848n as never;
    const v = new DataView(page.bytes.buffer);
    expect(v.getUint32(0, true)).toBe(0x16);
    expect(v.getUint32(4, true)).toBe(0xb374d848);
    expect(page.lsn).toBe(0x16b374d848n);
  });

  it('[B20] pd_prune_xid keeps the low 32 bits of a 64-bit xid and widens relative to the next xid', () => {
    const page = newPage();
    const prune = xid((5n << 32n) + 1234n);
    page.setPruneXid(prune);
    expect(page.pruneXidLow32).toBe(1234);
    expect(page.pruneXid(xid((5n << 32n) + 9999n))).toBe(prune);
    expect(page.pruneXid(xid((6n << 32n) + 10n))).toBe(prune);
    page.setPruneXid(undefined);
    expect(page.pruneXid(xid(100n))).toBeUndefined();
    expect(page.bytes.length).toBe(BLCKSZ);
  });

  it('[B24][B25] items go down from pd_upper, line pointers up from the header, offsets 1-based', () => {
    const page = newPage();
    const a = page.addItem(item(10, 0xaa));
    const b = page.addItem(item(30, 0xbb));
    expect([a, b]).toEqual([1, 2]);
    expect(page.itemCount).toBe(2);
    expect(page.lower).toBe(24 + 8);
    expect(page.getItemId(1)).toEqual({ offset: BLCKSZ - 16, flags: LP_NORMAL, lengthBytes: 10 });
    expect(page.getItemId(2)).toEqual({ offset: BLCKSZ - 16 - 32, flags: LP_NORMAL, lengthBytes: 30 });
    expect(page.getItem(2)).toEqual(item(30, 0xbb));
    const word = new DataView(page.bytes.buffer).getUint32(24, true);
    expect(word & 0x7fff).toBe(BLCKSZ - 16);
    expect((word >>> 15) & 3).toBe(LP_NORMAL);
    expect(word >>> 17).toBe(10);
  });

  it('[B24] decodes PostgreSQL 15 line pointers (fixture heap page)', () => {
    const page = new Page(fixture('pg15-heap-16384-block0.page'));
    expect(page.headerIsSane()).toBe(true);
    expect(page.flags & PD_ALL_VISIBLE).toBe(PD_ALL_VISIBLE);
    let previousEnd = page.special;
    let normal = 0;
    for (let i = 1; i <= page.itemCount; i++) {
      const lp = page.getItemId(i);
      if (lp.flags === LP_NORMAL) {
        normal++;
        expect(lp.offset).toBeGreaterThanOrEqual(page.upper);
        expect(lp.offset + lp.lengthBytes).toBeLessThanOrEqual(previousEnd);
        // Heap tuple header: t_hoff at byte 22 is 24 for a tuple without nulls and OIDs.
        expect(page.getItem(i)[22]).toBe(24);
        previousEnd = lp.offset;
      } else {
        expect([LP_UNUSED, LP_DEAD, LP_REDIRECT]).toContain(lp.flags);
      }
    }
    expect(normal).toBeGreaterThan(50);
  });

  it('[B24] reuses an unused line pointer when PD_HAS_FREE_LINES is set, and clears the hint when none is left', () => {
    const page = newPage();
    for (let i = 0; i < 3; i++) page.addItem(item(8, i));
    page.setItemUnused(2);
    expect(page.flags & PD_HAS_FREE_LINES).toBe(PD_HAS_FREE_LINES);
    expect(page.addItem(item(8, 9))).toBe(2);
    expect(page.addItem(item(8, 9))).toBe(4);
    expect(page.flags & PD_HAS_FREE_LINES).toBe(0);
  });

  it('[B24] adding at an offset shifts later line pointers; overwrite only reuses an unused one', () => {
    const page = newPage();
    page.addItem(item(8, 1));
    page.addItem(item(8, 2));
    expect(page.addItem(item(8, 3), { offsetNumber: 1 })).toBe(1);
    expect([1, 2, 3].map((i) => page.getItem(i)[0])).toEqual([3, 1, 2]);
    expect(page.addItem(item(8, 4), { offsetNumber: 2, overwrite: true })).toBe(0);
    expect(page.addItem(item(8, 4), { offsetNumber: 9 })).toBe(0);
  });

  it('[B23] refuses an item that does not fit and respects a line-pointer limit', () => {
    const page = newPage();
    // 8192 − 24 − 4 = 8164 bytes are left for data; items take MAXALIGNed space.
    expect(page.addItem(item(8161, 1))).toBe(0);
    expect(page.addItem(item(8160, 1))).toBe(1);
    expect(page.freeSpaceBytes).toBe(4);
    const heap = newPage();
    let added = 0;
    while (heap.addItem(item(1, 1), { maxItemCount: MAX_HEAP_TUPLES_PER_PAGE }) !== 0) added++;
    expect(added).toBe(MAX_HEAP_TUPLES_PER_PAGE);
  });

  it('[B9] repairFragmentation compacts item storage, keeping offsets and contents', () => {
    const page = newPage(8);
    for (let i = 1; i <= 6; i++) page.addItem(item(i * 10, i));
    page.setItemUnused(2);
    page.markItemDead(4);
    page.setItemRedirect(5, 6);
    const freeBefore = page.freeSpaceBytes;
    page.repairFragmentation();
    expect(page.freeSpaceBytes).toBe(freeBefore + maxAlign(20) + maxAlign(40) + maxAlign(50));
    for (const i of [1, 3, 6]) expect(page.getItem(i)).toEqual(item(i * 10, i));
    expect(page.getItemId(4)).toEqual({ offset: 0, flags: LP_DEAD, lengthBytes: 0 });
    expect(page.getItemId(5)).toEqual({ offset: 6, flags: LP_REDIRECT, lengthBytes: 0 });
    expect(page.flags & PD_HAS_FREE_LINES).toBe(PD_HAS_FREE_LINES);
    expect(page.headerIsSane()).toBe(true);
  });

  it('[B24] deleteItem (index pages) closes the gap in data and line pointers', () => {
    const page = newPage(16);
    for (let i = 1; i <= 4; i++) page.addItem(item(12, i));
    const free = page.freeSpaceBytes;
    page.deleteItem(2);
    expect(page.itemCount).toBe(3);
    expect([1, 2, 3].map((i) => page.getItem(i)[0])).toEqual([1, 3, 4]);
    expect(page.freeSpaceBytes).toBe(free + 16 + 4);
  });

  it('[B27] header sanity: flags, pointer order and alignment', () => {
    const page = newPage();
    expect(pageHeaderIsSane(page.bytes)).toBe(true);
    page.flags = 0x8;
    expect(pageHeaderIsSane(page.bytes)).toBe(false);
    page.flags = 0;
    page.lower = page.upper + 1;
    expect(pageHeaderIsSane(page.bytes)).toBe(false);
    page.lower = 24;
    page.special = BLCKSZ - 4;
    page.upper = BLCKSZ - 8;
    expect(pageHeaderIsSane(page.bytes)).toBe(false);
  });

  it('[B27] a corrupt page makes addItem fail with XX001', () => {
    const page = newPage();
    page.lower = 10;
    expect(() => page.addItem(item(4, 1))).toThrow(expect.objectContaining({ code: 'XX001' }));
  });
});
