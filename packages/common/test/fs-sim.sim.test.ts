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

async function text(fs: FileSystem, path: string): Promise<string> {
  return dec.decode(await fs.readFile(path));
}

/** A file /f whose entry is durable and that holds `synced` durably and `unsynced` on top. */
async function fileWithPendingWrite(synced: string, unsynced: string): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem();
  const h = await fs.open('/f', { create: true });
  await h.write(enc.encode(synced), 0, synced.length, 0);
  await h.sync();
  await fs.syncDir('/');
  await h.write(enc.encode(unsynced), 0, unsynced.length, synced.length);
  await h.close();
  return fs;
}

describe('SimulatedFileSystem: crashes', () => {
  it('[FS1] synced data survives a crash; unsynced writes are lost when nothing is kept', async () => {
    const fs = await fileWithPendingWrite('durable', '+pending');
    expect(await text(fs, '/f')).toBe('durable+pending');
    const after = fs.crash({ seed: 1, keepProbability: 0, tearProbability: 0 });
    expect(await text(after, '/f')).toBe('durable');
  });

  it('[FS1] unsynced writes survive whole when everything is kept', async () => {
    const fs = await fileWithPendingWrite('durable', '+pending');
    const after = fs.crash({ seed: 1, keepProbability: 1 });
    expect(await text(after, '/f')).toBe('durable+pending');
  });

  it('[FS4][SIM2] a torn write leaves a strict, non-empty prefix of itself', async () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const fs = await fileWithPendingWrite('A', 'bcdefghij');
      const got = await text(fs.crash({ seed, keepProbability: 0, tearProbability: 1 }), '/f');
      expect('Abcdefghij'.startsWith(got)).toBe(true);
      expect(got.length).toBeGreaterThan(1);
      expect(got.length).toBeLessThan(10);
      seen.add(got);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('[FS4][SIM2] each unsynced write is decided separately, in order', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 64; seed++) {
      const fs = new SimulatedFileSystem();
      const h = await fs.open('/f', { create: true });
      await fs.syncDir('/');
      await h.write(enc.encode('aaaa'), 0, 4, 0);
      await h.write(enc.encode('bb'), 0, 2, 1);
      const got = await text(fs.crash({ seed, tearProbability: 0 }), '/f');
      outcomes.add(got);
    }
    // kept/dropped per write: none, only the first, only the second (zero-filled before it), both
    expect([...outcomes].sort()).toEqual(['', '\0bb', 'aaaa', 'abba']);
  });

  it('[SIM4] crashes are deterministic in the seed, also from a clone', async () => {
    const fs = await fileWithPendingWrite('x', 'abcdefghijklmnop');
    const copy = fs.clone();
    const a = await text(fs.crash({ seed: 42, keepProbability: 0.3, tearProbability: 0.9 }), '/f');
    const b = await text(copy.crash({ seed: 42, keepProbability: 0.3, tearProbability: 0.9 }), '/f');
    expect(a).toBe(b);
  });

  it('[FS2] a synced file whose directory entry was not synced can vanish', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    const h = await fs.open('/d/f', { create: true });
    await h.write(enc.encode('x'), 0, 1, 0);
    await h.sync();
    await h.close();
    const lost = fs.clone().crash({ seed: 3, keepProbability: 0 });
    expect(await lost.readdir('/d')).toEqual([]);
    await fs.syncDir('/d');
    const kept = fs.crash({ seed: 3, keepProbability: 0 });
    expect(await text(kept, '/d/f')).toBe('x');
  });

  it('[FS2][SIM3] an unsynced rename or unlink can be undone by a crash', async () => {
    const fs = new SimulatedFileSystem();
    await fs.writeFileAtomic('/a', enc.encode('A'));
    await fs.writeFileAtomic('/gone', enc.encode('G'));
    await fs.rename('/a', '/b');
    await fs.unlink('/gone');
    const undone = fs.clone().crash({ seed: 5, keepProbability: 0 });
    expect(await undone.readdir('/')).toEqual(['a', 'gone']);
    const done = fs.clone().crash({ seed: 5, keepProbability: 1 });
    expect(await done.readdir('/')).toEqual(['b']);
    await fs.syncDir('/');
    expect(await fs.crash({ seed: 5, keepProbability: 0 }).readdir('/')).toEqual(['b']);
  });

  it('[FS2][SIM3] a rename between directories is atomic and durable once both directories are synced', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/x');
    await fs.mkdir('/y');
    await fs.syncDir('/');
    await fs.writeFileAtomic('/x/f', enc.encode('F'));
    await fs.rename('/x/f', '/y/f');
    await fs.syncDir('/y');
    for (let seed = 0; seed < 16; seed++) {
      const after = fs.clone().crash({ seed });
      const names = [...(await after.readdir('/x')).map((n) => `x/${n}`), ...(await after.readdir('/y')).map((n) => `y/${n}`)];
      expect(names.length).toBe(1);
    }
    await fs.syncDir('/x');
    const after = fs.crash({ seed: 0, keepProbability: 0 });
    expect(await after.readdir('/x')).toEqual([]);
    expect(await text(after, '/y/f')).toBe('F');
  });

  it('[SIM3] a removed tree comes back whole if the removal was not synced', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/t/u', { recursive: true });
    await fs.writeFileAtomic('/t/u/f', enc.encode('f'));
    await fs.syncDir('/t');
    await fs.syncDir('/');
    await fs.rm('/t');
    const after = fs.crash({ seed: 9, keepProbability: 0 });
    expect(await text(after, '/t/u/f')).toBe('f');
  });

  it('[FS5] writeFileAtomic is crash-atomic: a crash shows the old or the new content, never a mix', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const fs = new SimulatedFileSystem();
      await fs.writeFileAtomic('/ctl', enc.encode('old-old-old'));
      const h = await fs.open('/other', { create: true });
      await h.write(enc.encode('noise'), 0, 5, 0);
      await fs.writeFileAtomic('/ctl', enc.encode('NEW'));
      const after = fs.crash({ seed, keepProbability: 0.5, tearProbability: 1 });
      expect(await text(after, '/ctl')).toBe('NEW');
      expect(await after.readdir('/')).toContain('ctl');
    }
  });

  it('[FS3][SIM6] after a failed sync the data is readable and a later sync succeeds, yet a crash may lose it', async () => {
    const fs = await fileWithPendingWrite('ok', '-doomed');
    const h = await fs.open('/f');
    fs.addFault({ op: 'sync', code: 'EIO' });
    expect(await codeOf(h.sync())).toBe('EIO');
    expect(await text(fs, '/f')).toBe('ok-doomed');
    await h.sync(); // reports success: the error has been consumed, as on Linux
    await h.write(enc.encode('!'), 0, 1, 9);
    await h.sync();
    const after = fs.crash({ seed: 1, keepProbability: 0, tearProbability: 0 });
    // The write after the failure is durable; the one before it was lost silently.
    expect(Array.from(await after.readFile('/f'))).toEqual([...enc.encode('ok'), 0, 0, 0, 0, 0, 0, 0, 33]);
  });

  it('[FS3][SIM6] after a failed syncDir no later syncDir makes the entry durable', async () => {
    const fs = new SimulatedFileSystem();
    await (await fs.open('/f', { create: true })).close();
    fs.addFault({ op: 'syncDir', code: 'EIO' });
    expect(await codeOf(fs.syncDir('/'))).toBe('EIO');
    await fs.syncDir('/');
    expect(await fs.crash({ seed: 2, keepProbability: 0 }).readdir('/')).toEqual([]);
  });

  it('[SIM5] a crashed instance and its open handles reject every call with EIO', async () => {
    const fs = await fileWithPendingWrite('a', 'b');
    const h = await fs.open('/f');
    const after = fs.crash({ seed: 0 });
    expect(fs.isDead).toBe(true);
    expect(await codeOf(fs.readFile('/f'))).toBe('EIO');
    expect(await codeOf(fs.open('/f'))).toBe('EIO');
    expect(await codeOf(fs.mkdir('/x'))).toBe('EIO');
    expect(await codeOf(h.read(new Uint8Array(1), 0, 1, 0))).toBe('EIO');
    expect(await codeOf(h.sync())).toBe('EIO');
    expect(await codeOf(h.close())).toBe('EIO');
    expect(() => fs.crash({ seed: 0 })).toThrow(/EIO/);
    expect(await after.exists('/f')).toBe(true);
  });

  it('[SIM2] unsynced truncates are kept or lost; synced ones are durable', async () => {
    const fs = await fileWithPendingWrite('0123456789', '');
    const h = await fs.open('/f');
    await h.truncate(4);
    expect(await text(fs.clone().crash({ seed: 0, keepProbability: 0 }), '/f')).toBe('0123456789');
    expect(await text(fs.clone().crash({ seed: 0, keepProbability: 1 }), '/f')).toBe('0123');
    await h.sync();
    expect(await text(fs.crash({ seed: 0, keepProbability: 0 }), '/f')).toBe('0123');
  });

  it('[FS6] modes survive a crash', async () => {
    const fs = new SimulatedFileSystem();
    await fs.writeFileAtomic('/f', enc.encode('x'), 0o644);
    await fs.mkdir('/d', { mode: 0o750 });
    await fs.syncDir('/');
    const after = fs.crash({ seed: 0 });
    expect((await after.stat('/f')).mode).toBe(0o644);
    expect((await after.stat('/d')).mode).toBe(0o750);
  });
});

