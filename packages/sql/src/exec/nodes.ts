// Plan nodes as pull-based iterators. Each node's rows() is a synchronous generator of rows and
// PAUSE markers: scans emit a PAUSE every ROWS_PER_PAUSE rows and blocking nodes (sort,
// aggregation, set operations) pass their input's PAUSEs up, so that the driver (engine/portal.ts)
// can give the event loop a turn and check the AbortSignal however long a node works.

import { PgError, SqlState } from '@palisade/common';
import type { Datum } from '../types/datum.ts';
import { typeByOid } from '../types/registry.ts';
import type { SetFn } from '../functions/builtins.ts';
import type { AggImpl } from '../functions/aggregates.ts';
import type { Compiled } from './compile.ts';
import { MATERIALIZE_ROWS_MAX, PAUSE, ROWS_PER_PAUSE, type ExecContext, type Row, type Yielded } from './context.ts';

export interface PlanNode {
  /** EXPLAIN's node name. */
  readonly label: string;
  readonly children: PlanNode[];
  /** Extra EXPLAIN lines ("Sort Key: …"); kept short. */
  readonly details: string[];
  rows(ec: ExecContext): Generator<Yielded, void, undefined>;
}

export interface SortKey {
  value: (r: Row, ec: ExecContext) => Datum;
  desc: boolean;
  nullsFirst: boolean;
  compare: (a: Datum, b: Datum) => number;
}

export interface AggSpec {
  impl: AggImpl;
  args: Compiled[];
  argTypes: number[];
  distinct: boolean;
  filter: Compiled | null;
  order: SortKey[];
  name: string;
}

function tooMany(): PgError {
  return new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `a materialized intermediate result exceeds ${MATERIALIZE_ROWS_MAX} rows`);
}

/** Hashing and equality of rows by their column types, for hash aggregation, DISTINCT and set operations. */
export class RowHasher {
  private readonly hashes: Array<(d: Datum) => number>;
  private readonly equals: Array<(a: Datum, b: Datum) => boolean>;
  constructor(types: number[]) {
    this.hashes = types.map((t) => typeByOid(t)?.hash ?? ((d: Datum) => (d === null ? 0 : String(d).length)));
    this.equals = types.map((t) => {
      const impl = typeByOid(t);
      if (impl?.equals) return impl.equals;
      if (impl?.compare) return (a: Datum, b: Datum) => impl.compare!(a, b) === 0;
      return (a: Datum, b: Datum) => a === b;
    });
  }
  hash(r: Row, n: number): number {
    let h = 17;
    for (let i = 0; i < n; i++) {
      const v = r[i]!;
      h = (Math.imul(h, 31) + (v === null ? 0x9e3779b9 : this.hashes[i]!(v))) | 0;
    }
    return h;
  }
  /** NULLs are equal to each other here (grouping semantics). */
  same(a: Row, b: Row, n: number): boolean {
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x === null || y === null) {
        if (x !== y) return false;
      } else if (!this.equals[i]!(x, y)) return false;
    }
    return true;
  }
}

/** A hash table of rows keyed by their first `width` columns, with a value per key. */
class RowMap<V> {
  private readonly buckets = new Map<number, Array<{ key: Row; value: V }>>();
  readonly order: Array<{ key: Row; value: V }> = [];
  constructor(private readonly hasher: RowHasher, private readonly width: number) {}
  get(key: Row, make: () => V): { key: Row; value: V; isNew: boolean } {
    const h = this.hasher.hash(key, this.width);
    let b = this.buckets.get(h);
    if (!b) this.buckets.set(h, (b = []));
    for (const e of b) if (this.hasher.same(e.key, key, this.width)) return { ...e, isNew: false };
    const entry = { key, value: make() };
    b.push(entry);
    this.order.push(entry);
    if (this.order.length > MATERIALIZE_ROWS_MAX) throw tooMany();
    return { ...entry, isNew: true };
  }
}

export class ResultNode implements PlanNode {
  readonly label = 'Result';
  readonly children: PlanNode[] = [];
  readonly details: string[] = [];
  *rows(): Generator<Yielded, void, undefined> {
    yield [];
  }
}

export class ValuesScanNode implements PlanNode {
  readonly label = 'Values Scan on "*VALUES*"';
  readonly children: PlanNode[] = [];
  readonly details: string[] = [];
  constructor(private readonly lists: Compiled[][], readonly width: number) {}
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    let n = 0;
    for (const l of this.lists) {
      yield l.map((e) => e([], ec));
      if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
    }
  }
}

