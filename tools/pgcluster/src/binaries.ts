// Locating the PostgreSQL 15 binaries and running them, as the `postgres` OS user when we are root.
// Entry points: postgresBinDir(), postgresVersion(), runAsPostgres(), postgresOsUser().

import { execFileSync, spawn, type SpawnOptions, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The PostgreSQL major version this harness targets. */
export const POSTGRES_MAJOR = 15;

const FALLBACK_BIN_DIRS = [`/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`, `/usr/pgsql-${POSTGRES_MAJOR}/bin`, '/usr/local/pgsql/bin'];
const RUNUSER_PATHS = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser'];

let cachedBinDir: string | undefined;
let cachedVersion: string | undefined;

function majorOf(binDir: string): number | undefined {
  const version = readVersion(binDir);
  if (version === undefined) return undefined;
  return Number.parseInt(version.split('.')[0] ?? '', 10);
}

function readVersion(binDir: string): string | undefined {
  try {
    const out = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    const match = /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(out);
    return match?.[1];
  } catch {
    return undefined;
  }
}

function hasServerBinaries(dir: string): boolean {
  return existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'));
}

/**
 * The directory holding PostgreSQL 15's `postgres` and `initdb`: `$PALISADE_PG_BINDIR` if set,
 * else `pg_config --bindir` when that is a PostgreSQL 15, else the usual package locations.
 * Throws when no PostgreSQL 15 is installed.
 */
export function postgresBinDir(): string {
  if (cachedBinDir !== undefined) return cachedBinDir;
  const candidates: string[] = [];
  const fromEnv = process.env['PALISADE_PG_BINDIR'];
  if (fromEnv) candidates.push(fromEnv);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config missing: fall through to the known locations.
  }
  candidates.push(...FALLBACK_BIN_DIRS);
  for (const dir of candidates) {
    if (dir && hasServerBinaries(dir) && majorOf(dir) === POSTGRES_MAJOR) {
      cachedBinDir = dir;
      return dir;
    }
  }
  throw new Error(`pgcluster: no PostgreSQL ${POSTGRES_MAJOR} server binaries found (looked in ${candidates.join(', ')}); set PALISADE_PG_BINDIR`);
}

/** The server version of the binaries in postgresBinDir(), e.g. `'15.18'`. */
export function postgresVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  const version = readVersion(postgresBinDir());
  if (version === undefined) throw new Error(`pgcluster: could not read the version of ${join(postgresBinDir(), 'postgres')}`);
  cachedVersion = version;
  return version;
}

/** The OS account PostgreSQL runs as when we are root; PostgreSQL refuses to run as root. */
export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

let cachedOsUser: OsUser | null | undefined;

/** The `postgres` OS user when this process is root (its servers must not run as root), else null. */
export function postgresOsUser(): OsUser | null {
  if (cachedOsUser !== undefined) return cachedOsUser;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    cachedOsUser = null;
    return null;
  }
  const name = process.env['PALISADE_PG_OS_USER'] ?? 'postgres';
  try {
    const uid = Number.parseInt(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim(), 10);
    const gid = Number.parseInt(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim(), 10);
    cachedOsUser = { name, uid, gid };
    return cachedOsUser;
  } catch {
    throw new Error(`pgcluster: running as root, but there is no OS user "${name}" to run PostgreSQL as (PostgreSQL refuses to run as root)`);
  }
}

function runuserPath(): string {
  const found = RUNUSER_PATHS.find((p) => existsSync(p));
  if (found === undefined) throw new Error('pgcluster: running as root but runuser(1) was not found');
  return found;
}

/** Environment for PostgreSQL programs: no PG* variables from the caller leak in (PGDATA, PGPORT, …). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG') && value !== undefined) env[key] = value;
  }
  env['LC_ALL'] = 'C.UTF-8';
  return env;
}

/** The argv that runs `program` from postgresBinDir() with `args`, through runuser when root. */
export function commandFor(program: string, args: readonly string[]): { file: string; args: string[] } {
  const path = join(postgresBinDir(), program);
  const osUser = postgresOsUser();
  if (osUser === null) return { file: path, args: [...args] };
  return { file: runuserPath(), args: ['-u', osUser.name, '--', path, ...args] };
}

/** Spawns a PostgreSQL program (as the postgres OS user when root). */
export function spawnPostgresProgram(program: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const cmd = commandFor(program, args);
  return spawn(cmd.file, cmd.args, { env: cleanEnv(), ...options });
}

/** Runs a PostgreSQL program to completion; rejects with its output when it fails. */
export function runPostgresProgram(program: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnPostgresProgram(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pgcluster: ${program} did not finish within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`pgcluster: ${program} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}
