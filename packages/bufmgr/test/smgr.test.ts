import { SimulatedFileSystem, type FileSystem } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { BLCKSZ } from '../src/page-constants.ts';
import { Page } from '../src/page.ts';
import { relationPath, segmentPath } from '../src/relfile.ts';
import { StorageManager } from '../src/smgr.ts';
import { ChecksumTransform } from '../src/transform.ts';
import { rel } from './helpers.ts';

const R = rel(16384);

async function setup(options: { segmentSizeBlocks?: number; openFileCountMax?: number } = {}) {
  const fs = new SimulatedFileSystem({ seed: 7 });
  await fs.mkdir('/data', { recursive: true });
  const syncs: string[] = [];
  // Count fsyncs by wrapping open().
  const counting: FileSystem = {
    open: async (path, opts) => {
      const h = await fs.open(path, opts);
      return {
        path: h.path,
        read: (...a) => h.read(...a), write: (...a) => h.write(...a), truncate: (n) => h.truncate(n),
        size: () => h.size(), close: () => h.close(),
        sync: async () => { syncs.push(path); await h.sync(); },
      };
    },
    readFile: (p) => fs.readFile(p), writeFileAtomic: (p, d, m) => fs.writeFileAtomic(p, d, m), stat: (p) => fs.stat(p),
    exists: (p) => fs.exists(p), mkdir: (p, o) => fs.mkdir(p, o), readdir: (p) => fs.readdir(p), unlink: (p) => fs.unlink(p),
    rename: (a, b) => fs.rename(a, b), rm: (p) => fs.rm(p), chmod: (p, m) => fs.chmod(p, m), syncDir: (p) => fs.syncDir(p),
  };
  const smgr = new StorageManager({
    fs: counting, dataDirectory: '/data', segmentSizeBlocks: options.segmentSizeBlocks ?? 4,
    openFileCountMax: options.openFileCountMax ?? 64, transform: new ChecksumTransform({ dataChecksums: true }),
  });
  return { fs, smgr, syncs };
}

function pageWith(stamp: number): Uint8Array {
  const page = new Page(new Uint8Array(BLCKSZ));
  page.init(0);
  page.addItem(new Uint8Array(16).fill(stamp));
  return page.bytes;
}

