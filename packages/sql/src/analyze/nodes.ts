// The analyzed forms: typed expression trees (Expr) and query trees (Query) that the analyzer
// builds from libpg-query's parse trees and the planner turns into plans.

import type { Datum } from '../types/datum.ts';
import type { CatProc } from './catalog.ts';

/** What every analyzed expression carries: its result type, typmod and source location (byte offset, -1 unknown). */
interface Typed {
  type: number;
  typmod: number;
}

export type Expr =
  | (Typed & { kind: 'const'; value: Datum; location: number })
  | (Typed & { kind: 'param'; index: number })
  | (Typed & { kind: 'var'; levelsUp: number; index: number; name: string; location?: number })
  | (Typed & { kind: 'call'; proc: CatProc; args: Expr[]; location: number; variadicAny?: boolean })
  | (Typed & { kind: 'coerce'; arg: Expr; how: 'relabel' | 'io' | 'func' | 'array'; proc?: CatProc; elem?: Expr; explicit: boolean; location: number })
  | (Typed & { kind: 'bool'; op: 'and' | 'or' | 'not'; args: Expr[] })
  | (Typed & { kind: 'case'; whens: Array<{ cond: Expr; result: Expr }>; otherwise: Expr })
  | (Typed & { kind: 'coalesce'; args: Expr[] })
  | (Typed & { kind: 'minmax'; op: 'greatest' | 'least'; args: Expr[] })
  | (Typed & { kind: 'nullif'; left: Expr; right: Expr; eq: CatProc })
  | (Typed & { kind: 'nulltest'; arg: Expr; isNull: boolean })
  | (Typed & { kind: 'booltest'; arg: Expr; test: string })
  | (Typed & { kind: 'distinct'; left: Expr; right: Expr; eq: CatProc; not: boolean })
  | (Typed & { kind: 'anyop'; left: Expr; right: Expr; op: CatProc; useOr: boolean })
  | (Typed & { kind: 'sublink'; linkType: 'exists' | 'expr' | 'any' | 'all' | 'array'; query: Query; test?: Expr })
  | (Typed & { kind: 'aggref'; index: number; location?: number })
  | (Typed & { kind: 'srf'; index: number })
  | (Typed & { kind: 'array'; elems: Expr[] })
  | (Typed & { kind: 'subscript'; arg: Expr; index: Expr })
  | (Typed & { kind: 'settingfn'; name: string; args: Expr[] })
  | (Typed & { kind: 'sessionfn'; name: string });

/** An aggregate call collected from a target list or HAVING. */
export interface AggCall {
  proc: CatProc;
  args: Expr[];
  distinct: boolean;
  star: boolean;
  filter: Expr | null;
  order: SortClause[];
  type: number;
}

export interface SortClause {
  expr: Expr;
  desc: boolean;
  nullsFirst: boolean;
  /** Comparison for the expression's type (btree order). */
  type: number;
}

export interface TargetEntry {
  name: string;
  expr: Expr;
  /** Hidden entries (ORDER BY keys not in the select list) are not returned. */
  junk: boolean;
}

/** A FROM item. */
export type RangeItem =
  | { kind: 'values'; rows: Expr[][]; types: number[]; typmods: number[] }
  | { kind: 'subquery'; query: Query }
  | { kind: 'function'; call: Expr; ordinality: boolean }
  | { kind: 'cte'; cteIndex: number }
  | { kind: 'worktable'; id: number; width: number }
  | { kind: 'join'; joinType: 'inner' | 'left' | 'right' | 'full' | 'cross'; left: RangeItem; right: RangeItem; on: Expr | null; leftWidth: number; rightWidth: number };

export interface SelectQuery {
  kind: 'select';
  ctes: Query[];
  from: RangeItem[];
  /** Column count of each FROM item, for laying out the joined row. */
  fromWidths: number[];
  where: Expr | null;
  groupBy: Expr[];
  hasAggs: boolean;
  aggs: AggCall[];
  /** Set-returning function calls in the select list, evaluated in lockstep per input row. */
  srfs: Array<{ proc: CatProc; args: Expr[]; type: number }>;
  having: Expr | null;
  targets: TargetEntry[];
  distinct: 'none' | 'all' | 'on';
  distinctOn: Expr[];
  sort: SortClause[];
  limit: Expr | null;
  offset: Expr | null;
}

export interface SetOpQuery {
  kind: 'setop';
  ctes: Query[];
  op: 'union' | 'intersect' | 'except';
  all: boolean;
  left: Query;
  right: Query;
  /** Output columns after common-type resolution; inputs are coerced to these. */
  columns: Array<{ name: string; type: number; typmod: number }>;
  leftCoerce: Expr[];
  rightCoerce: Expr[];
  sort: SortClause[];
  limit: Expr | null;
  offset: Expr | null;
  /** Set for the UNION of a WITH RECURSIVE query: the work table its recursive term reads. */
  recursiveId?: number;
}

export type Query = SelectQuery | SetOpQuery;

/** The visible output columns of a query. */
export function queryColumns(q: Query): Array<{ name: string; type: number; typmod: number }> {
  if (q.kind === 'setop') return q.columns;
  return q.targets.filter((t) => !t.junk).map((t) => ({ name: t.name, type: t.expr.type, typmod: t.expr.typmod }));
}
