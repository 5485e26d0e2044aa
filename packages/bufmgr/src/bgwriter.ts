// The background writer (B18): writes dirty, unpinned buffers with usage count 0 just ahead of
// the clock hand, so that backends looking for a victim find clean ones. It never moves the
// hand. Entry point: `BackgroundWriter` — `runOnce()` is one round, `start()` a timer driver.

import { PgError, SqlState } from '@palisade/common';
import type { BufferBackend, BufferPool } from './buffer-pool.ts';
import { BufferState as S, Desc, refCountOf, usageCountOf } from './shared-memory.ts';

/** The background writer's settings (PostgreSQL's GUCs of the same names). */
export interface BackgroundWriterOptions {
  /** bgwriter_delay: pause between rounds (default 200 ms, 10–10000). */
  delayMs?: number;
  /** bgwriter_lru_maxpages: most buffers written per round (default 100; 0 disables writing). */
  lruMaxPages?: number;
  /** bgwriter_lru_multiplier: how many times the recent allocation rate to clean ahead (default 2.0, 0–10). */
  lruMultiplier?: number;
  /** Receives a round's error (the timer driver carries on, as PostgreSQL's bgwriter does after an error). */
  onError?: (err: unknown) => void;
}

/** What one round did. */
export interface BgWriterRoundResult {
  scannedCount: number;
  writtenCount: number;
  /** Clean reusable buffers found (or made) ahead of the clock hand. */
  reusableCount: number;
}

/** Rounds over which the allocation rate is smoothed (PostgreSQL's smoothing_samples). */
const SMOOTHING_SAMPLES = 16;

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!(value >= min && value <= max)) {
    throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `${value} is outside the valid range for parameter "${name}" (${min} .. ${max})`);
  }
  return value;
}

/** The background writer of one buffer pool. */
export class BackgroundWriter {
  readonly pool: BufferPool;
  readonly delayMs: number;
  readonly lruMaxPages: number;
  readonly lruMultiplier: number;
  readonly #onError: (err: unknown) => void;
  readonly #backend: BufferBackend;
  #smoothedAllocs = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(pool: BufferPool, options: BackgroundWriterOptions = {}) {
    this.pool = pool;
    this.delayMs = checkRange('bgwriter_delay', options.delayMs ?? 200, 10, 10_000);
    this.lruMaxPages = checkRange('bgwriter_lru_maxpages', options.lruMaxPages ?? 100, 0, 1_073_741_823);
    this.lruMultiplier = checkRange('bgwriter_lru_multiplier', options.lruMultiplier ?? 2.0, 0, 10);
    this.#onError = options.onError ?? (() => {});
    this.#backend = pool.registerBackend();
  }

  /**
   * One round (BgBufferSync): estimates the buffers needed before the next round from the
   * smoothed allocation rate × lru_multiplier, then scans ahead of the clock hand writing
   * dirty, unpinned, usage-0 buffers until that many reusable ones are found or lru_maxpages
   * are written or the whole pool is scanned.
   */
  async runOnce(): Promise<BgWriterRoundResult> {
    const pool = this.pool;
    const recentAllocs = pool.takeRecentAllocCount();
    if (this.#smoothedAllocs <= recentAllocs) this.#smoothedAllocs = recentAllocs;
    else this.#smoothedAllocs += (recentAllocs - this.#smoothedAllocs) / SMOOTHING_SAMPLES;
    const upcoming = Math.ceil(this.#smoothedAllocs * this.lruMultiplier);
    const result: BgWriterRoundResult = { scannedCount: 0, writtenCount: 0, reusableCount: 0 };
    if (this.lruMaxPages === 0 || upcoming === 0) return result;
    const start = pool.nextVictimBuffer;
    const d = pool.desc;
    for (let step = 0; step < pool.bufferCount; step++) {
      if (result.reusableCount >= upcoming || result.writtenCount >= this.lruMaxPages) break;
      const index = (start + step) % pool.bufferCount;
      result.scannedCount++;
      const state = Atomics.load(d, index * Desc.STRIDE + Desc.STATE);
      if (refCountOf(state) !== 0 || usageCountOf(state) !== 0) continue;
      if ((state & S.DIRTY) !== 0 && (await pool.syncOneBuffer(this.#backend, index, true))) result.writtenCount++;
      const after = Atomics.load(d, index * Desc.STRIDE + Desc.STATE);
      if (refCountOf(after) === 0 && usageCountOf(after) === 0 && (after & S.DIRTY) === 0) result.reusableCount++;
    }
    return result;
  }

  /** Runs a round every `delayMs` until {@link stop}. The timer does not keep the process alive. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = (): void => {
      this.#running = this.runOnce().catch(this.#onError).finally(() => {
        this.#running = undefined;
        if (!this.#stopped) {
          this.#timer = setTimeout(tick, this.delayMs);
          this.#timer.unref();
        }
      });
    };
    this.#timer = setTimeout(tick, this.delayMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Stops and leaves the pool. */
  async close(): Promise<void> {
    await this.stop();
    this.#backend.close();
  }
}
