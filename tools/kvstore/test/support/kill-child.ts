// The child process of the kill -9 test (bundled with esbuild, run with plain node):
// opens the store on real files, checks what recovery left, then commits batch after batch,
// printing "ACK <n>" once batch n is durable, until it is killed.
//
// Batch n: put k<n>a and k<n>b (values of varying size), overwrite "last" with n, delete
// k<n-3>b. So after any crash, for the N batches present: every k<m>a (m < N) holds its
// value, k<m>b exists exactly for N-3 ≤ m < N, "last" is N-1, and nothing of batch N exists.

import { NodeFileSystem } from '@palisade/common';
import { KvStore } from '../../src/index.ts';
import { valueFor } from './open.ts';

/** Checks the invariant above; returns N or throws. */
export function checkBatches(entries: Map<string, Uint8Array>): number {
  const decoder = new TextDecoder();
  const last = entries.get('last');
  const n = last === undefined ? 0 : Number(decoder.decode(last)) + 1;
  for (let m = 0; m < n; m++) {
    const a = entries.get(`k${m}a`);
    if (a === undefined || decoder.decode(a) !== valueFor(`k${m}a`, m, sizeOf(m))) throw new Error(`batch ${m} of ${n}: k${m}a wrong`);
    const b = entries.get(`k${m}b`);
    if ((b !== undefined) !== (m >= n - 3)) throw new Error(`batch ${m} of ${n}: k${m}b ${b === undefined ? 'missing' : 'present'}`);
  }
  const expectedCount = n + Math.min(n, 3) + (n > 0 ? 1 : 0);
  if (entries.size !== expectedCount) throw new Error(`${entries.size} keys for ${n} batches, expected ${expectedCount}`);
  return n;
}

export function sizeOf(n: number): number {
  return 20 + ((n * 7919) % 3000);
}

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: kill-child <dataDir>');
  const store = await KvStore.open({ fs: new NodeFileSystem(), dataDir, segSizeBytes: 1024 * 1024, bufferCount: 64, bucketCount: 8 });
  let n = checkBatches(await store.entries());
  process.stdout.write(`READY ${n}\n`);
  for (;; n++) {
    const ops = [
      { key: `k${n}a`, value: valueFor(`k${n}a`, n, sizeOf(n)) },
      { key: `k${n}b`, value: valueFor(`k${n}b`, n, 40) },
      { key: 'last', value: String(n) },
      ...(n >= 3 ? [{ key: `k${n - 3}b` }] : []),
    ];
    await store.commit(ops);
    process.stdout.write(`ACK ${n}\n`);
    if (n % 25 === 24) await store.checkpoint();
  }
}

if (process.argv[1]?.endsWith('kill-child.mjs')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
