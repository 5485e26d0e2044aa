// @palisade/pgcluster — throw-away PostgreSQL 15 servers on loopback for tests and benchmarks.

export {
  type ClusterOptions, type RunningCluster, type StopOptions, type ConnectionOptions,
  startPostgres, formatSetting,
} from './cluster.ts';
export { findFreePort } from './port.ts';
export { postgresBinDir, postgresVersion, POSTGRES_MAJOR } from './binaries.ts';
export { liveClusterCount } from './registry.ts';
