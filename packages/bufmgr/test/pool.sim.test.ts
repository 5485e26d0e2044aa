// Fault simulation: torn pages after a crash, ENOSPC, failed fsync, and an I/O-error loop that
// fails operation N, N+1, … of a workload and checks the pool's structure after each.

import { isPgError, lsn, SimulatedFileSystem, type PgError } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { BufferPool, type BufferBackend } from '../src/buffer-pool.ts';
import { BLCKSZ } from '../src/page-constants.ts';
import { Page } from '../src/page.ts';
import { makeTestPool, readStamp, rel, stampPage, type TestPool } from './helpers.ts';

const R = rel(16384);

async function writeBlock(be: BufferBackend, block: number, stamp: number, fill?: number): Promise<void> {
  const id = await be.readBuffer(R, 'main', block);
  try {
    await be.lockBuffer(id, 'exclusive');
    try {
      const page = be.getPage(id);
      if (page.isNew()) page.init(0);
      stampPage(page.bytes, stamp);
      if (fill !== undefined) page.bytes.fill(fill, 100, 7900);
      be.markDirty(id);
      be.setPageLsn(id, lsn(stamp));
    } finally {
      be.unlockBuffer(id);
    }
  } finally {
    be.releaseBuffer(id);
  }
}

async function buildRelation(t: TestPool, blocks: number): Promise<void> {
  await t.smgr.create(R, 'main');
  const be = t.pool.registerBackend();
  for (let b = 0; b < blocks; b++) {
    const { bufferId } = await be.extendRelation(R, 'main');
    be.releaseBuffer(bufferId);
    await writeBlock(be, b, 1000 + b);
  }
  await t.pool.flushAll();
  await t.smgr.syncAllPending();
  be.close();
}

