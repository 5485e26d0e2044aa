// Starting the WAL: bootstrapping a new cluster's log, and crash or archive recovery
// (W2, W21, W29–W35). Entry points: bootstrapWal, startupWal.
//
// startupWal reads pg_control, finds the latest checkpoint record, replays from its redo
// pointer through the registered resource managers until the end of valid WAL (crash
// recovery) or a recovery target (archive recovery), cuts off the torn tail, opens the log
// for writing (on a new timeline after archive recovery) and writes the end-of-recovery
// checkpoint. See README "Recovery" for the steps and what a crash at each leaves behind.

import { randomBytes } from 'node:crypto';
import { PgError, SqlState, formatLsn, type FileSystem, type Lsn, type Oid, type Xid } from '@palisade/common';
import { RestoreCommandSource, type CommandRunner } from './archive.ts';
import { Checkpointer, type CheckpointCallbacks, type CheckpointerOptions } from './checkpoint.ts';
import {
  ControlFileStore, DBState, PG_CONTROL_PATH, WalLevel, emptyCheckPoint, encodeCheckPoint, newControlFile, readControlFile,
  writeControlFile, type CheckPoint, type ControlFileData,
} from './control.ts';
import { errnoCode, fileAccessError } from './errors.ts';
import { LocalSegmentSource, WalReader, type SegmentSource } from './reader.ts';
import type { DecodedRecord } from './record.ts';
import { RmgrId, type RedoContext, type ResourceManagerRegistry } from './rmgr.ts';
import {
  ARCHIVE_STATUS_DIR, DEFAULT_SEGMENT_SIZE_BYTES, PG_WAL_DIR, XLOG_BLCKSZ, historyFileName, isValidSegmentSize, parseSegmentFileName,
  segmentFileName, segmentOf, segmentOffset, segmentStart, type TimeLineId,
} from './segment.ts';
import { formatTimeLineHistory, isInHistory, parseTimeLineHistory, timelineSpans, type TimeLineHistoryEntry } from './timeline.ts';
import { Wal, ensureDirectory, removeTempSegments, type WalOptions } from './wal.ts';
import { XlogInfo, decodeCheckPoint, decodeNextOid, decodeRestorePoint, encodeEndOfRecovery, isCheckpointRecord } from './xlog.ts';

/** Files that request archive recovery (W29). */
export const RECOVERY_SIGNAL_FILE = 'recovery.signal';
export const STANDBY_SIGNAL_FILE = 'standby.signal';
/** Highest timeline id probed for `recovery_target_timeline = 'latest'`. */
const TIMELINE_PROBE_MAX = 10_000;

/** Options of {@link bootstrapWal}. */
export interface BootstrapOptions {
  fs: FileSystem;
  dataDir: string;
  /** wal_segment_size (default 16 MiB). */
  segSizeBytes?: number;
  /** Default: time-based, as initdb makes it. */
  systemIdentifier?: bigint;
  nextXid?: Xid;
  nextOid?: Oid;
  /** data_checksum_version (default 1). */
  dataChecksumVersion?: number;
  /** Zero-fill segments (default true). */
  zeroFillSegments?: boolean;
}

/** A unique system identifier: seconds, microseconds and pid bits, as initdb builds it. */
export function makeSystemIdentifier(): bigint {
  const nowUs = BigInt(Date.now()) * 1000n;
  return ((nowUs / 1_000_000n) << 32n) | ((nowUs % 1_000_000n) << 12n) | BigInt(process.pid & 0xfff);
}

/**
 * Creates the log of a new cluster (BootStrapXLOG): `pg_wal/` with its first segment holding a
 * shutdown checkpoint, and `global/pg_control` pointing at it (state DB_SHUTDOWNED).
 */
