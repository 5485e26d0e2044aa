// Unit tests of the Session: the transaction-block state machine, SET/SHOW, the extended query
// protocol with portal suspension, binary results, cancellation and statement_timeout.

import { describe, expect, it } from 'vitest';
import { PgError } from '@palisade/common';
import { Session, type ResultSink, type NoticeFields, type FieldDescription } from '../src/engine/session.ts';
import { InProcessTransactionManager } from '../src/engine/transaction.ts';

interface Captured {
  fields: FieldDescription[] | null;
  rows: (string | null)[][];
  raw: (Uint8Array | null)[][];
  tags: string[];
  notices: NoticeFields[];
  empty: number;
}

function capture(): { sink: ResultSink; out: Captured } {
  const out: Captured = { fields: null, rows: [], raw: [], tags: [], notices: [], empty: 0 };
  const dec = new TextDecoder();
  const sink: ResultSink = {
    rowDescription: (f) => { out.fields = f; },
    dataRow: (v) => { out.raw.push(v); out.rows.push(v.map((x) => (x === null ? null : dec.decode(x)))); },
    commandComplete: (t) => { out.tags.push(t); },
    emptyQuery: () => { out.empty++; },
    notice: (n) => { out.notices.push(n); },
  };
  return { sink, out };
}

async function q(s: Session, sql: string, signal?: AbortSignal): Promise<Captured> {
  const { sink, out } = capture();
  await s.simpleQuery(sql, sink, signal);
  return out;
}

