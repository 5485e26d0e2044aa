// The userspace access vector cache (contrib/sepgsql/uavc.c, S36–S39): decisions keyed by
// (scontext, tcontext, tclass) in 512 buckets, reclaimed above 384 entries down to 368 with a
// hot flag and an LRU hint, flushed whenever the provider's seqno moves (policy reload,
// enforcing change, boolean change). An invalid target context is evaluated as `unlabeled`, and
// for db_procedure the trusted-procedure transition label is cached with the decision.
// Entry points: Avc.lookup, Avc.probe, Avc.sync, Avc.reset.

import { assert } from '@palisade/common';
import { SEPG_CLASS, classInfo } from './classes.ts';
import type { PolicyProvider, ProviderStatus } from './provider.ts';

/** Number of hash buckets (AVC_NUM_SLOTS). */
export const AVC_NUM_SLOTS = 512;
/** Reclaim starts when this many entries are cached (AVC_DEF_THRESHOLD). */
export const AVC_THRESHOLD = 384;
/** Reclaim stops below threshold - this (AVC_NUM_RECLAIM). */
export const AVC_NUM_RECLAIM = 16;

/** One cached decision (avc_cache). Mutable: permissive handling widens `allowed` (S7). */
export interface AvcEntry {
  readonly hash: number;
  readonly scontext: string;
  readonly tcontext: string;
  readonly tclass: number;
  /** Referenced since the last reclaim sweep. */
  hot: boolean;
  /** tcontext was valid; otherwise the decision is for `unlabeled` (S39). */
  readonly tcontextIsValid: boolean;
  allowed: number;
  readonly auditallow: number;
  readonly auditdeny: number;
  readonly permissive: boolean;
  /** db_procedure only: the label a call switches to (trusted procedure), undefined if none. */
  readonly ncontext: string | undefined;
}

/** Counters for tests and benchmarks. */
export interface AvcStats {
  hits: number;
  misses: number;
  reclaimed: number;
  resets: number;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** avc_hash: hash(scontext) ^ hash(tcontext) ^ tclass (S36). */
export function avcHash(scontext: string, tcontext: string, tclass: number): number {
  return (hashString(scontext) ^ hashString(tcontext) ^ tclass) >>> 0;
}

/** The userspace AVC over one provider. */
export class Avc {
  readonly provider: PolicyProvider;
  readonly stats: AvcStats = { hits: 0, misses: 0, reclaimed: 0, resets: 0 };
  #slots: AvcEntry[][] = Array.from({ length: AVC_NUM_SLOTS }, () => []);
  #count = 0;
  #lruHint = 0;
  #seqno: number | undefined;
  #unlabeled: string | undefined;
  #status: ProviderStatus | undefined;

  constructor(provider: PolicyProvider) {
    this.provider = provider;
  }

  get size(): number {
    return this.#count;
  }

  /** Flushes every entry (sepgsql_avc_reset). */
  reset(): void {
    for (const slot of this.#slots) slot.length = 0;
    this.#count = 0;
    this.#lruHint = 0;
    this.#unlabeled = undefined;
    this.stats.resets++;
  }

  /**
   * sepgsql_avc_check_valid: polls the provider; flushes and returns false when the seqno moved
   * since the last call (so that the caller recomputes), true when the cache is current.
   */
  async sync(): Promise<boolean> {
    const st = await this.provider.status();
    this.#status = st;
    if (st.seqno === this.#seqno) return true;
    this.reset();
    this.#seqno = st.seqno;
    return false;
  }

  /** The provider status seen by the last sync(); undefined before the first. */
  get lastStatus(): ProviderStatus | undefined {
    return this.#status;
  }

  /** The unlabeled context, cached until the next reset. */
  async unlabeled(): Promise<string> {
    if (this.#unlabeled === undefined) this.#unlabeled = await this.provider.unlabeledContext();
    return this.#unlabeled;
  }

  /** The cached entry without computing (marks it hot). */
  probe(scontext: string, tcontext: string, tclass: number): AvcEntry | undefined {
    const hash = avcHash(scontext, tcontext, tclass);
    for (const e of this.#slots[hash % AVC_NUM_SLOTS]!) {
      if (e.hash === hash && e.tclass === tclass && e.scontext === scontext && e.tcontext === tcontext) {
        e.hot = true;
        this.stats.hits++;
        return e;
      }
    }
    return undefined;
  }

  /** sepgsql_avc_lookup: the cached entry, computing and inserting it on a miss. */
  async lookup(scontext: string, tcontext: string, tclass: number): Promise<AvcEntry> {
    classInfo(tclass);
    const hit = this.probe(scontext, tcontext, tclass);
    if (hit) return hit;
    this.stats.misses++;
    return this.#compute(scontext, tcontext, tclass);
  }

  async #compute(scontext: string, tcontext: string, tclass: number): Promise<AvcEntry> {
    const valid = await this.provider.checkContext(tcontext);
    const effective = valid ? tcontext : await this.unlabeled();
    const avd = await this.provider.computeAccess(scontext, effective, tclass);
    let ncontext: string | undefined;
    if (tclass === SEPG_CLASS.db_procedure) {
      const n = await this.provider.computeCreate(scontext, effective, SEPG_CLASS.process);
      ncontext = n === scontext ? undefined : n;
    }
    if (this.#count >= AVC_THRESHOLD) this.#reclaim();
    const entry: AvcEntry = {
      hash: avcHash(scontext, tcontext, tclass), scontext, tcontext, tclass, hot: true, tcontextIsValid: valid,
      allowed: avd.allowed, auditallow: avd.auditallow, auditdeny: avd.auditdeny, permissive: avd.permissive, ncontext,
    };
    this.#slots[entry.hash % AVC_NUM_SLOTS]!.unshift(entry);
    this.#count++;
    return entry;
  }

  // sepgsql_avc_reclaim: sweep buckets from the LRU hint, dropping cold entries and cooling hot
  // ones, until the count is below threshold - reclaim. Terminates: the second visit of a bucket
  // finds every survivor cold.
  #reclaim(): void {
    let visited = 0;
    while (this.#count >= AVC_THRESHOLD - AVC_NUM_RECLAIM) {
      assert(visited <= 2 * AVC_NUM_SLOTS, 'AVC reclaim did not converge');
      const slot = this.#slots[this.#lruHint]!;
      const keep: AvcEntry[] = [];
      for (const e of slot) {
        if (e.hot) {
          e.hot = false;
          keep.push(e);
        } else {
          this.#count--;
          this.stats.reclaimed++;
        }
      }
      this.#slots[this.#lruHint] = keep;
      this.#lruHint = (this.#lruHint + 1) % AVC_NUM_SLOTS;
      visited++;
    }
  }
}
