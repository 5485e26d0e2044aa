// A throw-away PostgreSQL 15 server: initdb into a private temp directory, start on a free
// loopback port, stop/kill by PID, restart, measure RSS. Entry point: startPostgres().

import type { ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresOsUser, postgresVersion, spawnPostgresProgram, postgresBinDir } from './binaries.ts';
import { findFreePort } from './port.ts';
import { initdbInto } from './template.ts';
import { spawnWatchdog } from './watchdog.ts';
import { descendantsOf, isAlive, rssBytesOf, signalPid, waitForExit } from './proc.ts';
import { register, unregister, type Killable } from './registry.ts';

/** How a cluster is created. */
export interface ClusterOptions {
  /** postgresql.conf settings, e.g. `{ shared_buffers: '128MB', fsync: 'on' }`. */
  settings?: Record<string, string | number | boolean>;
  /** Full pg_hba.conf text; default: local/host trust for loopback only (PGC6). */
  hba?: string;
  /** Extra initdb options, e.g. `['--data-checksums', '--auth=scram-sha-256']`; they come after the defaults and win. */
  initdbArgs?: string[];
  /** Bootstrap superuser name; default `'postgres'`. */
  superuser?: string;
  /** If set, the superuser's password, given to initdb with --pwfile. */
  superuserPassword?: string;
  /** How long to wait for initdb and for the server to accept connections; default 120000 (initdb on a loaded 2-core machine can take a minute). */
  startTimeoutMs?: number;
  /**
   * Copy the data directory from this process's initdb template for the same initdb options
   * instead of running initdb again (PGC9); default true. Copies share the system identifier.
   */
  initdbCache?: boolean;
}

/** Options for RunningCluster.stop(). */
export interface StopOptions {
  /** PostgreSQL's shutdown modes: smart = SIGTERM, fast = SIGINT (default), immediate = SIGQUIT. */
  mode?: 'smart' | 'fast' | 'immediate';
  /** Keep the temp directory (data, log) instead of removing it. */
  keep?: boolean;
}

/** Who and where for RunningCluster.connectionString(). */
export interface ConnectionOptions {
  user?: string;
  database?: string;
  password?: string;
}

/** A server started by this harness. `kind` will also be `'palisade'` for Palisade's server. */
export interface RunningCluster {
  readonly kind: 'postgres';
  readonly host: string;
  readonly port: number;
  readonly socketDir: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly superuser: string;
  readonly version: string;
  /** `postgresql://user[:password]@127.0.0.1:port/database`; defaults to the superuser and database `postgres`. */
  connectionString(opts?: ConnectionOptions): string;
  /** Stops by PID (SIGKILL after a timeout), waits until the server and its children are gone, removes the temp directory unless `keep`. */
  stop(opts?: StopOptions): Promise<void>;
  /** SIGKILLs the postmaster and its children (a crash) and waits until they are gone; restart() then runs crash recovery. */
  kill(): Promise<void>;
  /** Starts the server again on the same data directory (after kill(), or stops it first if running). */
  restart(): Promise<void>;
  /** Resident set size in bytes of the postmaster and all its children, from /proc (shared memory is counted once per process that touched it). */
  rssBytes(): Promise<number>;
  /** The server's log (its stderr) since the cluster was created. */
  log(): Promise<string>;
}

const HOST = '127.0.0.1';
const DEFAULT_START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS: Record<NonNullable<StopOptions['mode']>, number> = { smart: 60_000, fast: 30_000, immediate: 10_000 };
const KILL_WAIT_MS = 10_000;
const PORT_ATTEMPTS_MAX = 8;
const READY_POLL_MS = 25;

/** Settings the harness owns (PGC1, PGC3); a caller may not override them. */
const MANAGED_SETTINGS = new Set(['listen_addresses', 'port', 'unix_socket_directories']);

const DEFAULT_HBA = [
  '# pgcluster: trust on the private Unix socket and on IPv4 loopback only',
  'local all all trust',
  'host  all all 127.0.0.1/32 trust',
  '',
].join('\n');

