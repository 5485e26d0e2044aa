// Model-based test: random interleavings of sessions inserting, updating and deleting rows of
// a toy heap (real tuple headers, real snapshots, real row locks) with savepoints; at every
// read, the session's view must equal a serial model's: the state committed before its
// snapshot plus its own earlier, not rolled back, commands.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PgError } from '@palisade/common';
import { TransactionManager, IsolationLevel, type Session } from '../src/index.ts';
import { ToyHeap } from './toy-heap.ts';

const SESSIONS = 3;

interface SessionModel {
  active: boolean;
  iso: IsolationLevel;
  base: Map<string, number> | undefined;
  baseSeq: number;
  writes: { level: number; key: string; value: number | null }[];
  levels: number[];
  nextLevel: number;
}

interface World {
  m: TransactionManager;
  heap: ToyHeap;
  sessions: Session[];
}

interface Model {
  committed: Map<string, number>;
  lastWriteSeq: Map<string, number>;
  seq: number;
  pending: Map<string, number>;
  s: SessionModel[];
  nextKey: number;
}

function ownView(model: Model, i: number): Map<string, number> {
  const sm = model.s[i]!;
  const view = new Map(sm.base ?? model.committed);
  for (const w of sm.writes) {
    if (w.value === null) view.delete(w.key);
    else view.set(w.key, w.value);
  }
  return view;
}

function statementStart(model: Model, world: World, i: number): void {
  const sm = model.s[i]!;
  const s = world.sessions[i]!;
  s.startStatement();
  s.snapshot();
  if (sm.iso === IsolationLevel.ReadCommitted || sm.base === undefined) {
    sm.base = new Map(model.committed);
    sm.baseSeq = model.seq;
  }
}

function abortModel(model: Model, i: number): void {
  const sm = model.s[i]!;
  for (const [k, owner] of [...model.pending]) if (owner === i) model.pending.delete(k);
  model.s[i] = { ...sm, active: false, base: undefined, writes: [], levels: [] };
}

type Cmd = fc.AsyncCommand<Model, World>;

class Begin implements Cmd {
  constructor(
    readonly i: number,
    readonly iso: IsolationLevel,
  ) {}
  check(m: Readonly<Model>) {
    return !m.s[this.i]!.active;
  }
  async run(m: Model, w: World) {
    await w.sessions[this.i]!.begin({ isolation: this.iso });
    m.s[this.i] = { active: true, iso: this.iso, base: undefined, baseSeq: 0, writes: [], levels: [0], nextLevel: 1 };
  }
  toString() {
    return `begin(${this.i}, ${this.iso})`;
  }
}

class Read implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active;
  }
  async run(m: Model, w: World) {
    statementStart(m, w, this.i);
    const s = w.sessions[this.i]!;
    expect(Object.fromEntries(w.heap.view(s))).toEqual(Object.fromEntries(ownView(m, this.i)));
    s.commandCounterIncrement();
  }
  toString() {
    return `read(${this.i})`;
  }
}

class Insert implements Cmd {
  constructor(
    readonly i: number,
    readonly value: number,
  ) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active;
  }
  async run(m: Model, w: World) {
    statementStart(m, w, this.i);
    const key = `k${m.nextKey++}`;
    const s = w.sessions[this.i]!;
    w.heap.insert(s, key, this.value);
    const sm = m.s[this.i]!;
    sm.writes.push({ level: sm.levels.at(-1)!, key, value: this.value });
    m.pending.set(key, this.i);
    s.commandCounterIncrement();
  }
  toString() {
    return `insert(${this.i}, ${this.value})`;
  }
}

class Write implements Cmd {
  constructor(
    readonly i: number,
    readonly pick: number,
    readonly del: boolean,
    readonly value: number,
  ) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active;
  }
  async run(m: Model, w: World) {
    statementStart(m, w, this.i);
    const sm = m.s[this.i]!;
    const s = w.sessions[this.i]!;
    const keys = [...ownView(m, this.i).keys()].sort();
    if (keys.length === 0) return;
    const key = keys[this.pick % keys.length]!;
    const owner = m.pending.get(key);
    if (owner !== undefined && owner !== this.i) return; // would block: not modelled here
    const concurrent = (m.lastWriteSeq.get(key) ?? 0) > sm.baseSeq && sm.iso !== IsolationLevel.ReadCommitted;
    const ownWrite = sm.writes.some((x) => x.key === key);
    if (concurrent && !ownWrite) {
      // M21: a concurrent committed change of the row under REPEATABLE READ fails with 40001.
      await expect(this.del ? w.heap.delete(s, key) : w.heap.update(s, key, () => this.value)).rejects.toSatisfy(
        (e: unknown) => e instanceof PgError && e.code === '40001',
      );
      s.rollback();
      abortModel(m, this.i);
      return;
    }
    if (this.del) expect(await w.heap.delete(s, key)).toBe(true);
    else expect(await w.heap.update(s, key, () => this.value)).toBeDefined();
    sm.writes.push({ level: sm.levels.at(-1)!, key, value: this.del ? null : this.value });
    m.pending.set(key, this.i);
    s.commandCounterIncrement();
  }
  toString() {
    return `${this.del ? 'delete' : 'update'}(${this.i}, #${this.pick}, ${this.value})`;
  }
}

