// Torn data pages: a bucket page changed after a checkpoint is written (not synced) and the
// power fails mid-write, leaving the first N bytes new and the rest old, for many N. Recovery
// must restore the page from the full-page image the first change after the checkpoint logged
// (W3) and redo what followed, never reading the torn page (its checksum would fail, BUF8).
// The control: with full_page_writes off the same tear is detected as corrupt, not used.

import { SimulatedFileSystem } from '@palisade/common';
import { BLCKSZ } from '@palisade/bufmgr';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSim, valueFor } from './support/open.ts';

const RELATION_FILE = '/pgdata/base/5/16384';
const BLOCK = 1;

async function readBlock(fs: SimulatedFileSystem, block: number): Promise<Uint8Array> {
  const handle = await fs.open(RELATION_FILE, { readOnly: true });
  const bytes = new Uint8Array(BLCKSZ);
  await handle.read(bytes, 0, BLCKSZ, block * BLCKSZ);
  await handle.close();
  return bytes;
}

async function writeBlock(fs: SimulatedFileSystem, block: number, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(RELATION_FILE);
  await handle.write(bytes, 0, BLCKSZ, block * BLCKSZ);
  await handle.sync();
  await handle.close();
}

interface Scenario { disk: SimulatedFileSystem; oldPage: Uint8Array; newPage: Uint8Array; expected: Map<string, string> }

/** The disk after the crash, with both versions of block 1 known. */
async function scenario(fullPageWrites: boolean): Promise<Scenario> {
  const fs = new SimulatedFileSystem({ seed: 7 });
  const store = await openSim(fs, { bucketCount: 1 });
  const expected = new Map<string, string>();
  for (const key of ['a', 'b', 'c', 'd', 'e']) {
    expected.set(key, valueFor(key, 0, 700));
    await store.put(key, expected.get(key)!);
  }
  await store.checkpoint();
  const oldPage = await readBlock(fs, BLOCK);
  store.wal.fullPageWrites = fullPageWrites;
  await store.commit([{ key: 'a', value: valueFor('a', 1, 1500) }, { key: 'b' }, { key: 'f', value: valueFor('f', 1, 300) }]);
  await store.put('c', valueFor('c', 2, 50));
  expected.set('a', valueFor('a', 1, 1500));
  expected.delete('b');
  expected.set('f', valueFor('f', 1, 300));
  expected.set('c', valueFor('c', 2, 50));
  await store.writeDirtyPages();
  const disk = fs.crash({ seed: 1, keepProbability: 1 });
  const newPage = await readBlock(disk, BLOCK);
  return { disk, oldPage, newPage, expected };
}

function tear(s: Scenario, offsetBytes: number): Uint8Array {
  const torn = s.oldPage.slice();
  torn.set(s.newPage.subarray(0, offsetBytes));
  return torn;
}

describe('torn data page', () => {
  let withImages: Scenario;
  beforeAll(async () => {
    withImages = await scenario(true);
  });

  const offsets = [1, 2, 8, 12, 16, 23, 24, 25, 100, 511, 512, 513];
  for (let off = 640; off < BLCKSZ; off += 256) offsets.push(off);
  offsets.push(BLCKSZ - 8, BLCKSZ - 1);

  it(`[W3][KV6] a page torn at each of ${offsets.length} offsets is restored from its full-page image and redone`, async () => {
    expect(withImages.oldPage).not.toEqual(withImages.newPage);
    let tornCount = 0;
    for (const off of offsets) {
      const disk = withImages.disk.clone();
      const torn = tear(withImages, off);
      if (!torn.every((b, i) => b === withImages.newPage[i]) && !torn.every((b, i) => b === withImages.oldPage[i])) tornCount++;
      await writeBlock(disk, BLOCK, torn);
      const store = await openSim(disk, { bucketCount: 1 });
      expect(store.recovery.kind).toBe('crash');
      expect(store.stats.redoBlocksRestored, `offset ${off}`).toBeGreaterThan(0);
      const entries = await store.entries();
      expect(new Map([...entries].map(([k, v]) => [k, new TextDecoder().decode(v)])), `offset ${off}`).toEqual(withImages.expected);
      await store.verifyAllPages();
      expect(store.transform.checksumFailureCount).toBe(0);
      await store.close();
    }
    expect(tornCount).toBeGreaterThan(offsets.length / 2);
  });

  it('[W3][BUF8] control: without full-page images the same tear is detected by the checksum, never used', async () => {
    const s = await scenario(false);
    const torn = tear(s, 4096);
    expect(torn).not.toEqual(s.newPage);
    expect(torn).not.toEqual(s.oldPage);
    await writeBlock(s.disk, BLOCK, torn);
    await expect(openSim(s.disk, { bucketCount: 1 })).rejects.toMatchObject({ code: 'XX001' });
  });
});
