// Checkpoints (W17–W19): the Checkpointer sets the redo pointer, has the layer above write
// and sync every dirty page, logs the checkpoint record, flushes it, records it in
// pg_control and then recycles or removes segments older than the redo segment.
// Entry points: Checkpointer (checkpoint, requestCheckpoint, start/stop for the timed and
// WAL-volume triggers), removeOldSegments.

import { assert, type FileSystem, type Lsn, type Oid, type Xid } from '@palisade/common';
import { DBState, WalLevel, encodeCheckPoint, type CheckPoint, type ControlFileStore } from './control.ts';
import { errnoCode, fileAccessError } from './errors.ts';
import { RmgrId } from './rmgr.ts';
import { ARCHIVE_STATUS_DIR, PG_WAL_DIR, parseSegmentFileName, segmentFileName, segmentOf, type TimeLineId } from './segment.ts';
import type { Wal } from './wal.ts';
import { XlogInfo } from './xlog.ts';

/** What a checkpoint needs from the layers above (buffer manager, storage manager, transactions). */
export interface CheckpointCallbacks {
  /** Writes every dirty shared buffer (CheckPointBuffers); the buffer manager flushes WAL to each page's LSN first (W1). */
  flushAllBuffers(): Promise<void>;
  /** fsyncs every relation file written since the last checkpoint (the storage manager's pending syncs). */
  syncAllPending(): Promise<void>;
  getNextXid(): Xid;
  getNextOid(): Oid;
  /** Oldest xid still running (default: nextXid). */
  getOldestActiveXid?(): Xid;
  /** Oldest xid any table may contain (default 3, FirstNormalTransactionId). */
  getOldestXid?(): Xid;
}

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** checkpoint_timeout (default 300 s). */
  checkpointTimeoutMs?: number;
  /** max_wal_size (default 1 GiB): a checkpoint starts when WAL since the last redo pointer nears it. */
  maxWalSizeBytes?: number;
  /** min_wal_size (default 80 MiB): old segments are recycled rather than removed up to this much. */
  minWalSizeBytes?: number;
  /** checkpoint_completion_target (default 0.9), used for the WAL-volume trigger as PostgreSQL does. */
  checkpointCompletionTarget?: number;
  /** How often the timer checks its triggers (default 1 s). */
  tickMs?: number;
  /** The previous timeline, for the first checkpoint after a timeline switch. */
  prevTimeLineId?: TimeLineId;
  /** End of the latest checkpoint record: with no WAL after it, a non-forced checkpoint is skipped (W19). */
  lastCheckpointEndLsn?: Lsn;
  /** Errors of timer-driven checkpoints (default: kept in `lastError`). */
  onError?: (error: unknown) => void;
}

/** Why a checkpoint runs. */
export interface CheckpointRequest {
  /** The shutdown checkpoint: CHECKPOINT_SHUTDOWN, pg_control ends DB_SHUTDOWNED. */
  shutdown?: boolean;
  /** The checkpoint that ends crash or archive recovery (logged as CHECKPOINT_SHUTDOWN, as PostgreSQL does). */
  endOfRecovery?: boolean;
  /** Run even if no WAL was written since the last one (CHECKPOINT command, shutdown). */
  force?: boolean;
}

/** What a checkpoint did. */
export interface CheckpointResult {
  lsn: Lsn;
  endLsn: Lsn;
  redo: Lsn;
  checkPoint: CheckPoint;
  segmentsRemoved: number;
  segmentsRecycled: number;
}

/** Runs checkpoints; see the file comment. */
export class Checkpointer {
  readonly #wal: Wal;
  readonly #control: ControlFileStore;
  readonly #callbacks: CheckpointCallbacks;
  readonly #timeoutMs: number;
  readonly #maxWalSizeBytes: number;
  readonly #minWalSizeBytes: number;
  readonly #completionTarget: number;
  readonly #tickMs: number;
  readonly #onError: (error: unknown) => void;
  #prevTimeLineId: TimeLineId;
  #lastCheckpointEndLsn: Lsn | undefined;
  #lastCheckpointAtMs = Date.now();
  #running: Promise<CheckpointResult | undefined> | undefined;
  /** The last checkpoint queued: the next one starts after it. */
  #tail: Promise<CheckpointResult | undefined> = Promise.resolve(undefined);
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The last error of a timer-driven checkpoint. */
  lastError: unknown;
  /** Checkpoints completed (not skipped). */
  completedCount = 0;

