import { describe, expect, it } from 'vitest';
import { type Xid, PgError } from '@palisade/common';
import {
  TransactionManager,
  IsolationLevel,
  XidStatus,
  MemoryXactLog,
  decodeXactRecord,
  PGPROC_MAX_CACHED_SUBXIDS,
  xidInMVCCSnapshot,
  formatSnapshot,
  ProcArray,
  SubTrans,
} from '../src/index.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof PgError ? e.code : 'not-pg';
  }
  return undefined;
}

describe('transactions', () => {
  it('[MV10][M1] xids are assigned lazily: a read-only transaction has only a virtual xid', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    s.snapshot();
    expect(s.topXid).toBeUndefined();
    expect(s.virtualXid).toEqual({ backendId: s.proc + 1, localXid: 1 });
    const x = s.getXid();
    expect(x).toBe(3n);
    expect(s.getXid()).toBe(x);
    await s.commit();
    expect(m.clog.getStatus(x)).toBe(XidStatus.Committed);
  });

  it('[MV10][M1] subtransaction xids are greater than their parent, assigned parents first', async () => {
    const m = new TransactionManager();
    const other = m.connect();
    const s = m.connect();
    await s.begin();
    s.savepoint('a');
    s.savepoint('b');
    await other.begin();
    other.getXid(); // takes 3 so that the gap is visible
    const inner = s.getXid();
    const top = s.topXid!;
    expect(top).toBe(4n);
    expect(inner).toBe(6n);
    expect(m.subtrans.getParent(inner)).toBe(5n);
    expect(m.subtrans.getTopmost(inner)).toBe(top);
    await s.commit();
    await other.commit();
  });

  it('[MV11][M8] ROLLBACK TO undoes the subtransaction, keeps the savepoint and the outer work', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    const top = s.getXid();
    s.savepoint('sp');
    const sub = s.getXid();
    expect(s.isCurrentXid(sub)).toBe(true);
    s.rollbackToSavepoint('sp');
    expect(m.clog.getStatus(sub)).toBe(XidStatus.Aborted);
    expect(s.isCurrentXid(sub)).toBe(false);
    expect(s.isCurrentXid(top)).toBe(true);
    const sub2 = s.getXid();
    expect(sub2).toBeGreaterThan(sub);
    s.releaseSavepoint('sp');
    await s.commit();
    expect(m.clog.getStatus(top)).toBe(XidStatus.Committed);
    expect(m.clog.getStatus(sub2)).toBe(XidStatus.Committed);
    expect(m.clog.getStatus(sub)).toBe(XidStatus.Aborted);
  });

  it('[MV11][M8] an aborted block refuses statements with 25P02 until ROLLBACK TO or ROLLBACK', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    s.savepoint('sp');
    s.markFailed();
    expect(code(() => s.snapshot())).toBe('25P02');
    expect(code(() => s.getXid())).toBe('25P02');
    s.rollbackToSavepoint('sp');
    expect(code(() => s.snapshot())).toBeUndefined();
    s.markFailed();
    expect(await s.commit()).toBe('ROLLBACK');
    expect(s.blockState).toBe('idle');
  });

  it('[MV11] an unknown savepoint is 3B001', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    expect(code(() => s.rollbackToSavepoint('nope'))).toBe('3B001');
    expect(code(() => s.releaseSavepoint('nope'))).toBe('3B001');
    s.rollback();
  });

  it('[MV12] RELEASE merges sub-xids into the parent; a later abort of the parent aborts them', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    s.getXid();
    s.savepoint('outer');
    s.savepoint('inner');
    const innerXid = s.getXid();
    s.releaseSavepoint('inner');
    expect(s.isCurrentXid(innerXid)).toBe(true);
    s.rollbackToSavepoint('outer');
    expect(m.clog.getStatus(innerXid)).toBe(XidStatus.Aborted);
    s.rollback();
  });

  it('[MV13] commit writes a flushed commit record; abort writes an unflushed abort record (W25)', async () => {
    const log = new MemoryXactLog();
    const m = new TransactionManager({ log });
    const s = m.connect();
    await s.begin();
    const x = s.getXid();
    s.savepoint('a');
    const sub = s.getXid();
    await s.commit();
    const rec = decodeXactRecord(log.records.at(-1)!.bytes);
    expect(rec).toMatchObject({ kind: 'commit', xid: x, subxids: [sub] });
    expect(log.flushedLsn()).toBe(log.records.at(-1)!.lsn);
    await s.begin();
    s.getXid();
    s.rollback();
    expect(decodeXactRecord(log.records.at(-1)!.bytes).kind).toBe('abort');
    expect(log.flushedLsn()).toBeLessThan(log.records.at(-1)!.lsn);
  });

  it('[MV14][W23] after a crash, recovery from the durable records keeps synchronous commits and loses unflushed ones', async () => {
    const log = new MemoryXactLog();
    const m = new TransactionManager({ log });
    const s = m.connect();
    await s.begin();
    const durable = s.getXid();
    await s.commit();
    await s.begin({ synchronousCommit: false });
    const lost = s.getXid();
    await s.commit();
    expect(m.clog.getStatus(lost)).toBe(XidStatus.Committed);
    const r = TransactionManager.recover(log.durableRecords());
    expect(r.clog.getStatus(durable)).toBe(XidStatus.Committed);
    expect(r.didCommit(lost)).toBe(false);
    expect(r.procArray.nextXid()).toBe(durable + 1n);
    // Nothing is in progress after recovery: the lost xid counts as aborted (W21).
    expect(r.procArray.isInProgress(lost)).toBe(false);
  });

  it('[MV14][RL3] MultiXacts are WAL-logged and come back in recovery', async () => {
    const log = new MemoryXactLog();
    const m = new TransactionManager({ log });
    const [a, b] = [m.connect(), m.connect()];
    await a.begin();
    await b.begin();
    const mx = m.multixacts.create([
      { xid: a.getXid(), status: 1 },
      { xid: b.getXid(), status: 0 },
    ]);
    await a.commit();
    await b.commit();
    const r = TransactionManager.recover(log.durableRecords());
    expect(r.multixacts.getMembers(mx)).toEqual(m.multixacts.getMembers(mx));
    expect(r.multixacts.nextMultiXactId()).toBe(mx + 1n);
  });

  it('[MV18] pg_xact_status: committed, aborted, in progress, null when truncated, 22023 for the future', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    const a = s.getXid();
    expect(m.xactStatus(a)).toBe('in progress');
    await s.commit();
    await s.begin();
    const b = s.getXid();
    s.rollback();
    expect(m.xactStatus(a)).toBe('committed');
    expect(m.xactStatus(b)).toBe('aborted');
    expect(m.xactStatus(a, b)).toBeNull();
    expect(code(() => m.xactStatus((b + 10n) as Xid))).toBe('22023');
  });

  it('[MV15] command ids advance per command', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin();
    expect(s.commandId).toBe(0);
    s.commandCounterIncrement();
    expect(s.commandId).toBe(1);
    expect(s.snapshot().curcid).toBe(1);
    s.rollback();
  });

  it('[MV16] 53300 when every proc-array slot is taken; a closed session frees its slot', () => {
    const m = new TransactionManager({ maxBackends: 2 });
    const a = m.connect();
    m.connect();
    expect(code(() => m.connect())).toBe('53300');
    a.close();
    expect(m.connect().proc).toBe(a.proc);
  });

  it("[MV17] a READ ONLY transaction can still be given an xid (pg_current_xact_id()); refusing writes is the SQL layer's job", async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin({ readOnly: true });
    expect(s.isReadOnly).toBe(true);
    expect(code(() => s.getXid())).toBeUndefined();
    s.rollback();
  });
});

