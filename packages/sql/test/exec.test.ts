// Unit tests of plan execution: PAUSE markers for event-loop turns, and set-returning functions.

import { describe, expect, it } from 'vitest';
import { loadParser, parseStatements } from '../src/parser/parse.ts';
import { Analyzer } from '../src/analyze/analyze.ts';
import { ErrorPositioner } from '../src/analyze/positions.ts';
import { planQuery } from '../src/plan/planner.ts';
import { PAUSE, ROWS_PER_PAUSE, type ExecContext } from '../src/exec/context.ts';
import { defaultIoContext } from '../src/types/datum.ts';

async function plan(sql: string) {
  await loadParser();
  const [raw] = parseStatements(sql);
  const q = new Analyzer(new ErrorPositioner(sql), { types: [] }).analyzeSelect(raw!.stmt.SelectStmt);
  return planQuery(q);
}

function ctx(): ExecContext {
  return {
    params: [], outer: [], ctes: new Map(), sublinkValue: null, signal: undefined, abortReason: () => 'cancel',
    fn: { io: defaultIoContext, transactionStartUs: 0n, statementStartUs: 0n, user: 'u', database: 'd', backendPid: 1, getSetting: () => null, setSetting: (_n, v) => v },
  };
}

describe('executor', () => {
  it('[ENG5] scans emit a PAUSE every ROWS_PER_PAUSE rows, and blocking nodes pass them up', async () => {
    const p = await plan(`SELECT count(*) FROM generate_series(1, ${ROWS_PER_PAUSE * 3})`);
    let pauses = 0;
    const rows = [];
    for (const r of p.rows(ctx())) {
      if (r === PAUSE) pauses++;
      else rows.push(r);
    }
    expect(pauses).toBeGreaterThanOrEqual(3);
    expect(rows).toEqual([[BigInt(ROWS_PER_PAUSE * 3)]]);
  });

  it('[ENG7] set-returning functions in the select list run in lockstep', async () => {
    const p = await plan('SELECT generate_series(1, 3), generate_series(1, 2)');
    const rows = [...p.rows(ctx())].filter((r) => r !== PAUSE);
    expect(rows).toEqual([[1, 1], [2, 2], [3, null]]);
  });

  it('[ENG7] correlated sub-queries see the outer row', async () => {
    const p = await plan('SELECT k, (SELECT k * 10) FROM generate_series(1, 2) k');
    const rows = [...p.rows(ctx())].filter((r) => r !== PAUSE);
    expect(rows).toEqual([[1, 10], [2, 20]]);
  });
});
