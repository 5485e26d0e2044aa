// A detached shell that outlives this process only to clean up after it (PGC5): when this
// process dies without running its exit handlers (SIGKILL), the watchdog SIGKILLs the
// postmaster recorded in `dataDir/postmaster.pid` (if any) and removes `dir`.
// Entry point: spawnWatchdog().

import { spawn, type ChildProcess } from 'node:child_process';

const SCRIPT = [
  'parent=$1; dir=$2; data=$3',
  'while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done',
  '[ -d "$dir" ] || exit 0',
  'if [ -n "$data" ]; then',
  '  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)',
  '  if [ -n "$pid" ] && grep -q postgres "/proc/$pid/comm" 2>/dev/null; then',
  '    pkill -9 -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; sleep 1',
  '  fi',
  'fi',
  'rm -rf "$dir"',
].join('\n');

/**
 * Starts a watchdog for `dir` (removed when this process dies) and, if given, the server whose
 * data directory is `dataDir`. Kill the returned process (by PID) once the cleanup is done normally.
 */
export function spawnWatchdog(dir: string, dataDir: string | undefined): ChildProcess {
  const watchdog = spawn('/bin/sh', ['-c', SCRIPT, 'pgcluster-watchdog', String(process.pid), dir, dataDir ?? ''], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return watchdog;
}
