// Commit durability (W22, W23): synchronous_commit as a policy the transaction layer picks
// per commit, and the WAL writer that flushes asynchronous commits in the background.
// Entry points: waitForCommit, parseSynchronousCommit, WalWriter.

import { PgError, SqlState, type Lsn } from '@palisade/common';
import type { Wal } from './wal.ts';

/** synchronous_commit levels (W22). Without standbys every level but `off` waits for the local flush (W23). */
export type SynchronousCommit = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

/** Parses a synchronous_commit setting, with PostgreSQL's boolean aliases. */
export function parseSynchronousCommit(text: string): SynchronousCommit {
  const v = text.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(v)) return 'on';
  if (['off', 'false', 'no', '0'].includes(v)) return 'off';
  if (v === 'local' || v === 'remote_write' || v === 'remote_apply') return v;
  throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "synchronous_commit": "${text}"`, {
    hint: 'Available values: local, remote_write, remote_apply, on, off.',
  });
}

/**
 * Makes a commit record as durable as `level` asks before the commit is acknowledged:
 * `off` returns at once and leaves the flush to the WAL writer (a crash may lose the commit,
 * never half of it); every other level waits for the local flush (group commit).
 */
export async function waitForCommit(wal: Wal, commitEndLsn: Lsn, level: SynchronousCommit): Promise<void> {
  if (level === 'off') {
    wal.noteAsyncCommit(commitEndLsn);
    return;
  }
  await wal.flush(commitEndLsn);
}

/** Options of {@link WalWriter}. */
export interface WalWriterOptions {
  /** wal_writer_delay (default 200 ms, range 1–10000). */
  delayMs?: number;
  /** Called with errors of background flushes (a PANIC means the instance must restart). */
  onError?: (error: unknown) => void;
}

/**
 * The WAL writer: every `delayMs` it flushes all inserted WAL if an asynchronous commit is
 * not yet durable, so an async commit is durable within about one delay (W23 allows 3 ×).
 */
export class WalWriter {
  readonly #wal: Wal;
  readonly delayMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #tick: Promise<void> | undefined;
  lastError: unknown;

  constructor(wal: Wal, options: WalWriterOptions = {}) {
    this.#wal = wal;
    this.delayMs = options.delayMs ?? 200;
    if (!Number.isInteger(this.delayMs) || this.delayMs < 1 || this.delayMs > 10_000) {
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `${this.delayMs} ms is outside the valid range for parameter "wal_writer_delay" (1 .. 10000)`);
    }
    this.#onError = options.onError ?? ((error) => { this.lastError = error; });
  }

  /** One round: flush if an asynchronous commit is not yet durable. */
  async tick(): Promise<void> {
    const wal = this.#wal;
    if (wal.closed || wal.failure) return;
    if (wal.asyncCommitLsn > wal.flushedLsn) await wal.flush(wal.insertLsn);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const loop = (): void => {
      if (!this.#running) return;
      this.#tick = this.tick().catch((error: unknown) => this.#onError(error)).finally(() => {
        this.#tick = undefined;
        if (this.#running) {
          this.#timer = setTimeout(loop, this.delayMs);
          this.#timer.unref?.();
        }
      });
    };
    this.#timer = setTimeout(loop, this.delayMs);
    this.#timer.unref?.();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }
}
