// Archiving and point-in-time recovery on the real file system, with shell commands.

import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFileSystem, type PgError, formatLsn, type Lsn, type Xid } from '@palisade/common';
import { Archiver, expandArchiveCommand, expandRestoreCommand } from '../src/archive.ts';
import type { DecodedRecord } from '../src/record.ts';
import { bootstrapWal, startupWal, type ArchiveRecoveryOptions, type StartupResult } from '../src/recovery.ts';
import { createRestorePoint, switchWal } from '../src/xlog.ts';
import { SeqRmgr, TEST_RMID, noPages, noopCallbacks, registryWith, testPayload } from './support/harness.ts';

const COMMIT_INFO = 0x10;
const root = mkdtempSync(join(tmpdir(), 'palisade-wal-archive-'));
const archiveDir = join(root, 'archive');
const backupDir = join(root, 'backup');
const fs = new NodeFileSystem({ root });
/** Commit times: record seq i commits at BASE + i seconds. */
const BASE_MS = Date.UTC(2026, 0, 1);

const xactHooks = {
  getRecordXactXid: (r: DecodedRecord) => (r.rmid === TEST_RMID && (r.info & 0xf0) === COMMIT_INFO ? r.xid : undefined),
  getRecordTimestamp: (r: DecodedRecord) => (r.rmid === TEST_RMID && (r.info & 0xf0) === COMMIT_INFO ? new Date(BASE_MS + new DataView(r.mainData.buffer, r.mainData.byteOffset).getUint32(0, true) * 1000) : undefined),
};

interface Timeline { restorePointLsn: Lsn; commitEnds: Lsn[]; commitLsns: Lsn[] }
let history: Timeline;

async function start(dataDir: string, archive?: ArchiveRecoveryOptions, rm = new SeqRmgr()): Promise<{ r: StartupResult; rm: SeqRmgr; archiver: Archiver }> {
  const archiver = new Archiver({ fs, dataDir, archiveCommand: `test ! -f ${archiveDir}/%f && cp %p ${archiveDir}/%f` });
  const r = await startupWal({
    fs, dataDir, registry: registryWith(rm), redo: noPages, checkpoint: noopCallbacks(), xact: xactHooks,
    wal: { archiveMode: true, onSegmentComplete: () => archiver.wake() },
    // Timeline 2 appears in the shared archive after the first promotion; targets on timeline 1 say so.
    ...(archive ? { archiveRecovery: { targetTimeline: 'current', ...archive } } : {}),
  });
  if (r.status === 'running') {
    await switchWal(r.wal);
    await archiver.archivePending();
  }
  return { r, rm, archiver };
}

/** A fresh copy of the base backup with recovery.signal, pg_wal emptied: the archive is the only WAL. */
function restoreBackup(name: string): string {
  const dir = join(root, name);
  cpSync(backupDir, dir, { recursive: true });
  for (const f of readdirSync(join(dir, 'pg_wal'))) if (/^[0-9A-F]{24}$/.test(f)) rmSync(join(dir, 'pg_wal', f));
  writeFileSync(join(dir, 'recovery.signal'), '');
  return name;
}

const restoreCommand = `cp ${archiveDir}/%f %p`;

