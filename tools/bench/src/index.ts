// @palisade/bench — whole-system benchmarks: pgbench side by side, medians and ratios.

export {
  type BenchServer, type PgbenchOptions, type PgbenchResult,
  initPgbench, runPgbench, parsePgbenchOutput,
} from './pgbench.ts';
export { median, series, formatTable, type Series, type ComparisonRow } from './stats.ts';
export { benchPgbench, type PgbenchBenchOptions, type PgbenchBenchResult } from './compare.ts';