describe('fault simulation', () => {
  it('[B27][FS4] a page torn by a crash fails its checksum with XX001 and is never used silently', async () => {
    const outcomes = { old: 0, new: 0, corrupt: 0 };
    for (let seed = 1; seed <= 12; seed++) {
      const t = await makeTestPool({ fs: new SimulatedFileSystem({ seed }) });
      await buildRelation(t, 4);
      const be = t.pool.registerBackend();
      await writeBlock(be, 2, 5555, 0xab);
      await t.pool.flushAll(); // written, not synced
      const crashed = t.fs.crash({ seed, keepProbability: 0, tearProbability: 1 });
      const after = await makeTestPool({ fs: crashed });
      const reader = after.pool.registerBackend();
      try {
        const id = await reader.readBuffer(R, 'main', 2);
        const stamp = readStamp(reader.getPage(id).bytes);
        expect([1002, 5555]).toContain(stamp);
        if (stamp === 5555) {
          expect(reader.getPage(id).bytes[4000]).toBe(0xab);
          outcomes.new++;
        } else {
          expect(reader.getPage(id).bytes[4000]).toBe(0);
          outcomes.old++;
        }
        reader.releaseBuffer(id);
      } catch (err) {
        expect(err).toMatchObject({ code: 'XX001', message: 'invalid page in block 2 of relation base/5/16384' });
        expect(after.notices.some((n) => n.message.startsWith('page verification failed, calculated checksum'))).toBe(true);
        outcomes.corrupt++;
      }
      after.pool.checkInvariants();
    }
    expect(outcomes.corrupt).toBeGreaterThan(0);
  });

  it('[FS1][FS2] after a checkpoint (flushAll + syncAllPending) every page survives any crash', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const t = await makeTestPool({ fs: new SimulatedFileSystem({ seed }), segmentSizeBlocks: 3 });
      await buildRelation(t, 8); // created, extended across segments, checkpointed
      const be = t.pool.registerBackend();
      await writeBlock(be, 5, 9000 + seed);
      await t.pool.flushAll();
      await t.smgr.syncAllPending();
      // Later changes, written but not synced, to other blocks.
      for (const b of [0, 7]) await writeBlock(be, b, 8000 + b, 0x11);
      await t.pool.flushAll();
      const after = await makeTestPool({ fs: t.fs.crash({ seed, keepProbability: 0.3, tearProbability: 0.5 }), segmentSizeBlocks: 3 });
      const reader = after.pool.registerBackend();
      expect(await after.smgr.nblocks(R, 'main')).toBe(8);
      for (let b = 0; b < 8; b++) {
        const expected = b === 5 ? 9000 + seed : 1000 + b;
        if (b === 0 || b === 7) {
          // Unsynced: old, new, or torn (detected).
          const got = await reader.readBuffer(R, 'main', b).then((id) => {
            const stamp = readStamp(reader.getPage(id).bytes);
            reader.releaseBuffer(id);
            return stamp;
          }, (err: PgError) => err.code);
          expect([expected, 8000 + b, 'XX001']).toContain(got);
        } else {
          const id = await reader.readBuffer(R, 'main', b);
          expect(readStamp(reader.getPage(id).bytes)).toBe(expected);
          reader.releaseBuffer(id);
        }
      }
      after.pool.checkInvariants();
    }
  });

  it('[B27] zeroOnError turns a torn page into a zero page with a WARNING', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const t = await makeTestPool({ fs: new SimulatedFileSystem({ seed }) });
      await buildRelation(t, 3);
      const be = t.pool.registerBackend();
      await writeBlock(be, 1, 7777, 0xcd);
      await t.pool.flushAll();
      const after = await makeTestPool({ fs: t.fs.crash({ seed, keepProbability: 0, tearProbability: 1 }) });
      const reader = after.pool.registerBackend();
      const id = await reader.readBuffer(R, 'main', 1, 'zeroOnError');
      const page = reader.getPage(id);
      const zeroed = after.notices.some((n) => n.message === 'invalid page in block 1 of relation base/5/16384; zeroing out page');
      expect(zeroed ? page.isNew() : [1001, 7777].includes(readStamp(page.bytes))).toBe(true);
      reader.releaseBuffer(id);
      after.pool.checkInvariants();
      if (zeroed) return;
    }
    expect.unreachable('no seed tore the page');
  });

  it('ENOSPC while extending fails with 53100 and the pool stays usable', async () => {
    const t = await makeTestPool();
    await buildRelation(t, 4);
    const be = t.pool.registerBackend();
    const remove = t.fs.addFault({ op: 'write', path: /16384/, code: 'ENOSPC', times: Infinity });
    await expect(be.extendRelation(R, 'main')).rejects.toMatchObject({
      code: '53100', message: expect.stringMatching(/^could not extend file "base\/5\/16384\.1": No space left on device$/),
    });
    expect(be.atTransactionEnd(true)).toBe(0);
    t.pool.checkInvariants();
    remove();
    const { bufferId, blockNumber } = await be.extendRelation(R, 'main');
    expect(blockNumber).toBe(4);
    be.releaseBuffer(bufferId);
    await writeBlock(be, 4, 44);
    await t.pool.flushAll();
    await t.smgr.syncAllPending();
    t.pool.checkInvariants();
  });

  it('[FS3] a failed fsync in syncAllPending throws (PANIC) and keeps throwing: never retried and ignored', async () => {
    const t = await makeTestPool();
    await buildRelation(t, 4);
    const be = t.pool.registerBackend();
    await writeBlock(be, 1, 11);
    await t.pool.flushAll();
    t.fs.addFault({ op: 'sync', code: 'EIO' });
    const failure = await t.smgr.syncAllPending().then(() => undefined, (e: unknown) => e as PgError);
    expect(failure).toMatchObject({ code: '58030', severity: 'PANIC', message: 'could not fsync file "base/5/16384": Input/output error' });
    t.fs.clearFaults();
    await expect(t.smgr.syncAllPending()).rejects.toBe(failure);
    t.pool.checkInvariants();
  });

  it('a failed write leaves the buffer dirty; a later flush writes it', async () => {
    const t = await makeTestPool();
    await buildRelation(t, 4);
    const be = t.pool.registerBackend();
    await writeBlock(be, 3, 33);
    const remove = t.fs.addFault({ op: 'write', code: 'EIO', times: Infinity });
    await expect(t.pool.flushAll()).rejects.toMatchObject({ code: '58030' });
    t.pool.checkInvariants();
    remove();
    expect((await t.pool.flushAll()).writtenCount).toBe(1);
    await t.pool.dropRelationBuffers(R);
    const id = await be.readBuffer(R, 'main', 3);
    expect(readStamp(be.getPage(id).bytes)).toBe(33);
    be.releaseBuffer(id);
  });

  it('I/O-error loop: failing operation N, N+1, … of a workload always leaves the pool consistent', async () => {
    const base = await makeTestPool({ fs: new SimulatedFileSystem({ seed: 3 }) });
    await buildRelation(base, 24);
    await base.smgr.closeAll();
    let completed = false;
    let failures = 0;
    for (let n = 1; n <= 600 && !completed; n++) {
      const fs = base.fs.clone();
      const t = await makeTestPool({ fs });
      const be = t.pool.registerBackend();
      const expected = new Map<number, number>();
      for (let b = 0; b < 24; b++) expected.set(b, 1000 + b);
      fs.failOperation(fs.operationCount + n, 'EIO');
      let error: unknown;
      try {
        for (let step = 0; step < 30; step++) {
          const block = (step * 7) % 24;
          await writeBlock(be, block, 2000 + step);
          expected.set(block, 2000 + step);
          if (step % 10 === 9) {
            const { bufferId } = await be.extendRelation(R, 'main');
            be.releaseBuffer(bufferId);
          }
        }
        await t.pool.flushAll();
        await t.smgr.syncAllPending();
        completed = true;
      } catch (err) {
        error = err;
        failures++;
      }
      if (error !== undefined) expect(isPgError(error), String(error)).toBe(true);
      expect(be.atTransactionEnd(true)).toBe(0);
      t.pool.checkInvariants();
      fs.clearFaults();
      if ((error as PgError | undefined)?.severity === 'PANIC') {
        await expect(t.smgr.syncAllPending()).rejects.toBe(error);
        continue;
      }
      // Everything the workload saw succeed is still readable, and the pool still works.
      await t.pool.flushAll();
      await t.smgr.syncAllPending();
      for (const [block, stamp] of expected) {
        const id = await be.readBuffer(R, 'main', block);
        const got = readStamp(be.getPage(id).bytes);
        be.releaseBuffer(id);
        // A step that failed after dirtying its page may or may not have reached the buffer.
        if (got !== stamp) expect(got).toBeGreaterThanOrEqual(1000);
      }
      t.pool.checkInvariants();
    }
    expect(completed).toBe(true);
    expect(failures).toBeGreaterThan(20);
  });

  it('a failed read leaves no half-valid buffer and the next read retries', async () => {
    const t = await makeTestPool();
    await buildRelation(t, 4);
    await t.pool.dropRelationBuffers(R);
    const be = t.pool.registerBackend();
    const remove = t.fs.addFault({ op: 'read', code: 'EIO' });
    await expect(be.readBuffer(R, 'main', 2)).rejects.toMatchObject({ code: '58030' });
    t.pool.checkInvariants();
    remove();
    const id = await be.readBuffer(R, 'main', 2);
    expect(readStamp(be.getPage(id).bytes)).toBe(1002);
    be.releaseBuffer(id);
    expect(new Page(new Uint8Array(BLCKSZ)).isNew()).toBe(true);
    expect(BufferPool).toBeDefined();
  });
});