export async function bootstrapWal(options: BootstrapOptions): Promise<ControlFileData> {
  const { fs, dataDir } = options;
  const segSizeBytes = options.segSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES;
  if (!isValidSegmentSize(segSizeBytes)) {
    throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid WAL segment size: ${segSizeBytes}`, { hint: 'The WAL segment size must be a power of two between 64 kB and 1 GB.' });
  }
  const systemIdentifier = options.systemIdentifier ?? makeSystemIdentifier();
  await ensureDirectory(fs, dataDir, 'global');
  await removeTempSegments(fs, dataDir);
  // The first record goes into segment 1, as in PostgreSQL (segment 0 is never used).
  const start = segmentStart(1n, segSizeBytes);
  const wal = await Wal.open({
    fs, dataDir, systemIdentifier, timeLineId: 1, segSizeBytes, start: { endLsn: start, prevLsn: 0n as Lsn }, redoRecPtr: start,
    zeroFillSegments: options.zeroFillSegments ?? true,
  });
  const redo = wal.nextRecordLsn();
  const checkPoint: CheckPoint = {
    ...emptyCheckPoint(),
    redo, thisTimeLineId: 1, prevTimeLineId: 1, fullPageWrites: true, walLevel: WalLevel.replica,
    nextXid: options.nextXid ?? (3n as Xid), nextOid: options.nextOid ?? (10000 as Oid), oldestXid: 3n as Xid, oldestXidDb: 1 as Oid,
    oldestMultiDb: 1 as Oid, time: BigInt(Math.floor(Date.now() / 1000)),
  };
  const { lsn, endLsn } = await wal.insert({ rmid: RmgrId.XLOG, info: XlogInfo.CHECKPOINT_SHUTDOWN, xid: 0n as Xid, mainData: encodeCheckPoint(checkPoint) });
  await wal.flush(endLsn);
  await wal.close();
  const control = newControlFile({
    systemIdentifier, segSizeBytes, checkPoint: lsn, checkPointCopy: checkPoint, mockAuthenticationNonce: new Uint8Array(randomBytes(32)),
    ...(options.dataChecksumVersion !== undefined ? { dataChecksumVersion: options.dataChecksumVersion } : {}),
  });
  await writeControlFile(fs, dataDir, control);
  return control;
}

/** Where archive recovery stops (W31, W32). Set at most one of lsn, time, xid, name, immediate. */
export interface RecoveryTarget {
  lsn?: Lsn;
  time?: Date;
  xid?: Xid;
  name?: string;
  immediate?: boolean;
  /** recovery_target_inclusive (default true). */
  inclusive?: boolean;
  /** recovery_target_action (default pause). */
  action?: 'pause' | 'promote' | 'shutdown';
}

/** Archive recovery settings (postgresql.conf). */
export interface ArchiveRecoveryOptions {
  restoreCommand?: string;
  target?: RecoveryTarget;
  /** recovery_target_timeline (default 'latest'). */
  targetTimeline?: 'latest' | 'current' | TimeLineId;
  runner?: CommandRunner;
  /** Directory restore_command runs in (default: the data directory on disk). */
  cwd?: string;
  /**
   * Called when replay pauses at the target (action pause). Resolving `resume` ends recovery
   * and promotes (pg_wal_replay_resume()). Without it pause acts as shutdown, as with hot_standby=off.
   */
  onPause?: (pause: RecoveryPause) => void;
}

/** A paused recovery. */
export interface RecoveryPause { stopLsn: Lsn; resume(): void }

/** What the transaction layer tells recovery about its commit and abort records (W31). */
export interface TransactionRecordHooks {
  /** For a commit or abort record: its commit/abort time; undefined for every other record. */
  getRecordTimestamp?(record: DecodedRecord): Date | undefined;
  /** For a commit or abort record: the xid it ends; undefined for every other record. */
  getRecordXactXid?(record: DecodedRecord): Xid | undefined;
}

/** Options of {@link startupWal}. */
export interface StartupOptions {
  fs: FileSystem;
  dataDir: string;
  registry: ResourceManagerRegistry;
  redo: RedoContext;
  checkpoint: CheckpointCallbacks;
  /** Settings of the opened log (wal_buffers, full_page_writes, commit_delay, archive_mode, …). */
  wal?: Partial<Omit<WalOptions, 'fs' | 'dataDir' | 'systemIdentifier' | 'timeLineId' | 'segSizeBytes' | 'start' | 'redoRecPtr'>>;
  checkpointer?: Omit<CheckpointerOptions, 'prevTimeLineId' | 'lastCheckpointEndLsn'>;
  archiveRecovery?: ArchiveRecoveryOptions;
  xact?: TransactionRecordHooks;
  /** Check the data directory's permissions (default true). */
  checkPermissions?: boolean;
  /** Server log lines (default: none). */
  log?: (message: string) => void;
}

/** What recovery did. */
export interface RecoveryResult {
  /** 'crash' or 'archive' if WAL was replayed because the last shutdown was not clean or recovery was requested. */
  kind: 'none' | 'crash' | 'archive';
  /** The checkpoint recovery started from. */
  checkPointLsn: Lsn;
  redoLsn: Lsn;
  /** End of valid (or, with a target, of replayed) WAL: where new WAL starts. */
  endLsn: Lsn;
  recordsReplayed: number;
  /** Why the reader stopped. */
  endReason: string;
  /** Largest xid seen + 1, at least the checkpoint's nextXid: the transaction layer's restart point. */
  nextXid: Xid;
  nextOid: Oid;
  /** The timeline the log continues on. */
  timeLineId: TimeLineId;
  /** Set when a recovery target stopped replay. */
  stoppedAt?: { lsn: Lsn; before: boolean; reason: string };
}

/** The result of {@link startupWal}: the open log, or a shutdown at the recovery target. */
export type StartupResult =
  | { status: 'running'; wal: Wal; checkpointer: Checkpointer; control: ControlFileStore; recovery: RecoveryResult }
  | { status: 'shutdown'; control: ControlFileStore; recovery: RecoveryResult };

/** Checks that the data directory is not accessible to others (0700 or 0750). */
export async function checkDataDirPermissions(fs: FileSystem, dataDir: string): Promise<void> {
  let mode: number;
  try {
    mode = (await fs.stat(dataDir)).mode;
  } catch (err) {
    throw fileAccessError('stat', dataDir, err, { severity: 'FATAL' }).with({ severity: 'FATAL' });
  }
  if ((mode & 0o027) !== 0) {
    throw new PgError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, `data directory "${dataDir}" has invalid permissions`, {
      severity: 'FATAL',
      detail: 'Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).',
    });
  }
}

function fatal(code: string, message: string, fields: { detail?: string; hint?: string; severity?: 'FATAL' | 'PANIC' } = {}): PgError {
  return new PgError(code as typeof SqlState.INTERNAL_ERROR, message, { severity: fields.severity ?? 'FATAL', ...(fields.detail ? { detail: fields.detail } : {}), ...(fields.hint ? { hint: fields.hint } : {}) });
}

/**
 * Starts the log: recovery if needed, then an open {@link Wal} and {@link Checkpointer}.
 * See the file comment and README "Recovery".
 */
export async function startupWal(options: StartupOptions): Promise<StartupResult> {
  const { fs, dataDir, registry } = options;
  const log = options.log ?? (() => undefined);
  if (options.checkPermissions ?? true) await checkDataDirPermissions(fs, dataDir);
  const initial = await readControlFile(fs, dataDir);
  const control = new ControlFileStore(fs, dataDir, initial);
  const segSizeBytes = initial.xlogSegSize;
  if (!isValidSegmentSize(segSizeBytes)) throw fatal(SqlState.DATA_CORRUPTED, `invalid WAL segment size in control file (${segSizeBytes} bytes)`, { detail: `File "${dataDir}/${PG_CONTROL_PATH}".` });
  // Leftover temporary segments of a crashed process (WAL15), before any segment is created.
  await removeTempSegments(fs, dataDir);

  // 1. Archive recovery requested?
  if (await fs.exists(`${dataDir}/${STANDBY_SIGNAL_FILE}`)) throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'standby mode is not supported', { severity: 'FATAL' });
  const archive = (await fs.exists(`${dataDir}/${RECOVERY_SIGNAL_FILE}`)) ? options.archiveRecovery ?? {} : undefined;
  const local = new LocalSegmentSource(fs, dataDir);
  let source: SegmentSource = local;
  let restorer: RestoreCommandSource | undefined;
  if (archive) {
    if (!archive.restoreCommand) {
      throw fatal(SqlState.INVALID_PARAMETER_VALUE, 'must specify "restore_command" when standby mode is not enabled');
    }
    validateTarget(archive.target);
    restorer = new RestoreCommandSource({
      fs, dataDir, restoreCommand: archive.restoreCommand, fallback: local,
      ...(archive.runner ? { runner: archive.runner } : {}), ...(archive.cwd ? { cwd: archive.cwd } : {}),
      lastRestartPointFile: () => segmentFileName(control.data.checkPointCopy.thisTimeLineId, segmentOf(control.data.checkPointCopy.redo, segSizeBytes), segSizeBytes),
    });
    source = restorer;
  }
  const readHistory = async (tli: TimeLineId): Promise<TimeLineHistoryEntry[] | undefined> => {
    if (tli === 1) return [];
    const name = historyFileName(tli);
    const bytes = (await restorer?.restoreFile(name, 'RECOVERYHISTORY')) ?? (await local.read(tli, 0n, name));
    return bytes === undefined ? undefined : parseTimeLineHistory(new TextDecoder().decode(bytes), name);
  };

  // 2. The timeline to follow.
  const checkpointTli = initial.checkPointCopy.thisTimeLineId;
  let recoveryTli = checkpointTli;
  if (archive) {
    const wanted = archive.targetTimeline ?? 'latest';
    if (wanted === 'latest') {
      for (let tli = checkpointTli + 1; tli < checkpointTli + TIMELINE_PROBE_MAX; tli++) {
        const history = await readHistory(tli);
        if (!history) break;
        if (isInHistory(checkpointTli, initial.checkPoint, tli, history)) recoveryTli = tli;
      }
    } else if (wanted !== 'current') {
      const history = await readHistory(wanted);
      if (!history) throw fatal(SqlState.INVALID_PARAMETER_VALUE, `recovery target timeline ${wanted} does not exist`);
      if (!isInHistory(checkpointTli, initial.checkPoint, wanted, history)) {
        throw fatal(SqlState.INVALID_PARAMETER_VALUE, `requested timeline ${wanted} is not a child of this server's history`, {
          detail: `Latest checkpoint is at ${formatLsn(initial.checkPoint)} on timeline ${checkpointTli}, but in the history of the requested timeline, the server forked off from that timeline before it.`,
        });
      }
      recoveryTli = wanted;
    }
  }
  const history = (await readHistory(recoveryTli)) ?? [];
  const reader = new WalReader({ source, segSizeBytes, systemIdentifier: initial.systemIdentifier, timelines: timelineSpans(recoveryTli, history) });

  // 3. The checkpoint record.
  reader.seek(initial.checkPoint);
  const checkpointRecord = await reader.next();
  if (!checkpointRecord || !isCheckpointRecord(checkpointRecord)) {
    throw fatal(SqlState.DATA_CORRUPTED, 'could not locate a valid checkpoint record', {
      severity: 'PANIC',
      detail: `Checkpoint at ${formatLsn(initial.checkPoint)}: ${reader.endOfWal?.reason ?? 'not a checkpoint record'}.`,
    });
  }
  const checkPoint = decodeCheckPoint(checkpointRecord.mainData);
  if (checkPoint.redo > checkpointRecord.lsn) throw fatal(SqlState.DATA_CORRUPTED, 'invalid redo in checkpoint record', { severity: 'PANIC' });
  const kind: RecoveryResult['kind'] = archive ? 'archive' : initial.state === DBState.DB_SHUTDOWNED ? 'none' : 'crash';
  if (kind !== 'none') {
    log(`database system was not properly shut down; automatic recovery in progress`);
    await control.update({ state: kind === 'archive' ? DBState.DB_IN_ARCHIVE_RECOVERY : DBState.DB_IN_CRASH_RECOVERY });
  }

  // 4. Replay from the redo pointer.
  for (const rm of registry.list()) await rm.startup?.();
  reader.seek(checkPoint.redo);
  let nextXid = checkPoint.nextXid as bigint;
  let nextOid = checkPoint.nextOid as number;
  let recordsReplayed = 0;
  let lastApplied: DecodedRecord | undefined;
  let stoppedAt: RecoveryResult['stoppedAt'];
  const consistentLsn = [checkpointRecord.endLsn, initial.minRecoveryPoint, initial.backupEndPoint].reduce((a, b) => (b > a ? b : a));
  const target = archive?.target;
  const xact = options.xact ?? {};
  // Bounded by the WAL present: every round consumes one record.
  for (;;) {
    const record = await reader.next();
    if (!record) break;
    if (target) {
      const before = stopsBefore(record, target, xact);
      if (before) {
        stoppedAt = { lsn: record.lsn, before: true, reason: before };
        break;
      }
    }
    const rm = registry.require(record.rmid);
    await rm.redo(record, options.redo);
    recordsReplayed += 1;
    lastApplied = record;
    if (record.xid >= nextXid) nextXid = record.xid + 1n;
    if (record.rmid === RmgrId.XLOG) {
      const info = record.info & 0xf0;
      if (info === XlogInfo.NEXTOID) nextOid = decodeNextOid(record.mainData);
      if (isCheckpointRecord(record)) {
        const cp = decodeCheckPoint(record.mainData);
        if (cp.nextXid > nextXid) nextXid = cp.nextXid;
        nextOid = cp.nextOid;
      }
    }
    if (target) {
      const after = stopsAfter(record, target, xact, consistentLsn);
      if (after) {
        stoppedAt = { lsn: record.endLsn, before: false, reason: after };
        break;
      }
    }
  }
  for (const rm of registry.list()) await rm.cleanup?.();
  if (!lastApplied || lastApplied.endLsn < checkpointRecord.endLsn) {
    throw fatal(SqlState.DATA_CORRUPTED, 'could not find redo location referenced by checkpoint record', {
      severity: 'PANIC',
      detail: `Redo at ${formatLsn(checkPoint.redo)}: ${reader.endOfWal?.reason ?? 'WAL ends before the checkpoint record'}.`,
    });
  }
  if (target && !stoppedAt && (target.lsn !== undefined || target.time || target.xid !== undefined || target.name !== undefined || target.immediate)) {
    throw fatal(SqlState.INTERNAL_ERROR, 'recovery ended before configured recovery target was reached');
  }
  if (stoppedAt && stoppedAt.lsn < consistentLsn) {
    throw fatal(SqlState.INTERNAL_ERROR, 'requested recovery stop point is before consistent recovery point');
  }
  const endLsn = (stoppedAt ? (stoppedAt.before ? stoppedAt.lsn : lastApplied.endLsn) : reader.nextLsn) as Lsn;
  const prevLsn = lastApplied.lsn;
  const endReason = stoppedAt ? stoppedAt.reason : reader.endOfWal?.reason ?? 'end of WAL';
  if (kind !== 'none') log(`redo done at ${formatLsn(prevLsn)}; ${recordsReplayed} records; ${endReason}`);
  const recovery: RecoveryResult = {
    kind, checkPointLsn: checkpointRecord.lsn, redoLsn: checkPoint.redo, endLsn, recordsReplayed, endReason,
    nextXid: nextXid as Xid, nextOid: nextOid as Oid, timeLineId: recoveryTli, ...(stoppedAt ? { stoppedAt } : {}),
  };

  // 5. Pause or shut down at the target (W33).
  if (stoppedAt && target) {
    const action = target.action ?? 'pause';
    if (action === 'shutdown' || (action === 'pause' && !archive?.onPause)) {
      await control.update({ state: DBState.DB_SHUTDOWNED_IN_RECOVERY, minRecoveryPoint: endLsn, minRecoveryPointTli: recoveryTli });
      return { status: 'shutdown', control, recovery };
    }
    if (action === 'pause') await new Promise<void>((resume) => archive!.onPause!({ stopLsn: endLsn, resume }));
  }

  // 6. The partial page at the end, and the torn tail cut off (crash recovery) or the new timeline's first segment (archive recovery).
  const endSegno = segmentOf(endLsn, segSizeBytes);
  const endTli = reader.timelineOfSegment(endSegno);
  const endOffset = segmentOffset(endLsn, segSizeBytes);
  const segmentBytes = endOffset > 0 ? await source.read(endTli, endSegno, segmentFileName(endTli, endSegno, segSizeBytes)) : undefined;
  const pageStartOffset = endOffset - (endOffset % XLOG_BLCKSZ);
  const partialPage = new Uint8Array(XLOG_BLCKSZ);
  if (segmentBytes) partialPage.set(segmentBytes.subarray(pageStartOffset, Math.min(endOffset, segmentBytes.length)));
  let timeLineId = recoveryTli;
  let prevTimeLineId = checkpointTli;
  if (archive) {
    timeLineId = await newTimeLine(fs, dataDir, recoveryTli, history, endLsn, endReasonText(stoppedAt), readHistory, segSizeBytes, segmentBytes, log);
    prevTimeLineId = recoveryTli;
  } else {
    await truncateTail(fs, dataDir, endTli, endLsn, segSizeBytes);
  }

  // 7. Open the log and finish with a checkpoint.
  const wal = await Wal.open({
    ...options.wal,
    fs, dataDir, systemIdentifier: initial.systemIdentifier, timeLineId, segSizeBytes,
    start: { endLsn, prevLsn, partialPage }, redoRecPtr: checkPoint.redo,
  });
  const checkpointer = new Checkpointer(wal, control, {
    ...options.checkpoint,
    getNextXid: () => {
      const x = options.checkpoint.getNextXid();
      return (x > (nextXid as Xid) ? x : nextXid) as Xid;
    },
    getNextOid: () => {
      const o = options.checkpoint.getNextOid();
      return Math.max(o, nextOid) as Oid;
    },
  }, { ...options.checkpointer, prevTimeLineId, lastCheckpointEndLsn: checkpointRecord.endLsn });
  if (archive) {
    const { endLsn: eorEnd } = await wal.insert({
      rmid: RmgrId.XLOG, info: XlogInfo.END_OF_RECOVERY, xid: 0n as Xid,
      mainData: encodeEndOfRecovery({ time: BigInt(Math.floor(Date.now() / 1000)), thisTimeLineId: timeLineId, prevTimeLineId }),
    });
    await wal.flush(eorEnd);
  }
  if (kind !== 'none') {
    await checkpointer.checkpoint({ endOfRecovery: true });
  } else {
    await control.update({ state: DBState.DB_IN_PRODUCTION });
  }
  if (archive) {
    await fs.unlink(`${dataDir}/${RECOVERY_SIGNAL_FILE}`);
    await fs.syncDir(dataDir);
    log(`archive recovery complete; selected new timeline ID: ${timeLineId}`);
  }
  recovery.timeLineId = timeLineId;
  return { status: 'running', wal, checkpointer, control, recovery };
}

