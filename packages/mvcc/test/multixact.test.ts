import { describe, expect, it } from 'vitest';
import type { Xid } from '@palisade/common';
import { MultiXactManager, MultiXactStatus, MemorySlruStore, MemoryXactLog, redoXactRecord, CommitLog, type MultiXactId } from '../src/index.ts';

const x = (n: number) => BigInt(n) as Xid;

describe('MultiXacts', () => {
  it('[RL3] members round-trip through the offsets and members SLRUs, beyond the page buffers', () => {
    const offsetsStore = new MemorySlruStore();
    const membersStore = new MemorySlruStore();
    const mm = new MultiXactManager({ bufferCount: 2, offsetsStore, membersStore });
    const ids: MultiXactId[] = [];
    for (let i = 0; i < 3000; i++)
      ids.push(
        mm.create([
          { xid: x(10 + i), status: MultiXactStatus.ForShare },
          { xid: x(20_000 + i), status: MultiXactStatus.ForKeyShare },
        ]),
      );
    expect(membersStore.pageNumbers().length).toBeGreaterThan(2);
    for (const i of [0, 1, 1500, 2999]) {
      expect(mm.getMembers(ids[i]!)).toEqual([
        { xid: x(10 + i), status: MultiXactStatus.ForShare },
        { xid: x(20_000 + i), status: MultiXactStatus.ForKeyShare },
      ]);
    }
    expect(mm.count).toBe(3000);
  });

  it('[RL3] at most one updater per MultiXact (assertion)', () => {
    const mm = new MultiXactManager();
    expect(() =>
      mm.create([
        { xid: x(3), status: MultiXactStatus.Update },
        { xid: x(4), status: MultiXactStatus.NoKeyUpdate },
      ]),
    ).toThrow(/at most one updater/);
  });

  it('[RL3] truncation forgets old MultiXacts; the count limit is 53200', () => {
    const mm = new MultiXactManager({ multiXactCountMax: 3 });
    const a = mm.create([{ xid: x(3), status: MultiXactStatus.ForShare }]);
    mm.create([{ xid: x(4), status: MultiXactStatus.ForShare }]);
    const c = mm.create([{ xid: x(5), status: MultiXactStatus.ForShare }]);
    expect(() => mm.create([{ xid: x(6), status: MultiXactStatus.ForShare }])).toThrow(expect.objectContaining({ code: '53200' }));
    mm.truncate(c);
    expect(mm.getMembers(a)).toEqual([]);
    expect(mm.getMembers(c)).toEqual([{ xid: x(5), status: MultiXactStatus.ForShare }]);
    expect(() => mm.create([{ xid: x(6), status: MultiXactStatus.ForShare }])).not.toThrow();
  });

  it('[MV6][RL3] redo of creation records rebuilds the same MultiXacts, idempotently', () => {
    const log = new MemoryXactLog();
    const mm = new MultiXactManager({ log });
    const ids = [1, 2, 3].map((n) =>
      mm.create([
        { xid: x(n * 10), status: MultiXactStatus.ForUpdate },
        { xid: x(n * 10 + 1), status: MultiXactStatus.ForKeyShare },
      ]),
    );
    const replayed = new MultiXactManager();
    for (let pass = 0; pass < 2; pass++) for (const r of log.records) redoXactRecord(r.bytes, r.lsn, { clog: new CommitLog(), multixacts: replayed });
    for (const id of ids) expect(replayed.getMembers(id)).toEqual(mm.getMembers(id));
    expect(replayed.nextMultiXactId()).toBe(mm.nextMultiXactId());
  });
});