beforeAll(async () => {
  await fs.mkdir('archive', { mode: 0o700 });
  await fs.mkdir('primary', { mode: 0o700 });
  await bootstrapWal({ fs, dataDir: 'primary', segSizeBytes: 64 * 1024 });
  const { r, archiver } = await start('primary');
  if (r.status !== 'running') throw new Error('not running');
  await r.checkpointer.checkpoint({ force: true });
  cpSync(join(root, 'primary'), backupDir, { recursive: true });
  const commitEnds: Lsn[] = [];
  const commitLsns: Lsn[] = [];
  let restorePointLsn = 0n as Lsn;
  for (let i = 0; i < 15; i++) {
    const { lsn, endLsn } = await r.wal.insert({ rmid: TEST_RMID, info: COMMIT_INFO, xid: BigInt(100 + i) as Xid, mainData: testPayload(i, 2000) });
    await r.wal.flush(endLsn);
    commitEnds.push(endLsn);
    commitLsns.push(lsn);
    if (i === 4) restorePointLsn = await createRestorePoint(r.wal, 'rp1');
  }
  await switchWal(r.wal);
  const round = await archiver.archivePending();
  expect(round.failed).toBeUndefined();
  await r.wal.close();
  history = { restorePointLsn, commitEnds, commitLsns };
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('archiving', () => {
  it('[W28] %p, %f and %% are substituted; other escapes stay', () => {
    expect(expandArchiveCommand('cp %p /a/%f 100%% %x', { p: 'pg_wal/X', f: 'X' })).toBe('cp pg_wal/X /a/X 100% %x');
    expect(expandRestoreCommand('cp /a/%f %p # %r', { f: 'F', p: 'P', r: 'R' })).toBe('cp /a/F P # R');
  });

  it('[W28] completed segments are archived and marked .done', () => {
    const archived = readdirSync(archiveDir).filter((n) => /^[0-9A-F]{24}$/.test(n));
    expect(archived.length).toBeGreaterThanOrEqual(2);
    const status = readdirSync(join(root, 'primary', 'pg_wal', 'archive_status'));
    for (const a of archived) expect(status).not.toContain(`${a}.ready`);
  });

  it('[W28] a failing archive_command is retried later and the segment stays .ready', async () => {
    await fs.mkdir('failing', { mode: 0o700 });
    await bootstrapWal({ fs, dataDir: 'failing', segSizeBytes: 64 * 1024 });
    const r = await startupWal({ fs, dataDir: 'failing', registry: registryWith(), redo: noPages, checkpoint: noopCallbacks(), wal: { archiveMode: true } });
    if (r.status !== 'running') throw new Error('not running');
    await switchWal(r.wal);
    const warnings: unknown[] = [];
    const archiver = new Archiver({ fs, dataDir: 'failing', archiveCommand: 'exit 1', retryDelayMs: 1, onError: (e) => warnings.push(e) });
    const round = await archiver.archivePending();
    expect(round.failed).toMatch(/^[0-9A-F]{24}$/);
    expect(archiver.failedCount).toBe(3);
    expect(readdirSync(join(root, 'failing', 'pg_wal', 'archive_status')).some((n) => n.endsWith('.ready'))).toBe(true);
    expect((warnings[0] as PgError).detail).toBe('The failed archive command was: exit 1');
    const ok = new Archiver({ fs, dataDir: 'failing', archiveCommand: 'true' });
    expect((await ok.archivePending()).failed).toBeUndefined();
    await r.wal.close();
  });

  it('[W28] archive_command and archive_library are mutually exclusive', () => {
    expect(() => new Archiver({ fs, dataDir: 'x', archiveCommand: 'true', archiveLibrary: 'basic_archive' })).toThrow(
      expect.objectContaining({ detail: 'Only one of "archive_command", "archive_library" may be set.' }),
    );
  });
});

describe('point-in-time recovery', () => {
  it('[W29] recovery.signal without restore_command is FATAL 22023', async () => {
    const dir = restoreBackup('no-restore');
    await expect(start(dir, {})).rejects.toMatchObject({ code: '22023', severity: 'FATAL', message: 'must specify "restore_command" when standby mode is not enabled' });
  });

  it('[W31][W35] recovery_target_name stops at the restore point, promotes to timeline 2 with a history file, removes recovery.signal', async () => {
    const dir = restoreBackup('by-name');
    const { r, rm } = await start(dir, { restoreCommand, target: { name: 'rp1', action: 'promote' } });
    expect(r.status).toBe('running');
    expect(rm.replayed).toEqual([0, 1, 2, 3, 4]);
    expect(r.recovery.timeLineId).toBe(2);
    const historyText = readFileSync(join(root, dir, 'pg_wal', '00000002.history'), 'utf8');
    expect(historyText).toMatch(/^1\t[0-9A-F]+\/[0-9A-F]+\tat restore point "rp1"\n$/);
    expect(existsSync(join(root, dir, 'recovery.signal'))).toBe(false);
    expect(readdirSync(join(root, dir, 'pg_wal')).some((n) => n.startsWith('00000002') && n.length === 24)).toBe(true);
    // The new timeline's history was archived too.
    expect(existsSync(join(archiveDir, '00000002.history'))).toBe(true);
    if (r.status !== 'running') throw new Error('not running');
    // Life goes on on timeline 2: a commit, a crash (no shutdown), crash recovery on the new timeline.
    const { endLsn } = await r.wal.insert({ rmid: TEST_RMID, info: 0, xid: 500n as Xid, mainData: testPayload(500, 10) });
    await r.wal.flush(endLsn);
    await r.wal.close();
    const rm2 = new SeqRmgr();
    const again = await startupWal({ fs, dataDir: dir, registry: registryWith(rm2), redo: noPages, checkpoint: noopCallbacks() });
    expect(again.recovery.kind).toBe('crash');
    expect(again.recovery.timeLineId).toBe(2);
    expect(rm2.replayed).toContain(500);
    if (again.status === 'running') await again.wal.close();
  });

  it('[W34] recovery_target_timeline latest follows the newest timeline in the archive', async () => {
    const { r, rm } = await start(restoreBackup('latest'), { restoreCommand, targetTimeline: 'latest' });
    expect(rm.replayed).toEqual([0, 1, 2, 3, 4]);
    expect(r.recovery.timeLineId).toBe(3);
    expect(readFileSync(join(root, 'latest', 'pg_wal', '00000003.history'), 'utf8').split('\n')[0]).toMatch(/^1\t/);
  });

  it('[W31][W32] recovery_target_xid stops after the commit when inclusive, before it when not', async () => {
    const a = await start(restoreBackup('xid-incl'), { restoreCommand, target: { xid: 107n as Xid, action: 'promote' } });
    expect(a.rm.replayed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const b = await start(restoreBackup('xid-excl'), { restoreCommand, target: { xid: 107n as Xid, inclusive: false, action: 'promote' } });
    expect(b.rm.replayed).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('[W31][W32] recovery_target_time is evaluated at commit records', async () => {
    const time = new Date(BASE_MS + 9 * 1000);
    const a = await start(restoreBackup('time-incl'), { restoreCommand, target: { time, action: 'promote' } });
    expect(a.rm.replayed).toEqual([...Array(10).keys()]);
    const b = await start(restoreBackup('time-excl'), { restoreCommand, target: { time, inclusive: false, action: 'promote' } });
    expect(b.rm.replayed).toEqual([...Array(9).keys()]);
  });

  it('[W31][W32] recovery_target_lsn', async () => {
    const target = history.commitLsns[11]!;
    const a = await start(restoreBackup('lsn-incl'), { restoreCommand, target: { lsn: target, action: 'promote' } });
    expect(a.rm.replayed).toEqual([...Array(12).keys()]);
    const b = await start(restoreBackup('lsn-excl'), { restoreCommand, target: { lsn: target, inclusive: false, action: 'promote' } });
    expect(b.rm.replayed).toEqual([...Array(11).keys()]);
    expect(formatLsn(target)).toMatch(/\//);
  });

  it('[W31] recovery_target = immediate stops at the consistency point', async () => {
    const a = await start(restoreBackup('immediate'), { restoreCommand, target: { immediate: true, action: 'promote' } });
    expect(a.rm.replayed).toEqual([]);
    expect(a.r.recovery.stoppedAt?.reason).toBe('recovery stopping after reaching consistency');
  });

  it('[W33] recovery_target_action shutdown stops without opening the log; pause waits for resume', async () => {
    const a = await start(restoreBackup('shutdown'), { restoreCommand, target: { xid: 103n as Xid, action: 'shutdown' } });
    expect(a.r.status).toBe('shutdown');
    expect(existsSync(join(root, 'shutdown', 'recovery.signal'))).toBe(true);
    let paused: Lsn | undefined;
    const b = await start(restoreBackup('pause'), { restoreCommand, target: { xid: 103n as Xid }, onPause: (p) => { paused = p.stopLsn; p.resume(); } });
    expect(paused).toBe(history.commitEnds[3]);
    expect(b.r.status).toBe('running');
    expect(b.rm.replayed).toEqual([0, 1, 2, 3]);
  });

  it('[W33] a target beyond the end of WAL is FATAL', async () => {
    await expect(start(restoreBackup('beyond'), { restoreCommand, target: { xid: 999n as Xid, action: 'promote' } })).rejects.toMatchObject({
      message: 'recovery ended before configured recovery target was reached', severity: 'FATAL',
    });
  });

  it('[W31] more than one target is refused', async () => {
    await expect(start(restoreBackup('two'), { restoreCommand, target: { xid: 5n as Xid, name: 'rp1' } })).rejects.toMatchObject({ message: 'multiple recovery targets specified' });
  });

  it('[W34] a recovery_target_timeline that does not exist is FATAL', async () => {
    await expect(start(restoreBackup('no-tli'), { restoreCommand, targetTimeline: 99 })).rejects.toMatchObject({ message: 'recovery target timeline 99 does not exist', severity: 'FATAL' });
  });

  it('[W30] a restore_command killed by a signal aborts recovery', async () => {
    await expect(start(restoreBackup('killed'), { restoreCommand: 'kill -9 $$' })).rejects.toMatchObject({ severity: 'FATAL', message: expect.stringMatching(/^could not restore file/) });
  });
});
