import { describe, expect, it } from 'vitest';
import { PgError, type Lsn, type Xid } from '@palisade/common';
import { DBState, readControlFile } from '../src/control.ts';
import { startupWal } from '../src/recovery.ts';
import { PG_WAL_DIR, XLOG_BLCKSZ, segmentFileName, segmentOf, segmentOffset } from '../src/segment.ts';
import { DATA_DIR, SeqRmgr, TEST_RMID, noPages, noopCallbacks, registryWith, testPayload, type SimulatedFileSystem } from './support/harness.ts';
import { openFresh, put, reopen } from './support/open.ts';

const SEG = 64 * 1024;

async function overwrite(fs: SimulatedFileSystem, at: Lsn, bytes: Uint8Array): Promise<void> {
  const h = await fs.open(`${DATA_DIR}/${PG_WAL_DIR}/${segmentFileName(1, segmentOf(at, SEG), SEG)}`);
  await h.write(bytes, 0, bytes.length, segmentOffset(at, SEG));
  await h.sync();
  await h.close();
}

async function tenRecords() {
  const o = await openFresh();
  const rs = [];
  for (let i = 0; i < 10; i++) rs.push(await put(o.wal, i, 3000));
  await o.wal.flush(rs[9]!.endLsn);
  await o.wal.close();
  return { ...o, rs };
}

describe('crash recovery', () => {
  it('[W21] recovery stops at the first record with a bad CRC, and new WAL starts there', async () => {
    const { fs, rs } = await tenRecords();
    await overwrite(fs, (rs[6]!.lsn + 40n) as Lsn, new Uint8Array([0x55]));
    const re = await reopen(fs);
    expect(re.rm.replayed).toEqual([0, 1, 2, 3, 4, 5]);
    // The end-of-recovery checkpoint is the first new record, where record 6 was.
    const next = await put(re.wal, 100);
    await re.wal.flush(next.endLsn);
    const again = await reopen(fs.crash({ seed: 1 }));
    expect(again.rm.replayed).toEqual([100]);
  });

  it('[W21] a zeroed page ends the WAL', async () => {
    const { fs, rs } = await tenRecords();
    const page = rs[4]!.endLsn - (rs[4]!.endLsn % BigInt(XLOG_BLCKSZ)) + BigInt(XLOG_BLCKSZ);
    await overwrite(fs, page as Lsn, new Uint8Array(XLOG_BLCKSZ));
    const re = await reopen(fs);
    expect(re.rm.replayed.length).toBeLessThan(10);
    expect(re.rm.replayed).toEqual([...Array(re.rm.replayed.length).keys()]);
  });

  it('[W21][W12] a page with the wrong pageaddr (stale recycled content) ends the WAL', async () => {
    const { fs, rs } = await tenRecords();
    const page = (rs[5]!.lsn - (rs[5]!.lsn % BigInt(XLOG_BLCKSZ))) as Lsn;
    const addr = new Uint8Array(8);
    new DataView(addr.buffer).setBigUint64(0, page - BigInt(SEG), true);
    await overwrite(fs, (page + 8n) as Lsn, addr);
    const re = await reopen(fs);
    expect(re.rm.replayed.length).toBeLessThanOrEqual(5);
    expect(re.rm.replayed).toEqual([...Array(re.rm.replayed.length).keys()]);
  });

  it('[W21] a torn tail is cut off: the bytes after the end of valid WAL are zeroed and later segments removed', async () => {
    const { fs, rs } = await tenRecords();
    await overwrite(fs, (rs[3]!.lsn + 100n) as Lsn, new Uint8Array(10).fill(0xee));
    const re = await reopen(fs);
    expect(re.rm.replayed).toEqual([0, 1, 2]);
    const endSeg = segmentOf(rs[3]!.lsn, SEG);
    const names = await fs.readdir(`${DATA_DIR}/${PG_WAL_DIR}`);
    for (const n of names) if (/^[0-9A-F]{24}$/.test(n)) expect(BigInt(`0x${n.slice(16)}`)).toBeLessThanOrEqual(endSeg + 1n);
  });

  it('[W16] the state is DB_IN_CRASH_RECOVERY during redo and DB_IN_PRODUCTION after', async () => {
    const { fs } = await tenRecords();
    const rm = new SeqRmgr();
    let stateDuring = -1;
    const spy = { id: rm.id, name: rm.name, desc: rm.desc.bind(rm), redo: async (r: never) => { stateDuring = (await readControlFile(fs, DATA_DIR)).state; rm.redo(r); } };
    const r = await startupWal({ fs, dataDir: DATA_DIR, registry: registryWith(spy), redo: noPages, checkpoint: noopCallbacks() });
    expect(stateDuring).toBe(DBState.DB_IN_CRASH_RECOVERY);
    expect(r.recovery.kind).toBe('crash');
    expect((await readControlFile(fs, DATA_DIR)).state).toBe(DBState.DB_IN_PRODUCTION);
  });

  it('[W18] replay starts at the checkpoint\'s redo pointer', async () => {
    const o = await openFresh();
    for (let i = 0; i < 5; i++) await put(o.wal, i);
    const cp = await o.checkpointer.checkpoint({ force: true });
    for (let i = 5; i < 8; i++) await o.wal.flush((await put(o.wal, i)).endLsn);
    const re = await reopen(o.fs.crash({ seed: 2 }));
    expect(re.rm.replayed).toEqual([5, 6, 7]);
    expect(cp!.redo).toBeLessThanOrEqual(cp!.lsn);
  });

  it('an unregistered resource manager id stops recovery with a clear error', async () => {
    const o = await openFresh();
    await o.wal.flush((await o.wal.insert({ rmid: 201, info: 0, xid: 5n as Xid, mainData: testPayload(0, 3) })).endLsn);
    await expect(startupWal({ fs: o.fs.crash({ seed: 1 }), dataDir: DATA_DIR, registry: registryWith(new SeqRmgr()), redo: noPages, checkpoint: noopCallbacks() }))
      .rejects.toMatchObject({ message: 'resource manager with ID 201 not registered', severity: 'FATAL' });
  });

  it('a missing checkpoint record is a PANIC', async () => {
    const o = await openFresh();
    await o.wal.close();
    const control = await readControlFile(o.fs, DATA_DIR);
    await overwrite(o.fs, control.checkPoint, new Uint8Array(32));
    const err = await startupWal({ fs: o.fs, dataDir: DATA_DIR, registry: registryWith(), redo: noPages, checkpoint: noopCallbacks() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgError);
    expect((err as PgError).message).toBe('could not locate a valid checkpoint record');
    expect((err as PgError).severity).toBe('PANIC');
  });

  it('[W2] the next xid after recovery is above every replayed xid', async () => {
    const o = await openFresh();
    await o.wal.flush((await o.wal.insert({ rmid: TEST_RMID, info: 0, xid: 777n as Xid, mainData: testPayload(0, 1) })).endLsn);
    const r = await startupWal({ fs: o.fs.crash({ seed: 4 }), dataDir: DATA_DIR, registry: registryWith(new SeqRmgr()), redo: noPages, checkpoint: noopCallbacks() });
    expect(r.recovery.nextXid).toBe(778n);
  });
});
