// Continuous archiving (W28) and restoring from an archive (W30). Entry points: Archiver
// (runs archive_command for each `.ready` segment, renames it `.done`), RestoreCommandSource
// (a SegmentSource that runs restore_command and falls back to pg_wal),
// expandArchiveCommand / expandRestoreCommand, shellCommandRunner.
//
// Commands run through /bin/sh with the data directory as working directory, so that `%p`
// (a path relative to it) names the file, as in PostgreSQL.

import { spawn } from 'node:child_process';
import * as nodePath from 'node:path';
import { PgError, SqlState, type FileSystem } from '@palisade/common';
import { errnoCode, fileAccessError } from './errors.ts';
import type { SegmentSource } from './reader.ts';
import { ARCHIVE_STATUS_DIR, PG_WAL_DIR, type TimeLineId } from './segment.ts';

/** How a command ended. */
export interface CommandOutcome { exitCode: number | null; signal: NodeJS.Signals | null }
/** Runs a shell command in a directory. */
export type CommandRunner = (command: string, cwd: string) => Promise<CommandOutcome>;

/** Longest a single archive or restore command may run before it is killed, ms. */
export const COMMAND_TIMEOUT_MS = 10 * 60 * 1000;

/** Runs `command` with /bin/sh -c in `cwd`, output discarded. */
export const shellCommandRunner: CommandRunner = (command, cwd) =>
  new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });

function shellQuoteFree(template: string, values: Record<string, string>): string {
  // %x for a known x is replaced, %% is %, anything else is copied as is (PostgreSQL's behaviour).
  return template.replace(/%(.)/g, (whole, ch: string) => (ch === '%' ? '%' : values[ch] ?? whole));
}

/** archive_command with %p (path relative to the data directory), %f (file name), %% (W28). */
export function expandArchiveCommand(template: string, values: { p: string; f: string }): string {
  return shellQuoteFree(template, values);
}

/** restore_command with %f (wanted file), %p (destination path), %r (oldest file still needed), %% (W30). */
export function expandRestoreCommand(template: string, values: { f: string; p: string; r: string }): string {
  return shellQuoteFree(template, values);
}

/** The directory a FileSystem's `dataDir` is on the real disk (where commands run). */
export function dataDirOnDisk(fs: FileSystem, dataDir: string): string {
  const resolver = (fs as { resolve?: (p: string) => string }).resolve;
  return typeof resolver === 'function' ? resolver.call(fs, dataDir) : nodePath.resolve(dataDir);
}

/** Options of {@link Archiver}. */
export interface ArchiverOptions {
  fs: FileSystem;
  dataDir: string;
  /** archive_command. */
  archiveCommand?: string;
  /** archive_library: not supported, and mutually exclusive with archive_command (W28). */
  archiveLibrary?: string;
  runner?: CommandRunner;
  /** Directory the command runs in (default: the data directory on disk). */
  cwd?: string;
  /** Attempts per file per round before giving up until the next round (PostgreSQL: 3). */
  attemptsPerRound?: number;
  /** Timer period between rounds, ms (default 60 s; a completed segment wakes it at once). */
  intervalMs?: number;
  /** Pause between two failed attempts, ms (default 1 s). */
  retryDelayMs?: number;
  onError?: (error: unknown) => void;
}

/** Archives completed segments and history files (the archiver process). */
export class Archiver {
  readonly #fs: FileSystem;
  readonly #dataDir: string;
  readonly #command: string;
  readonly #runner: CommandRunner;
  readonly #cwd: string;
  readonly #attempts: number;
  readonly #intervalMs: number;
  readonly #retryDelayMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #round: Promise<ArchiveRoundResult> | undefined;
  #again = false;
  /** Failed attempts so far (pg_stat_archiver.failed_count). */
  failedCount = 0;
  /** Files archived so far (pg_stat_archiver.archived_count). */
  archivedCount = 0;
  lastError: unknown;

