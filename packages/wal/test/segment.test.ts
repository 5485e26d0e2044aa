import { describe, expect, it } from 'vitest';
import type { Lsn } from '@palisade/common';
import {
  SIZE_OF_LONG_PAGE_HEADER, SIZE_OF_SHORT_PAGE_HEADER, XLOG_PAGE_MAGIC, XLP_FIRST_IS_CONTRECORD, XLP_LONG_HEADER, historyFileName,
  isValidSegmentSize, parseSegmentFileName, readPageHeader, segmentFileName, writePageHeader,
} from '../src/segment.ts';

describe('segment names', () => {
  it('[W13] names are %08X%08X%08X of TLI, segno / (2^32/segsize), segno % (2^32/segsize)', () => {
    const mb16 = 16 * 1024 * 1024;
    expect(segmentFileName(1, 1n, mb16)).toBe('000000010000000000000001');
    expect(segmentFileName(2, 0x1_23n, mb16)).toBe('000000020000000100000023');
    expect(segmentFileName(1, 0x1_23n, 1024 * 1024)).toBe('000000010000000000000123');
    expect(parseSegmentFileName('000000020000000100000023', mb16)).toEqual({ tli: 2, segno: 0x123n });
    expect(parseSegmentFileName('000000020000000100000123', mb16)).toBeUndefined();
    expect(parseSegmentFileName('00000002.history', mb16)).toBeUndefined();
    expect(historyFileName(10)).toBe('0000000A.history');
  });

  it('[W13] segment sizes are powers of two from 64 KiB to 1 GiB', () => {
    expect(isValidSegmentSize(16 * 1024 * 1024)).toBe(true);
    expect(isValidSegmentSize(64 * 1024)).toBe(true);
    expect(isValidSegmentSize(3 * 1024 * 1024)).toBe(false);
    expect(isValidSegmentSize(32 * 1024)).toBe(false);
  });
});

describe('page headers', () => {
  it('[W12] short and long headers round-trip with magic, info bits, tli, pageaddr and rem_len', () => {
    const buf = new Uint8Array(64);
    expect(writePageHeader(buf, 0, { magic: XLOG_PAGE_MAGIC, info: XLP_FIRST_IS_CONTRECORD, tli: 3, pageAddr: 0x1_0000_2000n as Lsn, remLengthBytes: 77 })).toBe(SIZE_OF_SHORT_PAGE_HEADER);
    expect(readPageHeader(buf, 0)).toEqual({ magic: XLOG_PAGE_MAGIC, info: XLP_FIRST_IS_CONTRECORD, tli: 3, pageAddr: 0x1_0000_2000n, remLengthBytes: 77 });
    expect(writePageHeader(buf, 0, { magic: XLOG_PAGE_MAGIC, info: XLP_LONG_HEADER, tli: 1, pageAddr: 0x100_0000n as Lsn, remLengthBytes: 0, systemIdentifier: 99n, segSizeBytes: 1 << 24 })).toBe(SIZE_OF_LONG_PAGE_HEADER);
    const long = readPageHeader(buf, 0);
    expect(long.systemIdentifier).toBe(99n);
    expect(long.segSizeBytes).toBe(1 << 24);
    expect(long.blockSizeBytes).toBe(8192);
  });
});
