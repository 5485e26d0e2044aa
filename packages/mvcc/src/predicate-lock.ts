// SIREAD predicate locks (README-SSI, M29): the table of (holder, target) pairs on
// relation, page and tuple targets, with granularity promotion tuple → page → relation when a
// holder has too many fine-grained locks under one parent. They never block; ssi.ts uses
// them to find readers that a write conflicts with.

import { assert } from '@palisade/common';
import { outOfSharedMemory } from './errors.ts';

/** What a predicate lock covers. A tuple target is (block, offset); a page target is a block (B-tree leaf pages for gap locks). */
export type PredicateTarget =
  | { readonly kind: 'relation'; readonly dbOid: number; readonly relOid: number }
  | { readonly kind: 'page'; readonly dbOid: number; readonly relOid: number; readonly block: number }
  | { readonly kind: 'tuple'; readonly dbOid: number; readonly relOid: number; readonly block: number; readonly offset: number };

export function predicateTargetKey(t: PredicateTarget): string {
  switch (t.kind) {
    case 'relation':
      return `${t.dbOid}/${t.relOid}`;
    case 'page':
      return `${t.dbOid}/${t.relOid}/${t.block}`;
    case 'tuple':
      return `${t.dbOid}/${t.relOid}/${t.block}/${t.offset}`;
  }
}

/** The coarser targets covering `t`, nearest first. */
export function parentTargets(t: PredicateTarget): PredicateTarget[] {
  const rel: PredicateTarget = { kind: 'relation', dbOid: t.dbOid, relOid: t.relOid };
  if (t.kind === 'tuple') return [{ kind: 'page', dbOid: t.dbOid, relOid: t.relOid, block: t.block }, rel];
  if (t.kind === 'page') return [rel];
  return [];
}

export interface PredicateLockLimits {
  /** Total (holder, target) pairs: max_pred_locks_per_transaction × max_connections. */
  lockSlotsMax: number;
  /** Promote to the page when a holder has more than this many tuple locks on it (max_pred_locks_per_page, default 2). */
  maxPerPage: number;
  /** Promote to the relation when a holder has more than this many page/tuple locks in it (max_pred_locks_per_relation). */
  maxPerRelation: number;
}

interface HolderIndex {
  readonly keys: Map<string, PredicateTarget>;
  /** Fine-grained locks under a page / relation key. */
  readonly childCounts: Map<string, number>;
}

/** The predicate lock table, keyed by target; holders are opaque objects (SerializableXacts). */
export class PredicateLockTable<H extends object> {
  private readonly byTarget = new Map<string, Set<H>>();
  private readonly byHolder = new Map<H, HolderIndex>();
  private pairCount = 0;

  constructor(readonly limits: PredicateLockLimits) {
    assert(limits.maxPerPage >= 0 && limits.maxPerRelation >= 0, 'bad predicate lock promotion limits');
  }

  private index(h: H): HolderIndex {
    let idx = this.byHolder.get(h);
    if (idx === undefined) {
      idx = { keys: new Map(), childCounts: new Map() };
      this.byHolder.set(h, idx);
    }
    return idx;
  }

  /** True if `h` holds `t` or a coarser target covering it. */
  covers(h: H, t: PredicateTarget): boolean {
    const idx = this.byHolder.get(h);
    if (idx === undefined) return false;
    if (idx.keys.has(predicateTargetKey(t))) return true;
    return parentTargets(t).some((p) => idx.keys.has(predicateTargetKey(p)));
  }

  /** Takes a SIREAD lock on `t` for `h`, promoting to coarser granularity past the limits. */
  acquire(h: H, t: PredicateTarget): void {
    if (this.covers(h, t)) return;
    this.add(h, t);
    const idx = this.index(h);
    for (const p of parentTargets(t)) {
      const k = predicateTargetKey(p);
      idx.childCounts.set(k, (idx.childCounts.get(k) ?? 0) + 1);
    }
    // Promote: page first (for a tuple), then relation.
    for (const p of parentTargets(t)) {
      const k = predicateTargetKey(p);
      const limit = p.kind === 'page' ? this.limits.maxPerPage : this.limits.maxPerRelation;
      if ((idx.childCounts.get(k) ?? 0) > limit) {
        this.promote(h, p);
        return;
      }
    }
  }

  private promote(h: H, parent: PredicateTarget): void {
    const idx = this.index(h);
    // The coarser lock is taken before the finer ones go, so no conflict can slip through.
    this.add(h, parent);
    const pk = predicateTargetKey(parent);
    for (const [k, t] of [...idx.keys]) {
      if (k === pk) continue;
      if (parentTargets(t).some((p) => predicateTargetKey(p) === pk)) this.remove(h, k);
    }
    idx.childCounts.delete(pk);
    for (const gp of parentTargets(parent)) {
      const gk = predicateTargetKey(gp);
      let n = 0;
      for (const t of idx.keys.values()) if (t.kind !== 'relation' && parentTargets(t).some((p) => predicateTargetKey(p) === gk)) n++;
      idx.childCounts.set(gk, n);
      const limit = gp.kind === 'page' ? this.limits.maxPerPage : this.limits.maxPerRelation;
      if (n > limit) this.promote(h, gp);
    }
  }

