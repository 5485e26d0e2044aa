// runCorpus(): every file on both targets — sequentially, each in a fresh database — and the
// report of every difference; formatReport() renders it for people. (DT1, DT5, DT8)

import { readFile } from 'node:fs/promises';
import { compareStep, type Difference } from './compare.ts';
import { DEFAULT_SESSION, parseCorpusFile, type Step } from './corpus.ts';
import { DEFAULT_TIMEOUTS, adminQuery, dropCreatedGlobals, quoteIdent, runSteps, snapshotGlobals, type RunnerTimeouts, type StepRecord } from './runner.ts';
import type { Target } from './target.ts';

/** What to compare. */
export interface RunCorpusOptions extends Partial<RunnerTimeouts> {
  a: Target;
  b: Target;
  /** Corpus files, run in this order. */
  files: string[];
  /** Database names are `<prefix><n>` for the n-th file (same name on both targets); default `difftest_`. */
  databasePrefix?: string;
  /** Called after each file, e.g. for progress output. */
  onFile?: (file: FileReport) => void;
}

/** The outcome of one file. */
export interface FileReport {
  readonly file: string;
  readonly database: string;
  /** Statements compared (both sides ran them). */
  readonly statements: number;
  readonly differences: Difference[];
  /** Setup or clean-up failures, per target; a file with one is not fully compared. */
  readonly harnessErrors: string[];
}

/** The outcome of a run. */
export interface DiffReport {
  readonly a: string;
  readonly b: string;
  readonly files: FileReport[];
  readonly statementsCompared: number;
  readonly differences: Difference[];
  readonly harnessErrors: string[];
}

/** True when the run found no difference and no harness failure. */
export function reportIsClean(report: DiffReport): boolean {
  return report.differences.length === 0 && report.harnessErrors.length === 0;
}

/** Runs one file on one target in a fresh database and cleans up after it. */
async function runOnTarget(target: Target, steps: readonly Step[], database: string, timeouts: RunnerTimeouts): Promise<StepRecord[]> {
  const admin = await target.connect({});
  try {
    const before = await snapshotGlobals(admin);
    await adminQuery(admin, `DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    before.databases.delete(database);
    await adminQuery(admin, `CREATE DATABASE ${quoteIdent(database)}`);
    try {
      return await runSteps(target, admin, steps, database, timeouts);
    } finally {
      await dropCreatedGlobals(admin, before, database);
    }
  } finally {
    await admin.close();
  }
}

/** Runs every file on both targets and compares every step (DT1). */
export async function runCorpus(options: RunCorpusOptions): Promise<DiffReport> {
  const timeouts: RunnerTimeouts = {
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_TIMEOUTS.statementTimeoutMs,
    awaitTimeoutMs: options.awaitTimeoutMs ?? DEFAULT_TIMEOUTS.awaitTimeoutMs,
    asyncSettleMs: options.asyncSettleMs ?? DEFAULT_TIMEOUTS.asyncSettleMs,
  };
  const prefix = options.databasePrefix ?? 'difftest_';
  // Parse everything first: a broken file fails the run before any server work.
  const parsed: Step[][] = [];
  for (const file of options.files) parsed.push(parseCorpusFile(file, await readFile(file, 'utf8')));
  const files: FileReport[] = [];
  // Files run one after another: roles are cluster-wide, and a file may create some (DT5).
  for (const [n, file] of options.files.entries()) {
    const database = `${prefix}${n + 1}`;
    const steps = parsed[n]!;
    // The two targets are different servers, so one file runs on both at once.
    const [ra, rb] = await Promise.allSettled([
      runOnTarget(options.a, steps, database, timeouts),
      runOnTarget(options.b, steps, database, timeouts),
    ]);
    const harnessErrors: string[] = [];
    if (ra.status === 'rejected') harnessErrors.push(`${file}: target A (${options.a.name}): ${(ra.reason as Error).message}`);
    if (rb.status === 'rejected') harnessErrors.push(`${file}: target B (${options.b.name}): ${(rb.reason as Error).message}`);
    const differences: Difference[] = [];
    let statements = 0;
    if (ra.status === 'fulfilled' && rb.status === 'fulfilled') {
      let session = DEFAULT_SESSION;
      for (const [index, step] of steps.entries()) {
        if (step.kind === 'session' || step.kind === 'connect') session = step.name;
        const where = {
          file,
          line: step.line,
          session: step.kind === 'await' ? step.name : session,
          statement: step.kind === 'statement' ? step.sql : step.kind === 'connect' ? step.text : `-- @${step.kind} ${step.name}`,
        };
        if (step.kind === 'statement') statements++;
        const recA = ra.value[index]!;
        const recB = rb.value[index]!;
        differences.push(...compareStep(where, recA, recB, step.kind === 'statement' && step.sort));
        // The same harness trouble on both sides is no difference, but the file is not sound (a
        // missing @await, a statement that hangs everywhere): report it.
        if (recA.harness !== undefined && recA.harness === recB.harness) harnessErrors.push(`${file}:${step.line}: on both targets: ${recA.harness}`);
      }
    }
    const report: FileReport = { file, database, statements, differences, harnessErrors };
    files.push(report);
    options.onFile?.(report);
  }
  return {
    a: options.a.name,
    b: options.b.name,
    files,
    statementsCompared: files.reduce((sum, f) => sum + f.statements, 0),
    differences: files.flatMap((f) => f.differences),
    harnessErrors: files.flatMap((f) => f.harnessErrors),
  };
}

const MAX_SHOWN_CHARS = 2000;

function shown(value: unknown): string {
  const text = value === undefined ? '(none)' : JSON.stringify(value);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}… (${text.length} chars)` : text;
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => prefix + l).join('\n');
}

/** A plain-text report: one block per difference (file:line, session, field, statement, both sides), then a summary. */
export function formatReport(report: DiffReport): string {
  const out: string[] = [`difftest: A = ${report.a}`, `          B = ${report.b}`, ''];
  for (const file of report.files) {
    out.push(`${file.file}: ${file.statements} statements, ${file.differences.length} difference(s)${file.harnessErrors.length ? `, ${file.harnessErrors.length} harness error(s)` : ''}`);
  }
  for (const d of report.differences) {
    out.push('', `DIFF ${d.file}:${d.line} [session ${d.session}] ${d.field}: ${d.detail}`);
    out.push(indent(d.statement, '    | '));
    out.push(`  A: ${shown(d.a)}`, `  B: ${shown(d.b)}`);
  }
  for (const e of report.harnessErrors) out.push('', `HARNESS ${e}`);
  out.push('', `${report.statementsCompared} statements compared in ${report.files.length} file(s): ${report.differences.length} difference(s), ${report.harnessErrors.length} harness error(s)`);
  return out.join('\n') + '\n';
}