describe('storage manager', () => {
  it('names files base/<db>/<relfilenumber>[_fork][.segment] and global/<rel>', () => {
    expect(relationPath(R, 'main')).toBe('base/5/16384');
    expect(relationPath(R, 'fsm')).toBe('base/5/16384_fsm');
    expect(relationPath(R, 'vm')).toBe('base/5/16384_vm');
    expect(relationPath(R, 'init')).toBe('base/5/16384_init');
    expect(segmentPath(R, 'main', 2)).toBe('base/5/16384.2');
    expect(relationPath({ ...R, spcOid: 1664 as never }, 'main')).toBe('global/16384');
    expect(() => relationPath({ ...R, spcOid: 99999 as never })).toThrow(expect.objectContaining({ code: '0A000' }));
  });

  it('creates, extends across segments, reads back and counts blocks', async () => {
    const { fs, smgr } = await setup();
    await smgr.create(R, 'main');
    expect(await smgr.exists(R, 'main')).toBe(true);
    expect(await smgr.exists(R, 'fsm')).toBe(false);
    await expect(smgr.create(R, 'main')).rejects.toMatchObject({ code: '58P02' });
    await smgr.create(R, 'main', { isRedo: true });
    for (let b = 0; b < 10; b++) await smgr.extend(R, 'main', b, pageWith(b));
    expect(await smgr.nblocks(R, 'main')).toBe(10);
    expect((await fs.stat('/data/base/5/16384')).sizeBytes).toBe(4 * BLCKSZ);
    expect((await fs.stat('/data/base/5/16384.1')).sizeBytes).toBe(4 * BLCKSZ);
    expect((await fs.stat('/data/base/5/16384.2')).sizeBytes).toBe(2 * BLCKSZ);
    const into = new Uint8Array(BLCKSZ);
    for (let b = 0; b < 10; b++) {
      await smgr.read(R, 'main', b, into);
      expect(new Page(into).getItem(1)[0]).toBe(b);
    }
    await smgr.write(R, 'main', 6, pageWith(66));
    await smgr.read(R, 'main', 6, into);
    expect(new Page(into).getItem(1)[0]).toBe(66);
  });

  it('[W6] extension writes a zero page that reads back as valid', async () => {
    const { smgr } = await setup();
    await smgr.create(R, 'fsm');
    await smgr.extend(R, 'fsm', 0);
    const into = new Uint8Array(BLCKSZ).fill(9);
    await smgr.read(R, 'fsm', 0, into);
    expect(into.every((b) => b === 0)).toBe(true);
  });

  it('reading past the end is XX001 "could not read block"', async () => {
    const { smgr } = await setup();
    await smgr.create(R, 'main');
    await smgr.extend(R, 'main', 0);
    await expect(smgr.read(R, 'main', 1, new Uint8Array(BLCKSZ))).rejects.toMatchObject({
      code: 'XX001', message: 'could not read block 1 in file "base/5/16384": read only 0 of 8192 bytes',
    });
  });

  it('the transform runs on a copy: the caller’s page is not modified by the checksum', async () => {
    const { smgr } = await setup();
    await smgr.create(R, 'main');
    const bytes = pageWith(3);
    const copy = bytes.slice();
    await smgr.extend(R, 'main', 0, bytes);
    expect(Buffer.compare(bytes, copy)).toBe(0);
    const into = new Uint8Array(BLCKSZ);
    await smgr.read(R, 'main', 0, into);
    expect(new Page(into).checksum).not.toBe(0);
  });

  it('truncates across segments, keeping later segments as empty files', async () => {
    const { fs, smgr } = await setup();
    await smgr.create(R, 'main');
    for (let b = 0; b < 10; b++) await smgr.extend(R, 'main', b, pageWith(b));
    await smgr.truncate(R, 'main', 5);
    expect(await smgr.nblocks(R, 'main')).toBe(5);
    expect((await fs.stat('/data/base/5/16384.2')).sizeBytes).toBe(0);
    await smgr.truncate(R, 'main', 4);
    expect(await smgr.nblocks(R, 'main')).toBe(4);
    await expect(smgr.truncate(R, 'main', 7)).rejects.toMatchObject({ code: 'XX000' });
    await smgr.extend(R, 'main', 4, pageWith(44));
    expect(await smgr.nblocks(R, 'main')).toBe(5);
  });

  it('unlinks every segment of every fork and forgets their fsync requests', async () => {
    const { fs, smgr, syncs } = await setup();
    await smgr.create(R, 'main');
    await smgr.create(R, 'vm');
    for (let b = 0; b < 6; b++) await smgr.extend(R, 'main', b);
    await smgr.extend(R, 'vm', 0);
    await smgr.unlink(R);
    expect(await fs.readdir('/data/base/5')).toEqual([]);
    expect(smgr.pendingSyncCount).toBe(0);
    await smgr.syncAllPending();
    expect(syncs).toEqual([]);
  });

  it('keeps at most openFileCountMax files open', async () => {
    const { smgr } = await setup({ segmentSizeBlocks: 1, openFileCountMax: 3 });
    await smgr.create(R, 'main');
    for (let b = 0; b < 10; b++) await smgr.extend(R, 'main', b);
    expect(smgr.openFileCount).toBeLessThanOrEqual(3);
    const into = new Uint8Array(BLCKSZ);
    for (let b = 0; b < 10; b++) await smgr.read(R, 'main', b, into);
    expect(smgr.openFileCount).toBeLessThanOrEqual(3);
  });

  it('syncAllPending fsyncs every written segment exactly once, then nothing until written again', async () => {
    const { smgr, syncs } = await setup();
    await smgr.create(R, 'main');
    for (let b = 0; b < 10; b++) await smgr.extend(R, 'main', b);
    for (let b = 0; b < 10; b++) await smgr.write(R, 'main', b, pageWith(b));
    expect(smgr.pendingSyncCount).toBe(3);
    await smgr.syncAllPending();
    expect(syncs.sort()).toEqual(['/data/base/5/16384', '/data/base/5/16384.1', '/data/base/5/16384.2']);
    syncs.length = 0;
    await smgr.syncAllPending();
    expect(syncs).toEqual([]);
    await smgr.write(R, 'main', 5, pageWith(1));
    await smgr.syncAllPending();
    expect(syncs).toEqual(['/data/base/5/16384.1']);
  });

  it('a full fsync queue makes the writer sync the file itself', async () => {
    const fs = new SimulatedFileSystem({ seed: 1 });
    const smgr = new StorageManager({ fs, dataDirectory: '', segmentSizeBlocks: 1, pendingSyncCountMax: 2 });
    await smgr.create(R, 'main');
    for (let b = 0; b < 5; b++) await smgr.extend(R, 'main', b);
    expect(smgr.pendingSyncCount).toBe(2);
  });
});
