// The transaction resource manager's WAL records (commit, abort, MultiXact creation): their
// byte encoding, the XactLog interface through which they are written and flushed, an
// in-memory XactLog, and redo. A record is `info` (1 byte) followed by little-endian fields;
// every decoder checks the length it was given against the length the fields require.

import { type Lsn, type Xid, assert, lsn as makeLsn } from '@palisade/common';
import type { MultiXactId } from './xid.ts';

/** Record kinds (high nibble, like PostgreSQL's XLOG_XACT_* info values). */
export const XactRecordInfo = {
  Commit: 0x00,
  Abort: 0x20,
  MultiXactCreate: 0x40,
} as const;

/** Lock or update strength of one MultiXact member (PostgreSQL's MultiXactStatus). */
export const MultiXactStatus = {
  ForKeyShare: 0,
  ForShare: 1,
  ForNoKeyUpdate: 2,
  ForUpdate: 3,
  NoKeyUpdate: 4,
  Update: 5,
} as const;
export type MultiXactStatus = (typeof MultiXactStatus)[keyof typeof MultiXactStatus];

export interface MultiXactMember {
  readonly xid: Xid;
  readonly status: MultiXactStatus;
}

export type XactRecord =
  | { kind: 'commit'; xid: Xid; subxids: Xid[]; commitTimeMs: number }
  | { kind: 'abort'; xid: Xid; subxids: Xid[] }
  | { kind: 'multixact-create'; mxid: MultiXactId; members: MultiXactMember[] };

/** Upper bound of sub-xids in one record (PostgreSQL is bounded by its record size too). */
export const SUBXIDS_PER_RECORD_MAX = 1 << 20;
/** Upper bound of members of one MultiXact. */
export const MULTIXACT_MEMBERS_MAX = 1 << 16;

export function encodeXactRecord(rec: XactRecord): Uint8Array {
  switch (rec.kind) {
    case 'commit': {
      assert(rec.subxids.length <= SUBXIDS_PER_RECORD_MAX, 'too many sub-xids in a commit record');
      const out = new Uint8Array(1 + 8 + 8 + 4 + 8 * rec.subxids.length);
      const v = new DataView(out.buffer);
      out[0] = XactRecordInfo.Commit;
      v.setBigUint64(1, rec.xid, true);
      v.setFloat64(9, rec.commitTimeMs, true);
      v.setUint32(17, rec.subxids.length, true);
      rec.subxids.forEach((s, i) => v.setBigUint64(21 + 8 * i, s, true));
      return out;
    }
    case 'abort': {
      assert(rec.subxids.length <= SUBXIDS_PER_RECORD_MAX, 'too many sub-xids in an abort record');
      const out = new Uint8Array(1 + 8 + 4 + 8 * rec.subxids.length);
      const v = new DataView(out.buffer);
      out[0] = XactRecordInfo.Abort;
      v.setBigUint64(1, rec.xid, true);
      v.setUint32(9, rec.subxids.length, true);
      rec.subxids.forEach((s, i) => v.setBigUint64(13 + 8 * i, s, true));
      return out;
    }
    case 'multixact-create': {
      assert(rec.members.length >= 1 && rec.members.length <= MULTIXACT_MEMBERS_MAX, 'bad MultiXact member count');
      const out = new Uint8Array(1 + 8 + 4 + 9 * rec.members.length);
      const v = new DataView(out.buffer);
      out[0] = XactRecordInfo.MultiXactCreate;
      v.setBigUint64(1, rec.mxid, true);
      v.setUint32(9, rec.members.length, true);
      rec.members.forEach((m, i) => {
        v.setBigUint64(13 + 9 * i, m.xid, true);
        v.setUint8(21 + 9 * i, m.status);
      });
      return out;
    }
  }
}