  constructor(wal: Wal, control: ControlFileStore, callbacks: CheckpointCallbacks, options: CheckpointerOptions = {}) {
    this.#wal = wal;
    this.#control = control;
    this.#callbacks = callbacks;
    this.#timeoutMs = options.checkpointTimeoutMs ?? 300_000;
    this.#maxWalSizeBytes = options.maxWalSizeBytes ?? 1024 * 1024 * 1024;
    this.#minWalSizeBytes = options.minWalSizeBytes ?? 80 * 1024 * 1024;
    this.#completionTarget = options.checkpointCompletionTarget ?? 0.9;
    this.#tickMs = options.tickMs ?? 1000;
    this.#prevTimeLineId = options.prevTimeLineId ?? wal.timeLineId;
    this.#lastCheckpointEndLsn = options.lastCheckpointEndLsn;
    this.#onError = options.onError ?? ((error) => { this.lastError = error; });
    assert(this.#timeoutMs > 0 && this.#maxWalSizeBytes > 0, 'checkpoint_timeout and max_wal_size must be positive');
  }

  /** Runs a checkpoint now, or after the one running (checkpoints never overlap). */
  async checkpoint(request: CheckpointRequest = {}): Promise<CheckpointResult | undefined> {
    const run = this.#tail.catch(() => undefined).then(() => this.#run(request));
    this.#tail = run;
    this.#running = run;
    try {
      return await run;
    } finally {
      if (this.#running === run) this.#running = undefined;
    }
  }

  /** A forced checkpoint (the CHECKPOINT command). */
  requestCheckpoint(): Promise<CheckpointResult | undefined> {
    return this.checkpoint({ force: true });
  }

  /** Bytes of WAL after which the volume trigger fires (max_wal_size / (1 + completion target)). */
  get walVolumeTriggerBytes(): number {
    return Math.floor(this.#maxWalSizeBytes / (1 + this.#completionTarget));
  }

  /** True if checkpoint_timeout elapsed or enough WAL was written since the last redo pointer (W19). */
  isDue(nowMs = Date.now()): boolean {
    if (nowMs - this.#lastCheckpointAtMs >= this.#timeoutMs) return true;
    return this.#wal.insertLsn - this.#control.data.checkPointCopy.redo >= BigInt(this.walVolumeTriggerBytes);
  }

  /** Starts the timer that runs timed and WAL-volume checkpoints. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running || !this.isDue()) return;
      this.checkpoint().catch((error: unknown) => this.#onError(error));
    }, this.#tickMs);
    this.#timer.unref?.();
  }

  /** Stops the timer and waits for a running checkpoint. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tail.catch(() => undefined);
  }

  async #run(request: CheckpointRequest): Promise<CheckpointResult | undefined> {
    const wal = this.#wal;
    const shutdown = request.shutdown === true || request.endOfRecovery === true;
    this.#lastCheckpointAtMs = Date.now();
    if (!request.force && !shutdown && this.#lastCheckpointEndLsn !== undefined && wal.insertLsn === this.#lastCheckpointEndLsn) return undefined;
    if (request.shutdown) await this.#control.update({ state: DBState.DB_SHUTDOWNING });

    // 1. The redo pointer: every record inserted from here on decides its images against it.
    const redo = wal.beginCheckpointRedo();
    // 2. Every page changed before redo is written and synced (the buffer manager flushes WAL first).
    await this.#callbacks.flushAllBuffers();
    await this.#callbacks.syncAllPending();
    // 3. The checkpoint record, flushed.
    const nextXid = this.#callbacks.getNextXid();
    const checkPoint: CheckPoint = {
      redo,
      thisTimeLineId: wal.timeLineId,
      prevTimeLineId: this.#prevTimeLineId,
      fullPageWrites: wal.fullPageWrites,
      walLevel: WalLevel.replica,
      nextXid,
      nextOid: this.#callbacks.getNextOid(),
      nextMulti: 1n,
      nextMultiOffset: 0n,
      oldestXid: this.#callbacks.getOldestXid?.() ?? (3n as Xid),
      oldestXidDb: 1 as Oid,
      oldestMulti: 1n,
      oldestMultiDb: 1 as Oid,
      time: BigInt(Math.floor(Date.now() / 1000)),
      oldestCommitTsXid: 0n as Xid,
      newestCommitTsXid: 0n as Xid,
      oldestActiveXid: shutdown ? (0n as Xid) : (this.#callbacks.getOldestActiveXid?.() ?? nextXid),
    };
    const info = shutdown ? XlogInfo.CHECKPOINT_SHUTDOWN : XlogInfo.CHECKPOINT_ONLINE;
    const { lsn, endLsn } = await wal.insert({ rmid: RmgrId.XLOG, info, xid: 0n as Xid, mainData: encodeCheckPoint(checkPoint) });
    await wal.flush(endLsn);
    // 4. pg_control points at it: from now on recovery starts at `redo`.
    await this.#control.update({
      checkPoint: lsn,
      checkPointCopy: checkPoint,
      state: request.shutdown ? DBState.DB_SHUTDOWNED : DBState.DB_IN_PRODUCTION,
      minRecoveryPoint: 0n as Lsn,
      minRecoveryPointTli: 0,
    });
    this.#prevTimeLineId = wal.timeLineId;
    this.#lastCheckpointEndLsn = endLsn;
    this.completedCount += 1;
    // 5. Segments before the redo segment are no longer needed for crash recovery.
    const { removed, recycled } = await removeOldSegments(wal.fs, wal.dataDir, {
      redoLsn: redo,
      insertLsn: wal.insertLsn,
      segSizeBytes: wal.segSizeBytes,
      timeLineId: wal.timeLineId,
      archiveMode: wal.archiveMode,
      recycleSegmentsMax: Math.max(0, Math.floor(this.#minWalSizeBytes / wal.segSizeBytes) - 1),
    });
    return { lsn, endLsn, redo, checkPoint, segmentsRemoved: removed, segmentsRecycled: recycled };
  }
}

/** Options of {@link removeOldSegments}. */
export interface RemoveOldSegmentsOptions {
  redoLsn: Lsn;
  insertLsn: Lsn;
  segSizeBytes: number;
  timeLineId: TimeLineId;
  archiveMode: boolean;
  /** At most this many future segments are kept ready by renaming old ones (recycling). */
  recycleSegmentsMax: number;
}

/**
 * Removes or recycles segments older than the redo segment (W18). With archiving on, a
 * segment stays until its `.done` status file exists. Recycling renames an old segment to a
 * future segment name: its stale pages carry old pageaddrs, which readers reject.
 */
export async function removeOldSegments(fs: FileSystem, dataDir: string, options: RemoveOldSegmentsOptions): Promise<{ removed: number; recycled: number }> {
  const walDir = `${dataDir}/${PG_WAL_DIR}`;
  const statusDir = `${dataDir}/${ARCHIVE_STATUS_DIR}`;
  const redoSeg = segmentOf(options.redoLsn, options.segSizeBytes);
  const insertSeg = segmentOf(options.insertLsn, options.segSizeBytes);
  const names = await fs.readdir(walDir);
  const statuses = new Set(await fs.readdir(statusDir).catch(() => [] as string[]));
  const existing = new Set<bigint>();
  for (const name of names) {
    const parsed = parseSegmentFileName(name, options.segSizeBytes);
    if (parsed && parsed.tli === options.timeLineId) existing.add(parsed.segno);
  }
  let futureCount = 0;
  for (const segno of existing) if (segno > insertSeg) futureCount += 1;
  let nextFuture = insertSeg + 1n;
  let removed = 0;
  let recycled = 0;
  for (const name of names) {
    const parsed = parseSegmentFileName(name, options.segSizeBytes);
    if (!parsed || parsed.segno >= redoSeg) continue;
    if (options.archiveMode && !statuses.has(`${name}.done`)) {
      // A completed segment whose status file a crash lost gets it back (XLogArchiveCheckDone).
      if (!statuses.has(`${name}.ready`)) {
        try {
          await fs.writeFileAtomic(`${statusDir}/${name}.ready`, new Uint8Array(0));
        } catch (err) {
          throw fileAccessError('write to', `${statusDir}/${name}.ready`, err);
        }
      }
      continue;
    }
    const path = `${walDir}/${name}`;
    try {
      if (futureCount < options.recycleSegmentsMax) {
        // Bounded by the number of future segment names already present.
        while (existing.has(nextFuture)) nextFuture += 1n;
        await fs.rename(path, `${walDir}/${segmentFileName(options.timeLineId, nextFuture, options.segSizeBytes)}`);
        existing.add(nextFuture);
        futureCount += 1;
        recycled += 1;
      } else {
        await fs.unlink(path);
        removed += 1;
      }
      if (statuses.has(`${name}.done`)) await fs.unlink(`${statusDir}/${name}.done`);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw fileAccessError('remove', path, err);
    }
  }
  if (removed + recycled > 0) {
    await fs.syncDir(walDir);
  }
  return { removed, recycled };
}
