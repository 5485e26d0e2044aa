import { describe, expect, it, vi } from 'vitest';
import type { Oid, Xid } from '@palisade/common';
import { Checkpointer } from '../src/checkpoint.ts';
import { DBState, readControlFile } from '../src/control.ts';
import { ARCHIVE_STATUS_DIR, PG_WAL_DIR, parseSegmentFileName, segmentOf } from '../src/segment.ts';
import { XlogInfo } from '../src/xlog.ts';
import { describeWal } from '../src/waldump.ts';
import { DATA_DIR, noopCallbacks } from './support/harness.ts';
import { openFresh, put } from './support/open.ts';

const SEG = 64 * 1024;

async function segnos(fs: { readdir(p: string): Promise<string[]> }): Promise<bigint[]> {
  return (await fs.readdir(`${DATA_DIR}/${PG_WAL_DIR}`)).map((n) => parseSegmentFileName(n, SEG)?.segno).filter((s): s is bigint => s !== undefined);
}

describe('checkpoints', () => {
  it('[W18] runs redo pointer → buffers → record → flush → pg_control, in that order', async () => {
    const o = await openFresh();
    await put(o.wal, 0);
    const order: string[] = [];
    const cp = new Checkpointer(o.wal, o.control, noopCallbacks({
      flushAllBuffers: async () => { order.push(`buffers redo=${o.wal.redoRecPtr}`); },
      syncAllPending: async () => { order.push('sync'); },
      getNextXid: () => 4242n as Xid,
      getNextOid: () => 20000 as Oid,
    }));
    const redoBefore = o.wal.nextRecordLsn();
    const result = await cp.checkpoint({ force: true });
    expect(order).toEqual([`buffers redo=${redoBefore}`, 'sync']);
    expect(result!.redo).toBe(redoBefore);
    expect(o.wal.flushedLsn).toBeGreaterThanOrEqual(result!.endLsn);
    const control = await readControlFile(o.fs, DATA_DIR);
    expect(control.checkPoint).toBe(result!.lsn);
    expect(control.checkPointCopy.nextXid).toBe(4242n);
    expect(control.checkPointCopy.nextOid).toBe(20000);
    expect(control.state).toBe(DBState.DB_IN_PRODUCTION);
    const records = [];
    for await (const e of describeWal(o.fs, DATA_DIR, { startLsn: result!.lsn })) records.push(e);
    expect(records[0]!.type).toBe('CHECKPOINT_ONLINE');
    expect(records[0]!.record.info).toBe(XlogInfo.CHECKPOINT_ONLINE);
  });

  it('[W19] a checkpoint is skipped when no WAL was written since the previous one', async () => {
    const o = await openFresh();
    await put(o.wal, 0);
    expect(await o.checkpointer.checkpoint()).toBeDefined();
    expect(await o.checkpointer.checkpoint()).toBeUndefined();
    expect(await o.checkpointer.checkpoint({ force: true })).toBeDefined();
  });

  it('[W19] the WAL-volume trigger fires after max_wal_size / (1 + completion target) bytes', async () => {
    const o = await openFresh();
    const cp = new Checkpointer(o.wal, o.control, noopCallbacks(), { maxWalSizeBytes: 4 * SEG, checkpointTimeoutMs: 3_600_000 });
    expect(cp.isDue()).toBe(false);
    for (let i = 0; cp.isDue() === false && i < 1000; i++) await put(o.wal, i, 4000);
    expect(cp.isDue()).toBe(true);
    expect(cp.walVolumeTriggerBytes).toBe(Math.floor((4 * SEG) / 1.9));
  });

  it('[W18] segments before the redo segment are recycled or removed', async () => {
    const o = await openFresh();
    for (let i = 0; i < 60; i++) await put(o.wal, i, 4000);
    await o.wal.flushAll();
    const before = await segnos(o.fs);
    const result = await o.checkpointer.checkpoint({ force: true });
    const redoSeg = segmentOf(result!.redo, SEG);
    const after = await segnos(o.fs);
    expect(Math.min(...before.map(Number))).toBeLessThan(Number(redoSeg));
    expect(after.every((s) => s >= redoSeg)).toBe(true);
    expect(result!.segmentsRemoved + result!.segmentsRecycled).toBeGreaterThan(0);
  });

  it('[W18][W28] with archiving on, a segment is kept until it has been archived', async () => {
    const o = await openFresh({ wal: { archiveMode: true } });
    for (let i = 0; i < 60; i++) await put(o.wal, i, 4000);
    await o.wal.flushAll();
    const status = await o.fs.readdir(`${DATA_DIR}/${ARCHIVE_STATUS_DIR}`);
    expect(status.filter((n) => n.endsWith('.ready')).length).toBeGreaterThan(2);
    const before = await segnos(o.fs);
    await o.checkpointer.checkpoint({ force: true });
    expect(await segnos(o.fs)).toEqual(before);
    // Mark one archived: only that one may go.
    const first = status.find((n) => n.endsWith('.ready'))!.replace('.ready', '');
    await o.fs.rename(`${DATA_DIR}/${ARCHIVE_STATUS_DIR}/${first}.ready`, `${DATA_DIR}/${ARCHIVE_STATUS_DIR}/${first}.done`);
    await put(o.wal, 100);
    await o.checkpointer.checkpoint({ force: true });
    const after = await segnos(o.fs);
    expect(after).not.toContain(parseSegmentFileName(first, SEG)!.segno);
    expect(after.length).toBeGreaterThanOrEqual(before.length - 1);
  });

  it('[W16] the shutdown checkpoint leaves DB_SHUTDOWNED and a CHECKPOINT_SHUTDOWN record', async () => {
    const o = await openFresh();
    await put(o.wal, 0);
    const result = await o.checkpointer.checkpoint({ shutdown: true });
    expect((await readControlFile(o.fs, DATA_DIR)).state).toBe(DBState.DB_SHUTDOWNED);
    expect(result!.redo).toBe(result!.lsn);
  });
});

