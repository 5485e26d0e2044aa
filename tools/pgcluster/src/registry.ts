// The set of clusters this process started, and the handlers that kill them when the process
// ends (PGC5): on 'exit', and on SIGINT/SIGTERM/SIGHUP when nobody else handles those signals.
// A per-cluster watchdog process (see cluster.ts) covers the case where we are SIGKILLed.

/** What the registry needs from a cluster: a synchronous, last-resort kill. */
export interface Killable {
  /** SIGKILL the server and its children by PID and remove its temp directory. Must not throw. */
  killNow(): void;
}

const live = new Set<Killable>();
const cleanups = new Set<() => void>();
let installed = false;

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAll(): void {
  for (const cluster of live) {
    try {
      cluster.killNow();
    } catch {
      // Exit path: keep going so that every cluster gets its kill.
    }
  }
  live.clear();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Exit path: best effort.
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // When another listener handles this signal (a CLI that stops its cluster gracefully, a test
  // runner), it decides how the process ends, and the 'exit' handler remains the backstop.
  if (process.listenerCount(signal) > 1) return;
  killAll();
  // We were the only listener: restore the default action and re-raise, so the process still
  // dies of the signal as it would have without us.
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** Tracks a started cluster until it is stopped. */
export function register(cluster: Killable): void {
  install();
  live.add(cluster);
}

/** Runs `cleanup` (synchronously) when the process ends, after every cluster has been killed. */
export function registerCleanup(cleanup: () => void): void {
  install();
  cleanups.add(cleanup);
}

/** Forgets a cluster that has been stopped (its processes are gone). */
export function unregister(cluster: Killable): void {
  live.delete(cluster);
}

/** How many clusters this process has running (for tests). */
export function liveClusterCount(): number {
  return live.size;
}
