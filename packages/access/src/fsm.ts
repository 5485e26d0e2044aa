// The free space map (freespace.c): how many bytes each heap page had free when last seen.
// It is a hint (FSM1): every page it proposes is re-checked under its lock, so a stale or
// lost entry only costs a retry or an extension. Entry point: FreeSpaceMap.

import { assert } from '@palisade/common';

/** Pages whose free space is remembered, at most; the least recently recorded is forgotten first. */
export const FSM_PAGE_COUNT_MAX = 1 << 20;

export class FreeSpaceMap {
  readonly #freeBytes = new Map<number, number>();

  /** RecordPageWithFreeSpace. */
  record(block: number, freeBytes: number): void {
    assert(freeBytes >= 0, 'negative free space');
    this.#freeBytes.delete(block);
    if (this.#freeBytes.size >= FSM_PAGE_COUNT_MAX) {
      const oldest = this.#freeBytes.keys().next().value;
      if (oldest !== undefined) this.#freeBytes.delete(oldest);
    }
    this.#freeBytes.set(block, freeBytes);
  }

  /** GetPageWithFreeSpace: the most recently recorded page with at least `needBytes` free, not in `exclude`. */
  find(needBytes: number, exclude: ReadonlySet<number>): number | undefined {
    let found: number | undefined;
    for (const [block, free] of this.#freeBytes) if (free >= needBytes && !exclude.has(block)) found = block;
    return found;
  }

  /** What is remembered for `block`. */
  get(block: number): number | undefined {
    return this.#freeBytes.get(block);
  }

  /** Forgets pages at or after `firstBlock` (relation truncation). */
  truncate(firstBlock: number): void {
    for (const block of [...this.#freeBytes.keys()]) if (block >= firstBlock) this.#freeBytes.delete(block);
  }
}