function validateTarget(target: RecoveryTarget | undefined): void {
  if (!target) return;
  const set = [
    target.immediate ? 'recovery_target' : undefined,
    target.lsn !== undefined ? 'recovery_target_lsn' : undefined,
    target.name !== undefined ? 'recovery_target_name' : undefined,
    target.time !== undefined ? 'recovery_target_time' : undefined,
    target.xid !== undefined ? 'recovery_target_xid' : undefined,
  ].filter((x): x is string => x !== undefined);
  if (set.length > 1) {
    throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'multiple recovery targets specified', {
      severity: 'FATAL',
      detail: 'At most one of "recovery_target", "recovery_target_lsn", "recovery_target_name", "recovery_target_time", "recovery_target_xid" may be set.',
    });
  }
}

/** recoveryStopsBefore: a reason if replay must stop before `record`. */
function stopsBefore(record: DecodedRecord, target: RecoveryTarget, xact: TransactionRecordHooks): string | undefined {
  const inclusive = target.inclusive ?? true;
  if (target.lsn !== undefined && !inclusive && record.lsn >= target.lsn) return `stopping before WAL location (LSN) "${formatLsn(target.lsn)}"`;
  const xactXid = xact.getRecordXactXid?.(record);
  if (xactXid === undefined) return undefined;
  if (target.xid !== undefined && !inclusive && xactXid === target.xid) return `recovery stopping before commit of transaction ${target.xid}`;
  if (target.time) {
    const at = xact.getRecordTimestamp?.(record);
    if (at && (inclusive ? at.getTime() > target.time.getTime() : at.getTime() >= target.time.getTime())) {
      return `recovery stopping before commit of transaction ${xactXid}, time ${at.toISOString()}`;
    }
  }
  return undefined;
}

