#!/usr/bin/env node
// palisade-bench pgbench: pgbench against a throw-away PostgreSQL 15 (and, with --candidate, a
// second server given by connection URL), printing medians, spread and ratios.

import { startPostgres } from '@palisade/pgcluster';
import { benchPgbench, type PgbenchBenchOptions } from './compare.ts';
import { formatTable } from './stats.ts';
import type { BenchServer } from './pgbench.ts';

const USAGE = `usage: palisade-bench pgbench [--scale N] [--clients N] [--threads N] [--time S | --transactions N]
                            [--runs N] [--builtin tpcb-like|simple-update|select-only] [--protocol simple|extended|prepared]
                            [--set name=value]… [--candidate <connection-url>]

Starts PostgreSQL 15 (settings via --set), runs pgbench --runs times and prints TPS, average
latency and the server's peak RSS as medians with min–max. With --candidate, the same runs go
to that server too (alternating), and the table shows candidate/PostgreSQL ratios.`;

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] !== 'pgbench') throw new Error(USAGE);
  const options: PgbenchBenchOptions = { durationS: 10, runs: 5 };
  const settings: Record<string, string> = {};
  let candidate: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    const int = (): number => {
      const v = Number.parseInt(value(), 10);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--scale') options.scale = int();
    else if (arg === '--clients') options.clients = int();
    else if (arg === '--threads') options.threads = int();
    else if (arg === '--time') { options.durationS = int(); delete options.transactions; }
    else if (arg === '--transactions') options.transactions = int();
    else if (arg === '--runs') options.runs = int();
    else if (arg === '--builtin') options.builtin = value() as PgbenchBenchOptions['builtin'];
    else if (arg === '--protocol') options.protocol = value() as PgbenchBenchOptions['protocol'];
    else if (arg === '--set') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--set expects name=value, got ${kv}`);
      settings[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (arg === '--candidate') candidate = value();
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  const cluster = await startPostgres({ settings });
  try {
    const servers: BenchServer[] = [{ name: `PostgreSQL ${cluster.version}`, connectionString: () => cluster.connectionString(), rssBytes: () => cluster.rssBytes() }];
    if (candidate !== undefined) servers.push({ name: 'candidate', connectionString: () => candidate!, rssBytes: async () => Number.NaN });
    const result = await benchPgbench(servers, options);
    process.stdout.write(`pgbench ${options.builtin ?? 'tpcb-like'}, scale ${options.scale ?? 1}, ${options.clients ?? 1} client(s), ${options.transactions !== undefined ? `${options.transactions} transactions/client` : `${options.durationS} s`}, ${options.runs} run(s) per server\n`);
    if (Object.keys(settings).length > 0) process.stdout.write(`settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    process.stdout.write(formatTable(result.servers[0]!, result.servers[1], result.rows));
  } finally {
    await cluster.stop();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
