// The run-time state a plan executes with: parameter values, outer rows of correlated
// sub-queries, the session's function context, materialized CTEs, and cancellation.

import { PgError, SqlState } from '@palisade/common';
import type { Datum } from '../types/datum.ts';
import type { FnContext } from '../functions/builtins.ts';

export type Row = Datum[];

/** Yielded by plan nodes between rows to let the driver give the event loop a turn. */
export const PAUSE: unique symbol = Symbol('pause');
export type Yielded = Row | typeof PAUSE;

/** Rows a scan produces between PAUSEs. */
export const ROWS_PER_PAUSE = 1024;

/** Rows a sub-query or CTE may materialize before the statement is refused (a stated bound). */
export const MATERIALIZE_ROWS_MAX = 10_000_000;

export interface ExecContext {
  params: Datum[];
  /** Rows of enclosing queries, innermost last (for correlated sub-queries). */
  outer: Row[];
  fn: FnContext;
  ctes: Map<number, Row[]>;
  /** The rows of the previous iteration of each recursive query, by work-table id. */
  worktables?: Map<number, Row[]>;
  /** The current row of an ANY/ALL sub-query's output, for its test expression. */
  sublinkValue: Datum;
  signal: AbortSignal | undefined;
  /** Why the signal fired: 'timeout' or 'cancel'. */
  abortReason(): 'timeout' | 'cancel';
}

/** The 57014 error for a fired signal. */
export function canceledError(reason: 'timeout' | 'cancel'): PgError {
  return new PgError(SqlState.QUERY_CANCELED, reason === 'timeout' ? 'canceling statement due to statement timeout' : 'canceling statement due to user request');
}

export function checkAbort(ec: ExecContext): void {
  if (ec.signal?.aborted) throw canceledError(ec.abortReason());
}
