import { mkdtemp, rm, readdir as nodeReaddir, stat as nodeStat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeFileSystem } from '../src/index.ts';

const enc = new TextEncoder();

let dir: string;
let fs: NodeFileSystem;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palisade-common-'));
  fs = new NodeFileSystem({ root: dir });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

describe('NodeFileSystem', () => {
  it('[FS1] writes, syncs and reads back through a handle; relative paths resolve against the root', async () => {
    const h = await fs.open('a', { create: true });
    expect(h.path).toBe(path.join(dir, 'a'));
    await h.write(enc.encode('hello world'), 0, 11, 0);
    await h.write(enc.encode('XY'), 0, 2, 20); // extends with a hole of zeros
    await h.sync();
    expect(await h.size()).toBe(22);
    const buf = new Uint8Array(32);
    expect(await h.read(buf, 0, 32, 0)).toBe(22);
    expect(Array.from(buf.subarray(11, 20))).toEqual(new Array(9).fill(0));
    expect(await h.read(buf, 0, 4, 100)).toBe(0);
    await h.truncate(5);
    expect(await h.size()).toBe(5);
    await h.close();
    expect(new TextDecoder().decode(await fs.readFile(path.join(dir, 'a')))).toBe('hello');
  });

  it('[FS6] creates files 0600 and directories 0700 unless told otherwise', async () => {
    await (await fs.open('f', { create: true })).close();
    await fs.mkdir('d');
    await fs.mkdir('e', { mode: 0o750 });
    expect((await fs.stat('f')).mode).toBe(0o600);
    expect((await fs.stat('d')).mode).toBe(0o700);
    expect((await fs.stat('e')).mode).toBe(0o750);
    expect((await nodeStat(path.join(dir, 'f'))).mode & 0o777).toBe(0o600);
    await fs.chmod('f', 0o640);
    expect((await fs.stat('f')).mode).toBe(0o640);
  });

  it('[FS7] reports Node error codes: ENOENT, EEXIST, EBADF, ENOTDIR', async () => {
    expect(await codeOf(fs.open('missing'))).toBe('ENOENT');
    await (await fs.open('x', { create: true })).close();
    expect(await codeOf(fs.open('x', { create: true, exclusive: true }))).toBe('EEXIST');
    const ro = await fs.open('x', { readOnly: true });
    expect(await codeOf(ro.write(new Uint8Array(1), 0, 1, 0))).toBe('EBADF');
    await ro.close();
    expect(await codeOf(fs.readFile('missing'))).toBe('ENOENT');
    expect(await codeOf(fs.mkdir('x'))).toBe('EEXIST');
    expect(await codeOf(fs.syncDir('x'))).toBe('ENOTDIR');
    expect(await codeOf(fs.readdir('x'))).toBe('ENOTDIR');
    expect(await codeOf(fs.unlink('missing'))).toBe('ENOENT');
  });

  it('[FS2][FS7] mkdir (recursive), readdir sorted, rename, unlink, syncDir, rm, exists', async () => {
    await fs.mkdir('p/q/r', { recursive: true });
    await fs.mkdir('p/q/r', { recursive: true }); // no error when present
    for (const n of ['c', 'a', 'b']) await (await fs.open(`p/${n}`, { create: true })).close();
    expect(await fs.readdir('p')).toEqual(['a', 'b', 'c', 'q']);
    await fs.rename('p/a', 'p/z');
    await fs.unlink('p/b');
    await fs.syncDir('p');
    expect(await fs.readdir('p')).toEqual(['c', 'q', 'z']);
    expect(await fs.exists('p/z')).toBe(true);
    expect(await fs.exists('p/a')).toBe(false);
    expect(await fs.exists('p/z/under-a-file')).toBe(false);
    await fs.rm('p');
    await fs.rm('p'); // absent: no error
    expect(await fs.exists('p')).toBe(false);
    expect((await fs.stat('.')).isDirectory).toBe(true);
  });

  it('[FS5] writeFileAtomic replaces the content and leaves no temporary file', async () => {
    await fs.writeFileAtomic('ctl', enc.encode('old'));
    await fs.writeFileAtomic('ctl', enc.encode('new content'), 0o640);
    expect(new TextDecoder().decode(await fs.readFile('ctl'))).toBe('new content');
    expect((await fs.stat('ctl')).mode).toBe(0o640);
    expect(await nodeReaddir(dir)).toEqual(['ctl']);
    expect(await codeOf(fs.writeFileAtomic('no/such/dir/ctl', enc.encode('x')))).toBe('ENOENT');
  });

  it('[FS5] a failed writeFileAtomic leaves the target and no temporary file behind', async () => {
    await fs.mkdir('target-is-a-directory');
    expect(await codeOf(fs.writeFileAtomic('target-is-a-directory', enc.encode('x')))).toBe('EISDIR');
    expect(await nodeReaddir(dir)).toEqual(['target-is-a-directory']);
    expect((await fs.stat('target-is-a-directory')).isDirectory).toBe(true);
  });

  it('[FS7] readFile returns a plain Uint8Array', async () => {
    await fs.writeFileAtomic('b', new Uint8Array([1, 2, 3]));
    const data = await fs.readFile('b');
    expect(data.constructor).toBe(Uint8Array);
    expect(Array.from(data)).toEqual([1, 2, 3]);
  });
});