describe('snapshots', () => {
  it('[MV20][M2] xmax = latestCompletedXid + 1; running xids are in xip; own xid is not', async () => {
    const m = new TransactionManager();
    const [a, b, c] = [m.connect(), m.connect(), m.connect()];
    await a.begin();
    const xa = a.getXid();
    await b.begin();
    const xb = b.getXid();
    await b.commit();
    await c.begin();
    const xc = c.getXid();
    const snap = c.snapshot();
    // c's own xid was assigned after b completed: xmax = latestCompletedXid + 1 = xb + 1.
    expect(snap.xmax).toBe(xb + 1n);
    expect(xc).toBe(snap.xmax);
    expect(snap.xip).toEqual([xa]);
    expect(snap.xmin).toBe(xa);
    expect(xidInMVCCSnapshot(xb, snap, m.subtrans)).toBe(false);
    expect(xidInMVCCSnapshot(xa, snap, m.subtrans)).toBe(true);
    expect(xidInMVCCSnapshot((xc + 5n) as Xid, snap, m.subtrans)).toBe(true);
    expect(c.currentSnapshotText()).toBe(`${xa}:${xb + 1n}:${xa}`);
    await a.commit();
    await c.commit();
  });

  it('[MV21][M7] READ COMMITTED takes a snapshot per statement, REPEATABLE READ one per transaction', async () => {
    const m = new TransactionManager();
    const [rc, rr, w] = [m.connect(), m.connect(), m.connect()];
    await rc.begin({ isolation: IsolationLevel.ReadCommitted });
    await rr.begin({ isolation: IsolationLevel.RepeatableRead });
    rc.startStatement();
    const rc1 = rc.snapshot();
    rr.startStatement();
    const rr1 = rr.snapshot();
    await w.begin();
    const x = w.getXid();
    await w.commit();
    rc.startStatement();
    rr.startStatement();
    expect(xidInMVCCSnapshot(x, rc1, m.subtrans)).toBe(true);
    expect(xidInMVCCSnapshot(x, rc.snapshot(), m.subtrans)).toBe(false);
    expect(rr.snapshot()).toBe(rr1);
    expect(xidInMVCCSnapshot(x, rr.snapshot(), m.subtrans)).toBe(true);
    await rc.commit();
    await rr.commit();
  });

  it('[MV22][M3] a transaction is in the commit log before it leaves the proc array: a snapshot taken during commit sees it running', async () => {
    const log = new MemoryXactLog();
    let release: () => void = () => undefined;
    const slowLog = {
      insert: (r: Uint8Array) => log.insert(r),
      flush: (l: Parameters<MemoryXactLog['flush']>[0]) =>
        new Promise<void>((res) => {
          release = () => {
            void log.flush(l).then(res);
          };
        }),
      flushedLsn: () => log.flushedLsn(),
    };
    const m = new TransactionManager({ log: slowLog });
    const [w, r] = [m.connect(), m.connect()];
    await w.begin();
    const x = w.getXid();
    const committing = w.commit();
    await r.begin();
    const during = r.snapshot();
    expect(xidInMVCCSnapshot(x, during, m.subtrans)).toBe(true);
    expect(m.clog.getStatus(x)).toBe(XidStatus.InProgress);
    release();
    await committing;
    r.startStatement();
    expect(xidInMVCCSnapshot(x, r.snapshot(), m.subtrans)).toBe(false);
    await r.commit();
  });

  it('[MV23] sub-xids beyond the per-backend cache overflow; snapshots then resolve them through pg_subtrans', async () => {
    const m = new TransactionManager();
    const [w, r] = [m.connect(), m.connect()];
    await w.begin();
    const top = w.getXid();
    const subs: Xid[] = [];
    for (let i = 0; i < PGPROC_MAX_CACHED_SUBXIDS + 3; i++) {
      w.savepoint(`s${i}`);
      subs.push(w.getXid());
    }
    const bump = m.connect();
    await bump.begin();
    bump.getXid();
    await bump.commit(); // latestCompletedXid now above every sub-xid
    await r.begin();
    const snap = r.snapshot();
    expect(snap.suboverflowed).toBe(true);
    expect(snap.subxip.length).toBe(PGPROC_MAX_CACHED_SUBXIDS);
    expect(xidInMVCCSnapshot(subs.at(-1)!, snap, m.subtrans)).toBe(true);
    expect(m.procArray.isInProgress(subs.at(-1)!)).toBe(true);
    expect(m.procArray.isInProgress(top)).toBe(true);
    // An aborted sub-xid beyond the cache is not in progress although its parent runs.
    w.rollbackToSavepoint(`s${PGPROC_MAX_CACHED_SUBXIDS + 2}`);
    expect(m.procArray.isInProgress(subs.at(-1)!)).toBe(false);
    expect(m.procArray.isInProgress(subs.at(-2)!)).toBe(true);
    await w.commit();
    expect(m.procArray.isInProgress(subs.at(-2)!)).toBe(false);
    expect(m.didCommit(subs.at(-2)!)).toBe(true);
    expect(m.didCommit(subs.at(-1)!)).toBe(false);
    await r.commit();
  });

  it('[MV24][M33] the vacuum horizon is the oldest running xid or snapshot xmin', async () => {
    const m = new TransactionManager();
    const [a, b] = [m.connect(), m.connect()];
    expect(m.getOldestXmin()).toBe(3n);
    await a.begin({ isolation: IsolationLevel.RepeatableRead });
    a.snapshot(); // xmin 3, no xid
    await b.begin();
    const xb = b.getXid();
    await b.commit();
    expect(m.getOldestXmin()).toBe(3n);
    await a.commit();
    expect(m.getOldestXmin()).toBe(xb + 1n);
  });

  it('[MV25] a proc slot records the virtual xid and the isolation level of its transaction', async () => {
    const m = new TransactionManager();
    const s = m.connect();
    await s.begin({ isolation: IsolationLevel.Serializable });
    expect(m.procArray.isolationCode(s.proc)).toBe(2);
    expect(m.procArray.localXid(s.proc)).toBe(s.virtualXid!.localXid);
    await s.commit();
    expect(m.procArray.isolationCode(s.proc)).toBe(0);
  });

  it('[MV25] the proc array lives in a SharedArrayBuffer another view can attach to', () => {
    const sab = new SharedArrayBuffer(ProcArray.sharedBytes(4));
    const st = new SubTrans();
    const a = new ProcArray({ maxBackends: 4, subtrans: st, sharedBuffer: sab });
    // A fresh buffer is zeroed: initialise nextXid through the owner API.
    a.advanceNextXid(2n as Xid);
    const slot = a.allocSlot(42);
    const x = a.assignXid(slot, undefined, () => undefined);
    const b = new ProcArray({ maxBackends: 4, subtrans: st, sharedBuffer: sab });
    expect(b.isInProgress(x)).toBe(true);
    expect(b.pid(slot)).toBe(42);
    // x was assigned after the last completion, so it is at xmax, not in xip.
    expect(formatSnapshot(b.getSnapshot(1, 0))).toBe(`${x}:${x}:`);
  });
});
