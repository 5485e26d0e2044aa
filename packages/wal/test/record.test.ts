import { describe, expect, it } from 'vitest';
import type { BlockNumber, Lsn, Oid, RelFileNumber, Xid } from '@palisade/common';
import { crc32c, crc32cFinal, crc32cInit, crc32cUpdate } from '@palisade/common';
import { BLCKSZ, pageSetLsn } from '../src/page.ts';
import {
  BKPBLOCK_HAS_DATA, BKPBLOCK_HAS_IMAGE, BKPBLOCK_SAME_REL, BKPBLOCK_WILL_INIT, BKPIMAGE_APPLY, BKPIMAGE_HAS_HOLE, InvalidRecordError,
  SIZE_OF_XLOG_RECORD, decodeRecord, encodeRecordBody, finishRecord, needsImage, type BlockRef,
} from '../src/record.ts';

const rel = { spcOid: 1663 as Oid, dbOid: 5 as Oid, relNumber: 16384 as RelFileNumber };
const policy = { redoRecPtr: 1000n as Lsn, fullPageWrites: true };

function page(lsn: bigint, lower = 0, upper = 0): Uint8Array {
  const p = new Uint8Array(BLCKSZ).fill(0xab);
  pageSetLsn(p, lsn as Lsn);
  p[12] = lower & 0xff; p[13] = lower >> 8; p[14] = upper & 0xff; p[15] = upper >> 8;
  if (lower >= 24 && lower < upper) p.fill(0, lower, upper);
  return p;
}

