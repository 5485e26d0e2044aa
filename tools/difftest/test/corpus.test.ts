import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorpusError, parseCorpusFile } from '../src/corpus.ts';
import { compareStep } from '../src/compare.ts';
import type { StatementResult } from '../src/target.ts';

describe('[DT3] corpus directives', () => {
  it('turns directives into steps in file order', () => {
    const text = [
      'SELECT 1;',
      '-- @connect bob user=bob db=other password=pw',
      'SELECT 2;',
      '-- @session s2',
      '-- @async',
      'UPDATE t SET x = 1;',
      '-- @sort',
      'SELECT x FROM t;',
      '-- @await s2',
    ].join('\n');
    expect(parseCorpusFile('f.sql', text)).toEqual([
      { kind: 'statement', line: 1, sql: 'SELECT 1', sort: false, async: false },
      { kind: 'connect', line: 2, name: 'bob', user: 'bob', database: 'other', password: 'pw', text: '-- @connect bob user=bob db=other password=pw' },
      { kind: 'statement', line: 3, sql: 'SELECT 2', sort: false, async: false },
      { kind: 'session', line: 4, name: 's2' },
      { kind: 'statement', line: 6, sql: 'UPDATE t SET x = 1', sort: false, async: true },
      { kind: 'statement', line: 8, sql: 'SELECT x FROM t', sort: true, async: false },
      { kind: 'await', line: 9, name: 's2' },
    ]);
  });

  it('ignores ordinary comments and directive-like text after a statement on the same line', () => {
    const steps = parseCorpusFile('f.sql', '-- just a note\nSELECT 1; -- @sort\nSELECT 2;');
    expect(steps).toEqual([
      { kind: 'statement', line: 2, sql: 'SELECT 1', sort: false, async: false },
      { kind: 'statement', line: 3, sql: 'SELECT 2', sort: false, async: false },
    ]);
  });

  it('refuses @skip-palisade: every statement is compared', () => {
    expect(() => parseCorpusFile('f.sql', '-- @skip-palisade not yet\nSELECT 1;')).toThrow(/f\.sql:1: @skip-palisade is not allowed/);
  });

  it('refuses unknown directives, bad arguments and dangling flags, naming file and line', () => {
    expect(() => parseCorpusFile('f.sql', 'SELECT 1;\n-- @sortt\nSELECT 2;')).toThrow(CorpusError);
    expect(() => parseCorpusFile('f.sql', 'SELECT 1;\n-- @sortt\nSELECT 2;')).toThrow('f.sql:2: unknown directive @sortt');
    expect(() => parseCorpusFile('f.sql', '-- @connect x db=y\nSELECT 1;')).toThrow(/needs user=ROLE/);
    expect(() => parseCorpusFile('f.sql', '-- @connect x user=a role=b\nSELECT 1;')).toThrow(/unknown parameter/);
    expect(() => parseCorpusFile('f.sql', '-- @session\nSELECT 1;')).toThrow(/exactly one session name/);
    expect(() => parseCorpusFile('f.sql', 'SELECT 1;\n-- @async\n')).toThrow('f.sql:2: directive is not followed by a statement');
    expect(() => parseCorpusFile('f.sql', "SELECT 'x;")).toThrow(/f\.sql:1: unterminated quoted string/);
  });

  it('the starter corpus parses and has at least 60 statements', () => {
    const dir = join(import.meta.dirname, '..', 'corpus');
    let statements = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      statements += parseCorpusFile(file, readFileSync(join(dir, file), 'utf8')).filter((s) => s.kind === 'statement').length;
    }
    expect(statements).toBeGreaterThanOrEqual(60);
  });
});

describe('[DT4] compareStep', () => {
  const where = { file: 'f.sql', line: 7, session: 'main', statement: 'SELECT x' };
  const result = (over: Partial<StatementResult>): StatementResult => ({
    tag: 'SELECT 2', columns: [{ name: 'x', typeOid: 23 }], rows: [['1'], ['2']], notices: [], error: null, txStatus: 'I', ...over,
  });

  it('finds nothing when both answers are identical', () => {
    expect(compareStep(where, { result: result({}) }, { result: result({}) }, false)).toEqual([]);
  });

  it('compares rows in order, or as multisets under @sort', () => {
    const reversed = result({ rows: [['2'], ['1']] });
    expect(compareStep(where, { result: result({}) }, { result: reversed }, false).map((d) => d.field)).toEqual(['rows']);
    expect(compareStep(where, { result: result({}) }, { result: reversed }, true)).toEqual([]);
    const duplicated = result({ rows: [['1'], ['1']] });
    const [diff] = compareStep(where, { result: result({}) }, { result: duplicated }, true);
    expect(diff!.detail).toBe('as multisets: 1 row(s) only in A [["2"]], 1 only in B [["1"]]');
  });

  it('distinguishes NULL from the string NULL and reports row counts', () => {
    const [nullDiff] = compareStep(where, { result: result({ rows: [[null], ['2']] }) }, { result: result({ rows: [['NULL'], ['2']] }) }, false);
    expect(nullDiff!.detail).toBe('row 1 column 1: A null vs B "NULL"');
    const [countDiff] = compareStep(where, { result: result({}) }, { result: result({ rows: [['1']] }) }, false);
    expect(countDiff!.detail).toBe('row count: A 2 vs B 1');
  });

  it('reports column names and type OIDs, error fields one by one, and transaction status', () => {
    const err = { severity: 'ERROR', code: '23505', message: 'duplicate key', detail: 'Key (id)=(1) already exists.' };
    const diffs = compareStep(
      where,
      { result: result({ columns: [{ name: 'x', typeOid: 20 }], error: err, txStatus: 'E' }) },
      { result: result({ error: { ...err, detail: 'Key (id)=(2) already exists.', position: 8 }, txStatus: 'I' }) },
      false,
    );
    expect(diffs.map((d) => d.field)).toEqual(['error.detail', 'error.position', 'columns', 'txStatus']);
    expect(diffs[2]!.detail).toBe('columns: A [x:20] vs B [x:23]');
  });

  it('reports an error on one side only, and a refused connection', () => {
    const err = { severity: 'ERROR', code: '42P01', message: 'relation "t" does not exist' };
    const [only] = compareStep(where, { result: result({}) }, { result: result({ error: err, tag: null, columns: null, rows: [] }) }, false);
    expect(only!.field).toBe('error');
    expect(only!.detail).toBe('only B fails: 42P01 (undefined_table) relation "t" does not exist');
    const refused = { severity: 'FATAL', code: '28000', message: 'role "x" does not exist' };
    const [connect] = compareStep(where, { connectError: null }, { connectError: refused }, false);
    expect(connect!.field).toBe('connect');
  });
});
