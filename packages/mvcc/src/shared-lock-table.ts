// The heavyweight lock table's shared state laid out over a SharedArrayBuffer (PostgreSQL's
// LOCK and PROCLOCK hash tables and PGPROC wait links): lock entries keyed by an encoded tag in
// an open-addressing hash, per-lock lists of holder entries (proc, held-mode bit set), per-lock
// FIFO wait queues linked through per-proc wait slots, and free lists. Fixed capacity: a full
// table is 53200. Callers hold `lock` around every change (LockManager does).

import { assert } from '@palisade/common';
import type { LockTag, LockMode } from './lock-tag.ts';
import { outOfSharedMemory } from './errors.ts';
import { SpinLock } from './spinlock.ts';

const TAG_WORDS = 6;
const KIND = { relation: 1n, tuple: 2n, transaction: 3n, virtualxid: 4n, object: 5n, advisory: 6n } as const;

// lock entry ints
const L_IN_USE = 0;
const L_HOLDERS = 1;
const L_QHEAD = 2;
const L_QTAIL = 3;
const L_NEXT_FREE = 4;
const L_INTS = 5;
// holder (PROCLOCK) entry ints
const P_LOCK = 0;
const P_PROC = 1;
const P_MASK = 2;
const P_NEXT = 3;
const P_INTS = 4;
// per-proc wait slot ints
const W_LOCK = 0; // lock index + 1, 0 when not waiting
const W_MODE = 1;
const W_NEXT = 2; // next proc in the queue, -1 at the end
const W_INTS = 3;
// header ints
const H_LOCK_FREE = 0;
const H_PL_FREE = 1;
const H_PL_COUNT = 2;
const H_TOMBSTONES = 3;
const H_MUTEX = 4;
const H_INTS = 6;

const EMPTY = 0;
const TOMBSTONE = -1;
const NIL = -1;

function tagWords(tag: LockTag, out: bigint[]): void {
  out.fill(0n);
  switch (tag.kind) {
    case 'relation':
      out[0] = KIND.relation;
      out[1] = BigInt(tag.dbOid);
      out[2] = BigInt(tag.relOid);
      break;
    case 'tuple':
      out[0] = KIND.tuple;
      out[1] = BigInt(tag.dbOid);
      out[2] = BigInt(tag.relOid);
      out[3] = BigInt(tag.block);
      out[4] = BigInt(tag.offset);
      break;
    case 'transaction':
      out[0] = KIND.transaction;
      out[1] = tag.xid;
      break;
    case 'virtualxid':
      out[0] = KIND.virtualxid;
      out[1] = BigInt(tag.backendId);
      out[2] = BigInt(tag.localXid);
      break;
    case 'object':
      out[0] = KIND.object;
      out[1] = BigInt(tag.dbOid);
      out[2] = BigInt(tag.classOid);
      out[3] = BigInt(tag.objOid);
      out[4] = BigInt(tag.objSubId);
      break;
    case 'advisory':
      out[0] = KIND.advisory;
      out[1] = BigInt(tag.dbOid);
      out[2] = BigInt(tag.key1);
      out[3] = BigInt(tag.key2);
      out[4] = BigInt(tag.field4);
      break;
  }
}

function hashWords(w: readonly bigint[]): number {
  let h = 0x811c9dc5;
  for (const x of w) {
    // Tag fields are below 2^64; Number() keeps the low bits exactly up to 2^53, which is
    // enough to spread keys (equality is checked on the full words).
    const n = Number(x);
    h = Math.imul(h ^ (n | 0), 0x01000193);
    h = Math.imul(h ^ ((n / 4294967296) | 0), 0x01000193);
  }
  return h >>> 0;
}

export class SharedLockTable {
  readonly lockCapacity: number;
  readonly procLockCapacity: number;
  readonly procCount: number;
  readonly mutex: SpinLock;
  private readonly header: Int32Array;
  private readonly tags: BigInt64Array;
  private readonly locks: Int32Array;
  private readonly holders: Int32Array;
  private readonly waits: Int32Array;
  private readonly hash: Int32Array;
  private readonly scratch: bigint[] = new Array<bigint>(TAG_WORDS).fill(0n);

  static sharedBytes(lockCapacity: number, procCount: number): number {
    const hashSize = SharedLockTable.hashSize(lockCapacity);
    return 8 * TAG_WORDS * lockCapacity + 4 * (H_INTS + L_INTS * lockCapacity + P_INTS * lockCapacity + W_INTS * procCount + hashSize);
  }
  private static hashSize(lockCapacity: number): number {
    let n = 16;
    while (n < lockCapacity * 2) n *= 2;
    return n;
  }