describe('record header', () => {
  it('[W8] header is xl_tot_len, xl_info, xl_rmid, zero padding, 64-bit xl_xid, xl_prev, xl_crc', () => {
    const enc = encodeRecordBody({ rmid: 10, info: 0x30, xid: 0x1_0000_0005n as Xid, mainData: new Uint8Array([1, 2, 3]) }, policy);
    finishRecord(enc, 0xdead_beefn as Lsn);
    const v = new DataView(enc.bytes.buffer);
    expect(SIZE_OF_XLOG_RECORD).toBe(28);
    expect(v.getUint32(0, true)).toBe(enc.bytes.length);
    expect(enc.bytes[4]).toBe(0x30);
    expect(enc.bytes[5]).toBe(10);
    expect(v.getUint16(6, true)).toBe(0);
    expect(v.getBigUint64(8, true)).toBe(0x1_0000_0005n);
    expect(v.getBigUint64(16, true)).toBe(0xdead_beefn);
    // Short main data: id 255 and a one-byte length right after the header.
    expect([...enc.bytes.subarray(28, 30)]).toEqual([255, 3]);
    expect(enc.bytes.length).toBe(28 + 2 + 3);
  });

  it('[W9] CRC-32C covers the body, then the header up to xl_crc', () => {
    const enc = encodeRecordBody({ rmid: 1, info: 0, xid: 7n as Xid, mainData: new Uint8Array(300).fill(9) }, policy);
    finishRecord(enc, 42n as Lsn);
    const b = enc.bytes;
    const crc = crc32cFinal(crc32cUpdate(crc32cUpdate(crc32cInit(), b, 28, b.length - 28), b, 0, 24));
    expect(new DataView(b.buffer).getUint32(24, true)).toBe(crc);
    // Long main data form: id 254 and a uint32 length.
    expect(b[28]).toBe(254);
    expect(new DataView(b.buffer).getUint32(29, true)).toBe(300);
  });

  it('[W9] CRC-32C is the Castagnoli polynomial (check value of "123456789")', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});

describe('block references', () => {
  it('[W11] fork_flags carry fork, HAS_IMAGE, HAS_DATA, WILL_INIT and SAME_REL; the locator is omitted for the same relation', () => {
    const blocks: BlockRef[] = [
      { id: 0, rel, fork: 0, block: 7 as BlockNumber, flags: {}, data: new Uint8Array([1]) },
      { id: 3, rel, fork: 2, block: 8 as BlockNumber, flags: { willInit: true } },
    ];
    const enc = encodeRecordBody({ rmid: 10, info: 0, xid: 1n as Xid, mainData: new Uint8Array(0), blocks }, policy);
    const b = enc.bytes;
    expect(b[28]).toBe(0);
    expect(b[29]).toBe(BKPBLOCK_HAS_DATA);
    // block 0: 4 header + 12 locator + 4 block number = 20 bytes; block 3 starts at 48.
    expect(b[48]).toBe(3);
    expect(b[49]).toBe(2 | BKPBLOCK_WILL_INIT | BKPBLOCK_SAME_REL);
    finishRecord(enc, 0n as Lsn);
    const dec = decodeRecord(b, 0x28n as Lsn, 0x100n as Lsn);
    expect(dec.blocks[1]!.rel).toEqual(rel);
    expect(dec.blocks[1]!.flags.willInit).toBe(true);
  });

  it('[W3] an image is taken when the page LSN ≤ the redo pointer, forced, and never for noImage/willInit or with full_page_writes off', () => {
    const old = { id: 0, rel, fork: 0, block: 1 as BlockNumber, flags: {}, page: page(999n) };
    const fresh = { ...old, page: page(1001n) };
    expect(needsImage(old, policy)).toBe(true);
    expect(needsImage({ ...old, page: page(1000n) }, policy)).toBe(true);
    expect(needsImage(fresh, policy)).toBe(false);
    expect(needsImage({ ...fresh, flags: { forceImage: true } }, policy)).toBe(true);
    expect(needsImage({ ...old, flags: { noImage: true } }, policy)).toBe(false);
    expect(needsImage({ ...old, flags: { willInit: true } }, policy)).toBe(false);
    expect(needsImage(old, { ...policy, fullPageWrites: false })).toBe(false);
  });

  it('[W3][W11] a standard page omits the hole between pd_lower and pd_upper and is restored exactly', () => {
    const p = page(5n, 100, 8000);
    const enc = encodeRecordBody({ rmid: 0, info: 0xb0, xid: 0n as Xid, mainData: new Uint8Array(0), blocks: [{ id: 0, rel, fork: 0, block: 1 as BlockNumber, flags: { standard: true }, page: p }] }, policy);
    const b = enc.bytes;
    expect(b[29]! & BKPBLOCK_HAS_IMAGE).toBe(BKPBLOCK_HAS_IMAGE);
    const v = new DataView(b.buffer);
    expect(v.getUint16(32, true)).toBe(BLCKSZ - 7900);
    expect(v.getUint16(34, true)).toBe(100);
    expect(b[36]).toBe(BKPIMAGE_HAS_HOLE | BKPIMAGE_APPLY);
    finishRecord(enc, 0n as Lsn);
    const dec = decodeRecord(b, 0x28n as Lsn, 0x100n as Lsn);
    expect(Buffer.compare(Buffer.from(dec.blocks[0]!.image!), Buffer.from(p))).toBe(0);
  });

  it('[W11] out-of-order block ids and SAME_REL on the first block are invalid', () => {
    const enc = encodeRecordBody({ rmid: 10, info: 0, xid: 1n as Xid, mainData: new Uint8Array(0), blocks: [
      { id: 1, rel, fork: 0, block: 1 as BlockNumber, flags: {} }, { id: 2, rel, fork: 0, block: 2 as BlockNumber, flags: {} },
    ] }, policy);
    const b = enc.bytes.slice();
    b[48] = 0; // second block id below the first
    finishRecord({ ...enc, bytes: b, bodyCrc: crc32cUpdate(crc32cInit(), b, 28, b.length - 28) }, 0n as Lsn);
    expect(() => decodeRecord(b, 0x28n as Lsn, 0x100n as Lsn)).toThrow(/out-of-order block_id/);
    const c = enc.bytes.slice();
    c[29] = BKPBLOCK_SAME_REL;
    finishRecord({ ...enc, bytes: c, bodyCrc: crc32cUpdate(crc32cInit(), c, 28, c.length - 28) }, 0n as Lsn);
    expect(() => decodeRecord(c, 0x28n as Lsn, 0x100n as Lsn)).toThrow(InvalidRecordError);
  });

  it('[W8] a record length below the header size is invalid', () => {
    const b = new Uint8Array(28);
    new DataView(b.buffer).setUint32(0, 28, true);
    expect(() => decodeRecord(b, 0x28n as Lsn, 0x48n as Lsn)).toThrow(/incorrect resource manager data checksum/);
    new DataView(b.buffer).setUint32(0, 12, true);
    expect(() => decodeRecord(b, 0x28n as Lsn, 0x48n as Lsn)).toThrow(InvalidRecordError);
  });
});
