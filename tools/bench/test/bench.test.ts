import { startPostgres, type RunningCluster } from '@palisade/pgcluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchPgbench, formatTable, median, parsePgbenchOutput, series } from '../src/index.ts';

const SAMPLE = `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 1
query mode: simple
number of clients: 2
number of threads: 2
maximum number of tries: 1
number of transactions per client: 50
number of transactions actually processed: 100/100
number of failed transactions: 0 (0.000%)
latency average = 3.456 ms
initial connection time = 4.321 ms
tps = 578.703704 (without initial connection time)
`;

describe('bench statistics', () => {
  it('reads TPS, latency and transaction counts from pgbench 15 output', () => {
    expect(parsePgbenchOutput(SAMPLE)).toEqual({ tps: 578.703704, latencyAvgMs: 3.456, transactions: 100, failedTransactions: 0 });
    expect(() => parsePgbenchOutput('garbage')).toThrow(/no tps/);
  });

  it('[BENCH3] medians of odd and even counts, with the spread', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(series([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9 });
    expect(() => median([])).toThrow();
  });

  it('[BENCH1] the table shows each median with its spread and the ratio to the baseline', () => {
    const table = formatTable('PostgreSQL 15.18', 'Palisade', [
      { metric: 'tps', baseline: series([100, 110, 90]), candidate: series([50, 55, 45]) },
    ]);
    expect(table.split('\n')[0]).toMatch(/^metric\s+PostgreSQL 15\.18 median \(min–max\)\s+Palisade median \(min–max\)\s+ratio$/);
    expect(table).toContain('100 (90–110)');
    expect(table).toContain('50.0 (45.0–55.0)');
    expect(table).toContain('0.50×');
  });
});

describe('pgbench against PostgreSQL 15', { timeout: 180_000 }, () => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    cluster = await startPostgres({ settings: { fsync: false } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('[BENCH2] runs pgbench on a pgcluster server and reports TPS, latency and RSS', async () => {
    const server = { name: 'pg', connectionString: () => cluster.connectionString(), rssBytes: () => cluster.rssBytes() };
    const result = await benchPgbench([server], { scale: 1, clients: 2, transactions: 20, runs: 1 });
    expect(result.servers).toEqual(['pg']);
    expect(result.runs[0]).toHaveLength(1);
    const run = result.runs[0]![0]!;
    expect(run.transactions).toBe(40);
    expect(run.failedTransactions).toBe(0);
    expect(run.tps).toBeGreaterThan(0);
    expect(run.rssMaxBytes).toBeGreaterThan(0);
    expect(result.rows.map((r) => r.metric)).toEqual(['tps', 'latency avg ms', 'rss max MiB']);
  });
});
