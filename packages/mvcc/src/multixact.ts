// MultiXacts: when more than one transaction locks a tuple (or lockers coexist with an
// updater), xmax names a MultiXactId whose members carry each xid and its strength.
// Ids are 64-bit (no wraparound, so M37 does not apply). Creation is WAL-logged through the
// XactLog and replayed by redo; members are immutable once created. Storage is two SLRUs
// (offsets, members) like PostgreSQL's pg_multixact.

import { type Xid, assert } from '@palisade/common';
import { type MultiXactMember, MultiXactStatus, type XactLog, encodeXactRecord, MULTIXACT_MEMBERS_MAX } from './xact-record.ts';
import { FirstMultiXactId, type MultiXactId } from './xid.ts';
import { outOfSharedMemory } from './errors.ts';
import { MemorySlruStore, Slru, type SlruPageStore } from './slru.ts';

export interface MultiXactOptions {
  log?: XactLog;
  /** Most MultiXacts kept before truncation must free some (53200 beyond). Default 1,048,576. */
  multiXactCountMax?: number;
  /** Page buffers for each of the offsets and members SLRUs (default 16). */
  bufferCount?: number;
  offsetsStore?: SlruPageStore;
  membersStore?: SlruPageStore;
}

/** True if the member's status is an update (not just a lock). */
export function isUpdateStatus(s: MultiXactStatus): boolean {
  return s === MultiXactStatus.NoKeyUpdate || s === MultiXactStatus.Update;
}

const PAGE_BYTES = 8192;
/** Offsets entry: first member offset (u64) and member count (u32, 0 = not created) — 16 bytes. */
const OFFSET_ENTRY_BYTES = 16;
const OFFSETS_PER_PAGE = PAGE_BYTES / OFFSET_ENTRY_BYTES;
/** Member entry: xid (u64) and status (u8), padded to 16 bytes. */
const MEMBER_ENTRY_BYTES = 16;
const MEMBERS_PER_PAGE = PAGE_BYTES / MEMBER_ENTRY_BYTES;
const C_NEXT_MXID = 0;
const C_OLDEST_MXID = 1;
const C_NEXT_OFFSET = 2;
const C_OLDEST_OFFSET = 3;

/**
 * The MultiXact store, as PostgreSQL's pg_multixact: an offsets SLRU (id → first member,
 * count) and a members SLRU (xid, status), both page caches over SharedArrayBuffer with pages
 * beyond the buffers in an SlruPageStore; the counters live in shared memory too.
 */
export class MultiXactManager {
  private readonly offsets: Slru;
  private readonly membersSlru: Slru;
  private readonly counters: BigInt64Array;
  private readonly log: XactLog | undefined;
  readonly multiXactCountMax: number;

  constructor(opts: MultiXactOptions = {}) {
    this.log = opts.log;
    this.multiXactCountMax = opts.multiXactCountMax ?? 1 << 20;
    const bufferCount = opts.bufferCount ?? 16;
    this.offsets = new Slru({ pageSizeBytes: PAGE_BYTES, bufferCount, store: opts.offsetsStore ?? new MemorySlruStore() });
    this.membersSlru = new Slru({ pageSizeBytes: PAGE_BYTES, bufferCount, store: opts.membersStore ?? new MemorySlruStore() });
    this.counters = new BigInt64Array(new SharedArrayBuffer(4 * 8));
    this.counters[C_NEXT_MXID] = FirstMultiXactId;
    this.counters[C_OLDEST_MXID] = FirstMultiXactId;
  }

  private view(slru: Slru, pageNo: number, forWrite: boolean): DataView {
    const slot = slru.slotFor(pageNo, forWrite);
    return new DataView(slru.bytes.buffer, slru.bytes.byteOffset + slru.pageOffset(slot), PAGE_BYTES);
  }

  private readOffset(mxid: bigint): { start: bigint; count: number } {
    const v = this.view(this.offsets, Number(mxid / BigInt(OFFSETS_PER_PAGE)), false);
    const at = Number(mxid % BigInt(OFFSETS_PER_PAGE)) * OFFSET_ENTRY_BYTES;
    return { start: v.getBigUint64(at, true), count: v.getUint32(at + 8, true) };
  }