async function err(s: Session, sql: string): Promise<PgError> {
  try {
    await q(s, sql);
  } catch (e) {
    return e as PgError;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('Session: transaction blocks', () => {
  it('[ENG2] a statement outside a block runs in its own transaction and leaves the session idle', async () => {
    const tm = new InProcessTransactionManager();
    const s = await Session.create({ transactionManager: tm });
    const out = await q(s, 'SELECT 1 AS one');
    expect(out.rows).toEqual([['1']]);
    expect(out.tags).toEqual(['SELECT 1']);
    expect(s.transactionStatus()).toBe('I');
    expect(tm.openCount).toBe(0);
  });

  it('[ENG2] BEGIN opens a block; COMMIT and ROLLBACK outside one warn 25P01; BEGIN inside one warns 25001', async () => {
    const s = await Session.create();
    const c = await q(s, 'COMMIT');
    expect(c.notices).toEqual([{ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' }]);
    await q(s, 'BEGIN');
    expect(s.transactionStatus()).toBe('T');
    const b = await q(s, 'BEGIN');
    expect(b.notices[0]).toMatchObject({ code: '25001', message: 'there is already a transaction in progress' });
    expect((await q(s, 'COMMIT')).tags).toEqual(['COMMIT']);
    expect(s.transactionStatus()).toBe('I');
  });

  it('[ENG3] an error in a block fails it: 25P02 until ROLLBACK, and COMMIT then reports ROLLBACK', async () => {
    const s = await Session.create();
    await q(s, 'BEGIN');
    expect((await err(s, 'SELECT 1/0')).code).toBe('22012');
    expect(s.transactionStatus()).toBe('E');
    const e = await err(s, 'SELECT 1');
    expect(e.code).toBe('25P02');
    expect(e.message).toBe('current transaction is aborted, commands ignored until end of transaction block');
    expect((await q(s, 'COMMIT')).tags).toEqual(['ROLLBACK']);
    expect(s.transactionStatus()).toBe('I');
  });

  it('[ENG4] ROLLBACK TO a savepoint recovers a failed block; unknown savepoints are 3B001', async () => {
    const tm = new InProcessTransactionManager();
    const s = await Session.create({ transactionManager: tm });
    await q(s, 'BEGIN; SAVEPOINT a');
    await expect(q(s, 'SELECT 1/0')).rejects.toThrow('division by zero');
    expect((await q(s, 'ROLLBACK TO a')).tags).toEqual(['ROLLBACK']);
    expect(s.transactionStatus()).toBe('T');
    const e = await err(s, 'RELEASE nosuch');
    expect([e.code, e.message]).toEqual(['3B001', 'savepoint "nosuch" does not exist']);
    await q(s, 'ROLLBACK');
    expect(tm.openCount).toBe(0);
  });

  it('[ENG2] a multi-statement query is one implicit transaction: a failure rolls back the whole string', async () => {
    const s = await Session.create();
    await expect(q(s, "SET work_mem = '9MB'; SELECT 1/0")).rejects.toThrow('division by zero');
    expect((await q(s, 'SHOW work_mem')).rows).toEqual([['4MB']]);
    expect(s.transactionStatus()).toBe('I');
    const e = await err(s, 'SELECT 1; SAVEPOINT x');
    expect([e.code, e.message]).toEqual(['25P01', 'SAVEPOINT can only be used in transaction blocks']);
  });

  it('[ENG4] SET survives COMMIT, is undone by ROLLBACK and by ROLLBACK TO; SET LOCAL ends with the transaction', async () => {
    const reported: Array<[string, string]> = [];
    const s = await Session.create({ onParameterStatus: (n, v) => reported.push([n, v]) });
    await q(s, "BEGIN; SET work_mem = '8MB'; SAVEPOINT p; SET work_mem = '16MB'; ROLLBACK TO p");
    expect((await q(s, 'SHOW work_mem')).rows).toEqual([['8MB']]);
    await q(s, "COMMIT; BEGIN; SET LOCAL work_mem = '1MB'; COMMIT");
    expect((await q(s, 'SHOW work_mem')).rows).toEqual([['8MB']]);
    await q(s, "SET DateStyle = 'SQL, DMY'");
    expect(reported).toContainEqual(['DateStyle', 'SQL, DMY']);
  });

  it('[ENG2] transaction_isolation reflects BEGIN ISOLATION LEVEL only inside the block', async () => {
    const s = await Session.create();
    await q(s, 'BEGIN ISOLATION LEVEL SERIALIZABLE');
    expect((await q(s, 'SHOW transaction_isolation')).rows).toEqual([['serializable']]);
    await q(s, 'COMMIT');
    expect((await q(s, 'SHOW transaction_isolation')).rows).toEqual([['read committed']]);
  });

  it('[ENG1] an empty query string answers EmptyQuery; unsupported statements are 0A000', async () => {
    const s = await Session.create();
    expect((await q(s, '  ')).empty).toBe(1);
    const e = await err(s, 'CREATE TABLE t (a int)');
    expect([e.code, e.message]).toEqual(['0A000', 'statement CREATE TABLE is not supported']);
  });
});

describe('Session: extended query protocol', () => {
  it('[ENG8] Parse infers parameter types; Bind decodes text parameters; Describe reports the columns', async () => {
    const s = await Session.create();
    s.parse('st', 'SELECT $1 + 1 AS n, $2::text AS t', []);
    const d = s.describeStatement('st');
    expect(d.paramTypes).toEqual([23, 25]);
    expect(d.fields!.map((f) => [f.name, f.typeOid])).toEqual([['n', 23], ['t', 25]]);
    const enc = new TextEncoder();
    s.bind('', 'st', [], [enc.encode('41'), null], []);
    const { sink, out } = capture();
    expect(await s.execute('', 0, sink)).toBe('complete');
    expect(out.rows).toEqual([['42', null]]);
    expect(out.tags).toEqual(['SELECT 1']);
    s.sync();
    expect(s.transactionStatus()).toBe('I');
  });

  it('[ENG8] Execute with a row limit suspends the portal and resumes where it stopped', async () => {
    const s = await Session.create();
    s.parse('', 'SELECT g FROM generate_series(1, 5) g', []);
    s.bind('p', '', [], [], []);
    const first = capture();
    expect(await s.execute('p', 2, first.sink)).toBe('suspended');
    expect(first.out.rows).toEqual([['1'], ['2']]);
    const rest = capture();
    expect(await s.execute('p', 0, rest.sink)).toBe('complete');
    expect(rest.out.rows).toEqual([['3'], ['4'], ['5']]);
    s.sync();
  });

  it('[ENG8] binary result format uses the type\'s send function', async () => {
    const s = await Session.create();
    s.parse('', 'SELECT 258::int4', []);
    s.bind('', '', [], [], [1]);
    expect(s.describePortal('')![0]!.format).toBe(1);
    const { sink, out } = capture();
    await s.execute('', 0, sink);
    expect([...out.raw[0]![0]!]).toEqual([0, 0, 1, 2]);
    s.sync();
  });

  it('[ENG8] a parameter count mismatch is 08P01 and an unknown statement 26000', async () => {
    const s = await Session.create();
    s.parse('x', 'SELECT $1::int', []);
    expect(() => s.bind('', 'x', [], [], [])).toThrow('bind message supplies 0 parameters, but prepared statement "x" requires 1');
    s.sync();
    expect(() => s.bind('', 'nosuch', [], [], [])).toThrow('prepared statement "nosuch" does not exist');
    s.sync();
    expect(() => s.parse('', 'SELECT 1; SELECT 2', [])).toThrow('cannot insert multiple commands into a prepared statement');
  });
});

describe('Session: SHOW', () => {
  it('[ENG4] SHOW ALL lists every parameter with its value and description, sorted by name', async () => {
    const s = await Session.create();
    const out = await q(s, 'SHOW ALL');
    expect(out.fields!.map((f) => f.name)).toEqual(['name', 'setting', 'description']);
    expect(out.rows.length).toBeGreaterThan(300);
    expect(out.rows.find((r) => r[0] === 'work_mem')?.[1]).toBe('4MB');
    const names = out.rows.map((r) => r[0]!.toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it('[ENG8] Describe of a SHOW statement gives its column; of BEGIN, no row description', async () => {
    const s = await Session.create();
    s.parse('a', 'SHOW DateStyle', []);
    expect(s.describeStatement('a').fields!.map((f) => f.name)).toEqual(['DateStyle']);
    s.parse('b', 'BEGIN', []);
    expect(s.describeStatement('b').fields).toBeNull();
    s.sync();
  });
});

describe('Session: cancellation', () => {
  it('[ENG5] an aborted signal cancels a long query with 57014 after yielding to the event loop', async () => {
    const s = await Session.create();
    const ctrl = new AbortController();
    setImmediate(() => ctrl.abort());
    const p = q(s, 'SELECT count(*) FROM generate_series(1, 100000000)', ctrl.signal);
    await expect(p).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
    expect(s.transactionStatus()).toBe('I');
  });

  it('[ENG5] statement_timeout cancels with its own message', async () => {
    const s = await Session.create();
    await q(s, "SET statement_timeout = '20ms'");
    await expect(q(s, 'SELECT count(*) FROM generate_series(1, 100000000)')).rejects.toMatchObject({
      code: '57014', message: 'canceling statement due to statement timeout',
    });
  });
});

describe('Session: EXPLAIN', () => {
  it('[ENG7] EXPLAIN shows the plan tree of a query', async () => {
    const s = await Session.create();
    const out = await q(s, 'EXPLAIN SELECT x FROM generate_series(1, 3) x ORDER BY x LIMIT 1');
    expect(out.fields![0]!.name).toBe('QUERY PLAN');
    expect(out.rows.map((r) => r[0])).toEqual(['Limit', '  ->  Sort', '        ->  Result', '              ->  Function Scan on generate_series']);
  });
});
