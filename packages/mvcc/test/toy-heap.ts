// A toy heap for tests: versions of keyed integer rows with real tuple headers, read and
// written through @palisade/mvcc the way @palisade/access will (visibility, row locks,
// EvalPlanQual, SSI hooks). Not a test file itself.

import type { Xid } from '@palisade/common';
import {
  type Session,
  type TupleHeader,
  type Tid,
  IsolationLevel,
  heapTupleSatisfiesMVCC,
  newTupleHeader,
  lockTuple,
  applyTupleLock,
  LockTupleMode,
  evalPlanQualDecision,
  serializableConflictOutXid,
  type WaitPolicy,
} from '../src/index.ts';

export interface Version {
  header: TupleHeader;
  key: string;
  value: number;
}

export const DB = 5;
export const REL = 16384;

export class ToyHeap {
  readonly versions: Version[] = [];
  constructor(readonly relationName = 'accounts') {}

  private at(tid: Tid): Version {
    const v = this.versions[tid.offset - 1];
    if (v === undefined) throw new Error(`no version at ${tid.offset}`);
    return v;
  }

  /** INSERT: a new version stamped with our xid and command id; SSI relation-level conflict-in. */
  insert(s: Session, key: string, value: number): Version {
    s.checkForSerializableConflictIn({ kind: 'relation', dbOid: DB, relOid: REL });
    const xid = s.getXid();
    const tid = { block: 0, offset: this.versions.length + 1 };
    const v = { header: newTupleHeader(xid, s.commandId, tid), key, value };
    this.versions.push(v);
    return v;
  }

  /** Versions visible to the statement's snapshot; serializable readers take SIREAD locks and check conflicts out. */
  scan(s: Session, opts: { seqscan?: boolean; key?: string } = {}): Version[] {
    const snap = s.snapshot();
    if (opts.seqscan === true) s.predicateLock({ kind: 'relation', dbOid: DB, relOid: REL });
    const out: Version[] = [];
    for (const v of this.versions) {
      // `key` models an index lookup: only that key's versions are examined and locked.
      if (opts.key !== undefined && v.key !== opts.key) continue;
      const visible = heapTupleSatisfiesMVCC(v.header, snap, s);
      if (s.serializableXact !== undefined) {
        const x = serializableConflictOutXid(v.header, visible, s, s.manager.getOldestXmin());
        if (x !== undefined) s.checkForSerializableConflictOut(x);
      }
      if (visible) {
        if (opts.seqscan !== true) s.predicateLock({ kind: 'tuple', dbOid: DB, relOid: REL, block: v.header.tid.block, offset: v.header.tid.offset });
        out.push(v);
      }
    }
    return out;
  }

  get(s: Session, key: string): Version | undefined {
    return this.scan(s, { key }).find((v) => v.key === key);
  }

  /**
   * UPDATE … SET value = f(value) WHERE key = k, with PostgreSQL's READ COMMITTED re-check
   * (M19) and 40001 under REPEATABLE READ / SERIALIZABLE (M21). Returns the new version or
   * undefined when no row (still) qualifies.
   */
  async update(
    s: Session,
    key: string,
    f: (old: number) => number,
    opts: { waitPolicy?: WaitPolicy; lockTimeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Version | undefined> {
    let target = this.get(s, key);
    for (let hops = 0; target !== undefined && hops < 10_000; hops++) {
      const tv: Version = target;
      s.checkForSerializableConflictIn({ kind: 'tuple', dbOid: DB, relOid: REL, block: tv.header.tid.block, offset: tv.header.tid.offset });
      let nv: Version | undefined;
      const r = await lockTuple(
        s,
        {
          dbOid: DB,
          relOid: REL,
          relationName: this.relationName,
          read: () => tv.header,
          apply: (change) => {
            applyTupleLock(tv.header, change);
            s.stampCmax(tv.header);
            nv = this.insertVersion(s, key, f(tv.value));
            tv.header.ctid = nv.header.tid;
          },
        },
        LockTupleMode.NoKeyExclusive,
        { purpose: 'update', ...opts },
      );
      if (r.result === 'Ok') return nv;
      if (r.result === 'Updated' || r.result === 'Deleted') {
        const d = evalPlanQualDecision(s.isolationLevel, r);
        if (d.action === 'skip') return undefined;
        target = this.at(d.ctid);
        continue;
      }
      return undefined; // SelfModified / Invisible / WouldBlock: the row is not updated
    }
    return undefined;
  }

  /** SELECT … FOR <mode> of the row `key` (M13–M17). */
  async lockRow(
    s: Session,
    key: string,
    mode: LockTupleMode,
    opts: { waitPolicy?: WaitPolicy; lockTimeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<'locked' | 'skipped' | 'gone'> {
    let target = this.get(s, key);
    for (let hops = 0; target !== undefined && hops < 10_000; hops++) {
      const tv: Version = target;
      const r = await lockTuple(
        s,
        {
          dbOid: DB,
          relOid: REL,
          relationName: this.relationName,
          read: () => tv.header,
          apply: (c) => applyTupleLock(tv.header, c),
        },
        mode,
        { purpose: 'lock', ...opts },
      );
      if (r.result === 'Ok') return 'locked';
      if (r.result === 'WouldBlock') return 'skipped';
      if (r.result === 'Updated' || r.result === 'Deleted') {
        const d = evalPlanQualDecision(s.isolationLevel, r);
        if (d.action === 'skip') return 'gone';
        target = this.at(d.ctid);
        continue;
      }
      return 'gone';
    }
    return 'gone';
  }

  async delete(s: Session, key: string): Promise<boolean> {
    let target = this.get(s, key);
    for (let hops = 0; target !== undefined && hops < 10_000; hops++) {
      const tv: Version = target;
      s.checkForSerializableConflictIn({ kind: 'tuple', dbOid: DB, relOid: REL, block: tv.header.tid.block, offset: tv.header.tid.offset });
      const r = await lockTuple(
        s,
        {
          dbOid: DB,
          relOid: REL,
          relationName: this.relationName,
          read: () => tv.header,
          apply: (c) => {
            applyTupleLock(tv.header, c);
            s.stampCmax(tv.header);
          },
        },
        LockTupleMode.Exclusive,
        { purpose: 'delete' },
      );
      if (r.result === 'Ok') return true;
      if (r.result === 'Updated' || r.result === 'Deleted') {
        const d = evalPlanQualDecision(s.isolationLevel, r);
        if (d.action === 'skip') return false;
        target = this.at(d.ctid);
        continue;
      }
      return false;
    }
    return false;
  }

  private insertVersion(s: Session, key: string, value: number): Version {
    const xid: Xid = s.getXid();
    const tid = { block: 0, offset: this.versions.length + 1 };
    const v = { header: newTupleHeader(xid, s.commandId, tid), key, value };
    this.versions.push(v);
    return v;
  }

  /** Key → value as seen by `s` now. */
  view(s: Session): Map<string, number> {
    return new Map(this.scan(s).map((v) => [v.key, v.value]));
  }
}

export { IsolationLevel };