/** Renders a setting value in postgresql.conf syntax. */
export function formatSetting(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`pgcluster: setting value ${value} is not a finite number`);
    return String(value);
  }
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function renderSettings(settings: Record<string, string | number | boolean>): string {
  const lines = ['', '# pgcluster settings'];
  for (const [key, value] of Object.entries(settings)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) throw new Error(`pgcluster: invalid setting name ${JSON.stringify(key)}`);
    if (MANAGED_SETTINGS.has(key.toLowerCase())) throw new Error(`pgcluster: ${key} is managed by the harness and cannot be set`);
    lines.push(`${key} = ${formatSetting(value)}`);
  }
  return lines.join('\n') + '\n';
}

function hasAuthArg(args: readonly string[]): boolean {
  return args.some((a) => a === '-A' || a.startsWith('--auth') || (a.startsWith('-A') && a.length > 2));
}

/** Lines of postmaster.pid: 1 pid, 2 data dir, 3 start time, 4 port, 5 socket dir, 6 listen address, 7 shmem key, 8 status. */
function readPidFile(dataDir: string): string[] | undefined {
  try {
    return readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
}

function parentPid(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number.parseInt(text.slice(text.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
  } catch {
    return undefined;
  }
}

const BIND_FAILURE = /could not bind|Address already in use|could not create any TCP\/IP sockets|could not create lock file ".*\.s\.PGSQL/;

class PostgresCluster implements RunningCluster, Killable {
  readonly kind = 'postgres' as const;
  readonly host = HOST;
  readonly socketDir: string;
  readonly dataDir: string;
  readonly superuser: string;
  readonly version: string;
  port = 0;
  pid = 0;

  private readonly baseDir: string;
  private readonly logPath: string;
  private readonly password: string | undefined;
  private readonly startTimeoutMs: number;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private state: 'new' | 'running' | 'crashed' | 'stopped' | 'removed' = 'new';

  constructor(baseDir: string, superuser: string, password: string | undefined, startTimeoutMs: number) {
    this.baseDir = baseDir;
    this.dataDir = join(baseDir, 'data');
    this.socketDir = join(baseDir, 'socket');
    this.logPath = join(baseDir, 'postgres.log');
    this.superuser = superuser;
    this.password = password;
    this.startTimeoutMs = startTimeoutMs;
    this.version = postgresVersion();
  }

  connectionString(opts: ConnectionOptions = {}): string {
    const user = encodeURIComponent(opts.user ?? this.superuser);
    const password = opts.password ?? (opts.user === undefined || opts.user === this.superuser ? this.password : undefined);
    const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
    return `postgresql://${auth}@${HOST}:${this.port}/${encodeURIComponent(opts.database ?? 'postgres')}`;
  }

  /** Starts the postmaster, choosing a new free port when the bind fails (PGC2). */
  async start(): Promise<void> {
    if (this.state === 'running') throw new Error('pgcluster: cluster is already running');
    if (this.state === 'removed') throw new Error('pgcluster: cluster was stopped and its directory removed; it cannot be restarted');
    let lastLog = '';
    for (let attempt = 0; attempt < PORT_ATTEMPTS_MAX; attempt++) {
      const port = attempt === 0 && this.port !== 0 ? this.port : await findFreePort();
      const outcome = await this.spawnAndWait(port);
      if (outcome.ok) {
        this.port = port;
        this.pid = outcome.pid;
        this.state = 'running';
        register(this);
        this.startWatchdog();
        return;
      }
      lastLog = outcome.log;
      if (!outcome.bindFailure) break;
    }
    throw new Error(`pgcluster: PostgreSQL did not start (data directory ${this.dataDir}). Server log:\n${lastLog}`);
  }

  private async spawnAndWait(port: number): Promise<{ ok: true; pid: number } | { ok: false; bindFailure: boolean; log: string }> {
    const logOffset = existsSync(this.logPath) ? readFileSync(this.logPath).length : 0;
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawnPostgresProgram('postgres', [
        '-D', this.dataDir,
        '-c', `listen_addresses=${HOST}`,
        '-c', `port=${port}`,
        '-c', `unix_socket_directories=${this.socketDir}`,
      ], { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    // A forgotten cluster must not keep the test process alive; the exit handler kills it (PGC5).
    child.unref();
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) => {
      child.once('exit', () => { exited = true; resolve(); });
      child.once('error', () => { exited = true; resolve(); });
    });
    const deadline = Date.now() + this.startTimeoutMs;
    const newLog = (): string => {
      try {
        return readFileSync(this.logPath).subarray(logOffset).toString('utf8');
      } catch {
        return '';
      }
    };
    while (!exited) {
      const lines = readPidFile(this.dataDir);
      const pid = Number.parseInt(lines?.[0] ?? '', 10);
      // Accept only a pid file written by the postmaster we just started (directly, or under
      // runuser), never a stale one left behind by a killed server.
      if (lines && lines[7]?.trim() === 'ready' && Number.parseInt(lines[3] ?? '', 10) === port
          && (pid === child.pid || parentPid(pid) === child.pid) && isAlive(pid)) {
        this.child = child;
        return { ok: true, pid };
      }
      if (Date.now() > deadline) {
        const log = newLog();
        // Find our postmaster (and its children) before killing runuser, which orphans it.
        const ours = !Number.isNaN(pid) && (pid === child.pid || parentPid(pid) === child.pid) ? [pid, ...descendantsOf(pid)] : [];
        for (const p of ours) signalPid(p, 'SIGKILL');
        if (child.pid !== undefined) signalPid(child.pid, 'SIGKILL');
        await exitedPromise;
        await waitForExit(ours, KILL_WAIT_MS);
        throw new Error(`pgcluster: PostgreSQL was not ready within ${this.startTimeoutMs} ms. Server log:\n${log}`);
      }
      await sleep(READY_POLL_MS);
    }
    const log = newLog();
    return { ok: false, bindFailure: BIND_FAILURE.test(log), log };
  }

  /** Covers the case where this process is SIGKILLed and its exit handlers never run (PGC5). */
  private startWatchdog(): void {
    if (this.watchdog !== undefined && this.watchdog.exitCode === null && this.watchdog.signalCode === null) return;
    this.watchdog = spawnWatchdog(this.baseDir, this.dataDir);
  }

  private stopWatchdog(): void {
    const pid = this.watchdog?.pid;
    if (pid !== undefined && this.watchdog!.exitCode === null && this.watchdog!.signalCode === null) signalPid(pid, 'SIGKILL');
    this.watchdog = undefined;
  }

  private async waitForChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // runuser exits right after its child; don't wait forever if it somehow lingers.
      setTimeout(resolve, KILL_WAIT_MS).unref();
    });
  }

  async stop(opts: StopOptions = {}): Promise<void> {
    const mode = opts.mode ?? 'fast';
    if (this.state === 'running') {
      const pid = this.pid;
      const children = descendantsOf(pid);
      const signal: NodeJS.Signals = mode === 'smart' ? 'SIGTERM' : mode === 'fast' ? 'SIGINT' : 'SIGQUIT';
      signalPid(pid, signal);
      if (!(await waitForExit([pid], STOP_TIMEOUT_MS[mode]))) {
        signalPid(pid, 'SIGKILL');
        for (const c of children) signalPid(c, 'SIGKILL');
      }
      if (!(await waitForExit([pid, ...children], KILL_WAIT_MS))) {
        for (const c of [pid, ...children]) signalPid(c, 'SIGKILL');
        if (!(await waitForExit([pid, ...children], KILL_WAIT_MS))) {
          throw new Error(`pgcluster: postmaster ${pid} or its children did not exit`);
        }
      }
      await this.waitForChild();
      this.state = 'stopped';
    }
    if (this.state === 'removed') return;
    this.stopWatchdog();
    unregister(this);
    if (!opts.keep) {
      await rm(this.baseDir, { recursive: true, force: true });
      this.state = 'removed';
    }
  }

  async kill(): Promise<void> {
    if (this.state !== 'running') throw new Error(`pgcluster: cannot kill a cluster that is ${this.state}`);
    const pid = this.pid;
    const children = descendantsOf(pid);
    // Like a machine crash: nobody gets to write anything after the signal.
    signalPid(pid, 'SIGKILL');
    for (const c of children) signalPid(c, 'SIGKILL');
    if (!(await waitForExit([pid, ...children], KILL_WAIT_MS))) {
      throw new Error(`pgcluster: postmaster ${pid} or its children survived SIGKILL`);
    }
    await this.waitForChild();
    this.state = 'crashed';
  }

  async restart(): Promise<void> {
    if (this.state === 'running') await this.stop({ keep: true });
    await this.start();
  }

  async rssBytes(): Promise<number> {
    if (this.state !== 'running') return 0;
    const pids = [this.pid, ...descendantsOf(this.pid)];
    const sizes = await Promise.all(pids.map((p) => rssBytesOf(p)));
    return sizes.reduce((a, b) => a + b, 0);
  }

  async log(): Promise<string> {
    try {
      return await readFile(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  killNow(): void {
    if (this.state === 'running') {
      const children = descendantsOf(this.pid);
      signalPid(this.pid, 'SIGKILL');
      for (const c of children) signalPid(c, 'SIGKILL');
      this.state = 'crashed';
    }
    this.stopWatchdog();
    if (this.state !== 'removed') {
      rmSync(this.baseDir, { recursive: true, force: true });
      this.state = 'removed';
    }
  }

  /** initdb and configuration; the cluster is not started yet. */
  async init(options: ClusterOptions): Promise<void> {
    const osUser = postgresOsUser();
    mkdirSync(this.socketDir, { mode: 0o700 });
    if (osUser) {
      chownSync(this.baseDir, osUser.uid, osUser.gid);
      chownSync(this.socketDir, osUser.uid, osUser.gid);
    }
    const extra = options.initdbArgs ?? [];
    await initdbInto(this.dataDir, { superuser: this.superuser, password: this.password, extraArgs: extra }, this.baseDir, this.startTimeoutMs, options.initdbCache ?? true);

    // Appending keeps the files' owner (postgres) and mode (0600).
    if (options.hba !== undefined) writeFileSync(join(this.dataDir, 'pg_hba.conf'), options.hba);
    else if (!hasAuthArg(extra)) writeFileSync(join(this.dataDir, 'pg_hba.conf'), DEFAULT_HBA);
    appendFileSync(join(this.dataDir, 'postgresql.conf'), renderSettings(options.settings ?? {}));
    // The log file is created here, so that it belongs to the postgres OS user like the rest.
    writeFileSync(this.logPath, '');
    if (osUser) chownSync(this.logPath, osUser.uid, osUser.gid);
  }
}

/**
 * Creates and starts a throw-away PostgreSQL 15 server in a fresh temp directory, listening on
 * 127.0.0.1 only (PGC1). Stop it with `stop()`; if you don't, it is killed when this process exits.
 */
export async function startPostgres(options: ClusterOptions = {}): Promise<RunningCluster> {
  postgresBinDir(); // fail early and clearly when PostgreSQL 15 is missing
  // Validate settings before spending a second on initdb.
  renderSettings(options.settings ?? {});
  const baseDir = mkdtempSync(join(tmpdir(), 'pgcluster-'));
  const cluster = new PostgresCluster(
    baseDir,
    options.superuser ?? 'postgres',
    options.superuserPassword,
    options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  );
  try {
    await cluster.init(options);
    await cluster.start();
  } catch (err) {
    cluster.killNow();
    throw err;
  }
  return cluster;
}
