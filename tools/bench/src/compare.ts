// Several pgbench runs per server, alternating servers, summarised as medians (BENCH1, BENCH3).
// Entry point: benchPgbench().

import { initPgbench, runPgbench, type BenchServer, type PgbenchOptions, type PgbenchResult } from './pgbench.ts';
import { series, type ComparisonRow } from './stats.ts';

export interface PgbenchBenchOptions extends PgbenchOptions {
  /** pgbench -i scale factor; default 1. */
  scale?: number;
  /** Runs per server; default 5 (BENCH3). */
  runs?: number;
}

export interface PgbenchBenchResult {
  readonly servers: string[];
  /** Per server, its runs in order. */
  readonly runs: PgbenchResult[][];
  /** TPS, average latency and max RSS (MiB) per server, as a table's rows (first server is the baseline). */
  readonly rows: ComparisonRow[];
}

/**
 * Initialises pgbench on every server, then runs it `runs` times per server, alternating
 * servers so that drift in the machine's load hits all of them alike.
 */
export async function benchPgbench(servers: readonly BenchServer[], options: PgbenchBenchOptions = {}): Promise<PgbenchBenchResult> {
  if (servers.length === 0 || servers.length > 2) throw new Error('bench: give a baseline server and at most one candidate');
  const runsPerServer = options.runs ?? 5;
  for (const server of servers) await initPgbench(server, options.scale ?? 1);
  const runs: PgbenchResult[][] = servers.map(() => []);
  for (let r = 0; r < runsPerServer; r++) {
    for (const [i, server] of servers.entries()) runs[i]!.push(await runPgbench(server, options));
  }
  const metric = (name: string, pick: (x: PgbenchResult) => number): ComparisonRow => {
    const row: { metric: string; baseline: ReturnType<typeof series>; candidate?: ReturnType<typeof series> } = { metric: name, baseline: series(runs[0]!.map(pick)) };
    if (runs[1] !== undefined) row.candidate = series(runs[1].map(pick));
    return row;
  };
  return {
    servers: servers.map((s) => s.name),
    runs,
    rows: [
      metric('tps', (x) => x.tps),
      metric('latency avg ms', (x) => x.latencyAvgMs),
      metric('rss max MiB', (x) => x.rssMaxBytes / (1024 * 1024)),
    ],
  };
}
