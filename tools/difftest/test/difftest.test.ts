import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type RunningCluster } from '@palisade/pgcluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatReport, parseCorpusFile, pgclusterTarget, reportIsClean, runCorpus,
  type DiffClient, type StatementResult, type Target,
} from '../src/index.ts';
import { DEFAULT_TIMEOUTS, runSteps } from '../src/runner.ts';

const here = import.meta.dirname;
const corpusDir = join(here, '..', 'corpus');
const corpusFiles = readdirSync(corpusDir).filter((f) => f.endsWith('.sql')).sort().map((f) => join(corpusDir, f));
const fixture = (name: string): string => join(here, 'fixtures', name);

/** A target whose sessions pass every statement through `rewrite` — a stand-in for a server that answers differently. */
function rewritingTarget(inner: Target, rewrite: (sql: string, result: StatementResult) => StatementResult): Target {
  return {
    name: `rewritten(${inner.name})`,
    async connect(opts) {
      const client = await inner.connect(opts);
      const wrapped: DiffClient = {
        get backendPid() { return client.backendPid; },
        execute: async (sql) => rewrite(sql, await client.execute(sql)),
        cancel: () => client.cancel(),
        close: () => client.close(),
      };
      return wrapped;
    },
  };
}

async function globals(cluster: RunningCluster): Promise<{ roles: string[]; databases: string[] }> {
  const admin = await pgclusterTarget(cluster).connect({});
  try {
    const roles = (await admin.execute('SELECT rolname FROM pg_roles ORDER BY 1')).rows.map((r) => r[0]!);
    const databases = (await admin.execute('SELECT datname FROM pg_database ORDER BY 1')).rows.map((r) => r[0]!);
    return { roles, databases };
  } finally {
    await admin.close();
  }
}

