// Test helpers: compile the policies in test/policies with checkpolicy/secilc into a temp dir,
// build and drive the libsepol oracle (test/oracle/sepol-oracle.c), a seeded PRNG, and a
// FileSystem over node:fs for the providers.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_DIR = path.dirname(fileURLToPath(import.meta.url));
export const POLICY_DIR = path.join(TEST_DIR, 'policies');

let tempRoot: string | undefined;
/** A per-process temporary directory, removed at exit. */
export function tempDir(): string {
  if (tempRoot === undefined) {
    tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sepgsql-test-'));
    const root = tempRoot;
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  return tempRoot;
}

// Compiled policies and the oracle binary are shared between the test processes of one run (and
// later runs) through a cache directory keyed by the hash of their sources and flags; a file is
// written under a unique name and renamed into place, so concurrent builders never see a partial one.
const CACHE_DIR = path.join(os.tmpdir(), 'palisade-sepgsql-test-cache');

function cached(kind: string, inputs: readonly string[], build: (out: string) => void): string {
  const hash = createHash('sha256').update(inputs.join('\0')).digest('hex').slice(0, 24);
  const out = path.join(CACHE_DIR, `${kind}-${hash}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = path.join(tempDir(), `${kind}-${hash}.${process.pid}`);
  build(tmp);
  fs.renameSync(tmp, out);
  return out;
}

const toolVersions = new Map<string, string>();
/** The compiler's version, part of the cache key so that an upgraded tool recompiles. */
function toolVersion(tool: 'checkpolicy' | 'secilc'): string {
  let v = toolVersions.get(tool);
  if (v === undefined) {
    // secilc has no version flag; the checkpolicy package ships both from one libsepol release.
    v = execFileSync('checkpolicy', ['-V'], { encoding: 'utf8' }).trim() + `/${tool}`;
    toolVersions.set(tool, v);
  }
  return v;
}

/**
 * Compiles test/policies/<file> (policy.conf with checkpolicy -M, or .cil with secilc) at
 * `version`, after applying `edit` to the source; returns the binary policy's path.
 */
export function compilePolicy(file: string, options: { version?: number; edit?: (src: string) => string; tag?: string } = {}): string {
  const version = options.version ?? 33;
  let src = fs.readFileSync(path.join(POLICY_DIR, file), 'utf8');
  if (options.edit) src = options.edit(src);
  const isCil = file.endsWith('.cil');
  return cached('policy', [file, String(version), src, toolVersion(isCil ? 'secilc' : 'checkpolicy')], (out) => {
    const srcPath = `${out}${path.extname(file)}`;
    fs.writeFileSync(srcPath, src);
    if (isCil) execFileSync('secilc', ['-c', String(version), '-o', out, '-f', '/dev/null', srcPath], { stdio: 'pipe' });
    else execFileSync('checkpolicy', ['-M', '-c', String(version), '-o', out, srcPath], { stdio: 'pipe' });
  });
}

/** Builds the libsepol oracle (gcc, libsepol-dev's static library) once per source version. */
export function buildOracle(): string {
  const source = path.join(TEST_DIR, 'oracle', 'sepol-oracle.c');
  return cached('oracle', [fs.readFileSync(source, 'utf8')], (out) => {
    execFileSync('gcc', ['-O1', '-o', out, source, '-l:libsepol.a'], { stdio: 'pipe' });
  });
}

/** Runs the oracle over `queries` (one per line) and returns one answer line per query. */
export function askOracle(policyPath: string, queries: readonly string[]): string[] {
  const res = spawnSync(buildOracle(), [policyPath], { input: queries.join('\n') + '\n', maxBuffer: 1 << 28, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`oracle failed: ${res.stderr}`);
  const lines = res.stdout.split('\n');
  lines.pop();
  if (lines.length !== queries.length) throw new Error(`oracle answered ${lines.length} of ${queries.length} queries`);
  return lines;
}

/** mulberry32: a small seeded PRNG so that generated queries are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}
