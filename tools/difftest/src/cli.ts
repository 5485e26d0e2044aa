#!/usr/bin/env node
// difftest CLI: run corpus files against two servers and print every difference; exit 1 if any.
//   difftest --a <connstr> --b <connstr> files…
//   difftest --postgres-vs-postgres [--set-b name=value]… files…

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type RunningCluster } from '@palisade/pgcluster';
import { connectionStringTarget, pgclusterTarget, type Target } from './target.ts';
import { formatReport, reportIsClean, runCorpus } from './run-corpus.ts';

const USAGE = `usage: difftest --a <connection-url> --b <connection-url> [options] files-or-directories…
       difftest --postgres-vs-postgres [--set-a name=value]… [--set-b name=value]… [options] files-or-directories…

Runs every statement of the corpus files on both servers and reports every difference in
command tags, columns, rows, notices, errors and transaction status. Exit status: 0 when
identical, 1 on differences or harness errors, 2 on usage errors.

options:
  --statement-timeout-ms N   cancel a statement after N ms (default 30000)
  --await-timeout-ms N       cancel an @await-ed statement after N ms (default 10000)
  --json                     print the report as JSON instead of text`;

class UsageError extends Error {}

function expandFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      files.push(...readdirSync(path).filter((f) => f.endsWith('.sql')).sort().map((f) => join(path, f)));
    } else files.push(path);
  }
  return files;
}

function parseSetting(kv: string): [string, string] {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new UsageError(`expected name=value, got ${JSON.stringify(kv)}`);
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

async function main(argv: readonly string[]): Promise<number> {
  let a: string | undefined;
  let b: string | undefined;
  let pgVsPg = false;
  let json = false;
  const setA: Record<string, string> = {};
  const setB: Record<string, string> = {};
  const timeouts: { statementTimeoutMs?: number; awaitTimeoutMs?: number } = {};
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number.parseInt(value(), 10);
      if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${arg} needs a positive number`);
      return v;
    };
    if (arg === '--a') a = value();
    else if (arg === '--b') b = value();
    else if (arg === '--postgres-vs-postgres') pgVsPg = true;
    else if (arg === '--set-a') { const [k, v] = parseSetting(value()); setA[k] = v; }
    else if (arg === '--set-b') { const [k, v] = parseSetting(value()); setB[k] = v; }
    else if (arg === '--statement-timeout-ms') timeouts.statementTimeoutMs = int();
    else if (arg === '--await-timeout-ms') timeouts.awaitTimeoutMs = int();
    else if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') { process.stdout.write(USAGE + '\n'); return 0; }
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else paths.push(arg);
  }
  if (paths.length === 0) throw new UsageError('no corpus files given');
  if (pgVsPg === (a !== undefined || b !== undefined)) throw new UsageError('give either --a and --b, or --postgres-vs-postgres');
  if (!pgVsPg && (a === undefined || b === undefined)) throw new UsageError('both --a and --b are required');
  if (!pgVsPg && a === b) throw new UsageError('--a and --b must be different servers (each file runs on both at once)');
  if (!pgVsPg && (Object.keys(setA).length > 0 || Object.keys(setB).length > 0)) throw new UsageError('--set-a/--set-b only apply with --postgres-vs-postgres');
  const files = expandFiles(paths);

  const clusters: RunningCluster[] = [];
  try {
    let targetA: Target;
    let targetB: Target;
    if (pgVsPg) {
      const [ca, cb] = await Promise.all([startPostgres({ settings: setA }), startPostgres({ settings: setB })]);
      clusters.push(ca, cb);
      targetA = pgclusterTarget(ca);
      targetB = pgclusterTarget(cb);
    } else {
      targetA = connectionStringTarget('A', a!);
      targetB = connectionStringTarget('B', b!);
    }
    const report = await runCorpus({
      a: targetA,
      b: targetB,
      files,
      ...timeouts,
      onFile: (f) => process.stderr.write(`${f.file}: ${f.statements} statements, ${f.differences.length} difference(s)\n`),
    });
    process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    return reportIsClean(report) ? 0 : 1;
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`difftest: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`difftest: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