  private add(h: H, t: PredicateTarget): void {
    const k = predicateTargetKey(t);
    const idx = this.index(h);
    if (idx.keys.has(k)) return;
    if (this.pairCount >= this.limits.lockSlotsMax) throw outOfSharedMemory('max_pred_locks_per_transaction');
    idx.keys.set(k, t);
    let holders = this.byTarget.get(k);
    if (holders === undefined) {
      holders = new Set();
      this.byTarget.set(k, holders);
    }
    holders.add(h);
    this.pairCount++;
  }

  private remove(h: H, k: string): void {
    const idx = this.byHolder.get(h);
    if (idx === undefined || !idx.keys.delete(k)) return;
    const holders = this.byTarget.get(k)!;
    holders.delete(h);
    if (holders.size === 0) this.byTarget.delete(k);
    this.pairCount--;
  }

  /** Drops one exact lock (a writer's own SIREAD lock on a tuple it now write-locks). */
  releaseOne(h: H, t: PredicateTarget): void {
    const idx = this.byHolder.get(h);
    const k = predicateTargetKey(t);
    if (idx === undefined || !idx.keys.has(k)) return;
    this.remove(h, k);
    for (const p of parentTargets(t)) {
      const pk = predicateTargetKey(p);
      const n = (idx.childCounts.get(pk) ?? 1) - 1;
      if (n <= 0) idx.childCounts.delete(pk);
      else idx.childCounts.set(pk, n);
    }
  }

  /** Drops every lock of `h`. */
  releaseAll(h: H): void {
    const idx = this.byHolder.get(h);
    if (idx === undefined) return;
    for (const k of [...idx.keys.keys()]) this.remove(h, k);
    this.byHolder.delete(h);
  }

  /** Holders of exactly `t`. */
  holdersOf(t: PredicateTarget): readonly H[] {
    return [...(this.byTarget.get(predicateTargetKey(t)) ?? [])];
  }

  /** Holders of any target of relation (db, rel), for TRUNCATE/DROP-style conflict checks. */
  holdersOfRelation(dbOid: number, relOid: number): H[] {
    const prefix = `${dbOid}/${relOid}`;
    const out = new Set<H>();
    for (const [k, hs] of this.byTarget) if (k === prefix || k.startsWith(`${prefix}/`)) for (const h of hs) out.add(h);
    return [...out];
  }

  /**
   * A B-tree page split (PostgreSQL's PredicateLockPageSplit): every holder of a lock on page
   * `oldBlock` also gets one on `newBlock`, so gap locks keep covering the moved keys.
   * Never fails for lack of space: a holder that cannot get the new lock is promoted to the relation.
   */
  pageSplit(dbOid: number, relOid: number, oldBlock: number, newBlock: number): void {
    const oldT: PredicateTarget = { kind: 'page', dbOid, relOid, block: oldBlock };
    const newT: PredicateTarget = { kind: 'page', dbOid, relOid, block: newBlock };
    for (const h of this.holdersOf(oldT)) {
      try {
        this.acquire(h, newT);
      } catch {
        this.promote(h, { kind: 'relation', dbOid, relOid });
      }
    }
  }

  /** Pages merged (PredicateLockPageCombine): locks on `oldBlock` move to `newBlock`. */
  pageCombine(dbOid: number, relOid: number, oldBlock: number, newBlock: number): void {
    this.pageSplit(dbOid, relOid, oldBlock, newBlock);
    const oldT: PredicateTarget = { kind: 'page', dbOid, relOid, block: oldBlock };
    for (const h of this.holdersOf(oldT)) this.releaseOne(h, oldT);
  }

  /**
   * Every lock on relation `fromRel` (an index being dropped or rebuilt) becomes a lock on the
   * whole relation `toRel` (its heap), as PostgreSQL's TransferPredicateLocksToHeapRelation.
   */
  transferToRelation(dbOid: number, fromRel: number, toRel: number): void {
    const target: PredicateTarget = { kind: 'relation', dbOid, relOid: toRel };
    for (const h of this.holdersOfRelation(dbOid, fromRel)) {
      const idx = this.byHolder.get(h)!;
      for (const [k, t] of [...idx.keys]) if (t.relOid === fromRel && t.dbOid === dbOid) this.remove(h, k);
      for (const k of [...idx.childCounts.keys()]) if (k === `${dbOid}/${fromRel}` || k.startsWith(`${dbOid}/${fromRel}/`)) idx.childCounts.delete(k);
      this.add(h, target);
    }
  }

  /** Targets `h` holds. */
  targetsOf(h: H): PredicateTarget[] {
    return [...(this.byHolder.get(h)?.keys.values() ?? [])];
  }

  get size(): number {
    return this.pairCount;
  }
}
