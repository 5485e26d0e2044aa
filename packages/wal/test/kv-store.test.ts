// The standalone example, run as a child process and killed with SIGKILL at random moments:
// after every restart each acknowledged commit is present and no commit is half-applied.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStore } from '../examples/kv-store.ts';

const example = fileURLToPath(new URL('../examples/kv-store.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'palisade-kv-'));
const bundle = join(root, 'kv-store.mjs');
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Starting a TypeScript loader costs seconds per process; the example is bundled once with esbuild
// and each of the 50 children is a plain `node kv-store.mjs`.
beforeAll(async () => {
  await build({ entryPoints: [example], bundle: true, platform: 'node', format: 'esm', conditions: ['@palisade/source'], outfile: bundle, logLevel: 'error' });
}, 60_000);

/** Runs the example until it has printed READY and then for `runMs` more, then SIGKILLs it; returns the acknowledged batch numbers. */
function runAndKill(dir: string, runMs: number): Promise<{ acked: number[]; ready: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, dir], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let ready = -1;
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ACK ')) acked.push(Number(line.slice(4)));
        else if (line.startsWith('READY ')) {
          ready = Number(line.slice(6));
          setTimeout(() => child.kill('SIGKILL'), runMs);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}/${signal}: ${stderr}`));
      else resolve({ acked, ready });
    });
  });
}

describe('kv-store example', () => {
  it('[W21] survives 50 SIGKILLs: every acknowledged commit is present, none is half-applied', async () => {
    const dir = join(root, 'kv');
    let acked = -1;
    let kills = 0;
    for (let round = 0; round < 50; round++) {
      const result = await runAndKill(dir, Math.floor(Math.random() * 120));
      kills += 1;
      // What the restarted process found is at least what was acknowledged before the kill.
      if (round > 0) expect(result.ready).toBeGreaterThanOrEqual(acked + 1);
      if (result.acked.length > 0) acked = Math.max(acked, ...result.acked);
    }
    const store = await KvStore.open(dir);
    const batches = store.size / 2;
    expect(Number.isInteger(batches)).toBe(true);
    expect(batches).toBeGreaterThanOrEqual(acked + 1);
    for (let n = 0; n < batches; n++) {
      expect(store.get(`k${n}a`)).toBe(`v${n}`);
      expect(store.get(`k${n}b`)).toBe(`v${n}`);
    }
    expect(store.get(`k${batches}a`)).toBeUndefined();
    expect(kills).toBe(50);
    expect(acked).toBeGreaterThan(0);
    await store.close();
  }, 120_000);

  it('reopens cleanly after close with every commit', async () => {
    const dir = join(root, 'clean');
    const a = await KvStore.open(dir);
    for (let i = 0; i < 100; i++) await a.commit([[`k${i}`, `v${i}`]]);
    await a.close();
    const b = await KvStore.open(dir);
    expect(b.size).toBe(100);
    expect(b.get('k99')).toBe('v99');
    await b.close();
  });
});