/** Decodes a record; a malformed record is a bug (WAL records are CRC-checked before redo). */
export function decodeXactRecord(bytes: Uint8Array): XactRecord {
  assert(bytes.length >= 1, 'empty xact record');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info = bytes[0];
  switch (info) {
    case XactRecordInfo.Commit: {
      assert(bytes.length >= 21, 'commit record too short');
      const n = v.getUint32(17, true);
      assert(n <= SUBXIDS_PER_RECORD_MAX && bytes.length === 21 + 8 * n, 'commit record length mismatch');
      const subxids: Xid[] = [];
      for (let i = 0; i < n; i++) subxids.push(v.getBigUint64(21 + 8 * i, true) as Xid);
      return { kind: 'commit', xid: v.getBigUint64(1, true) as Xid, commitTimeMs: v.getFloat64(9, true), subxids };
    }
    case XactRecordInfo.Abort: {
      assert(bytes.length >= 13, 'abort record too short');
      const n = v.getUint32(9, true);
      assert(n <= SUBXIDS_PER_RECORD_MAX && bytes.length === 13 + 8 * n, 'abort record length mismatch');
      const subxids: Xid[] = [];
      for (let i = 0; i < n; i++) subxids.push(v.getBigUint64(13 + 8 * i, true) as Xid);
      return { kind: 'abort', xid: v.getBigUint64(1, true) as Xid, subxids };
    }
    case XactRecordInfo.MultiXactCreate: {
      assert(bytes.length >= 13, 'multixact record too short');
      const n = v.getUint32(9, true);
      assert(n >= 1 && n <= MULTIXACT_MEMBERS_MAX && bytes.length === 13 + 9 * n, 'multixact record length mismatch');
      const members: MultiXactMember[] = [];
      for (let i = 0; i < n; i++) {
        const status = v.getUint8(21 + 9 * i);
        assert(status <= MultiXactStatus.Update, 'bad MultiXact member status');
        members.push({ xid: v.getBigUint64(13 + 9 * i, true) as Xid, status: status as MultiXactStatus });
      }
      return { kind: 'multixact-create', mxid: v.getBigUint64(1, true) as MultiXactId, members };
    }
    default:
      assert(false, `unknown xact record info 0x${(info ?? 0).toString(16)}`);
  }
}

/**
 * What this package needs from the write-ahead log. A server implements it over
 * @palisade/wal's insertion and flush (one resource manager whose redo calls
 * {@link redoXactRecord}); tests use {@link MemoryXactLog}.
 */
export interface XactLog {
  /** Appends one encoded record; returns the LSN just past its end. Synchronous, like XLogInsert. */
  insert(record: Uint8Array): Lsn;
  /** Resolves once WAL is durable up to `upTo`. */
  flush(upTo: Lsn): Promise<void>;
  /** LSN up to which WAL is durable now. */
  flushedLsn(): Lsn;
}

/** An XactLog in memory: records in order with their end LSNs; `crash()` keeps only the flushed ones. */
export class MemoryXactLog implements XactLog {
  readonly records: { lsn: Lsn; bytes: Uint8Array }[] = [];
  private endLsn = 0n;
  private flushed = 0n;
  /** Maximum records held (a bounded stand-in for WAL segments). */
  static readonly recordCountMax = 10_000_000;

  insert(record: Uint8Array): Lsn {
    assert(this.records.length < MemoryXactLog.recordCountMax, 'MemoryXactLog is full');
    this.endLsn += BigInt(record.length + 24);
    const at = makeLsn(this.endLsn);
    this.records.push({ lsn: at, bytes: record.slice() });
    return at;
  }
  async flush(upTo: Lsn): Promise<void> {
    if (upTo > this.flushed) this.flushed = upTo <= this.endLsn ? upTo : this.endLsn;
  }
  flushedLsn(): Lsn {
    return this.flushed as Lsn;
  }
  /** Records that survive a crash now: those at or below the flush point. */
  durableRecords(): { lsn: Lsn; bytes: Uint8Array }[] {
    return this.records.filter((r) => r.lsn <= this.flushed);
  }
}

/** The state redo of xact records acts on. */
export interface XactRedoTarget {
  clog: { redoCommit(xid: Xid, subxids: readonly Xid[], lsn: Lsn): void; redoAbort(xid: Xid, subxids: readonly Xid[]): void };
  multixacts?: { redoCreate(mxid: MultiXactId, members: readonly MultiXactMember[]): void };
  /** Called with the highest xid named by the record, so that nextXid moves past it. */
  observeXid?: (xid: Xid) => void;
}

/** Replays one xact record at `lsn` (its end). Idempotent, like all redo (W2). */
export function redoXactRecord(bytes: Uint8Array, lsn: Lsn, target: XactRedoTarget): XactRecord {
  const rec = decodeXactRecord(bytes);
  switch (rec.kind) {
    case 'commit':
      target.clog.redoCommit(rec.xid, rec.subxids, lsn);
      break;
    case 'abort':
      target.clog.redoAbort(rec.xid, rec.subxids);
      break;
    case 'multixact-create':
      target.multixacts?.redoCreate(rec.mxid, rec.members);
      for (const m of rec.members) target.observeXid?.(m.xid);
      return rec;
  }
  let max = rec.xid;
  for (const s of rec.subxids) if (s > max) max = s;
  target.observeXid?.(max);
  return rec;
}
