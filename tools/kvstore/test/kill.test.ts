// kill -9: a child process commits batches on real files (NodeFileSystem) and prints each
// acknowledged commit; the parent SIGKILLs it at random moments, restarts it, and checks
// that every acknowledged batch is present and no batch is half-applied.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from '@palisade/common';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStore } from '../src/index.ts';
import { checkBatches } from './support/kill-child.ts';

const KILLS = 50;
const child = fileURLToPath(new URL('./support/kill-child.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'palisade-kvstore-'));
const bundle = join(root, 'kill-child.mjs');
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A TypeScript loader costs seconds per process: the child is bundled once and each run is plain `node`.
beforeAll(async () => {
  await build({ entryPoints: [child], bundle: true, platform: 'node', format: 'esm', conditions: ['@palisade/source'], outfile: bundle, logLevel: 'error' });
}, 60_000);

/** Runs the child until READY and then `runMs` more, SIGKILLs it; returns what it printed. */
function runAndKill(dataDir: string, runMs: number): Promise<{ acked: number[]; ready: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bundle, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let ready = -1;
    let buffered = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('ACK ')) acked.push(Number(line.slice(4)));
        else if (line.startsWith('READY ')) {
          ready = Number(line.slice(6));
          setTimeout(() => proc.kill('SIGKILL'), runMs);
        }
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}/${signal}: ${stderr}`));
      else resolve({ acked, ready });
    });
  });
}

describe('kill -9', () => {
  it(`[W21][KV7] survives ${KILLS} SIGKILLs on real files: every acknowledged commit is present, none half-applied`, async () => {
    const dataDir = join(root, 'data');
    let ackedMax = -1;
    let kills = 0;
    for (let round = 0; round < KILLS; round++) {
      const { acked, ready } = await runAndKill(dataDir, Math.floor(Math.random() * 100));
      kills++;
      // The restarted child checked the invariant before printing READY; it found every acknowledged batch.
      expect(ready).toBeGreaterThanOrEqual(ackedMax + 1);
      if (acked.length > 0) ackedMax = Math.max(ackedMax, ...acked);
    }
    const store = await KvStore.open({ fs: new NodeFileSystem(), dataDir, bucketCount: 8 });
    const batches = checkBatches(await store.entries());
    expect(batches).toBeGreaterThanOrEqual(ackedMax + 1);
    await store.verifyAllPages();
    expect(store.transform.checksumFailureCount).toBe(0);
    await store.close();
    expect(kills).toBe(KILLS);
    expect(ackedMax).toBeGreaterThan(KILLS);
  }, 120_000);
});
