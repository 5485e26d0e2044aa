// Bitmap: an immutable-by-convention set of small non-negative integers, the in-memory form of
// libsepol's ebitmap (category sets, role/type/user sets, the type→attribute map).
// Bit i stands for the symbol whose policy value is i + 1. Dense words: policies hold at most a
// few thousand types and 1024 categories, so a dense array is both smaller and faster than nodes.

import { assert } from '@palisade/common';

/** Largest bit index a bitmap may hold (policy values are u32, but no real policy comes close). */
export const BITMAP_BIT_MAX = 1 << 24;

/** A set of bit indexes. Mutate only while building; treat as immutable once shared. */
export class Bitmap {
  #words: Uint32Array;

  constructor(words: Uint32Array = new Uint32Array(0)) {
    this.#words = words;
  }

  /** A bitmap holding exactly `bits`. */
  static of(bits: Iterable<number>): Bitmap {
    const b = new Bitmap();
    for (const bit of bits) b.set(bit);
    return b;
  }

  /** Sets bit `bit` (grows as needed). */
  set(bit: number): void {
    assert(Number.isInteger(bit) && bit >= 0 && bit <= BITMAP_BIT_MAX, () => `bitmap bit out of range: ${bit}`);
    const w = bit >>> 5;
    this.#ensureWords(w + 1);
    this.#words[w] = (this.#words[w]! | (1 << (bit & 31))) >>> 0;
  }

  /** ORs the 64-bit ebitmap node word (`low`, `high` halves) in at `startBit`. */
  setWord64(startBit: number, low: number, high: number): void {
    assert(startBit % 64 === 0 && startBit <= BITMAP_BIT_MAX, 'ebitmap node start must be a multiple of 64');
    if (low === 0 && high === 0) return;
    const w = startBit >>> 5;
    this.#ensureWords(w + 2);
    this.#words[w] = (this.#words[w]! | low) >>> 0;
    this.#words[w + 1] = (this.#words[w + 1]! | high) >>> 0;
  }

  #ensureWords(count: number): void {
    if (count <= this.#words.length) return;
    const grown = new Uint32Array(Math.max(count, this.#words.length * 2));
    grown.set(this.#words);
    this.#words = grown;
  }

  has(bit: number): boolean {
    if (bit < 0) return false;
    const w = bit >>> 5;
    if (w >= this.#words.length) return false;
    return (this.#words[w]! & (1 << (bit & 31))) !== 0;
  }

  /** True if every bit of `other` is set here. */
  containsAll(other: Bitmap): boolean {
    const a = this.#words;
    const b = other.#words;
    for (let i = 0; i < b.length; i++) {
      const bw = b[i]!;
      if (bw === 0) continue;
      const aw = i < a.length ? a[i]! : 0;
      if ((aw & bw) >>> 0 !== bw) return false;
    }
    return true;
  }

  equals(other: Bitmap): boolean {
    return this.containsAll(other) && other.containsAll(this);
  }

  union(other: Bitmap): Bitmap {
    const n = Math.max(this.#words.length, other.#words.length);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = ((this.#words[i] ?? 0) | (other.#words[i] ?? 0)) >>> 0;
    return new Bitmap(out);
  }

  intersect(other: Bitmap): Bitmap {
    const n = Math.min(this.#words.length, other.#words.length);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.#words[i]! & other.#words[i]!) >>> 0;
    return new Bitmap(out);
  }

  isEmpty(): boolean {
    for (const w of this.#words) if (w !== 0) return false;
    return true;
  }

  /** Highest set bit + 1 (0 when empty). */
  get highBit(): number {
    for (let i = this.#words.length - 1; i >= 0; i--) {
      const w = this.#words[i]!;
      if (w !== 0) return i * 32 + (32 - Math.clz32(w));
    }
    return 0;
  }

  get size(): number {
    let n = 0;
    for (let w of this.#words) {
      while (w !== 0) {
        w &= w - 1;
        n++;
      }
    }
    return n;
  }

  /** Set bits in increasing order. */
  *[Symbol.iterator](): IterableIterator<number> {
    const words = this.#words;
    for (let i = 0; i < words.length; i++) {
      let w = words[i]!;
      while (w !== 0) {
        const low = w & -w;
        yield i * 32 + (31 - Math.clz32(low));
        w = (w ^ low) >>> 0;
      }
    }
  }

  toArray(): number[] {
    return [...this];
  }
}
