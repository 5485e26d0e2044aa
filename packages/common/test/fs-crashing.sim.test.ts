import { describe, expect, it } from 'vitest';
import { CrashingFileSystem, SimulatedFileSystem } from '../src/index.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('CrashingFileSystem', () => {
  it('[FS1][FS2] loses power at the chosen operation: later calls fail with EIO, synced data survives', async () => {
    const disk = new SimulatedFileSystem({ seed: 1 });
    const fs = new CrashingFileSystem(disk, { crashAtOperation: Number.MAX_SAFE_INTEGER, seed: 7, keepProbability: 0 });
    const h = await fs.open('/f', { create: true });
    await h.write(bytes('durable'), 0, 7, 0);
    await h.sync();
    await fs.syncDir('/'); // FS2: the new file's directory entry is durable only after this
    fs.plan = { ...fs.plan, crashAtOperation: disk.operationCount + 1 };
    await h.write(bytes('lost!!!'), 0, 7, 7);
    await expect(h.sync()).rejects.toMatchObject({ code: 'EIO' });
    await expect(fs.readFile('/f')).rejects.toMatchObject({ code: 'EIO' });
    expect(fs.crashed).toBe(true);
    const after = fs.crashNow();
    expect(new TextDecoder().decode(await after.readFile('/f'))).toBe('durable');
  });
});