describe('checkpoint triggers', () => {
  it('[W19] the timer runs a checkpoint once checkpoint_timeout has elapsed', async () => {
    const o = await openFresh();
    await put(o.wal, 0);
    const cp = new Checkpointer(o.wal, o.control, noopCallbacks(), { checkpointTimeoutMs: 20, tickMs: 5 });
    cp.start();
    await vi.waitFor(() => expect(cp.completedCount).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await cp.stop();
    expect(cp.lastError).toBeUndefined();
  });
});

describe('checkpoint serialization', () => {
  it('[W18] concurrent requests run one after another, never overlapping', async () => {
    const o = await openFresh();
    await put(o.wal, 0);
    let inside = 0;
    let maxInside = 0;
    const cp = new Checkpointer(o.wal, o.control, noopCallbacks({
      flushAllBuffers: async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside -= 1;
      },
    }));
    const results = await Promise.all([cp.checkpoint({ force: true }), cp.checkpoint({ force: true }), cp.checkpoint({ force: true })]);
    expect(maxInside).toBe(1);
    expect(results.every((r) => r !== undefined)).toBe(true);
    expect(new Set(results.map((r) => r!.lsn)).size).toBe(3);
  });
});

describe('archive status', () => {
  it('[W28] a completed segment whose .ready file was lost gets it back at the next checkpoint, and is kept', async () => {
    const o = await openFresh({ wal: { archiveMode: true } });
    for (let i = 0; i < 40; i++) await put(o.wal, i, 4000);
    await o.wal.flushAll();
    const statusDir = `${DATA_DIR}/${ARCHIVE_STATUS_DIR}`;
    const ready = (await o.fs.readdir(statusDir)).filter((n) => n.endsWith('.ready'));
    const lost = ready[0]!;
    await o.fs.unlink(`${statusDir}/${lost}`);
    await o.checkpointer.checkpoint({ force: true });
    expect(await o.fs.readdir(statusDir)).toContain(lost);
    expect(await o.fs.exists(`${DATA_DIR}/${PG_WAL_DIR}/${lost.replace('.ready', '')}`)).toBe(true);
  });
});