/** recoveryStopsAfter: a reason if replay must stop after `record`. */
function stopsAfter(record: DecodedRecord, target: RecoveryTarget, xact: TransactionRecordHooks, consistentLsn: Lsn): string | undefined {
  const inclusive = target.inclusive ?? true;
  if (target.immediate && record.endLsn >= consistentLsn) return 'recovery stopping after reaching consistency';
  if (target.name !== undefined && record.rmid === RmgrId.XLOG && (record.info & 0xf0) === XlogInfo.RESTORE_POINT) {
    const point = decodeRestorePoint(record.mainData);
    if (point.name === target.name) return `recovery stopping at restore point "${point.name}"`;
  }
  if (target.lsn !== undefined && inclusive && record.lsn >= target.lsn) return `recovery stopping after WAL location (LSN) "${formatLsn(target.lsn)}"`;
  if (target.xid !== undefined && inclusive && xact.getRecordXactXid?.(record) === target.xid) return `recovery stopping after commit of transaction ${target.xid}`;
  return undefined;
}

function endReasonText(stoppedAt: RecoveryResult['stoppedAt']): string {
  return stoppedAt ? stoppedAt.reason.replace(/^recovery stopping /, '') : 'no recovery target specified';
}

/**
 * Cuts the log at `endLsn`: the rest of the segment holding it is overwritten with zeros
 * (keeping the file's pre-allocated size) and synced, later segments are removed, so that no
 * stale record of a previous incarnation can ever follow new WAL and look valid.
 */