describe('difftest against PostgreSQL 15', { timeout: 180_000 }, () => {
  let a: RunningCluster;
  let b: RunningCluster;
  let c: RunningCluster;

  beforeAll(async () => {
    // fsync does not change any answer; off keeps CREATE/DROP DATABASE cheap on a busy machine.
    [a, b, c] = await Promise.all([
      startPostgres({ settings: { fsync: false } }),
      startPostgres({ settings: { fsync: false } }),
      startPostgres({ settings: { fsync: false, DateStyle: 'SQL, DMY', extra_float_digits: 0 } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].filter((x) => x !== undefined).map((x) => x.stop()));
  });

  it('[DT1] PostgreSQL 15 vs PostgreSQL 15 on the whole corpus: zero differences', async () => {
    const before = await globals(a);
    const report = await runCorpus({ a: pgclusterTarget(a), b: pgclusterTarget(b), files: corpusFiles });
    expect(report.harnessErrors).toEqual([]);
    expect(report.differences, formatReport(report)).toEqual([]);
    expect(reportIsClean(report)).toBe(true);
    expect(report.files.map((f) => f.file)).toEqual(corpusFiles);
    expect(report.statementsCompared).toBeGreaterThanOrEqual(50);
    expect(report.statementsCompared).toBe(report.files.reduce((n, f) => n + f.statements, 0));
    // [DT6] the files' databases and roles are gone afterwards.
    expect(await globals(a)).toEqual(before);
    expect(formatReport(report)).toMatch(/\d+ statements compared in 6 file\(s\): 0 difference\(s\), 0 harness error\(s\)/);
  });

  it('[DT8] reports result differences caused by server settings, with file, line, statement and both values', async () => {
    const file = fixture('settings.sql');
    const report = await runCorpus({ a: pgclusterTarget(a, 'A'), b: pgclusterTarget(c, 'C'), files: [file] });
    expect(report.harnessErrors).toEqual([]);
    expect(report.statementsCompared).toBe(5);
    expect(report.differences.map((d) => [d.line, d.field, d.statement, d.session])).toEqual([
      [4, 'rows', 'SELECT d FROM t ORDER BY d', 'main'],
      [5, 'rows', 'SELECT f * 3 AS f3 FROM t ORDER BY f', 'main'],
    ]);
    const [dates, floats] = report.differences;
    expect(dates!.file).toBe(file);
    expect(dates!.a).toEqual([['2024-03-01'], ['2024-12-31']]);
    expect(dates!.b).toEqual([['01/03/2024'], ['31/12/2024']]);
    expect(dates!.detail).toBe('row 1 column 1: A "2024-03-01" vs B "01/03/2024"');
    expect(floats!.detail).toBe('row 1 column 1: A "0.30000000000000004" vs B "0.3"');
    const text = formatReport(report);
    expect(text).toContain(`DIFF ${file}:4 [session main] rows: row 1 column 1`);
    expect(text).toContain('    | SELECT f * 3 AS f3 FROM t ORDER BY f');
    expect(text).toContain('5 statements compared in 1 file(s): 2 difference(s)');
  });

  it('[DT4] names the differing field: command tag, rows (in order unless @sort), error code, notices', async () => {
    const rewritten = rewritingTarget(pgclusterTarget(a), (sql, result) => {
      if (result.tag === 'INSERT 0 3') return { ...result, tag: 'INSERT 0 4' };
      if (sql.startsWith('SELECT x FROM r') && !sql.includes('WHERE')) return { ...result, rows: [...result.rows].reverse() };
      if (sql.includes('WHERE x < 3')) return { ...result, rows: result.rows.map((r) => r.map((v) => (v === '2' ? '20' : v))) };
      if (result.error?.code === '22012') return { ...result, error: { ...result.error, code: '22000' } };
      if (result.notices.length > 0) return { ...result, notices: [] };
      return result;
    });
    const file = fixture('rewrite.sql');
    const report = await runCorpus({ a: rewritten, b: pgclusterTarget(b), files: [file] });
    expect(report.statementsCompared).toBe(8);
    expect(report.differences.map((d) => [d.line, d.field])).toEqual([
      [3, 'tag'],
      [4, 'rows'],
      [7, 'rows'],
      [8, 'error.code'],
      [9, 'notices'],
    ]);
    const byLine = new Map(report.differences.map((d) => [d.line, d]));
    expect(byLine.get(3)).toMatchObject({ file, statement: 'INSERT INTO r VALUES (1), (2), (3)', a: 'INSERT 0 4', b: 'INSERT 0 3' });
    expect(byLine.get(4)!.detail).toBe('row 1 column 1: A "3" vs B "1"');
    expect(byLine.get(7)!.detail).toBe('row 2 column 1: A "20" vs B "2"');
    expect(byLine.get(8)).toMatchObject({ statement: 'SELECT 1 / 0', a: '22000', b: '22012' });
    expect(byLine.get(8)!.detail).toBe('error code: A 22000 (data_exception) vs B 22012 (division_by_zero)');
    expect(byLine.get(9)!.b).toEqual([{ severity: 'NOTICE', code: '00000', message: 'table "missing" does not exist, skipping' }]);
    expect(reportIsClean(report)).toBe(false);
  });

  it('[DT7] @await cancels a statement that stays blocked past the timeout and records the cancellation next to its 57014', async () => {
    const target = pgclusterTarget(a);
    const file = fixture('blocked.sql');
    const steps = parseCorpusFile(file, (await import('node:fs')).readFileSync(file, 'utf8'));
    const admin = await target.connect({});
    try {
      await admin.execute('DROP DATABASE IF EXISTS blocked_db');
      await admin.execute('CREATE DATABASE blocked_db');
      const records = await runSteps(target, admin, steps, 'blocked_db', { ...DEFAULT_TIMEOUTS, awaitTimeoutMs: 300 });
      const blocked = steps.findIndex((s) => s.kind === 'statement' && s.async);
      expect(records[blocked]!.harness).toBe('statement did not finish within 300 ms; cancelled');
      expect(records[blocked]!.result!.error).toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
      const last = records[records.length - 1]!;
      expect(last.result!.rows).toEqual([['after']]);
      await admin.execute('DROP DATABASE blocked_db WITH (FORCE)');
    } finally {
      await admin.close();
    }
  });

  it('[DT7] the same timeout on both targets is no difference, but it is reported and the run is not clean', async () => {
    const file = fixture('blocked.sql');
    const report = await runCorpus({ a: pgclusterTarget(a), b: pgclusterTarget(b), files: [file], awaitTimeoutMs: 300 });
    expect(report.differences).toEqual([]);
    expect(report.harnessErrors).toEqual([`${file}:7: on both targets: statement did not finish within 300 ms; cancelled`]);
    expect(reportIsClean(report)).toBe(false);
    expect(formatReport(report)).toContain(`HARNESS ${file}:7: on both targets`);
  });

  it('[DT4] a FATAL error that ends a session is recorded and compared; other sessions go on', async () => {
    const file = fixture('terminate.sql');
    const report = await runCorpus({ a: pgclusterTarget(a), b: pgclusterTarget(b), files: [file] });
    expect(report.harnessErrors).toEqual([]);
    expect(report.differences).toEqual([]);
    expect(report.statementsCompared).toBe(3);
    const rewritten = rewritingTarget(pgclusterTarget(a), (_sql, result) =>
      result.error?.severity === 'FATAL' ? { ...result, error: { ...result.error, severity: 'ERROR' } } : result);
    const differs = await runCorpus({ a: rewritten, b: pgclusterTarget(b), files: [file] });
    expect(differs.differences.map((d) => [d.line, d.session, d.field, d.a, d.b])).toEqual([[4, 'victim', 'error.severity', 'ERROR', 'FATAL']]);
  });

  it('[DT9] CLI: exits 1 and prints the differences between two servers', async () => {
    const cli = join(here, '..', 'src', 'cli.ts');
    const run = (args: string[]): Promise<{ code: number | null; stdout: string }> => new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
        cwd: join(here, '..', '..', '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.on('exit', (code) => resolve({ code, stdout }));
    });
    const differs = await run(['--a', a.connectionString(), '--b', c.connectionString(), fixture('settings.sql')]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toContain('settings.sql:4 [session main] rows');
    const usage = await run(['--a', a.connectionString(), fixture('settings.sql')]);
    expect(usage.code).toBe(2);
  });
});
