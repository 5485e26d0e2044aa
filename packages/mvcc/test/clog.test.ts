import { describe, expect, it } from 'vitest';
import { type Lsn, type Xid, lsn } from '@palisade/common';
import { CommitLog, XidStatus, CLOG_XACTS_PER_PAGE, MemorySlruStore, MemoryXactLog, encodeXactRecord, redoXactRecord, SubTrans } from '../src/index.ts';

const x = (n: number | bigint) => BigInt(n) as Xid;

describe('commit log', () => {
  it('[MV1] new xids read as in progress; special xids have fixed statuses', () => {
    const clog = new CommitLog();
    expect(clog.getStatus(x(100))).toBe(XidStatus.InProgress);
    expect(clog.getStatus(x(1))).toBe(XidStatus.Committed);
    expect(clog.getStatus(x(2))).toBe(XidStatus.Committed);
    expect(clog.getStatus(x(0))).toBe(XidStatus.Aborted);
  });

  it('[MV2] a committed tree marks the top-level xid and every sub-xid committed', () => {
    const clog = new CommitLog();
    clog.setTreeStatus(x(10), [x(11), x(12)], XidStatus.Committed);
    expect([10, 11, 12].map((n) => clog.getStatus(x(n)))).toEqual([1, 1, 1]);
    clog.setTreeStatus(x(13), [x(14)], XidStatus.Aborted);
    expect([13, 14].map((n) => clog.getStatus(x(n)))).toEqual([2, 2]);
  });

  it('[MV2] a final status never changes (a bug, asserted)', () => {
    const clog = new CommitLog();
    clog.setTreeStatus(x(10), [], XidStatus.Committed);
    expect(() => clog.setTreeStatus(x(10), [], XidStatus.Aborted)).toThrow(/cannot go from/);
  });

  it('[MV3] pages beyond the buffer count are written to the store and read back', () => {
    const store = new MemorySlruStore();
    const clog = new CommitLog({ bufferCount: 2, store });
    const xs = [0, 1, 2, 3, 4].map((p) => x(p * CLOG_XACTS_PER_PAGE + 5));
    xs.forEach((v, i) => clog.setTreeStatus(v, [], i % 2 === 0 ? XidStatus.Committed : XidStatus.Aborted));
    expect(store.pageNumbers().length).toBeGreaterThanOrEqual(3);
    expect(xs.map((v) => clog.getStatus(v))).toEqual([1, 2, 1, 2, 1]);
  });

  it('[MV4][W26] commit hint bits wait for the flush of an asynchronous commit record', () => {
    let flushed = 0n;
    const clog = new CommitLog({ flushedLsn: () => flushed as Lsn });
    clog.setTreeStatus(x(40), [], XidStatus.Committed, lsn(500));
    expect(clog.getGroupLsn(x(40))).toBe(500n);
    // Same group of 32 shares the LSN.
    expect(clog.getGroupLsn(x(33))).toBe(500n);
    expect(clog.hintAllowed(x(40))).toBe(false);
    flushed = 500n;
    expect(clog.hintAllowed(x(40))).toBe(true);
    expect(clog.hintAllowed(x(100))).toBe(true);
  });

  it('[MV4][W26] a page whose commits are not flushed is not evicted', () => {
    let flushed = 0n;
    const clog = new CommitLog({ bufferCount: 2, flushedLsn: () => flushed as Lsn });
    clog.setTreeStatus(x(5), [], XidStatus.Committed, lsn(100));
    clog.setTreeStatus(x(CLOG_XACTS_PER_PAGE + 5), [], XidStatus.Committed, lsn(200));
    expect(() => clog.getStatus(x(2 * CLOG_XACTS_PER_PAGE + 5))).toThrow(/out of shared memory/);
    flushed = 200n;
    expect(clog.getStatus(x(2 * CLOG_XACTS_PER_PAGE + 5))).toBe(XidStatus.InProgress);
  });

  it('[MV5] truncation forgets old pages; asking for a truncated xid is a bug', () => {
    const store = new MemorySlruStore();
    const clog = new CommitLog({ store, bufferCount: 2 });
    clog.setTreeStatus(x(5), [], XidStatus.Committed);
    clog.setTreeStatus(x(CLOG_XACTS_PER_PAGE + 5), [], XidStatus.Committed);
    clog.setTreeStatus(x(2 * CLOG_XACTS_PER_PAGE + 5), [], XidStatus.Committed);
    clog.truncate(x(CLOG_XACTS_PER_PAGE + 7));
    expect(store.pageNumbers().every((p) => p >= 1)).toBe(true);
    expect(() => clog.getStatus(x(5))).toThrow(/truncated/);
    expect(clog.getStatus(x(CLOG_XACTS_PER_PAGE + 5))).toBe(XidStatus.Committed);
  });

  it('[MV6] redo of commit and abort records rebuilds the commit log (idempotently)', () => {
    const log = new MemoryXactLog();
    log.insert(encodeXactRecord({ kind: 'commit', xid: x(3), subxids: [x(4), x(6)], commitTimeMs: 1 }));
    log.insert(encodeXactRecord({ kind: 'abort', xid: x(5), subxids: [] }));
    log.insert(encodeXactRecord({ kind: 'abort', xid: x(8), subxids: [x(9)] }));
    log.insert(encodeXactRecord({ kind: 'commit', xid: x(7), subxids: [], commitTimeMs: 2 }));
    const clog = new CommitLog();
    let maxSeen = 0n;
    for (let pass = 0; pass < 2; pass++) {
      for (const r of log.records)
        redoXactRecord(r.bytes, r.lsn, {
          clog,
          observeXid: (v) => {
            if (v > maxSeen) maxSeen = v;
          },
        });
    }
    expect([3, 4, 5, 6, 7, 8, 9, 10].map((n) => clog.getStatus(x(n)))).toEqual([1, 1, 2, 1, 1, 2, 2, 0]);
    expect(maxSeen).toBe(9n);
  });
});

describe('pg_subtrans', () => {
  it('[MV7] resolves a sub-xid to its top-level transaction through nested parents', () => {
    const st = new SubTrans({ bufferCount: 2 });
    st.setParent(x(11), x(10));
    st.setParent(x(12), x(11));
    st.setParent(x(5000), x(12));
    expect(st.getTopmost(x(5000))).toBe(10n);
    expect(st.getParent(x(10))).toBe(0n);
    expect(() => st.setParent(x(9), x(10))).toThrow(/greater than its parent/);
  });
});