  constructor(lockCapacity: number, procCount: number, sab?: SharedArrayBuffer) {
    assert(lockCapacity >= 1 && procCount >= 1, 'empty lock table');
    this.lockCapacity = lockCapacity;
    this.procLockCapacity = lockCapacity;
    this.procCount = procCount;
    const buf = sab ?? new SharedArrayBuffer(SharedLockTable.sharedBytes(lockCapacity, procCount));
    let off = 0;
    this.tags = new BigInt64Array(buf, off, TAG_WORDS * lockCapacity);
    off += 8 * TAG_WORDS * lockCapacity;
    this.header = new Int32Array(buf, off, H_INTS);
    off += 4 * H_INTS;
    this.locks = new Int32Array(buf, off, L_INTS * lockCapacity);
    off += 4 * L_INTS * lockCapacity;
    this.holders = new Int32Array(buf, off, P_INTS * lockCapacity);
    off += 4 * P_INTS * lockCapacity;
    this.waits = new Int32Array(buf, off, W_INTS * procCount);
    off += 4 * W_INTS * procCount;
    this.hash = new Int32Array(buf, off, SharedLockTable.hashSize(lockCapacity));
    this.mutex = new SpinLock(this.header, H_MUTEX);
    if (sab === undefined) {
      for (let i = 0; i < lockCapacity; i++) {
        this.locks[i * L_INTS + L_NEXT_FREE] = i + 1 < lockCapacity ? i + 1 : NIL;
        this.holders[i * P_INTS + P_NEXT] = i + 1 < lockCapacity ? i + 1 : NIL;
      }
      this.header[H_LOCK_FREE] = 0;
      this.header[H_PL_FREE] = 0;
      for (let p = 0; p < procCount; p++) this.waits[p * W_INTS + W_NEXT] = NIL;
    }
  }

  // ---- locks -------------------------------------------------------------------------------

  private sameTag(idx: number, w: readonly bigint[]): boolean {
    const b = idx * TAG_WORDS;
    for (let i = 0; i < TAG_WORDS; i++) if (this.tags[b + i] !== w[i]) return false;
    return true;
  }

  /** Index of the lock on `tag`, or -1. */
  find(tag: LockTag): number {
    tagWords(tag, this.scratch);
    return this.findWords(this.scratch);
  }

  private findWords(w: readonly bigint[]): number {
    const mask = this.hash.length - 1;
    for (let i = 0, h = hashWords(w) & mask; i < this.hash.length; i++, h = (h + 1) & mask) {
      const v = this.hash[h]!;
      if (v === EMPTY) return NIL;
      if (v !== TOMBSTONE && this.sameTag(v - 1, w)) return v - 1;
    }
    return NIL;
  }

  /** Index of the lock on `tag`, creating it; 53200 when every lock entry is in use. */
  findOrCreate(tag: LockTag): number {
    tagWords(tag, this.scratch);
    const found = this.findWords(this.scratch);
    if (found !== NIL) return found;
    const idx = this.header[H_LOCK_FREE]!;
    if (idx === NIL) throw outOfSharedMemory('max_locks_per_transaction');
    this.header[H_LOCK_FREE] = this.locks[idx * L_INTS + L_NEXT_FREE]!;
    const lb = idx * L_INTS;
    this.locks[lb + L_IN_USE] = 1;
    this.locks[lb + L_HOLDERS] = NIL;
    this.locks[lb + L_QHEAD] = NIL;
    this.locks[lb + L_QTAIL] = NIL;
    for (let i = 0; i < TAG_WORDS; i++) this.tags[idx * TAG_WORDS + i] = this.scratch[i]!;
    const mask = this.hash.length - 1;
    for (let i = 0, h = hashWords(this.scratch) & mask; i < this.hash.length; i++, h = (h + 1) & mask) {
      const v = this.hash[h]!;
      if (v === EMPTY || v === TOMBSTONE) {
        if (v === TOMBSTONE) this.header[H_TOMBSTONES]!--;
        this.hash[h] = idx + 1;
        return idx;
      }
    }
    assert(false, 'lock hash table has no free slot');
  }

  /** Frees lock `idx` if nobody holds or waits for it. */
  removeIfUnused(idx: number): void {
    const lb = idx * L_INTS;
    if (this.locks[lb + L_HOLDERS] !== NIL || this.locks[lb + L_QHEAD] !== NIL) return;
    const w = this.tagWordsOf(idx);
    const mask = this.hash.length - 1;
    for (let i = 0, h = hashWords(w) & mask; i < this.hash.length; i++, h = (h + 1) & mask) {
      if (this.hash[h] === idx + 1) {
        this.hash[h] = TOMBSTONE;
        this.header[H_TOMBSTONES]!++;
        break;
      }
    }
    this.locks[lb + L_IN_USE] = 0;
    this.locks[lb + L_NEXT_FREE] = this.header[H_LOCK_FREE]!;
    this.header[H_LOCK_FREE] = idx;
    if (this.header[H_TOMBSTONES]! > this.hash.length / 4) this.rehash();
  }

