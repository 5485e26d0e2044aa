// initdb, once per distinct set of initdb options per process: the first cluster's initdb output
// is kept as a template and later clusters copy it (PGC9), which is ~10x cheaper than initdb.
// Entry point: initdbInto().

import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresOsUser, postgresVersion, runPostgresProgram } from './binaries.ts';
import { registerCleanup } from './registry.ts';
import { spawnWatchdog } from './watchdog.ts';

const execFileAsync = promisify(execFile);

/** What initdb is run with; equal specs give identical clusters. */
export interface InitdbSpec {
  readonly superuser: string;
  readonly password: string | undefined;
  readonly extraArgs: readonly string[];
}

const BASE_ARGS = ['--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions'];

const templates = new Map<string, Promise<string>>();
let templateRoot: string | undefined;
let templateCount = 0;

function root(): string {
  if (templateRoot === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'pgcluster-templates-'));
    const osUser = postgresOsUser();
    if (osUser) chownSync(dir, osUser.uid, osUser.gid);
    templateRoot = dir;
    // Removed with the clusters when the process ends.
    const watchdog = spawnWatchdog(dir, undefined);
    registerCleanup(() => {
      rmSync(dir, { recursive: true, force: true });
      if (watchdog.pid !== undefined && watchdog.exitCode === null) process.kill(watchdog.pid, 'SIGKILL');
    });
  }
  return templateRoot;
}

/** Runs initdb into `dataDir` (which must not exist). */
async function runInitdb(dataDir: string, spec: InitdbSpec, scratchDir: string, timeoutMs: number): Promise<void> {
  const args = ['-D', dataDir, '-U', spec.superuser, ...BASE_ARGS];
  let pwfile: string | undefined;
  if (spec.password !== undefined) {
    pwfile = join(scratchDir, `pwfile-${process.pid}-${++templateCount}`);
    writeFileSync(pwfile, spec.password + '\n', { mode: 0o600 });
    const osUser = postgresOsUser();
    if (osUser) chownSync(pwfile, osUser.uid, osUser.gid);
    args.push(`--pwfile=${pwfile}`);
  }
  args.push(...spec.extraArgs);
  try {
    await runPostgresProgram('initdb', args, timeoutMs);
  } finally {
    if (pwfile !== undefined) rmSync(pwfile, { force: true });
  }
}

/**
 * Creates the data directory `dataDir` as initdb would with `spec`: by copying this process's
 * template for `spec` (created by initdb on first use), or by running initdb when `cache` is false.
 * `scratchDir` is a directory the postgres OS user can read (for the password file).
 */
export async function initdbInto(dataDir: string, spec: InitdbSpec, scratchDir: string, timeoutMs: number, cache: boolean): Promise<void> {
  if (!cache) {
    await runInitdb(dataDir, spec, scratchDir, timeoutMs);
    return;
  }
  const key = JSON.stringify([postgresVersion(), spec.superuser, spec.password ?? null, spec.extraArgs]);
  let template = templates.get(key);
  if (template === undefined) {
    const dir = join(root(), `template-${++templateCount}`);
    template = runInitdb(dir, spec, root(), timeoutMs).then(() => dir);
    templates.set(key, template);
    // A failed initdb is not cached: the next caller tries again (and sees the error itself).
    template.catch(() => templates.delete(key));
  }
  const source = await template;
  // cp -a keeps modes (0700/0600) and, when we are root, the postgres owner.
  await execFileAsync('cp', ['-a', source, dataDir]);
}