  constructor(options: ArchiverOptions) {
    if (options.archiveCommand && options.archiveLibrary) {
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'both "archive_command" and "archive_library" set', {
        severity: 'FATAL',
        detail: 'Only one of "archive_command", "archive_library" may be set.',
      });
    }
    if (options.archiveLibrary) throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'archive_library is not supported', { hint: 'Use archive_command.' });
    if (!options.archiveCommand) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'archive_mode enabled, yet archiving is not configured', { hint: 'Set "archive_command".' });
    this.#fs = options.fs;
    this.#dataDir = options.dataDir;
    this.#command = options.archiveCommand;
    this.#runner = options.runner ?? shellCommandRunner;
    this.#cwd = options.cwd ?? dataDirOnDisk(options.fs, options.dataDir);
    this.#attempts = options.attemptsPerRound ?? 3;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#onError = options.onError ?? ((error) => { this.lastError = error; });
  }

  /** Archives every `.ready` file in order (history files first), stopping at the first that fails. */
  async archivePending(): Promise<ArchiveRoundResult> {
    if (this.#round) {
      this.#again = true;
      return this.#round;
    }
    const run = this.#archiveRound();
    this.#round = run;
    try {
      return await run;
    } finally {
      this.#round = undefined;
    }
  }

  async #archiveRound(): Promise<ArchiveRoundResult> {
    const statusDir = `${this.#dataDir}/${ARCHIVE_STATUS_DIR}`;
    const result: ArchiveRoundResult = { archived: [], failed: undefined };
    // Bounded: each pass archives at least one file or stops; new files only arrive with new WAL.
    for (let pass = 0; pass < 1000; pass++) {
      this.#again = false;
      const ready = (await this.#fs.readdir(statusDir))
        .filter((n) => n.endsWith('.ready'))
        .map((n) => n.slice(0, -'.ready'.length))
        .sort((a, b) => Number(b.endsWith('.history')) - Number(a.endsWith('.history')) || (a < b ? -1 : a > b ? 1 : 0));
      if (ready.length === 0) return result;
      for (const name of ready) {
        const ok = await this.#archiveOne(name);
        if (!ok) {
          result.failed = name;
          return result;
        }
        result.archived.push(name);
      }
      if (!this.#again) return result;
    }
    return result;
  }

  async #archiveOne(name: string): Promise<boolean> {
    const command = expandArchiveCommand(this.#command, { p: `${PG_WAL_DIR}/${name}`, f: name });
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.#retryDelayMs));
      const outcome = await this.#runner(command, this.#cwd).catch((error: unknown) => ({ exitCode: null, signal: null, error }));
      if (outcome.exitCode === 0) {
        const statusDir = `${this.#dataDir}/${ARCHIVE_STATUS_DIR}`;
        try {
          await this.#fs.rename(`${statusDir}/${name}.ready`, `${statusDir}/${name}.done`);
          await this.#fs.syncDir(statusDir);
        } catch (err) {
          throw fileAccessError('rename', `${statusDir}/${name}.ready`, err);
        }
        this.archivedCount += 1;
        return true;
      }
      this.failedCount += 1;
      this.#onError(new PgError(SqlState.SYSTEM_ERROR, `archive command failed with exit code ${outcome.exitCode ?? 'none'}${outcome.signal ? ` (signal ${outcome.signal})` : ''}`, {
        severity: 'WARNING',
        detail: `The failed archive command was: ${command}`,
      }));
    }
    return false;
  }

  /** Runs a round now (a segment was completed). */
  wake(): void {
    this.archivePending().catch((error: unknown) => this.#onError(error));
  }

  /** Starts the timer that retries pending files. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.wake(), this.#intervalMs);
    this.#timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#round?.catch(() => undefined);
  }
}

/** What one archiving round did. */
export interface ArchiveRoundResult { archived: string[]; failed: string | undefined }

/** Options of {@link RestoreCommandSource}. */
export interface RestoreCommandSourceOptions {
  fs: FileSystem;
  dataDir: string;
  restoreCommand: string;
  runner?: CommandRunner;
  cwd?: string;
  /** `%r`: the oldest segment file still needed (default: `000000010000000000000000`). */
  lastRestartPointFile?: () => string;
  /** Where to look when the archive does not have a file (pg_wal). */
  fallback?: SegmentSource;
}

/** Segments from restore_command, preferred over pg_wal (W30). */
export class RestoreCommandSource implements SegmentSource {
  readonly #options: RestoreCommandSourceOptions;
  readonly #runner: CommandRunner;
  readonly #cwd: string;

  constructor(options: RestoreCommandSourceOptions) {
    this.#options = options;
    this.#runner = options.runner ?? shellCommandRunner;
    this.#cwd = options.cwd ?? dataDirOnDisk(options.fs, options.dataDir);
  }

  async read(tli: TimeLineId, segno: bigint, fileName: string): Promise<Uint8Array | undefined> {
    const restored = await this.restoreFile(fileName, 'RECOVERYXLOG');
    if (restored) return restored;
    return this.#options.fallback?.read(tli, segno, fileName);
  }

  /**
   * Runs restore_command for `fileName` into `pg_wal/<temp>` and returns its content, or
   * undefined if the command says the file is not available (non-zero exit: normal). Death by
   * a signal or a shell error (exit > 125) aborts recovery (W30).
   */
  async restoreFile(fileName: string, tempName: string): Promise<Uint8Array | undefined> {
    const { fs, dataDir } = this.#options;
    const relTemp = `${PG_WAL_DIR}/${tempName}`;
    const command = expandRestoreCommand(this.#options.restoreCommand, {
      f: fileName,
      p: relTemp,
      r: this.#options.lastRestartPointFile?.() ?? '000000010000000000000000',
    });
    await fs.unlink(`${dataDir}/${relTemp}`).catch(() => undefined);
    const outcome = await this.#runner(command, this.#cwd);
    if (outcome.signal === 'SIGTERM') {
      throw new PgError(SqlState.ADMIN_SHUTDOWN, 'terminating startup process due to administrator command', { severity: 'FATAL', detail: `The failed restore command was: ${command}` });
    }
    if (outcome.signal !== null || (outcome.exitCode !== null && outcome.exitCode > 125)) {
      throw new PgError(SqlState.SYSTEM_ERROR, `could not restore file "${fileName}" from archive: ${outcome.signal ? `child process was terminated by signal ${outcome.signal}` : `child process exited with exit code ${outcome.exitCode}`}`, {
        severity: 'FATAL',
        detail: `The failed restore command was: ${command}`,
      });
    }
    if (outcome.exitCode !== 0) return undefined;
    try {
      const bytes = await fs.readFile(`${dataDir}/${relTemp}`);
      await fs.unlink(`${dataDir}/${relTemp}`);
      return bytes;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        throw new PgError(SqlState.UNDEFINED_FILE, `could not stat file "${relTemp}": No such file or directory`, { severity: 'FATAL', detail: `restore_command returned 0 but did not create the file: ${command}` });
      }
      throw fileAccessError('read', relTemp, err, { severity: 'FATAL' });
    }
  }
}
