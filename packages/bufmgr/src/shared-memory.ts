// The buffer pool's shared memory: where each piece lives in the SharedArrayBuffers, the bits
// of the buffer state word, and the low-level atomics on them (header spinlock, RW spinlock).
// Everything here may be used by several threads at once; nothing here awaits.
// Entry points: `createSharedBufferMemory`, `BufferState`, `spinLockHeader`.

import { assert } from '@palisade/common';
import { BLCKSZ } from './page-constants.ts';

/** Smallest pool (PostgreSQL's minimum shared_buffers, B19). */
export const SHARED_BUFFERS_MIN = 16;
/** Largest pool: the refcount field and int32 indexes bound it; 2^30 bytes of descriptors is far beyond any test. */
export const SHARED_BUFFERS_MAX = 1 << 20;
/** Number of buffer-mapping partitions (NUM_BUFFER_PARTITIONS, B11). */
export const BUFFER_PARTITION_COUNT = 128;
/** Highest usage count (BM_MAX_USAGE_COUNT, B13). */
export const MAX_USAGE_COUNT = 5;

/** Bits of the buffer state word (buf_state in PostgreSQL): 18 bits refcount, 4 bits usage count, 10 flags. */
export const BufferState = {
  REFCOUNT_ONE: 1,
  REFCOUNT_MASK: (1 << 18) - 1,
  USAGECOUNT_ONE: 1 << 18,
  USAGECOUNT_SHIFT: 18,
  USAGECOUNT_MASK: 0xf << 18,
  /** Header spinlock: held only across a few synchronous instructions. */
  LOCKED: 1 << 22,
  DIRTY: 1 << 23,
  VALID: 1 << 24,
  TAG_VALID: 1 << 25,
  IO_IN_PROGRESS: 1 << 26,
  IO_ERROR: 1 << 27,
  /** Dirtied again while a write was in progress: the write must not clear DIRTY. */
  JUST_DIRTIED: 1 << 28,
  PIN_COUNT_WAITER: 1 << 29,
  CHECKPOINT_NEEDED: 1 << 30,
  /** The relation is WAL-logged (not unlogged/temp): writes follow the WAL rule. */
  PERMANENT: 1 << 31,
} as const;

export function refCountOf(state: number): number {
  return state & BufferState.REFCOUNT_MASK;
}
export function usageCountOf(state: number): number {
  return (state & BufferState.USAGECOUNT_MASK) >>> BufferState.USAGECOUNT_SHIFT;
}

/** Int32 fields of one buffer descriptor. */
export const Desc = {
  STATE: 0,
  TAG_SPC: 1,
  TAG_DB: 2,
  TAG_REL: 3,
  TAG_FORK: 4,
  TAG_BLOCK: 5,
  /** Content lock word: EXCLUSIVE bit or the number of shared holders. */
  CONTENT_LOCK: 6,
  /** Number of async waiters on the content lock (unlock notifies only if > 0). */
  CONTENT_LOCK_WAITERS: 7,
  /** Bumped and notified whenever I/O on the buffer ends. */
  IO_SEQ: 8,
  /** Backend id + 1 of the cleanup-lock waiter (0 = none). */
  PIN_WAITER: 9,
  /** Bumped and notified when the cleanup waiter should retry. */
  PIN_SEQ: 10,
  /** Free-list link: next buffer, -1 = end, -2 = not on the list. */
  FREE_NEXT: 11,
  STRIDE: 12,
} as const;

export const CONTENT_LOCK_EXCLUSIVE = 1 << 30;

/** Int32 fields of the control block. */
export const Ctl = {
  /** Clock hand (0 … NBuffers−1). */
  NEXT_VICTIM: 0,
  COMPLETE_PASSES: 1,
  /** Buffers allocated since the background writer last looked. */
  RECENT_ALLOCS: 2,
  FREELIST_LOCK: 3,
  FIRST_FREE: 4,
  NEXT_BACKEND_ID: 5,
  BUFFER_COUNT: 6,
  SIZE: 8,
} as const;

/** The SharedArrayBuffers of one buffer pool; pass them to another thread to attach to the same pool. */
export interface SharedBufferMemory {
  readonly bufferCount: number;
  /** bufferCount × 8 KiB of page bytes. */
  readonly pages: SharedArrayBuffer;
  /** bufferCount × Desc.STRIDE int32 descriptor fields. */
  readonly descriptors: SharedArrayBuffer;
  /** The control block (Ctl). */
  readonly control: SharedArrayBuffer;
  /** Buffer mapping table: partition locks, buckets, entries (see mapping.ts). */
  readonly mapping: SharedArrayBuffer;
}

/** Bytes of the mapping table for `bufferCount` buffers. */
export function mappingBucketCount(bufferCount: number): number {
  let buckets = BUFFER_PARTITION_COUNT;
  while (buckets < bufferCount * 2) buckets *= 2;
  return buckets;
}

