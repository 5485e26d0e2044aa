// Per-relation buffer statistics (what pg_statio_* report): hits, reads, writes, evictions and
// extensions, counted by this process. Entry point: `BufferStats`.

import { relationKey, type RelFileLocator } from './relfile.ts';

/** Counters of one relation (all forks), or of the whole pool. */
export interface RelationBufferStats {
  /** readBuffer calls satisfied from shared buffers. */
  hits: number;
  /** Blocks read from the storage manager. */
  reads: number;
  /** Blocks written out (eviction, background writer, checkpoint). */
  writes: number;
  /** Buffers of this relation given to another page. */
  evictions: number;
  /** Blocks added with extendRelation. */
  extends: number;
}

function zero(): RelationBufferStats {
  return { hits: 0, reads: 0, writes: 0, evictions: 0, extends: 0 };
}

/**
 * Counters by relation, bounded: beyond `relationCountMax` relations the least recently
 * created entry is dropped (its counts remain in the totals), as a statistics collector
 * would forget a dropped table.
 */
export class BufferStats {
  readonly relationCountMax: number;
  readonly totals: RelationBufferStats = zero();
  readonly #byKey = new Map<string, RelationBufferStats>();
  /** Saves building the key string on the hit path when callers reuse their locator objects. */
  #byLocator = new WeakMap<RelFileLocator, RelationBufferStats>();

  constructor(relationCountMax = 10_000) {
    this.relationCountMax = relationCountMax;
  }

  /** The live counters of `rel` (created on first use). */
  entry(rel: RelFileLocator): RelationBufferStats {
    const cached = this.#byLocator.get(rel);
    if (cached !== undefined) return cached;
    const key = relationKey(rel);
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      entry = zero();
      this.#byKey.set(key, entry);
      if (this.#byKey.size > this.relationCountMax) {
        const oldest = this.#byKey.keys().next().value as string;
        this.#byKey.delete(oldest);
        this.#byLocator = new WeakMap();
      }
    }
    this.#byLocator.set(rel, entry);
    return entry;
  }

  /** A copy of the counters of `rel` (zeros if none). */
  relation(rel: RelFileLocator): RelationBufferStats {
    return { ...(this.#byKey.get(relationKey(rel)) ?? zero()) };
  }

  /** Forgets a relation's counters (after DROP). */
  forget(rel: RelFileLocator): void {
    this.#byKey.delete(relationKey(rel));
    this.#byLocator = new WeakMap();
  }
}