export class FunctionScanNode implements PlanNode {
  readonly label: string;
  readonly children: PlanNode[] = [];
  readonly details: string[] = [];
  constructor(
    name: string,
    private readonly args: Compiled[],
    private readonly fn: SetFn,
    private readonly strict: boolean,
    private readonly ordinality: boolean,
    private readonly single?: Compiled,
  ) {
    this.label = `Function Scan on ${name}`;
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    if (this.single) {
      const v = this.single([], ec);
      yield this.ordinality ? [v, 1n] : [v];
      return;
    }
    const args = this.args.map((a) => a([], ec));
    if (this.strict && args.some((a) => a === null)) return;
    let n = 0;
    for (const v of this.fn(args, ec.fn)) {
      n++;
      yield this.ordinality ? [v, BigInt(n)] : [v];
      if (n % ROWS_PER_PAUSE === 0) yield PAUSE;
    }
  }
}

export class CteScanNode implements PlanNode {
  readonly label = 'CTE Scan';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly id: number, private readonly input: PlanNode, readonly width: number) {
    this.children = [input];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    let rows = ec.ctes.get(this.id);
    if (!rows) {
      const acc: Row[] = [];
      for (const r of this.input.rows(ec)) {
        if (r === PAUSE) { yield PAUSE; continue; }
        acc.push(r);
        if (acc.length > MATERIALIZE_ROWS_MAX) throw tooMany();
      }
      ec.ctes.set(this.id, acc);
      rows = acc;
    }
    let n = 0;
    for (const r of rows) {
      yield r;
      if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
    }
  }
}

export class NestLoopNode implements PlanNode {
  readonly label = 'Nested Loop';
  readonly children: PlanNode[];
  readonly details: string[];
  constructor(
    readonly joinType: 'inner' | 'left' | 'right' | 'full' | 'cross',
    private readonly left: PlanNode,
    private readonly right: PlanNode,
    private readonly on: Compiled | null,
    private readonly leftWidth: number,
    private readonly rightWidth: number,
  ) {
    this.children = [left, right];
    this.details = joinType === 'inner' || joinType === 'cross' ? [] : [`Join Type: ${joinType[0]!.toUpperCase()}${joinType.slice(1)}`];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const inner: Row[] = [];
    for (const r of this.right.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      inner.push(r);
      if (inner.length > MATERIALIZE_ROWS_MAX) throw tooMany();
    }
    const matchedRight = new Uint8Array(inner.length);
    const nullLeft: Row = new Array<Datum>(this.leftWidth).fill(null);
    const nullRight: Row = new Array<Datum>(this.rightWidth).fill(null);
    let n = 0;
    for (const l of this.left.rows(ec)) {
      if (l === PAUSE) { yield PAUSE; continue; }
      let matched = false;
      for (let i = 0; i < inner.length; i++) {
        const row = l.concat(inner[i]!);
        if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
        if (this.on && this.on(row, ec) !== true) continue;
        matched = true;
        matchedRight[i] = 1;
        yield row;
      }
      if (!matched && (this.joinType === 'left' || this.joinType === 'full')) yield l.concat(nullRight);
    }
    if (this.joinType === 'right' || this.joinType === 'full') {
      for (let i = 0; i < inner.length; i++) if (!matchedRight[i]) yield nullLeft.concat(inner[i]!);
    }
  }
}

export class FilterNode implements PlanNode {
  readonly children: PlanNode[];
  readonly details: string[] = [];
  readonly label: string;
  constructor(private readonly input: PlanNode, private readonly qual: Compiled, kind: string) {
    this.children = [input];
    this.label = kind;
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    let n = 0;
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      if (this.qual(r, ec) === true) yield r;
      else if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
    }
  }
}

export class ProjectNode implements PlanNode {
  readonly label = 'Result';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly input: PlanNode, readonly targets: Compiled[], readonly stripJunk = false) {
    this.children = [input];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const t = this.targets;
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      const out = new Array<Datum>(t.length);
      for (let i = 0; i < t.length; i++) out[i] = t[i]!(r, ec);
      yield out;
    }
  }
}

interface GroupState {
  states: unknown[];
  /** For DISTINCT or ORDER BY aggregates: argument rows collected before feeding. */
  collected: Array<Row[] | null>;
}