  private rehash(): void {
    this.hash.fill(EMPTY);
    this.header[H_TOMBSTONES] = 0;
    const mask = this.hash.length - 1;
    for (let idx = 0; idx < this.lockCapacity; idx++) {
      if (this.locks[idx * L_INTS + L_IN_USE] !== 1) continue;
      let h = hashWords(this.tagWordsOf(idx)) & mask;
      while (this.hash[h] !== EMPTY) h = (h + 1) & mask;
      this.hash[h] = idx + 1;
    }
  }

  private tagWordsOf(idx: number): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < TAG_WORDS; i++) out.push(this.tags[idx * TAG_WORDS + i]!);
    return out;
  }

  /** The tag of lock `idx`. */
  tagOf(idx: number): LockTag {
    const [k, a, b, c, d] = this.tagWordsOf(idx) as [bigint, bigint, bigint, bigint, bigint, bigint];
    switch (k) {
      case KIND.relation:
        return { kind: 'relation', dbOid: Number(a), relOid: Number(b) };
      case KIND.tuple:
        return { kind: 'tuple', dbOid: Number(a), relOid: Number(b), block: Number(c), offset: Number(d) };
      case KIND.transaction:
        return { kind: 'transaction', xid: a };
      case KIND.virtualxid:
        return { kind: 'virtualxid', backendId: Number(a), localXid: Number(b) };
      case KIND.object:
        return { kind: 'object', dbOid: Number(a), classOid: Number(b), objOid: Number(c), objSubId: Number(d) };
      case KIND.advisory:
        return { kind: 'advisory', dbOid: Number(a), key1: Number(b), key2: Number(c), field4: Number(d) === 2 ? 2 : 1 };
      default:
        assert(false, `bad lock tag kind ${k}`);
    }
  }

  /** Indexes of locks in use. */
  locksInUse(): number[] {
    const out: number[] = [];
    for (let idx = 0; idx < this.lockCapacity; idx++) if (this.locks[idx * L_INTS + L_IN_USE] === 1) out.push(idx);
    return out;
  }

  // ---- holders (PROCLOCK) --------------------------------------------------------------------

  /** Holder entry of `proc` on lock `idx`, or -1. */
  holderEntry(idx: number, proc: number): number {
    for (let e = this.locks[idx * L_INTS + L_HOLDERS]!; e !== NIL; e = this.holders[e * P_INTS + P_NEXT]!) {
      if (this.holders[e * P_INTS + P_PROC] === proc) return e;
    }
    return NIL;
  }

  /** Holder entry of `proc` on `idx`, creating an empty one; 53200 when all are in use. */
  holderEntryOrCreate(idx: number, proc: number): number {
    const found = this.holderEntry(idx, proc);
    if (found !== NIL) return found;
    const e = this.header[H_PL_FREE]!;
    if (e === NIL) throw outOfSharedMemory('max_locks_per_transaction');
    const pb = e * P_INTS;
    this.header[H_PL_FREE] = this.holders[pb + P_NEXT]!;
    this.holders[pb + P_LOCK] = idx;
    this.holders[pb + P_PROC] = proc;
    this.holders[pb + P_MASK] = 0;
    this.holders[pb + P_NEXT] = this.locks[idx * L_INTS + L_HOLDERS]!;
    this.locks[idx * L_INTS + L_HOLDERS] = e;
    this.header[H_PL_COUNT]!++;
    return e;
  }

  removeHolderEntry(idx: number, e: number): void {
    let prev = NIL;
    for (let cur = this.locks[idx * L_INTS + L_HOLDERS]!; cur !== NIL; prev = cur, cur = this.holders[cur * P_INTS + P_NEXT]!) {
      if (cur !== e) continue;
      const next = this.holders[cur * P_INTS + P_NEXT]!;
      if (prev === NIL) this.locks[idx * L_INTS + L_HOLDERS] = next;
      else this.holders[prev * P_INTS + P_NEXT] = next;
      this.holders[cur * P_INTS + P_NEXT] = this.header[H_PL_FREE]!;
      this.header[H_PL_FREE] = cur;
      this.header[H_PL_COUNT]!--;
      return;
    }
    assert(false, 'holder entry not on its lock');
  }

  holdMask(e: number): number {
    return this.holders[e * P_INTS + P_MASK]!;
  }
  setHoldMask(e: number, mask: number): void {
    this.holders[e * P_INTS + P_MASK] = mask;
  }
  holderProc(e: number): number {
    return this.holders[e * P_INTS + P_PROC]!;
  }

  /** (proc, mask) of every holder entry of lock `idx`. */
  holdersOf(idx: number): { proc: number; holdMask: number }[] {
    const out: { proc: number; holdMask: number }[] = [];
    for (let e = this.locks[idx * L_INTS + L_HOLDERS]!; e !== NIL; e = this.holders[e * P_INTS + P_NEXT]!) {
      out.push({ proc: this.holders[e * P_INTS + P_PROC]!, holdMask: this.holders[e * P_INTS + P_MASK]! });
    }
    return out;
  }

  /** OR of the held modes of every proc but `proc` that conflict with `conflicts`. */
  othersHold(idx: number, proc: number, conflicts: number): boolean {
    for (let e = this.locks[idx * L_INTS + L_HOLDERS]!; e !== NIL; e = this.holders[e * P_INTS + P_NEXT]!) {
      if (this.holders[e * P_INTS + P_PROC] !== proc && (this.holders[e * P_INTS + P_MASK]! & conflicts) !== 0) return true;
    }
    return false;
  }

  get holderEntryCount(): number {
    return this.header[H_PL_COUNT]!;
  }

  // ---- wait queues -------------------------------------------------------------------------

  /** Waiting procs of lock `idx` with their modes, in queue order. */
  queueOf(idx: number): { proc: number; mode: LockMode }[] {
    const out: { proc: number; mode: LockMode }[] = [];
    for (let p = this.locks[idx * L_INTS + L_QHEAD]!, n = 0; p !== NIL; p = this.waits[p * W_INTS + W_NEXT]!, n++) {
      assert(n <= this.procCount, 'wait queue longer than the number of procs');
      out.push({ proc: p, mode: this.waits[p * W_INTS + W_MODE]! as LockMode });
    }
    return out;
  }

  /** OR of the mode bits requested by the waiters of lock `idx`. */
  queueMask(idx: number): number {
    let m = 0;
    for (let p = this.locks[idx * L_INTS + L_QHEAD]!, n = 0; p !== NIL; p = this.waits[p * W_INTS + W_NEXT]!, n++) {
      assert(n <= this.procCount, 'wait queue longer than the number of procs');
      m |= 1 << this.waits[p * W_INTS + W_MODE]!;
    }
    return m;
  }

  /** Lock index `proc` waits on, or -1. */
  waitingOn(proc: number): number {
    return this.waits[proc * W_INTS + W_LOCK]! - 1;
  }
  waitMode(proc: number): LockMode {
    return this.waits[proc * W_INTS + W_MODE]! as LockMode;
  }

  /** Replaces the queue of lock `idx` with `procs` (each with its recorded wait mode). */
  setQueue(idx: number, procs: readonly { proc: number; mode: LockMode }[]): void {
    const lb = idx * L_INTS;
    for (const q of this.queueOf(idx)) {
      this.waits[q.proc * W_INTS + W_LOCK] = 0;
      this.waits[q.proc * W_INTS + W_NEXT] = NIL;
    }
    this.locks[lb + L_QHEAD] = NIL;
    this.locks[lb + L_QTAIL] = NIL;
    for (const q of procs) {
      const wb = q.proc * W_INTS;
      this.waits[wb + W_LOCK] = idx + 1;
      this.waits[wb + W_MODE] = q.mode;
      this.waits[wb + W_NEXT] = NIL;
      if (this.locks[lb + L_QTAIL] === NIL) this.locks[lb + L_QHEAD] = q.proc;
      else this.waits[this.locks[lb + L_QTAIL]! * W_INTS + W_NEXT] = q.proc;
      this.locks[lb + L_QTAIL] = q.proc;
    }
  }

  /** Inserts `proc` (waiting in `mode`) at `position` of the queue of lock `idx`. */
  enqueue(idx: number, proc: number, mode: LockMode, position: number): void {
    assert(this.waitingOn(proc) === NIL, 'a proc waits for one lock at a time');
    const q = this.queueOf(idx);
    q.splice(position, 0, { proc, mode });
    this.setQueue(idx, q);
  }

  /** Removes `proc` from the queue of lock `idx`; false if it was not there. */
  dequeue(idx: number, proc: number): boolean {
    const q = this.queueOf(idx);
    const at = q.findIndex((w) => w.proc === proc);
    if (at < 0) return false;
    q.splice(at, 1);
    this.setQueue(idx, q);
    this.waits[proc * W_INTS + W_LOCK] = 0;
    this.waits[proc * W_INTS + W_NEXT] = NIL;
    return true;
  }
}
