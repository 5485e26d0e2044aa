// Comparing what two targets answered to the same step, field by field (DT4, DT8).
// Entry point: compareStep().

import { conditionNames } from '@palisade/common';
import type { StepRecord } from './runner.ts';
import type { ErrorRecord, StatementResult } from './target.ts';

/** Which part of the answer differs. */
export type DiffField =
  | 'tag' | 'columns' | 'rows' | 'notices' | 'txStatus'
  | 'error' | 'error.severity' | 'error.code' | 'error.message' | 'error.detail' | 'error.hint' | 'error.position'
  | 'connect' | 'harness';

/** One difference between target A and target B. */
export interface Difference {
  readonly file: string;
  readonly line: number;
  readonly session: string;
  /** The statement text (or the directive, for @connect). */
  readonly statement: string;
  readonly field: DiffField;
  /** The value on each side (whole rows arrays for `rows`). */
  readonly a: unknown;
  readonly b: unknown;
  /** A one-line explanation, e.g. the first differing cell. */
  readonly detail: string;
}

/** Where a step is, for the differences it produces. */
export interface StepLocation {
  readonly file: string;
  readonly line: number;
  readonly session: string;
  readonly statement: string;
}

const CONDITION_BY_CODE = new Map<string, string>();
for (const [name, code] of conditionNames) if (!CONDITION_BY_CODE.has(code)) CONDITION_BY_CODE.set(code, name);

/** `22012 (division_by_zero)`: a SQLSTATE with PostgreSQL's condition name, for people. */
export function describeSqlState(code: string): string {
  const name = CONDITION_BY_CODE.get(code);
  return name === undefined ? code : `${code} (${name})`;
}

const ERROR_FIELDS = ['severity', 'code', 'message', 'detail', 'hint', 'position'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

/** Compares two error records field by field; one difference per differing field. */
function compareErrors(a: ErrorRecord | null, b: ErrorRecord | null, out: (field: DiffField, a: unknown, b: unknown, detail: string) => void): void {
  if (a === null && b === null) return;
  if (a === null || b === null) {
    const err = (a ?? b)!;
    out('error', a, b, `${a === null ? 'only B' : 'only A'} fails: ${describeSqlState(err.code)} ${err.message}`);
    return;
  }
  if (a.code !== b.code) out('error.code', a.code, b.code, `error code: A ${describeSqlState(a.code)} vs B ${describeSqlState(b.code)}`);
  for (const key of ERROR_FIELDS) {
    if (key === 'code') continue;
    if (!same(a[key], b[key])) out(`error.${key}`, a[key], b[key], `error ${key}: A ${show(a[key])} vs B ${show(b[key])}`);
  }
}

function rowKey(row: readonly (string | null)[]): string {
  return JSON.stringify(row);
}

/** Describes how two row lists differ: in order, or as multisets under @sort. */
function describeRows(a: (string | null)[][], b: (string | null)[][], sorted: boolean): string | undefined {
  if (sorted) {
    const counts = new Map<string, number>();
    for (const row of a) counts.set(rowKey(row), (counts.get(rowKey(row)) ?? 0) + 1);
    for (const row of b) counts.set(rowKey(row), (counts.get(rowKey(row)) ?? 0) - 1);
    const onlyA: string[] = [];
    const onlyB: string[] = [];
    for (const [key, count] of counts) {
      for (let k = 0; k < Math.abs(count); k++) (count > 0 ? onlyA : onlyB).push(key);
    }
    if (onlyA.length === 0 && onlyB.length === 0) return undefined;
    const sample = (rows: string[]): string => rows.slice(0, 3).join(', ') + (rows.length > 3 ? ', …' : '');
    return `as multisets: ${onlyA.length} row(s) only in A [${sample(onlyA)}], ${onlyB.length} only in B [${sample(onlyB)}]`;
  }
  const count = Math.max(a.length, b.length);
  for (let r = 0; r < count; r++) {
    const rowA = a[r];
    const rowB = b[r];
    if (rowA === undefined || rowB === undefined) return `row count: A ${a.length} vs B ${b.length}`;
    if (rowKey(rowA) === rowKey(rowB)) continue;
    for (let c = 0; c < Math.max(rowA.length, rowB.length); c++) {
      if (rowA[c] !== rowB[c]) return `row ${r + 1} column ${c + 1}: A ${show(rowA[c])} vs B ${show(rowB[c])}`;
    }
  }
  return undefined;
}

function compareResults(a: StatementResult, b: StatementResult, sorted: boolean, out: (field: DiffField, a: unknown, b: unknown, detail: string) => void): void {
  compareErrors(a.error, b.error, out);
  if (a.tag !== b.tag) out('tag', a.tag, b.tag, `command tag: A ${show(a.tag)} vs B ${show(b.tag)}`);
  if (!same(a.columns, b.columns)) {
    const fmt = (cols: StatementResult['columns']): string => cols === null ? '(no RowDescription)' : cols.map((c) => `${c.name}:${c.typeOid}`).join(', ');
    out('columns', a.columns, b.columns, `columns: A [${fmt(a.columns)}] vs B [${fmt(b.columns)}]`);
  }
  const rows = describeRows(a.rows, b.rows, sorted);
  if (rows !== undefined) out('rows', a.rows, b.rows, rows);
  if (!same(a.notices, b.notices)) {
    const fmt = (n: StatementResult['notices']): string => n.map((x) => `${x.severity} ${x.code} ${x.message}`).join(' | ') || '(none)';
    out('notices', a.notices, b.notices, `notices: A ${fmt(a.notices)} vs B ${fmt(b.notices)}`);
  }
  if (a.txStatus !== b.txStatus) out('txStatus', a.txStatus, b.txStatus, `transaction status after the statement: A ${show(a.txStatus)} vs B ${show(b.txStatus)}`);
}

/** Every difference between the two records of one step. */
export function compareStep(where: StepLocation, a: StepRecord, b: StepRecord, sorted: boolean): Difference[] {
  const differences: Difference[] = [];
  const out = (field: DiffField, va: unknown, vb: unknown, detail: string): void => {
    differences.push({ ...where, field, a: va, b: vb, detail });
  };
  if (a.harness !== b.harness) out('harness', a.harness, b.harness, `harness: A ${show(a.harness)} vs B ${show(b.harness)}`);
  if (a.connectError !== undefined || b.connectError !== undefined) {
    const ea = a.connectError ?? null;
    const eb = b.connectError ?? null;
    if (!same(ea, eb)) out('connect', ea, eb, `connect: A ${ea ? `${ea.code} ${ea.message}` : 'ok'} vs B ${eb ? `${eb.code} ${eb.message}` : 'ok'}`);
  }
  if (a.result && b.result) compareResults(a.result, b.result, sorted, out);
  else if (a.result || b.result) {
    out('harness', a.result ? 'answered' : a.harness, b.result ? 'answered' : b.harness, `only ${a.result ? 'A' : 'B'} answered the statement`);
  }
  return differences;
}
