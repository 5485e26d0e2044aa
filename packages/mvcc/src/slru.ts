// A simple LRU-buffered page cache (PostgreSQL's SLRU) over SharedArrayBuffer, used by the
// commit log and pg_subtrans. Pages are fixed size; a bounded number of page buffers is held
// in memory and the rest live in an injectable SlruPageStore.

import { assert } from '@palisade/common';
import { outOfSharedMemory } from './errors.ts';

/** Where evicted SLRU pages go (pg_xact/, pg_subtrans/ files in a server). Synchronous, like PostgreSQL's SLRU I/O. */
export interface SlruPageStore {
  read(pageNo: number): Uint8Array | undefined;
  write(pageNo: number, bytes: Uint8Array): void;
  remove(pageNo: number): void;
  /** Page numbers currently stored, ascending. */
  pageNumbers(): number[];
}

/** An in-memory SlruPageStore (tests, embedded use without durability). */
export class MemorySlruStore implements SlruPageStore {
  private readonly pages = new Map<number, Uint8Array>();
  read(pageNo: number): Uint8Array | undefined {
    const p = this.pages.get(pageNo);
    return p === undefined ? undefined : p.slice();
  }
  write(pageNo: number, bytes: Uint8Array): void {
    this.pages.set(pageNo, bytes.slice());
  }
  remove(pageNo: number): void {
    this.pages.delete(pageNo);
  }
  pageNumbers(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }
}

export interface SlruOptions {
  pageSizeBytes: number;
  bufferCount: number;
  store: SlruPageStore;
  /** Refuses to evict a page when this returns false (the clog's WAL-before-data rule, W26). */
  canEvict?: (slot: number) => boolean;
  sharedBuffer?: SharedArrayBuffer;
}

const EMPTY = -1;

/** The page cache. `slotFor(pageNo)` returns the buffer slot holding the page, reading or zeroing it. */
export class Slru {
  readonly pageSizeBytes: number;
  readonly bufferCount: number;
  readonly bytes: Uint8Array;
  /** Page number held by each slot, or -1. Float64 so that page numbers above 2^31 fit. */
  private readonly slotPage: Float64Array;
  private readonly slotDirty: Uint8Array;
  private readonly slotLastUse: Float64Array;
  private useCounter = 0;
  private readonly store: SlruPageStore;
  private readonly canEvict: (slot: number) => boolean;

  static sharedBytes(pageSizeBytes: number, bufferCount: number): number {
    return pageSizeBytes * bufferCount + bufferCount * 8 * 2 + bufferCount;
  }

  constructor(opts: SlruOptions) {
    assert(opts.bufferCount >= 2, 'an SLRU needs at least two buffers');
    assert(opts.pageSizeBytes % 8 === 0, 'SLRU page size must be a multiple of 8');
    this.pageSizeBytes = opts.pageSizeBytes;
    this.bufferCount = opts.bufferCount;
    const sab = opts.sharedBuffer ?? new SharedArrayBuffer(Slru.sharedBytes(opts.pageSizeBytes, opts.bufferCount));
    const n = opts.bufferCount;
    this.slotPage = new Float64Array(sab, 0, n);
    this.slotLastUse = new Float64Array(sab, n * 8, n);
    this.bytes = new Uint8Array(sab, n * 16, n * opts.pageSizeBytes);
    this.slotDirty = new Uint8Array(sab, n * 16 + n * opts.pageSizeBytes, n);
    this.slotPage.fill(EMPTY);
    this.store = opts.store;
    this.canEvict = opts.canEvict ?? (() => true);
  }

  /** Byte offset of `slot`'s page within {@link bytes}. */
  pageOffset(slot: number): number {
    return slot * this.pageSizeBytes;
  }

  /** Slot holding `pageNo`, or -1 when it is not buffered. */
  findSlot(pageNo: number): number {
    for (let s = 0; s < this.bufferCount; s++) if (this.slotPage[s] === pageNo) return s;
    return EMPTY;
  }

  /** The slot holding `pageNo`, bringing the page in (from the store, else zeroed) when needed. */
  slotFor(pageNo: number, forWrite: boolean): number {
    assert(Number.isSafeInteger(pageNo) && pageNo >= 0, 'bad SLRU page number');
    let slot = this.findSlot(pageNo);
    if (slot === EMPTY) {
      slot = this.victim();
      this.evict(slot);
      const stored = this.store.read(pageNo);
      const off = this.pageOffset(slot);
      if (stored === undefined) this.bytes.fill(0, off, off + this.pageSizeBytes);
      else {
        assert(stored.length === this.pageSizeBytes, 'stored SLRU page has the wrong size');
        this.bytes.set(stored, off);
      }
      this.slotPage[slot] = pageNo;
      this.slotDirty[slot] = 0;
      this.onLoad(slot);
    }
    this.slotLastUse[slot] = ++this.useCounter;
    if (forWrite) this.slotDirty[slot] = 1;
    return slot;
  }

  /** Hook for subclasses that keep per-slot side data (group LSNs). */
  protected onLoad(_slot: number): void {}

  private victim(): number {
    let best = EMPTY;
    for (let s = 0; s < this.bufferCount; s++) {
      if (this.slotPage[s] === EMPTY) return s;
      if (!this.canEvict(s)) continue;
      if (best === EMPTY || this.slotLastUse[s]! < this.slotLastUse[best]!) best = s;
    }
    // Every buffered page carries commits whose WAL is not yet flushed: writing one out
    // would break WAL-before-data, so the caller must flush WAL first.
    if (best === EMPTY) throw outOfSharedMemory('the number of commit log buffers');
    return best;
  }

  private evict(slot: number): void {
    const pageNo = this.slotPage[slot]!;
    if (pageNo === EMPTY) return;
    if (this.slotDirty[slot] === 1) this.writeSlot(slot);
    this.slotPage[slot] = EMPTY;
  }

  private writeSlot(slot: number): void {
    const off = this.pageOffset(slot);
    this.store.write(this.slotPage[slot]!, this.bytes.slice(off, off + this.pageSizeBytes));
    this.slotDirty[slot] = 0;
  }

  /** Writes every dirty page that may be written (checkpoint). Returns the number written. */
  flushDirty(): number {
    let written = 0;
    for (let s = 0; s < this.bufferCount; s++) {
      if (this.slotPage[s] !== EMPTY && this.slotDirty[s] === 1 && this.canEvict(s)) {
        this.writeSlot(s);
        written++;
      }
    }
    return written;
  }

  /** Drops every page numbered below `pageNo`, buffered or stored. */
  truncateBefore(pageNo: number): void {
    for (let s = 0; s < this.bufferCount; s++) {
      if (this.slotPage[s] !== EMPTY && this.slotPage[s]! < pageNo) {
        this.slotPage[s] = EMPTY;
        this.slotDirty[s] = 0;
      }
    }
    for (const p of this.store.pageNumbers()) if (p < pageNo) this.store.remove(p);
  }

  /** Page number held by `slot` (-1 if empty). */
  pageInSlot(slot: number): number {
    return this.slotPage[slot]!;
  }
}
