// Running pgbench against a server and reading its summary. Entry points: runPgbench(),
// initPgbench(), parsePgbenchOutput().

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { postgresBinDir } from '@palisade/pgcluster';

/** A server to benchmark: a @palisade/pgcluster RunningCluster fits, and so will Palisade's server. */
export interface BenchServer {
  readonly name: string;
  connectionString(): string;
  /** Resident memory of the server's processes, sampled during the run. */
  rssBytes(): Promise<number>;
}

/** One pgbench run. */
export interface PgbenchOptions {
  /** Built-in script: tpcb-like (default), simple-update or select-only. */
  builtin?: 'tpcb-like' | 'simple-update' | 'select-only';
  clients?: number;
  threads?: number;
  /** Run for this many seconds (-T); or give `transactions` per client (-t). */
  durationS?: number;
  transactions?: number;
  /** Query mode (-M): simple (default), extended or prepared. */
  protocol?: 'simple' | 'extended' | 'prepared';
  /** How often RSS is sampled during the run; default 250. */
  rssSampleMs?: number;
  /** Give up after this long; default durationS + 120 s. */
  timeoutMs?: number;
}

/** pgbench's summary of one run, plus the server's RSS during it. */
export interface PgbenchResult {
  readonly tps: number;
  readonly latencyAvgMs: number;
  readonly transactions: number;
  readonly failedTransactions: number;
  /** Largest RSS sample during the run, in bytes. */
  readonly rssMaxBytes: number;
  readonly output: string;
}

const OUTPUT_MAX_BYTES = 16 * 1024 * 1024;

function num(output: string, re: RegExp, what: string): number {
  const match = re.exec(output);
  if (!match) throw new Error(`bench: pgbench output has no ${what}:\n${output}`);
  return Number.parseFloat(match[1]!);
}

/** Reads TPS, average latency and transaction counts from pgbench's summary (PostgreSQL 15 format). */
export function parsePgbenchOutput(output: string): Omit<PgbenchResult, 'rssMaxBytes' | 'output'> {
  return {
    tps: num(output, /^tps = ([\d.]+) \(without initial connection time\)/m, 'tps'),
    latencyAvgMs: num(output, /^latency average = ([\d.]+) ms/m, 'latency average'),
    transactions: num(output, /^number of transactions actually processed: (\d+)/m, 'transaction count'),
    failedTransactions: /^number of failed transactions: (\d+)/m.test(output) ? num(output, /^number of failed transactions: (\d+)/m, 'failed transactions') : 0,
  };
}

function runProgram(program: string, args: string[], timeoutMs: number): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG') && v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    execFile(join(postgresBinDir(), program), args, { env, timeout: timeoutMs, maxBuffer: OUTPUT_MAX_BYTES }, (err, stdout, stderr) => {
      if (err) reject(new Error(`bench: ${program} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/** `pgbench -i -s scale`: creates and fills the pgbench tables. */
export async function initPgbench(server: BenchServer, scale: number, timeoutMs = 600_000): Promise<void> {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`bench: scale must be a positive integer, got ${scale}`);
  await runProgram('pgbench', ['-i', '-q', '-s', String(scale), server.connectionString()], timeoutMs);
}

/** One pgbench run against `server`, sampling the server's RSS meanwhile. */
export async function runPgbench(server: BenchServer, options: PgbenchOptions = {}): Promise<PgbenchResult> {
  const clients = options.clients ?? 1;
  const args = ['-n', '-b', options.builtin ?? 'tpcb-like', '-c', String(clients), '-j', String(options.threads ?? Math.min(clients, 4)), '-M', options.protocol ?? 'simple'];
  if (options.transactions !== undefined) args.push('-t', String(options.transactions));
  else args.push('-T', String(options.durationS ?? 10));
  args.push(server.connectionString());
  let rssMaxBytes = await server.rssBytes();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, options.rssSampleMs ?? 250));
      rssMaxBytes = Math.max(rssMaxBytes, await server.rssBytes());
    }
  })();
  try {
    const output = await runProgram('pgbench', args, options.timeoutMs ?? ((options.durationS ?? 10) + 120) * 1000);
    return { ...parsePgbenchOutput(output), rssMaxBytes, output };
  } finally {
    sampling = false;
    await sampler;
  }
}