describe('SimulatedFileSystem: fault injection', () => {
  it('[SIM6] fails the nth matching operation, `times` in a row, on matching paths only', async () => {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/pg_wal');
    const wal = await fs.open('/pg_wal/000001', { create: true });
    const other = await fs.open('/other', { create: true });
    fs.addFault({ op: 'write', path: 'pg_wal', code: 'ENOSPC', nth: 2, times: 2 });
    const one = new Uint8Array([1]);
    const results: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      results.push(await codeOf(wal.write(one, 0, 1, i)));
      await other.write(one, 0, 1, i); // other paths are not affected
    }
    expect(results).toEqual([undefined, 'ENOSPC', 'ENOSPC', undefined, undefined]);
    expect(await wal.size()).toBe(5);
  });

  it('[SIM6] ENOSPC on write writes nothing; EIO on read returns nothing', async () => {
    const fs = new SimulatedFileSystem();
    const h = await fs.open('/f', { create: true });
    await h.write(enc.encode('abc'), 0, 3, 0);
    fs.addFault({ op: 'write', code: 'ENOSPC' });
    expect(await codeOf(h.write(enc.encode('zzzzz'), 0, 5, 1))).toBe('ENOSPC');
    expect(await text(fs, '/f')).toBe('abc');
    fs.addFault({ op: 'read', path: /^\/f$/, code: 'EIO' });
    const buf = new Uint8Array(3);
    expect(await codeOf(h.read(buf, 0, 3, 0))).toBe('EIO');
    expect(Array.from(buf)).toEqual([0, 0, 0]);
    expect(await h.read(buf, 0, 3, 0)).toBe(3);
  });

  it('[SIM6] removing a rule or clearing faults stops it; Infinity fails until removed; * matches every op', async () => {
    const fs = new SimulatedFileSystem();
    const remove = fs.addFault({ op: 'mkdir', code: 'EROFS', times: Infinity });
    expect(await codeOf(fs.mkdir('/a'))).toBe('EROFS');
    expect(await codeOf(fs.mkdir('/b'))).toBe('EROFS');
    remove();
    await fs.mkdir('/a');
    fs.addFault({ op: '*', code: 'EACCES', nth: 2, times: Infinity });
    await fs.readdir('/');
    expect(await codeOf(fs.stat('/a'))).toBe('EACCES');
    expect(await codeOf(fs.exists('/a'))).toBe('EACCES');
    fs.clearFaults();
    expect(await fs.exists('/a')).toBe(true);
  });

  it('[SIM6] a failed operation has no effect (open, mkdir, rename, unlink, truncate, chmod, writeFileAtomic)', async () => {
    const fs = new SimulatedFileSystem();
    await fs.writeFileAtomic('/f', enc.encode('content'));
    for (const op of ['open', 'mkdir', 'rename', 'unlink', 'truncate', 'chmod', 'writeFileAtomic'] as const) {
      fs.addFault({ op, code: 'EIO' });
    }
    expect(await codeOf(fs.open('/new', { create: true }))).toBe('EIO');
    expect(await codeOf(fs.mkdir('/d'))).toBe('EIO');
    expect(await codeOf(fs.rename('/f', '/g'))).toBe('EIO');
    expect(await codeOf(fs.unlink('/f'))).toBe('EIO');
    expect(await codeOf(fs.chmod('/f', 0o777))).toBe('EIO');
    expect(await codeOf(fs.writeFileAtomic('/f', enc.encode('other')))).toBe('EIO');
    const h = await fs.open('/f');
    expect(await codeOf(h.truncate(0))).toBe('EIO');
    await h.close();
    expect(await fs.readdir('/')).toEqual(['f']);
    expect(await text(fs, '/f')).toBe('content');
    expect((await fs.stat('/f')).mode).toBe(0o600);
  });

  it('[SIM7] readFile counts as open and read; rename matches either path', async () => {
    const fs = new SimulatedFileSystem();
    await fs.writeFileAtomic('/f', enc.encode('x'));
    fs.addFault({ op: 'read', code: 'EIO' });
    expect(await codeOf(fs.readFile('/f'))).toBe('EIO');
    fs.addFault({ op: 'open', code: 'EACCES' });
    expect(await codeOf(fs.readFile('/f'))).toBe('EACCES');
    fs.addFault({ op: 'rename', path: 'target', code: 'EIO' });
    expect(await codeOf(fs.rename('/f', '/target'))).toBe('EIO');
  });

  it('[SIM7] close reports an injected error but releases the handle', async () => {
    const fs = new SimulatedFileSystem();
    const h = await fs.open('/f', { create: true });
    fs.addFault({ op: 'close', code: 'EIO' });
    expect(await codeOf(h.close())).toBe('EIO');
    expect(await codeOf(h.close())).toBe('EBADF');
  });

  it('[SIM7] failOperation(n) fails exactly operation n: an I/O-error loop over a small workload', async () => {
    // The workload: create a file durably with two records, the second after the first is synced.
    async function workload(fs: SimulatedFileSystem): Promise<void> {
      await fs.mkdir('/data');
      await fs.syncDir('/');
      const h = await fs.open('/data/log', { create: true });
      await fs.syncDir('/data');
      await h.write(enc.encode('one;'), 0, 4, 0);
      await h.sync();
      await h.write(enc.encode('two;'), 0, 4, 4);
      await h.sync();
      await h.close();
    }
    const probe = new SimulatedFileSystem();
    await workload(probe);
    const operationCount = probe.operationCount;
    expect(operationCount).toBe(9);
    for (let n = 1; n <= operationCount; n++) {
      const fs = new SimulatedFileSystem();
      fs.failOperation(n, 'EIO');
      const failed = await codeOf(workload(fs));
      expect(failed).toBe('EIO');
      expect(fs.operationCount).toBe(n);
      // Whatever the failure, a crash never shows bytes that were never written.
      const after = fs.crash({ seed: n });
      if (await after.exists('/data/log')) expect('one;two;'.startsWith(await text(after, '/data/log'))).toBe(true);
    }
  });
});
