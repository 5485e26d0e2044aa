// Lazy VACUUM (vacuumlazy.c) of a heap and its B-tree indexes, and autovacuum's trigger
// (autovacuum.c's relation_needs_vacanalyze). Entry points: lazyVacuum, autovacuumNeeded.

import { assert } from '@palisade/common';
import type { Tid } from '@palisade/mvcc';
import type { AccessBackend, Heap } from './heap.ts';
import type { Btree } from './btree.ts';

export interface VacuumOptions {
  /** Dead TIDs remembered before an index pass is forced (maintenance_work_mem / 6 bytes; default 1 MiB worth). */
  deadTidCountMax?: number;
}

export interface VacuumResult {
  pagesScanned: number;
  /** Dead line pointers made unused. */
  deadItemsRemoved: number;
  indexEntriesRemoved: number;
  /** Index passes (more than one when the dead-TID memory filled, VAC2). */
  indexPasses: number;
}

const DEFAULT_DEAD_TID_COUNT_MAX = Math.floor((1024 * 1024) / 6);

/**
 * VACUUM (VAC1–VAC3): prune every page under a cleanup lock with the current horizon,
 * remember its LP_DEAD line pointers; when the memory is full or at the end, remove their
 * index entries from every index, then make the line pointers unused. Runs inside the caller's
 * transaction (which should hold ShareUpdateExclusiveLock on the table). Trailing empty pages
 * are not truncated (VAC4).
 */
export async function lazyVacuum(b: AccessBackend, heap: Heap, indexes: readonly Btree[], opts: VacuumOptions = {}): Promise<VacuumResult> {
  const deadTidCountMax = opts.deadTidCountMax ?? DEFAULT_DEAD_TID_COUNT_MAX;
  assert(deadTidCountMax > 0, 'dead TID memory must hold at least one TID');
  const result: VacuumResult = { pagesScanned: 0, deadItemsRemoved: 0, indexEntriesRemoved: 0, indexPasses: 0 };
  let pending = new Map<number, number[]>();
  let pendingCount = 0;
  const flush = async (): Promise<void> => {
    if (pendingCount === 0) return;
    const dead = new Set<string>();
    for (const [block, offs] of pending) for (const o of offs) dead.add(`${block}/${o}`);
    const isDead = (t: Tid): boolean => dead.has(`${t.block}/${t.offset}`);
    for (const index of indexes) result.indexEntriesRemoved += await index.bulkDelete(b, isDead);
    result.indexPasses++;
    for (const [block, offs] of pending) {
      await heap.vacuumPage(b, block, offs);
      result.deadItemsRemoved += offs.length;
    }
    pending = new Map();
    pendingCount = 0;
  };
  const n = await heap.nblocks();
  for (let block = 0; block < n; block++) {
    const horizon = b.session.manager.getOldestXmin();
    const dead = await heap.vacuumPrunePage(b, block, horizon);
    result.pagesScanned++;
    // A page's dead items are kept together; flush first if they would overflow the memory.
    let start = 0;
    while (start < dead.length) {
      const room = deadTidCountMax - pendingCount;
      const take = dead.slice(start, start + room);
      pending.set(block, [...(pending.get(block) ?? []), ...take]);
      pendingCount += take.length;
      start += take.length;
      if (pendingCount >= deadTidCountMax) await flush();
    }
  }
  await flush();
  return result;
}

/** autovacuum_vacuum_threshold, _scale_factor, _insert_threshold, _insert_scale_factor (PostgreSQL 15 defaults). */
export interface AutovacuumSettings {
  vacuumThreshold?: number;
  vacuumScaleFactor?: number;
  insertThreshold?: number;
  insertScaleFactor?: number;
}

/**
 * VAC5: autovacuum vacuums a table when its dead tuples exceed threshold + scale_factor ×
 * reltuples (50 + 0.2 × reltuples), or its inserts since the last vacuum exceed
 * insert_threshold + insert_scale_factor × reltuples (1000 + 0.2 × reltuples).
 */
export function autovacuumNeeded(stats: { reltuples: number; deadTuples: number; insertsSinceVacuum?: number }, s: AutovacuumSettings = {}): boolean {
  const reltuples = Math.max(0, stats.reltuples);
  const vacThresh = (s.vacuumThreshold ?? 50) + (s.vacuumScaleFactor ?? 0.2) * reltuples;
  const insThresh = (s.insertThreshold ?? 1000) + (s.insertScaleFactor ?? 0.2) * reltuples;
  return stats.deadTuples > vacThresh || (stats.insertsSinceVacuum ?? 0) > insThresh;
}