class Savepoint implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active && m.s[this.i]!.levels.length < 4;
  }
  async run(m: Model, w: World) {
    const sm = m.s[this.i]!;
    const id = sm.nextLevel++;
    w.sessions[this.i]!.savepoint(`sp${id}`);
    sm.levels.push(id);
  }
  toString() {
    return `savepoint(${this.i})`;
  }
}

class RollbackTo implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active && m.s[this.i]!.levels.length > 1;
  }
  async run(m: Model, w: World) {
    const sm = m.s[this.i]!;
    const id = sm.levels.at(-1)!;
    w.sessions[this.i]!.rollbackToSavepoint(`sp${id}`);
    sm.writes = sm.writes.filter((x) => x.level !== id);
    for (const [k, owner] of [...m.pending]) if (owner === this.i && !sm.writes.some((x) => x.key === k)) m.pending.delete(k);
  }
  toString() {
    return `rollbackTo(${this.i})`;
  }
}

class Release implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active && m.s[this.i]!.levels.length > 1;
  }
  async run(m: Model, w: World) {
    const sm = m.s[this.i]!;
    const id = sm.levels.pop()!;
    w.sessions[this.i]!.releaseSavepoint(`sp${id}`);
    const parent = sm.levels.at(-1)!;
    for (const x of sm.writes) if (x.level === id) x.level = parent;
  }
  toString() {
    return `release(${this.i})`;
  }
}

class Commit implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active;
  }
  async run(m: Model, w: World) {
    const sm = m.s[this.i]!;
    expect(await w.sessions[this.i]!.commit()).toBe('COMMIT');
    m.seq++;
    for (const x of sm.writes) {
      if (x.value === null) m.committed.delete(x.key);
      else m.committed.set(x.key, x.value);
      m.lastWriteSeq.set(x.key, m.seq);
    }
    abortModel(m, this.i);
  }
  toString() {
    return `commit(${this.i})`;
  }
}

class Rollback implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>) {
    return m.s[this.i]!.active;
  }
  async run(m: Model, w: World) {
    w.sessions[this.i]!.rollback();
    abortModel(m, this.i);
  }
  toString() {
    return `rollback(${this.i})`;
  }
}

const sess = fc.integer({ min: 0, max: SESSIONS - 1 });
const commands = [
  fc.tuple(sess, fc.constantFrom(IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead)).map(([i, iso]) => new Begin(i, iso)),
  sess.map((i) => new Read(i)),
  fc.tuple(sess, fc.integer({ min: 0, max: 99 })).map(([i, v]) => new Insert(i, v)),
  fc.tuple(sess, fc.nat(20), fc.boolean(), fc.integer({ min: 100, max: 999 })).map(([i, p, d, v]) => new Write(i, p, d, v)),
  sess.map((i) => new Savepoint(i)),
  sess.map((i) => new RollbackTo(i)),
  sess.map((i) => new Release(i)),
  sess.map((i) => new Commit(i)),
  sess.map((i) => new Rollback(i)),
];

describe('visibility model', () => {
  it('[MV36][M2][M4][M7][M8] every snapshot sees exactly the serial model state plus its own changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'max' }), async (cmds) => {
        const m = new TransactionManager({ maxBackends: SESSIONS });
        const world: World = { m, heap: new ToyHeap(), sessions: Array.from({ length: SESSIONS }, () => m.connect()) };
        const model: Model = {
          committed: new Map(),
          lastWriteSeq: new Map(),
          seq: 0,
          pending: new Map(),
          nextKey: 0,
          s: Array.from({ length: SESSIONS }, () => ({
            active: false,
            iso: IsolationLevel.ReadCommitted,
            base: undefined,
            baseSeq: 0,
            writes: [],
            levels: [],
            nextLevel: 1,
          })),
        };
        await fc.asyncModelRun(() => ({ model, real: world }), cmds);
        // A final reader sees the committed model state.
        for (const s of world.sessions) s.rollback();
        const r = world.sessions[0]!;
        await r.begin();
        r.startStatement();
        expect(Object.fromEntries(world.heap.view(r))).toEqual(Object.fromEntries(model.committed));
        r.rollback();
      }),
      { numRuns: 150 },
    );
  });
});