/** Int32 words of one mapping entry: 5 tag words + chain link + in-use flag. */
export const MAPPING_ENTRY_STRIDE = 7;

/** Allocates and initialises the shared memory of a pool of `bufferCount` buffers (all free, invalid). */
export function createSharedBufferMemory(bufferCount: number): SharedBufferMemory {
  assert(Number.isInteger(bufferCount) && bufferCount >= SHARED_BUFFERS_MIN && bufferCount <= SHARED_BUFFERS_MAX,
    () => `shared_buffers must be between ${SHARED_BUFFERS_MIN} and ${SHARED_BUFFERS_MAX} buffers, got ${bufferCount}`);
  const pages = new SharedArrayBuffer(bufferCount * BLCKSZ);
  const descriptors = new SharedArrayBuffer(bufferCount * Desc.STRIDE * 4);
  const control = new SharedArrayBuffer(Ctl.SIZE * 4);
  const buckets = mappingBucketCount(bufferCount);
  const mapping = new SharedArrayBuffer((BUFFER_PARTITION_COUNT + buckets + bufferCount * MAPPING_ENTRY_STRIDE) * 4);
  const desc = new Int32Array(descriptors);
  for (let i = 0; i < bufferCount; i++) desc[i * Desc.STRIDE + Desc.FREE_NEXT] = i + 1 < bufferCount ? i + 1 : -1;
  const ctl = new Int32Array(control);
  ctl[Ctl.FIRST_FREE] = 0;
  ctl[Ctl.BUFFER_COUNT] = bufferCount;
  const map = new Int32Array(mapping);
  map.fill(-1, BUFFER_PARTITION_COUNT, BUFFER_PARTITION_COUNT + buckets);
  return { bufferCount, pages, descriptors, control, mapping };
}

/** Iterations a spinlock may spin before we declare it stuck (PostgreSQL's "stuck spinlock" PANIC). */
const SPIN_COUNT_MAX = 1 << 28;

/** Takes a buffer header spinlock; returns the state word with LOCKED set. */
export function lockBufferHeader(desc: Int32Array, index: number): number {
  for (let spins = 0; ; spins++) {
    const old = Atomics.or(desc, index, BufferState.LOCKED);
    if ((old & BufferState.LOCKED) === 0) return old | BufferState.LOCKED;
    assert(spins < SPIN_COUNT_MAX, 'stuck spinlock on buffer header');
  }
}

/** Releases a header spinlock, storing `state` (LOCKED cleared). */
export function unlockBufferHeader(desc: Int32Array, index: number, state: number): void {
  Atomics.store(desc, index, state & ~BufferState.LOCKED);
}

/** Waits (spinning) until the header is not locked; returns the state seen. */
export function waitBufferHeaderUnlocked(desc: Int32Array, index: number): number {
  for (let spins = 0; ; spins++) {
    const state = Atomics.load(desc, index);
    if ((state & BufferState.LOCKED) === 0) return state;
    assert(spins < SPIN_COUNT_MAX, 'stuck spinlock on buffer header');
  }
}

const RW_EXCLUSIVE = 1 << 30;

/** A reader-writer spinlock word, for locks never held across an await (mapping partitions). */
export function rwSpinLockShared(words: Int32Array, index: number): void {
  for (let spins = 0; ; spins++) {
    const old = Atomics.load(words, index);
    if ((old & RW_EXCLUSIVE) === 0 && Atomics.compareExchange(words, index, old, old + 1) === old) return;
    assert(spins < SPIN_COUNT_MAX, 'stuck buffer mapping lock');
  }
}
export function rwSpinUnlockShared(words: Int32Array, index: number): void {
  const old = Atomics.sub(words, index, 1);
  assert((old & RW_EXCLUSIVE) === 0 && old > 0, 'shared unlock of a lock not held shared');
}
export function rwSpinLockExclusive(words: Int32Array, index: number): void {
  for (let spins = 0; ; spins++) {
    if (Atomics.compareExchange(words, index, 0, RW_EXCLUSIVE) === 0) return;
    assert(spins < SPIN_COUNT_MAX, 'stuck buffer mapping lock');
  }
}
export function rwSpinUnlockExclusive(words: Int32Array, index: number): void {
  const old = Atomics.exchange(words, index, 0);
  assert(old === RW_EXCLUSIVE, 'exclusive unlock of a lock not held exclusively');
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** Atomics.waitAsync (ES2024; present in Node ≥ 16), typed here because the workspace targets ES2023 libs. */
const atomicsWaitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
}).waitAsync;
assert(typeof atomicsWaitAsync === 'function', 'Atomics.waitAsync is required (Node ≥ 16)');

/**
 * Waits, without blocking the event loop, until `words[index]` is notified while holding
 * `value` (returns at once if it no longer does), or until `timeoutMs` passes.
 */
export async function waitWhileEqual(words: Int32Array, index: number, value: number, timeoutMs?: number): Promise<void> {
  const result = atomicsWaitAsync(words, index, value, timeoutMs);
  if (result.async) await result.value;
}
