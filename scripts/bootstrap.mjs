#!/usr/bin/env node
// The two README commands: `npm start` and `npm test`.
// A fresh machine has only Node 20 and npm: this fetches the pinned pnpm into .tools/ (nothing
// global), installs the workspace from the lockfile, installs the system packages the tests need
// (apt-get, when root), builds, and then runs the server or every test.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2];
const rest = process.argv.slice(3);
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
function must(cmd, args, options) {
  const status = run(cmd, args, options);
  if (status !== 0) {
    console.error(`bootstrap: '${cmd} ${args.join(' ')}' failed with exit status ${status}`);
    process.exit(status);
  }
}

function ensurePnpm() {
  const local = join(root, '.tools', 'pnpm', 'node_modules', '.bin', 'pnpm');
  if (existsSync(local)) {
    const v = spawnSync(local, ['--version'], { encoding: 'utf8' });
    if (v.stdout?.trim() === pnpmVersion) return local;
  }
  console.log(`bootstrap: installing pnpm ${pnpmVersion} into .tools/pnpm`);
  must('npm', ['install', '--prefix', join(root, '.tools', 'pnpm'), '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `pnpm@${pnpmVersion}`]);
  return local;
}

/** Debian packages the test suite uses, beyond Node and PostgreSQL 15. */
function ensureSystemPackages() {
  const listFile = join(root, 'scripts', 'system-packages.txt');
  if (!existsSync(listFile)) return;
  const wanted = readFileSync(listFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  const missing = wanted.filter((name) => spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length === 0) return;
  if (process.getuid?.() === 0) {
    console.log(`bootstrap: apt-get install ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    must('apt-get', ['update', '-qq'], { env });
    must('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  } else {
    console.log(`bootstrap: the tests need these Debian packages; install them as root: apt-get install ${missing.join(' ')}`);
    console.log('bootstrap: tests that need a missing package will fail until then.');
  }
}

const pnpm = ensurePnpm();
// Package scripts run by nx call `pnpm`: put the pinned one first on PATH.
process.env.PATH = `${dirname(pnpm)}:${process.env.PATH ?? ''}`;
const lockfile = existsSync(join(root, 'pnpm-lock.yaml'));
must(pnpm, ['install', lockfile && process.env.CI ? '--frozen-lockfile' : '--prefer-offline', '--reporter=append-only']);

if (mode === 'test') {
  ensureSystemPackages();
  must(pnpm, ['exec', 'nx', 'run-many', '-t', 'build', '--outputStyle=static']);
  const status = run(pnpm, ['exec', 'vitest', 'run', '--reporter=default', '--reporter=./scripts/summary-reporter.mjs', ...rest]);
  process.exit(status);
} else if (mode === 'start') {
  must(pnpm, ['exec', 'nx', 'run-many', '-t', 'build', '--outputStyle=static']);
  const cli = join(root, 'packages', 'server', 'dist', 'cli.js');
  if (existsSync(cli)) {
    process.exit(run(process.execPath, [cli, 'start', ...rest]));
  }
  console.log(
    [
      'Palisade: the reference server cannot run yet: @palisade/server has its postmaster and client',
      'authentication, but the SQL engine is not wired to storage and the `palisade` command line does not exist.',
      'When it is, this command will:',
      '  1. create ./data on first run (initdb with a generated superuser password, data checksums on),',
      '  2. start the server on 127.0.0.1:5432 with ./data as its data directory,',
      '  3. print a ready-to-paste psql connection string.',
      'Until then, `npm test` runs the test suite of the packages that exist.',
    ].join('\n'),
  );
} else {
  console.error('usage: node scripts/bootstrap.mjs start|test [args…]');
  process.exit(2);
}
