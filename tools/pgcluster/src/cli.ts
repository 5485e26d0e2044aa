#!/usr/bin/env node
// pgcluster CLI: `pgcluster start [--set k=v]… [--hba-file path] [--keep]` starts a throw-away
// PostgreSQL 15, prints its connection string, and stops it on SIGINT/SIGTERM.

import { readFileSync } from 'node:fs';
import { startPostgres, type ClusterOptions } from './index.ts';

const USAGE = `usage: pgcluster start [--set name=value]… [--hba-file path] [--initdb-arg arg]… [--superuser name] [--password pw] [--keep]

Starts a throw-away PostgreSQL 15 on 127.0.0.1, prints its connection string on stdout
and runs until SIGINT or SIGTERM, then stops it (and removes its directory unless --keep).`;

interface CliArgs {
  options: ClusterOptions;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): CliArgs {
  if (argv[0] !== 'start') throw new Error(USAGE);
  const settings: Record<string, string> = {};
  const initdbArgs: string[] = [];
  const options: ClusterOptions = { settings, initdbArgs };
  let keep = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`pgcluster: ${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--set') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`pgcluster: --set expects name=value, got ${JSON.stringify(kv)}`);
      settings[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (arg === '--hba-file') options.hba = readFileSync(value(), 'utf8');
    else if (arg === '--initdb-arg') initdbArgs.push(value());
    else if (arg === '--superuser') options.superuser = value();
    else if (arg === '--password') options.superuserPassword = value();
    else if (arg === '--keep') keep = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else throw new Error(`pgcluster: unknown argument ${arg}\n${USAGE}`);
  }
  return { options, keep };
}

async function main(): Promise<void> {
  const { options, keep } = parseArgs(process.argv.slice(2));
  let stopping = false;
  let stopRequested: (() => void) | undefined;
  const stopSignal = new Promise<void>((resolve) => { stopRequested = resolve; });
  // Installed before the cluster starts, so that the harness leaves the graceful stop to us.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stopRequested?.();
    });
  }
  const cluster = await startPostgres(options);
  process.stdout.write(cluster.connectionString() + '\n');
  process.stderr.write(`pgcluster: PostgreSQL ${cluster.version} pid ${cluster.pid}, data ${cluster.dataDir}, socket ${cluster.socketDir}\n`);
  const keepAlive = setInterval(() => undefined, 60_000);
  await stopSignal;
  clearInterval(keepAlive);
  await cluster.stop({ keep });
  if (keep) process.stderr.write(`pgcluster: stopped; kept ${cluster.dataDir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
