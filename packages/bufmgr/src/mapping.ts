// The buffer mapping table (B11): buffer tag → buffer id, a chained hash table in shared
// memory, partitioned by the low bits of the tag hash; each partition has a reader-writer
// spinlock. Lookups take the partition shared, changes take it exclusive; the locks are never
// held across an await. Chain entries are indexed by buffer id, so a buffer is mapped under at
// most one tag at a time and the table can never run out of entries.
// Entry points: `BufferMappingTable`, `hashBufferTag`.

import { assert } from '@palisade/common';
import {
  BUFFER_PARTITION_COUNT, MAPPING_ENTRY_STRIDE, mappingBucketCount, rwSpinLockExclusive, rwSpinLockShared,
  rwSpinUnlockExclusive, rwSpinUnlockShared, type SharedBufferMemory,
} from './shared-memory.ts';

const E_SPC = 0;
const E_DB = 1;
const E_REL = 2;
const E_FORK = 3;
const E_BLOCK = 4;
const E_NEXT = 5;
const E_IN_USE = 6;

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** 32-bit hash of a buffer tag (murmur3 mixing of its five words). */
export function hashBufferTag(spc: number, db: number, rel: number, fork: number, block: number): number {
  let h = 0x5bd1e995;
  h = mix(h, spc);
  h = mix(h, db);
  h = mix(h, rel);
  h = mix(h, fork);
  h = mix(h, block);
  h ^= 20;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Buffer tag → buffer id, in shared memory. Callers lock the tag's partition around every call. */
export class BufferMappingTable {
  readonly bucketCount: number;
  readonly #words: Int32Array;
  readonly #bucketBase: number;
  readonly #entryBase: number;
  readonly #bufferCount: number;

  constructor(memory: SharedBufferMemory) {
    this.#words = new Int32Array(memory.mapping);
    this.#bufferCount = memory.bufferCount;
    this.bucketCount = mappingBucketCount(memory.bufferCount);
    this.#bucketBase = BUFFER_PARTITION_COUNT;
    this.#entryBase = BUFFER_PARTITION_COUNT + this.bucketCount;
  }

  /** The partition of a tag hash: its low bits (B11). */
  partitionOf(hash: number): number {
    return hash & (BUFFER_PARTITION_COUNT - 1);
  }

  lockShared(partition: number): void { rwSpinLockShared(this.#words, partition); }
  unlockShared(partition: number): void { rwSpinUnlockShared(this.#words, partition); }
  lockExclusive(partition: number): void { rwSpinLockExclusive(this.#words, partition); }
  unlockExclusive(partition: number): void { rwSpinUnlockExclusive(this.#words, partition); }
  /** True if no partition lock is held (for the structural check). */
  allPartitionsUnlocked(): boolean {
    for (let p = 0; p < BUFFER_PARTITION_COUNT; p++) if (Atomics.load(this.#words, p) !== 0) return false;
    return true;
  }

  /** The buffer mapped to the tag, or -1. Caller holds the partition lock (shared or exclusive). */
  lookup(hash: number, spc: number, db: number, rel: number, fork: number, block: number): number {
    const w = this.#words;
    let id = Atomics.load(w, this.#bucketBase + (hash & (this.bucketCount - 1)));
    for (let steps = 0; id >= 0; steps++) {
      assert(steps <= this.#bufferCount, 'cycle in buffer mapping chain');
      const e = this.#entryBase + id * MAPPING_ENTRY_STRIDE;
      if (w[e + E_BLOCK] === block && w[e + E_REL] === rel && w[e + E_DB] === db && w[e + E_FORK] === fork && w[e + E_SPC] === spc) return id;
      id = w[e + E_NEXT]!;
    }
    return -1;
  }

  /** Maps the tag to buffer `id`. Caller holds the partition exclusive and has checked the tag is absent. */
  insert(hash: number, id: number, spc: number, db: number, rel: number, fork: number, block: number): void {
    const w = this.#words;
    const e = this.#entryBase + id * MAPPING_ENTRY_STRIDE;
    assert(w[e + E_IN_USE] === 0, () => `buffer ${id} is already in the mapping table`);
    w[e + E_SPC] = spc;
    w[e + E_DB] = db;
    w[e + E_REL] = rel;
    w[e + E_FORK] = fork;
    w[e + E_BLOCK] = block;
    w[e + E_IN_USE] = 1;
    const bucket = this.#bucketBase + (hash & (this.bucketCount - 1));
    w[e + E_NEXT] = w[bucket]!;
    Atomics.store(w, bucket, id);
  }

  /** Removes buffer `id` from the chain of `hash`. Caller holds the partition exclusive. */
  remove(hash: number, id: number): void {
    const w = this.#words;
    const bucket = this.#bucketBase + (hash & (this.bucketCount - 1));
    let link = bucket;
    for (let steps = 0; ; steps++) {
      assert(steps <= this.#bufferCount, 'cycle in buffer mapping chain');
      const current = w[link]!;
      assert(current >= 0, () => `buffer ${id} not found in the mapping table`);
      const e = this.#entryBase + current * MAPPING_ENTRY_STRIDE;
      if (current === id) {
        Atomics.store(w, link, w[e + E_NEXT]!);
        w[e + E_IN_USE] = 0;
        w[e + E_NEXT] = -1;
        return;
      }
      link = e + E_NEXT;
    }
  }

  /** Every (buffer id, bucket) pair in the table, for the structural check. */
  entries(): { id: number; bucket: number; tag: [number, number, number, number, number] }[] {
    const w = this.#words;
    const out: { id: number; bucket: number; tag: [number, number, number, number, number] }[] = [];
    for (let b = 0; b < this.bucketCount; b++) {
      let id = w[this.#bucketBase + b]!;
      for (let steps = 0; id >= 0; steps++) {
        assert(steps <= this.#bufferCount, 'cycle in buffer mapping chain');
        const e = this.#entryBase + id * MAPPING_ENTRY_STRIDE;
        out.push({ id, bucket: b, tag: [w[e + E_SPC]!, w[e + E_DB]!, w[e + E_REL]!, w[e + E_FORK]!, w[e + E_BLOCK]!] });
        id = w[e + E_NEXT]!;
      }
    }
    return out;
  }
}