export class AggNode implements PlanNode {
  readonly label: string;
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly input: PlanNode, private readonly keys: Compiled[], private readonly keyTypes: number[], private readonly aggs: AggSpec[]) {
    this.children = [input];
    this.label = keys.length === 0 ? 'Aggregate' : 'HashAggregate';
  }

  private newState(): GroupState {
    return {
      states: this.aggs.map((a) => a.impl.init()),
      collected: this.aggs.map((a) => (a.distinct || a.order.length > 0 ? [] : null)),
    };
  }

  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const nk = this.keys.length;
    const groups = new RowMap<GroupState>(new RowHasher(this.keyTypes), nk);
    if (nk === 0) groups.get([], () => this.newState());
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      const key = this.keys.map((k) => k(r, ec));
      const g = groups.get(key, () => this.newState()).value;
      for (let i = 0; i < this.aggs.length; i++) {
        const a = this.aggs[i]!;
        if (a.filter && a.filter(r, ec) !== true) continue;
        const args = a.args.map((x) => x(r, ec));
        const coll = g.collected[i];
        if (coll) {
          coll.push([...args, ...a.order.map((o) => o.value(r, ec))]);
          continue;
        }
        if (a.impl.strict && args.some((x) => x === null)) continue;
        g.states[i] = a.impl.step(g.states[i], args);
      }
    }
    for (const { key, value: g } of groups.order) {
      const out = key.slice();
      for (let i = 0; i < this.aggs.length; i++) {
        const a = this.aggs[i]!;
        let state = g.states[i];
        const coll = g.collected[i];
        if (coll) {
          let rows = coll;
          const na = a.args.length;
          if (a.order.length > 0) rows = sortRows(rows, a.order.map((o, j) => ({ ...o, value: (x: Row) => x[na + j]! })), ec);
          if (a.distinct) {
            const seen = new RowMap<null>(new RowHasher(a.argTypes), na);
            rows = rows.filter((x) => seen.get(x, () => null).isNew);
          }
          for (const x of rows) {
            const args = x.slice(0, na);
            if (a.impl.strict && args.some((v) => v === null)) continue;
            state = a.impl.step(state, args);
          }
        }
        out.push(a.impl.final(state));
      }
      yield out;
    }
  }
}

function compareRows(keys: SortKey[], ka: Datum[], kb: Datum[]): number {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const a = ka[i]!;
    const b = kb[i]!;
    let c: number;
    if (a === null || b === null) {
      if (a === null && b === null) c = 0;
      else c = (a === null) === k.nullsFirst ? -1 : 1;
      if (c !== 0) return c;
      continue;
    }
    c = k.compare(a, b);
    if (c !== 0) return k.desc ? -c : c;
  }
  return 0;
}

function sortRows(rows: Row[], keys: SortKey[], ec: ExecContext): Row[] {
  const decorated = rows.map((r) => ({ r, k: keys.map((k) => k.value(r, ec)) }));
  decorated.sort((x, y) => compareRows(keys, x.k, y.k));
  return decorated.map((d) => d.r);
}

export class SortNode implements PlanNode {
  readonly label = 'Sort';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly input: PlanNode, private readonly keys: SortKey[]) {
    this.children = [input];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const all: Row[] = [];
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      all.push(r);
      if (all.length > MATERIALIZE_ROWS_MAX) throw tooMany();
    }
    let n = 0;
    for (const r of sortRows(all, this.keys, ec)) {
      yield r;
      if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
    }
  }
}

export class LimitNode implements PlanNode {
  readonly label = 'Limit';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly input: PlanNode, private readonly count: Compiled | null, private readonly offset: Compiled | null) {
    this.children = [input];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const off = this.offset ? (this.offset([], ec) as bigint | null) : null;
    const cnt = this.count ? (this.count([], ec) as bigint | null) : null;
    if (off !== null && off < 0n) throw new PgError(SqlState.INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE, 'OFFSET must not be negative');
    if (cnt !== null && cnt < 0n) throw new PgError(SqlState.INVALID_ROW_COUNT_IN_LIMIT_CLAUSE, 'LIMIT must not be negative');
    if (cnt === 0n) return;
    let skip = off ?? 0n;
    let left = cnt;
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      if (skip > 0n) { skip--; continue; }
      yield r;
      if (left !== null && --left === 0n) return;
    }
  }
}

export class HashDistinctNode implements PlanNode {
  readonly label = 'HashAggregate';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly input: PlanNode, private readonly types: number[], private readonly width: number) {
    this.children = [input];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const seen = new RowMap<null>(new RowHasher(this.types), this.width);
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      if (seen.get(r, () => null).isNew) yield r;
    }
  }
}

export class UniqueOnNode implements PlanNode {
  readonly label = 'Unique';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  private readonly hasher: RowHasher;
  constructor(private readonly input: PlanNode, private readonly cols: number[], types: number[]) {
    this.children = [input];
    this.hasher = new RowHasher(types);
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    let prev: Row | null = null;
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      const key = this.cols.map((c) => r[c]!);
      if (prev && this.hasher.same(prev, key, key.length)) continue;
      prev = key;
      yield r;
    }
  }
}

