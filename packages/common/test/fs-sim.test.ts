import { describe, expect, it } from 'vitest';
import { SimulatedFileSystem, type FileSystem } from '../src/index.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

async function put(fs: FileSystem, path: string, text: string, position = 0): Promise<void> {
  const h = await fs.open(path, { create: true });
  await h.write(enc.encode(text), 0, text.length, position);
  await h.close();
}

describe('SimulatedFileSystem: POSIX semantics', () => {
  it('[SIM2] writes, reads, extends with zeros, truncates', async () => {
    const fs = new SimulatedFileSystem();
    const h = await fs.open('/f', { create: true });
    await h.write(enc.encode('xxhello'), 2, 5, 0);
    await h.write(enc.encode('!'), 0, 1, 8);
    expect(await h.size()).toBe(9);
    const buf = new Uint8Array(16).fill(7);
    expect(await h.read(buf, 1, 16 - 1, 0)).toBe(9);
    expect(Array.from(buf.subarray(0, 11))).toEqual([7, 104, 101, 108, 108, 111, 0, 0, 0, 33, 7]);
    expect(await h.read(buf, 0, 4, 9)).toBe(0);
    await h.truncate(2);
    expect(await h.size()).toBe(2);
    await h.truncate(4); // growing again shows zeros, not the old bytes
    expect(Array.from(await fs.readFile('/f'))).toEqual([104, 101, 0, 0]);
    await h.close();
  });

  it('[SIM1] normalizes paths with POSIX rules; relative paths resolve against /', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('a/b', { recursive: true });
    await put(fs, 'a/./b/../b//c/', 'x');
    expect(dec.decode(await fs.readFile('/a/b/c'))).toBe('x');
    const h = await fs.open('a/b/c');
    expect(h.path).toBe('/a/b/c');
    await h.close();
    expect(await fs.readdir('/')).toEqual(['a']);
  });

  it('[FS6][FS7] readdir is sorted; stat reports size, kind and mode bits; chmod changes them', async () => {
    const fs = new SimulatedFileSystem();
    for (const n of ['b', 'C', 'a', '10', '9']) await put(fs, `/${n}`, n);
    await fs.mkdir('/d');
    await fs.mkdir('/e', { mode: 0o755 });
    const h = await fs.open('/g', { create: true, mode: 0o644 });
    await h.close();
    expect(await fs.readdir('/')).toEqual(['10', '9', 'C', 'a', 'b', 'd', 'e', 'g']);
    expect(await fs.stat('/a')).toEqual({ sizeBytes: 1, isFile: true, isDirectory: false, mode: 0o600 });
    expect(await fs.stat('/d')).toMatchObject({ isFile: false, isDirectory: true, mode: 0o700 });
    expect((await fs.stat('/e')).mode).toBe(0o755);
    expect((await fs.stat('/g')).mode).toBe(0o644);
    await fs.chmod('/a', 0o100640);
    expect((await fs.stat('/a')).mode).toBe(0o640);
  });

  it('[FS7][SIM1] reports the errors Linux reports', async () => {
    const fs = new SimulatedFileSystem();
    await put(fs, '/f', 'data');
    await fs.mkdir('/d');
    await put(fs, '/d/x', '1');
    expect(await codeOf(fs.open('/missing'))).toBe('ENOENT');
    expect(await codeOf(fs.open('/nodir/x', { create: true }))).toBe('ENOENT');
    expect(await codeOf(fs.open('/f/x', { create: true }))).toBe('ENOTDIR');
    expect(await codeOf(fs.open('/f', { create: true, exclusive: true }))).toBe('EEXIST');
    expect(await codeOf(fs.open('/d'))).toBe('EISDIR');
    expect(await codeOf(fs.readFile('/d'))).toBe('EISDIR');
    expect(await codeOf(fs.mkdir('/d'))).toBe('EEXIST');
    expect(await codeOf(fs.mkdir('/f', { recursive: true }))).toBe('EEXIST');
    expect(await codeOf(fs.mkdir('/f/sub', { recursive: true }))).toBe('ENOTDIR');
    expect(await codeOf(fs.mkdir('/a/b'))).toBe('ENOENT');
    expect(await codeOf(fs.readdir('/f'))).toBe('ENOTDIR');
    expect(await codeOf(fs.unlink('/d'))).toBe('EISDIR');
    expect(await codeOf(fs.unlink('/nothing'))).toBe('ENOENT');
    expect(await codeOf(fs.rename('/nothing', '/x'))).toBe('ENOENT');
    expect(await codeOf(fs.rename('/f', '/d'))).toBe('EISDIR');
    await fs.mkdir('/e');
    expect(await codeOf(fs.rename('/e', '/f'))).toBe('ENOTDIR');
    expect(await codeOf(fs.rename('/e', '/d'))).toBe('ENOTEMPTY');
    expect(await codeOf(fs.rename('/d', '/d/sub'))).toBe('EINVAL');
    expect(await codeOf(fs.syncDir('/f'))).toBe('ENOTDIR');
    expect(await codeOf(fs.stat('/f/x'))).toBe('ENOTDIR');
    expect(await codeOf(fs.chmod('/nothing', 0o600))).toBe('ENOENT');
    expect(await codeOf(fs.open(`/${'n'.repeat(256)}`, { create: true }))).toBe('ENAMETOOLONG');
    const ro = await fs.open('/f', { readOnly: true });
    expect(await codeOf(ro.write(new Uint8Array(1), 0, 1, 0))).toBe('EBADF');
    expect(await codeOf(ro.truncate(0))).toBe('EBADF');
    await ro.close();
    expect(await codeOf(ro.read(new Uint8Array(1), 0, 1, 0))).toBe('EBADF');
    expect(await codeOf(ro.close())).toBe('EBADF');
  });

  it('[FS7] rename replaces a file or an empty directory; handles follow the inode', async () => {
    const fs = new SimulatedFileSystem();
    await put(fs, '/a', 'A');
    await put(fs, '/b', 'B');
    const h = await fs.open('/a');
    await fs.rename('/a', '/b');
    expect(await fs.readdir('/')).toEqual(['b']);
    expect(dec.decode(await fs.readFile('/b'))).toBe('A');
    await fs.unlink('/b');
    // An open handle keeps working on an unlinked file, as in POSIX.
    await h.write(enc.encode('Z'), 0, 1, 1);
    const buf = new Uint8Array(2);
    expect(await h.read(buf, 0, 2, 0)).toBe(2);
    expect(dec.decode(buf)).toBe('AZ');
    await h.close();
    await fs.mkdir('/d1');
    await fs.mkdir('/d2');
    await fs.rename('/d1', '/d2');
    expect(await fs.readdir('/')).toEqual(['d2']);
    await fs.rename('/d2', '/d2'); // same path: nothing happens
    expect(await fs.exists('/d2')).toBe(true);
  });

  it('[FS7] rm removes trees and files and ignores absent paths; exists is false under a file', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/t/u/v', { recursive: true });
    await put(fs, '/t/u/v/w', 'w');
    await fs.rm('/t');
    await fs.rm('/t');
    await fs.rm('/no/such/thing');
    expect(await fs.readdir('/')).toEqual([]);
    await put(fs, '/f', 'f');
    expect(await fs.exists('/f/child')).toBe(false);
    await fs.rm('/f');
    expect(await fs.exists('/f')).toBe(false);
  });

  it('[FS5] writeFileAtomic replaces content and mode; refuses a directory target', async () => {
    const fs = new SimulatedFileSystem();
    await fs.writeFileAtomic('/ctl', enc.encode('one'));
    await fs.writeFileAtomic('/ctl', enc.encode('two!'), 0o640);
    expect(dec.decode(await fs.readFile('/ctl'))).toBe('two!');
    expect(await fs.stat('/ctl')).toMatchObject({ sizeBytes: 4, mode: 0o640 });
    expect(await fs.readdir('/')).toEqual(['ctl']);
    await fs.mkdir('/d');
    expect(await codeOf(fs.writeFileAtomic('/d', enc.encode('x')))).toBe('EISDIR');
    expect(await codeOf(fs.writeFileAtomic('/none/ctl', enc.encode('x')))).toBe('ENOENT');
  });

  it('[SIM8] refuses files beyond fileSizeBytesMax with EFBIG', async () => {
    const fs = new SimulatedFileSystem({ fileSizeBytesMax: 1024 });
    const h = await fs.open('/big', { create: true });
    await h.write(new Uint8Array(24), 0, 24, 1000);
    expect(await codeOf(h.write(new Uint8Array(2), 0, 2, 1023))).toBe('EFBIG');
    expect(await codeOf(h.truncate(1025))).toBe('EFBIG');
    expect(await h.size()).toBe(1024);
    await h.close();
  });

  it('[SIM4] counts stored bytes and clones deeply, unsynced state included', async () => {
    const fs = new SimulatedFileSystem();
    await put(fs, '/a', 'abc');
    await fs.mkdir('/d');
    await put(fs, '/d/b', 'de');
    expect(fs.storedBytes).toBe(5);
    const copy = fs.clone();
    expect(copy.operationCount).toBe(0);
    await put(fs, '/a', 'X');
    expect(dec.decode(await copy.readFile('/a'))).toBe('abc');
    expect(dec.decode(await fs.readFile('/a'))).toBe('Xbc');
    // The clone holds the same unsynced state: the same crash seed gives the same disk.
    const twin = copy.clone();
    const [x, y] = [copy.crash({ seed: 11 }), twin.crash({ seed: 11 })];
    expect(await x.readdir('/')).toEqual(await y.readdir('/'));
  });

  it('[SIM7] counts every operation, handle operations and failed ones included', async () => {
    const fs = new SimulatedFileSystem();
    expect(fs.operationCount).toBe(0);
    const h = await fs.open('/f', { create: true }); // 1
    await h.write(new Uint8Array(1), 0, 1, 0); // 2
    await h.sync(); // 3
    await h.size(); // 4
    await h.close(); // 5
    await codeOf(fs.stat('/none')); // 6
    await fs.exists('/f'); // 7
    expect(fs.operationCount).toBe(7);
  });

  it('[SIM8] replaced files do not accumulate: 500 atomic rewrites keep one file and its content', async () => {
    const fs = new SimulatedFileSystem();
    const h = await fs.open('/held-open', { create: true });
    await fs.unlink('/held-open'); // unlinked but open: must survive garbage collection
    for (let i = 0; i < 500; i++) await fs.writeFileAtomic('/ctl', enc.encode(`version ${i}`));
    await h.write(enc.encode('still here'), 0, 10, 0);
    const buf = new Uint8Array(10);
    expect(await h.read(buf, 0, 10, 0)).toBe(10);
    expect(dec.decode(buf)).toBe('still here');
    expect(dec.decode(await fs.readFile('/ctl'))).toBe('version 499');
    expect(fs.storedBytes).toBe('version 499'.length);
    const after = fs.crash({ seed: 1 });
    expect(await after.readdir('/')).toEqual(['ctl']);
  });

  it('[SIM8] more unsynced operations than pendingOpCountMax is a test bug (assertion)', async () => {
    const fs = new SimulatedFileSystem({ pendingOpCountMax: 3 });
    const h = await fs.open('/f', { create: true });
    for (let i = 0; i < 3; i++) await h.write(new Uint8Array(1), 0, 1, i);
    await expect(h.write(new Uint8Array(1), 0, 1, 3)).rejects.toThrow(/more than 3 writes/);
    await h.sync();
    await h.write(new Uint8Array(1), 0, 1, 3); // a sync makes room again
    expect(await h.size()).toBe(4);
  });
});