  private store(mxid: bigint, members: readonly MultiXactMember[]): void {
    const start = this.counters[C_NEXT_OFFSET]!;
    members.forEach((m, i) => {
      const off = start + BigInt(i);
      const v = this.view(this.membersSlru, Number(off / BigInt(MEMBERS_PER_PAGE)), true);
      const at = Number(off % BigInt(MEMBERS_PER_PAGE)) * MEMBER_ENTRY_BYTES;
      v.setBigUint64(at, m.xid, true);
      v.setUint8(at + 8, m.status);
    });
    this.counters[C_NEXT_OFFSET] = start + BigInt(members.length);
    const v = this.view(this.offsets, Number(mxid / BigInt(OFFSETS_PER_PAGE)), true);
    const at = Number(mxid % BigInt(OFFSETS_PER_PAGE)) * OFFSET_ENTRY_BYTES;
    v.setBigUint64(at, start, true);
    v.setUint32(at + 8, members.length, true);
  }

  /**
   * Creates a MultiXact with `members` (at most one updater; one entry per xid) and logs it
   * before anyone can see the id (it is stored in a tuple only after this returns).
   */
  create(members: readonly MultiXactMember[]): MultiXactId {
    assert(members.length >= 1, 'a MultiXact needs members');
    assert(members.length <= MULTIXACT_MEMBERS_MAX, 'too many MultiXact members');
    assert(members.filter((m) => isUpdateStatus(m.status)).length <= 1, 'a MultiXact has at most one updater');
    if (this.count >= this.multiXactCountMax) throw outOfSharedMemory('the MultiXact limit (vacuum to free MultiXacts)');
    const mxid = this.counters[C_NEXT_MXID]! as MultiXactId;
    this.log?.insert(encodeXactRecord({ kind: 'multixact-create', mxid, members: members.map((m) => ({ xid: m.xid, status: m.status })) }));
    this.store(mxid, members);
    this.counters[C_NEXT_MXID] = mxid + 1n;
    return mxid;
  }

  /** Members of `mxid`. A MultiXact older than the truncation point has no live members. */
  getMembers(mxid: MultiXactId): readonly MultiXactMember[] {
    if (mxid < this.counters[C_OLDEST_MXID]!) return [];
    assert(mxid < this.counters[C_NEXT_MXID]!, () => `MultiXact ${mxid} does not exist`);
    const { start, count } = this.readOffset(mxid);
    assert(count > 0, () => `MultiXact ${mxid} has no members`);
    const out: MultiXactMember[] = [];
    for (let i = 0; i < count; i++) {
      const off = start + BigInt(i);
      const v = this.view(this.membersSlru, Number(off / BigInt(MEMBERS_PER_PAGE)), false);
      const at = Number(off % BigInt(MEMBERS_PER_PAGE)) * MEMBER_ENTRY_BYTES;
      const status = v.getUint8(at + 8);
      assert(status <= MultiXactStatus.Update, 'corrupt MultiXact member status');
      out.push({ xid: v.getBigUint64(at, true) as Xid, status: status as MultiXactStatus });
    }
    return out;
  }

  /** The updating member's xid, if any. */
  getUpdateXid(mxid: MultiXactId): Xid | undefined {
    return this.getMembers(mxid).find((m) => isUpdateStatus(m.status))?.xid;
  }

  /** Redo of a MultiXact creation record (idempotent: an id already stored is skipped). */
  redoCreate(mxid: MultiXactId, members: readonly MultiXactMember[]): void {
    if (mxid < this.counters[C_OLDEST_MXID]!) return;
    if (mxid < this.counters[C_NEXT_MXID]! && this.readOffset(mxid).count > 0) return;
    this.store(mxid, members);
    if (mxid >= this.counters[C_NEXT_MXID]!) this.counters[C_NEXT_MXID] = mxid + 1n;
  }

  /** Drops MultiXacts below `oldest` (vacuum has removed every reference to them). */
  truncate(oldest: MultiXactId): void {
    if (oldest <= this.counters[C_OLDEST_MXID]!) return;
    assert(oldest <= this.counters[C_NEXT_MXID]!, 'truncating MultiXacts that do not exist yet');
    const firstKeptOffset = oldest < this.counters[C_NEXT_MXID]! ? this.readOffset(oldest).start : this.counters[C_NEXT_OFFSET]!;
    this.counters[C_OLDEST_MXID] = oldest;
    this.counters[C_OLDEST_OFFSET] = firstKeptOffset;
    this.offsets.truncateBefore(Number(oldest / BigInt(OFFSETS_PER_PAGE)));
    this.membersSlru.truncateBefore(Number(firstKeptOffset / BigInt(MEMBERS_PER_PAGE)));
  }

  nextMultiXactId(): MultiXactId {
    return this.counters[C_NEXT_MXID]! as MultiXactId;
  }
  /** MultiXacts between the truncation point and the next id. */
  get count(): number {
    return Number(this.counters[C_NEXT_MXID]! - this.counters[C_OLDEST_MXID]!);
  }
}
