import { describe, expect, it, vi } from 'vitest';
import { PgError, type Lsn } from '@palisade/common';
import { WalWriter, parseSynchronousCommit, waitForCommit } from '../src/commit.ts';
import { PG_WAL_DIR, XLOG_BLCKSZ, segmentFileName, segmentOf } from '../src/segment.ts';
import { DATA_DIR } from './support/harness.ts';
import { openFresh, put, reopen } from './support/open.ts';

describe('insertion', () => {
  it('[W8] records are MAXALIGNed, linked by xl_prev, and span pages and segments', async () => {
    const { fs, wal } = await openFresh();
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await put(wal, i, 3000 + i * 37));
    for (const [i, r] of results.entries()) {
      expect(r.lsn % 8n).toBe(0n);
      expect(r.endLsn % 8n).toBe(0n);
      if (i > 0) expect(r.lsn).toBeGreaterThanOrEqual(results[i - 1]!.endLsn);
    }
    const first = results[0]!.lsn;
    const last = results[results.length - 1]!.endLsn;
    expect(segmentOf(last, 64 * 1024)).toBeGreaterThan(segmentOf(first, 64 * 1024));
    await wal.flush(last);
    const re = await reopen(fs.crash({ seed: 3, keepProbability: 0 }));
    expect(re.rm.replayed).toEqual([...Array(40).keys()]);
    expect(re.rm.lsns).toEqual(results.map((r) => r.lsn));
  });

  it('a record never starts on a page header: at a page boundary the next LSN skips it', async () => {
    const { wal } = await openFresh();
    // Fill up to an exact page boundary: find a payload size that ends a record at the boundary.
    const here = wal.insertLsn;
    const pageEnd = here - (here % BigInt(XLOG_BLCKSZ)) + BigInt(XLOG_BLCKSZ);
    const room = Number(pageEnd - here) - 28 - 5 - 4;
    const r = await put(wal, 0, room);
    expect(r.endLsn).toBe(pageEnd);
    const next = await put(wal, 1);
    expect(next.lsn).toBe(pageEnd + 24n);
  });
});

describe('page-crossing headers', () => {
  it('[W12] a record whose header starts 8 bytes before a page end continues after the next page header', async () => {
    const { fs, wal } = await openFresh();
    const here = wal.insertLsn;
    const pageEnd = here - (here % BigInt(XLOG_BLCKSZ)) + BigInt(XLOG_BLCKSZ);
    // A record ending exactly 8 bytes before the page end: 28 header + 5 (long) main-data header + payload (4 + n).
    const first = await put(wal, 0, Number(pageEnd - here) - 8 - 28 - 5 - 4);
    expect(first.endLsn).toBe(pageEnd - 8n);
    const split = await put(wal, 1, 100);
    expect(split.lsn).toBe(pageEnd - 8n);
    await wal.flush(split.endLsn);
    const re = await reopen(fs.crash({ seed: 1, keepProbability: 0 }));
    expect(re.rm.replayed).toEqual([0, 1]);
  });
});

describe('flush and group commit', () => {
  it('[W27] one fdatasync serves every concurrent committer it covers', async () => {
    const { wal } = await openFresh({ segSizeBytes: 1024 * 1024 });
    const syncsBefore = wal.stats.flushSyncs;
    await Promise.all(Array.from({ length: 32 }, async (_, i) => {
      const { endLsn } = await put(wal, i);
      await wal.flush(endLsn);
    }));
    expect(wal.flushedLsn).toBe(wal.insertLsn);
    expect(wal.stats.flushSyncs - syncsBefore).toBeLessThan(32);
    expect(wal.stats.flushSyncs - syncsBefore).toBeGreaterThanOrEqual(1);
  });

  it('[W27] commit_delay applies only with at least commit_siblings other transactions', async () => {
    const { wal } = await openFresh({ wal: { commitDelayUs: 1000, commitSiblings: 2, activeTransactionCount: () => 5 } });
    await Promise.all(Array.from({ length: 8 }, async (_, i) => wal.flush((await put(wal, i)).endLsn)));
    expect(wal.flushedLsn).toBe(wal.insertLsn);
  });

  it('[W22][W23] synchronous_commit off returns before the flush; the WAL writer makes it durable', async () => {
    const { wal } = await openFresh();
    expect(parseSynchronousCommit('yes')).toBe('on');
    expect(parseSynchronousCommit('0')).toBe('off');
    expect(() => parseSynchronousCommit('maybe')).toThrow(PgError);
    const writer = new WalWriter(wal, { delayMs: 5 });
    const { endLsn } = await put(wal, 0);
    await waitForCommit(wal, endLsn, 'off');
    expect(wal.flushedLsn).toBeLessThan(endLsn);
    writer.start();
    await vi.waitFor(() => expect(wal.flushedLsn).toBeGreaterThanOrEqual(endLsn), { timeout: 5000 });
    await writer.stop();
    const second = await put(wal, 1);
    await waitForCommit(wal, second.endLsn, 'local');
    expect(wal.flushedLsn).toBeGreaterThanOrEqual(second.endLsn);
  });
});

describe('disk full and failed fsync', () => {
  it('ENOSPC creating a segment fails the insert or flush with 53100 and the WAL is usable once space returns', async () => {
    const { fs, wal } = await openFresh();
    const remove = fs.addFault({ op: 'write', path: /xlogtemp/, code: 'ENOSPC' });
    let error: unknown;
    let lastEnd = 0n as Lsn;
    try {
      for (let i = 0; i < 200; i++) {
        lastEnd = (await put(wal, i, 2000)).endLsn;
        await wal.flush(lastEnd);
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PgError);
    expect((error as PgError).code).toBe('53100');
    expect((error as PgError).message).toMatch(/^could not write to file ".*xlogtemp.*": No space left on device$/);
    expect(wal.failure).toBeUndefined();
    remove();
    const end = (await put(wal, 1000, 2000)).endLsn;
    await wal.flush(end);
    expect(wal.flushedLsn).toBeGreaterThanOrEqual(end);
  });

  it('a failed fdatasync puts the WAL into a failed state: every later flush is a PANIC, and recovery restores what was acknowledged', async () => {
    const { fs, wal } = await openFresh();
    const acked = (await put(wal, 0)).endLsn;
    await wal.flush(acked);
    fs.addFault({ op: 'sync', path: new RegExp(PG_WAL_DIR), code: 'EIO', times: 1 });
    const { endLsn } = await put(wal, 1);
    await expect(wal.flush(endLsn)).rejects.toMatchObject({ severity: 'PANIC', code: '58030' });
    // Never retried: the fault is gone, yet the log stays failed.
    await expect(wal.flush(endLsn)).rejects.toMatchObject({ severity: 'PANIC' });
    await expect(put(wal, 2)).rejects.toMatchObject({ severity: 'PANIC' });
    const re = await reopen(fs.crash({ seed: 9 }));
    expect(re.rm.replayed.slice(0, 1)).toEqual([0]);
  });
});

describe('segments', () => {
  it('[W13] segment files are created zero-filled at full size under their %08X%08X%08X names', async () => {
    const { fs, wal } = await openFresh();
    await wal.flush((await put(wal, 0)).endLsn);
    const name = segmentFileName(1, segmentOf(wal.insertLsn, 64 * 1024), 64 * 1024);
    expect((await fs.stat(`${DATA_DIR}/${PG_WAL_DIR}/${name}`)).sizeBytes).toBe(64 * 1024);
  });
});