async function truncateTail(fs: FileSystem, dataDir: string, tli: TimeLineId, endLsn: Lsn, segSizeBytes: number): Promise<void> {
  const walDir = `${dataDir}/${PG_WAL_DIR}`;
  const endSegno = segmentOf(endLsn, segSizeBytes);
  const path = `${walDir}/${segmentFileName(tli, endSegno, segSizeBytes)}`;
  try {
    const handle = await fs.open(path);
    try {
      const offset = segmentOffset(endLsn, segSizeBytes);
      const size = await handle.size();
      if (size > offset) {
        const zeros = new Uint8Array(Math.min(1024 * 1024, size - offset));
        for (let pos = offset; pos < size; pos += zeros.length) await handle.write(zeros, 0, Math.min(zeros.length, size - pos), pos);
        await handle.sync();
      }
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw fileAccessError('write to', path, err, { severity: 'PANIC' });
  }
  let removed = 0;
  for (const name of await fs.readdir(walDir)) {
    const parsed = parseSegmentFileName(name, segSizeBytes);
    if (parsed && parsed.tli === tli && parsed.segno > endSegno) {
      await fs.unlink(`${walDir}/${name}`);
      removed += 1;
    }
  }
  if (removed > 0) await fs.syncDir(walDir);
}

/** Picks the next timeline id, writes its history file and its first segment (the old one's prefix) (W35). */
async function newTimeLine(
  fs: FileSystem, dataDir: string, parentTli: TimeLineId, parentHistory: TimeLineHistoryEntry[], switchLsn: Lsn, reason: string,
  readHistory: (tli: TimeLineId) => Promise<TimeLineHistoryEntry[] | undefined>, segSizeBytes: number, segmentBytes: Uint8Array | undefined,
  log: (message: string) => void,
): Promise<TimeLineId> {
  let newTli = parentTli + 1;
  // Bounded probe: the highest timeline id known to the archive or pg_wal, plus one.
  for (let i = 0; i < TIMELINE_PROBE_MAX && (await readHistory(newTli)) !== undefined; i++) newTli += 1;
  const walDir = `${dataDir}/${PG_WAL_DIR}`;
  await fs.mkdir(`${dataDir}/${ARCHIVE_STATUS_DIR}`, { recursive: true });
  const content = `${formatTimeLineHistory(parentHistory)}${formatTimeLineHistory([{ tli: parentTli, switchLsn, reason }])}`;
  const name = historyFileName(newTli);
  try {
    await fs.writeFileAtomic(`${walDir}/${name}`, new TextEncoder().encode(content));
    await fs.writeFileAtomic(`${dataDir}/${ARCHIVE_STATUS_DIR}/${name}.ready`, new Uint8Array(0));
  } catch (err) {
    throw fileAccessError('write to', `${walDir}/${name}`, err, { severity: 'FATAL' });
  }
  const offset = segmentOffset(switchLsn, segSizeBytes);
  if (offset > 0 && segmentBytes) {
    const segName = segmentFileName(newTli, segmentOf(switchLsn, segSizeBytes), segSizeBytes);
    await fs.writeFileAtomic(`${walDir}/${segName}`, segmentBytes.subarray(0, Math.min(offset, segmentBytes.length)));
  }
  log(`selected new timeline ID: ${newTli}`);
  return newTli;
}
