// Buffer access strategies (B16–B17): a small ring of buffers that a bulk operation reuses, so
// that a large sequential scan, COPY or VACUUM does not push the whole working set out of
// shared buffers. A strategy is private to one backend. Entry point: `BufferAccessStrategy`.

import { assert } from '@palisade/common';
import { BLCKSZ } from './page-constants.ts';

/** The kinds of strategy (BAS_NORMAL has no ring and is represented by passing none). */
export type BufferAccessStrategyKind = 'bulkread' | 'bulkwrite' | 'vacuum';

/** Default ring sizes in bytes, as PostgreSQL 15 (GetAccessStrategy). */
export const RING_SIZE_BYTES: Readonly<Record<BufferAccessStrategyKind, number>> = {
  bulkread: 256 * 1024,
  bulkwrite: 16 * 1024 * 1024,
  vacuum: 256 * 1024,
};

/** A ring of buffers reused by one bulk operation. */
export class BufferAccessStrategy {
  readonly kind: BufferAccessStrategyKind;
  readonly ringSizeBuffers: number;
  /** Buffer indexes (0-based) of the ring; -1 = slot not filled yet. */
  readonly #ring: Int32Array;
  #current = 0;
  /** True if the buffer last handed out came from the ring (not from the clock sweep). */
  currentWasInRing = false;

  /**
   * @param bufferCount NBuffers of the pool: every ring is capped at NBuffers/8 (B16).
   * @param ringSizeBytes overrides the default size (vacuum_buffer_usage_limit).
   */
  constructor(kind: BufferAccessStrategyKind, bufferCount: number, ringSizeBytes = RING_SIZE_BYTES[kind]) {
    assert(ringSizeBytes >= BLCKSZ, 'a ring holds at least one buffer');
    this.kind = kind;
    this.ringSizeBuffers = Math.max(1, Math.min(Math.floor(ringSizeBytes / BLCKSZ), Math.floor(bufferCount / 8)));
    this.#ring = new Int32Array(this.ringSizeBuffers).fill(-1);
  }

  /** Advances to the next slot; returns its buffer index or -1 (GetBufferFromRing's first half). */
  nextRingBuffer(): number {
    this.#current = (this.#current + 1) % this.ringSizeBuffers;
    this.currentWasInRing = false;
    return this.#ring[this.#current]!;
  }

  /** Records that the buffer at the current slot was used (it came from the ring). */
  usedRingBuffer(): void {
    this.currentWasInRing = true;
  }

  /** Puts a buffer taken by the clock sweep into the current slot (AddBufferToRing). */
  addToRing(index: number): void {
    this.#ring[this.#current] = index;
  }

  /**
   * StrategyRejectBuffer: a BULKREAD ring does not write a dirty buffer whose WAL is not
   * flushed; it drops it from the ring instead (B17). Returns true if rejected.
   */
  rejectBuffer(index: number): boolean {
    if (this.kind !== 'bulkread') return false;
    if (!this.currentWasInRing || this.#ring[this.#current] !== index) return false;
    this.#ring[this.#current] = -1;
    return true;
  }

  /** The ring's buffer indexes (for tests). */
  ringBuffers(): number[] {
    return [...this.#ring].filter((i) => i >= 0);
  }
}
