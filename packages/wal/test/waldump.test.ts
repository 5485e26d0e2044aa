import { describe, expect, it } from 'vitest';
import type { BlockNumber, Oid, RelFileNumber, Xid } from '@palisade/common';
import { BLCKSZ } from '../src/page.ts';
import { describeWal, formatWalDumpEntry } from '../src/waldump.ts';
import { XlogInfo, createRestorePoint } from '../src/xlog.ts';
import { DATA_DIR, TEST_RMID } from './support/harness.ts';
import { openFresh, put } from './support/open.ts';
import { registryWith, SeqRmgr } from './support/harness.ts';

describe('waldump', () => {
  it('lists every record with rmgr, lengths, xid, prev, block refs and description, pg_waldump style', async () => {
    const o = await openFresh();
    await put(o.wal, 0);
    await o.wal.insert({
      rmid: 0, info: XlogInfo.FPI, xid: 0n as Xid, mainData: new Uint8Array(0),
      blocks: [{ id: 0, rel: { spcOid: 1663 as Oid, dbOid: 5 as Oid, relNumber: 1259 as RelFileNumber }, fork: 0, block: 3 as BlockNumber, flags: { forceImage: true }, page: new Uint8Array(BLCKSZ) }],
    });
    await createRestorePoint(o.wal, 'before upgrade');
    await o.wal.flushAll();
    const entries = [];
    for await (const e of describeWal(o.fs, DATA_DIR, { registry: registryWith(new SeqRmgr()) })) entries.push(e);
    const types = entries.map((e) => `${e.rmgr}/${e.type}`);
    expect(types[0]).toBe('XLOG/CHECKPOINT_SHUTDOWN');
    expect(types).toContain('XLOG/FPI');
    expect(types).toContain('XLOG/RESTORE_POINT');
    const seq = entries.find((e) => e.rmgr === 'Test')!;
    expect(seq.desc).toBe('seq 0');
    expect(seq.xid).toBe(3n);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevLsn).toBe(entries[i - 1]!.lsn);
    const fpi = entries.find((e) => e.type === 'FPI')!;
    expect(fpi.recordLengthBytes).toBe(fpi.totalLengthBytes - BLCKSZ);
    expect(formatWalDumpEntry(fpi)).toMatch(/^rmgr: XLOG +len \(rec\/tot\): +\d+\/ +\d+, tx: +0, lsn: 0\/[0-9A-F]{8}, prev 0\/[0-9A-F]{8}, desc: FPI , blkref #0: rel 1663\/5\/1259 blk 3 FPW$/);
    expect(formatWalDumpEntry(entries.find((e) => e.type === 'RESTORE_POINT')!)).toContain('desc: RESTORE_POINT before upgrade');
    expect(formatWalDumpEntry(entries[0]!)).toContain('desc: CHECKPOINT_SHUTDOWN redo 0/');
    expect(TEST_RMID).toBe(200);
  });

  it('honours start and end LSNs', async () => {
    const o = await openFresh();
    const a = await put(o.wal, 0);
    const b = await put(o.wal, 1);
    await put(o.wal, 2);
    await o.wal.flushAll();
    const got = [];
    for await (const e of describeWal(o.fs, DATA_DIR, { startLsn: a.lsn, endLsn: b.endLsn, registry: registryWith(new SeqRmgr()) })) got.push(e.desc);
    expect(got).toEqual(['seq 0', 'seq 1']);
  });
});