export class AppendNode implements PlanNode {
  readonly label = 'Append';
  readonly details: string[] = [];
  constructor(readonly children: PlanNode[]) {}
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    for (const c of this.children) yield* c.rows(ec);
  }
}

export class HashSetOpNode implements PlanNode {
  readonly label: string;
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly op: 'intersect' | 'except', private readonly all: boolean, left: PlanNode, right: PlanNode, private readonly types: number[]) {
    this.children = [left, right];
    this.label = `HashSetOp ${op === 'intersect' ? 'Intersect' : 'Except'}${all ? ' All' : ''}`;
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const counts = new RowMap<{ l: number; r: number }>(new RowHasher(this.types), this.types.length);
    for (const [i, side] of [[0, 'l'], [1, 'r']] as const) {
      for (const r of this.children[i]!.rows(ec)) {
        if (r === PAUSE) { yield PAUSE; continue; }
        const e = counts.get(r, () => ({ l: 0, r: 0 }));
        if (side === 'l') e.value.l++;
        else e.value.r++;
      }
    }
    for (const { key, value } of counts.order) {
      let n: number;
      if (this.op === 'intersect') n = this.all ? Math.min(value.l, value.r) : value.l > 0 && value.r > 0 ? 1 : 0;
      else n = this.all ? Math.max(value.l - value.r, 0) : value.l > 0 && value.r === 0 ? 1 : 0;
      for (let k = 0; k < n; k++) yield key;
    }
  }
}

/** Set-returning functions in a select list: per input row, the functions run in lockstep (ProjectSet). */
export class ProjectSetNode implements PlanNode {
  readonly label = 'ProjectSet';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly input: PlanNode, private readonly fns: Array<{ impl: SetFn; args: Compiled[]; strict: boolean }>) {
    this.children = [input];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    let n = 0;
    for (const r of this.input.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      const its = this.fns.map((f) => {
        const args = f.args.map((a) => a(r, ec));
        if (f.strict && args.some((a) => a === null)) return null;
        return f.impl(args, ec.fn)[Symbol.iterator]();
      });
      for (;;) {
        let any = false;
        const vals = its.map((it) => {
          if (!it) return null;
          const x = it.next();
          if (x.done) return null;
          any = true;
          return x.value;
        });
        // An exhausted iterator keeps returning done, so each function contributes NULLs after its end.
        if (!any) break;
        yield r.concat(vals);
        if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
      }
    }
  }
}

/** The recursive term's reference to its own query: the previous iteration's rows. */
export class WorkTableScanNode implements PlanNode {
  readonly label = 'WorkTable Scan';
  readonly children: PlanNode[] = [];
  readonly details: string[] = [];
  constructor(private readonly id: number) {}
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const rows = ec.worktables?.get(this.id) ?? [];
    let n = 0;
    for (const r of rows) {
      yield r;
      if (++n % ROWS_PER_PAUSE === 0) yield PAUSE;
    }
  }
}

/** WITH RECURSIVE: the non-recursive term, then the recursive term over the previous rows until none are new. */
export class RecursiveUnionNode implements PlanNode {
  readonly label = 'Recursive Union';
  readonly children: PlanNode[];
  readonly details: string[] = [];
  constructor(private readonly id: number, left: PlanNode, right: PlanNode, private readonly all: boolean, private readonly types: number[]) {
    this.children = [left, right];
  }
  *rows(ec: ExecContext): Generator<Yielded, void, undefined> {
    const seen = this.all ? null : new RowMap<null>(new RowHasher(this.types), this.types.length);
    let total = 0;
    const take = (r: Row): boolean => {
      if (seen && !seen.get(r, () => null).isNew) return false;
      if (++total > MATERIALIZE_ROWS_MAX) throw tooMany();
      return true;
    };
    let work: Row[] = [];
    for (const r of this.children[0]!.rows(ec)) {
      if (r === PAUSE) { yield PAUSE; continue; }
      if (!take(r)) continue;
      work.push(r);
      yield r;
    }
    ec.worktables ??= new Map();
    while (work.length > 0) {
      ec.worktables.set(this.id, work);
      const next: Row[] = [];
      for (const r of this.children[1]!.rows(ec)) {
        if (r === PAUSE) { yield PAUSE; continue; }
        if (!take(r)) continue;
        next.push(r);
        yield r;
      }
      work = next;
      yield PAUSE;
    }
    ec.worktables.delete(this.id);
  }
}
