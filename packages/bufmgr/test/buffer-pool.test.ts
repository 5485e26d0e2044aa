import { lsn, type Lsn } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { BackgroundWriter } from '../src/bgwriter.ts';
import { BufferPool, type BufferId } from '../src/buffer-pool.ts';
import { BLCKSZ } from '../src/page-constants.ts';
import { createSharedBufferMemory, BufferState } from '../src/shared-memory.ts';
import { makeTestPool, readStamp, rel, stampPage, type TestPool } from './helpers.ts';

const R = rel(16384);
const R2 = rel(16385);

/** Creates `blocks` initialised pages (stamped with their block number) on disk. */
async function makeRelation(t: TestPool, r = R, blocks = 8): Promise<void> {
  await t.smgr.create(r, 'main');
  const be = t.pool.registerBackend();
  for (let b = 0; b < blocks; b++) {
    const { bufferId } = await be.extendRelation(r, 'main');
    await be.lockBuffer(bufferId, 'exclusive');
    const page = be.getPage(bufferId);
    page.init(0);
    stampPage(page.bytes, 1000 + b);
    be.markDirty(bufferId);
    be.unlockReleaseBuffer(bufferId);
  }
  await t.pool.flushAll();
  be.close();
}

async function readStampOf(t: TestPool, block: number, r = R): Promise<number> {
  const be = t.pool.registerBackend();
  const id = await be.readBuffer(r, 'main', block);
  await be.lockBuffer(id, 'share');
  const stamp = readStamp(be.getPage(id).bytes);
  be.unlockReleaseBuffer(id);
  be.close();
  return stamp;
}

/** Sets every buffer's usage count to 0. */
function ageAll(pool: BufferPool): void {
  for (let k = 0; k < pool.bufferCount; k++) Atomics.and(pool.desc, k * 12, ~BufferState.USAGECOUNT_MASK);
}

function stateOf(pool: BufferPool, id: BufferId): number {
  return Atomics.load(pool.desc, (id - 1) * 12);
}

describe('pins (B1–B3)', () => {
  it('[B1][B2] pins are counted per backend and once per backend in the shared refcount', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const b = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 0);
    a.incrBufferRefCount(id);
    expect(a.privateRefCount(id - 1)).toBe(2);
    expect(stateOf(t.pool, id) & BufferState.REFCOUNT_MASK).toBe(1);
    const id2 = await b.readBuffer(R, 'main', 0);
    expect(id2).toBe(id);
    expect(stateOf(t.pool, id) & BufferState.REFCOUNT_MASK).toBe(2);
    a.releaseBuffer(id);
    a.releaseBuffer(id);
    b.releaseBuffer(id);
    expect(stateOf(t.pool, id) & BufferState.REFCOUNT_MASK).toBe(0);
    t.pool.checkInvariants();
  });

  it('[B1] using a buffer without a pin is a bug (assertion)', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 0);
    a.releaseBuffer(id);
    expect(() => a.getPage(id)).toThrow(/not pinned/);
    expect(() => a.tryLockBuffer(id, 'share')).toThrow(/without a pin/);
    expect(() => a.releaseBuffer(id)).toThrow(/not pinned/);
  });

  it('[B2] pins that survive transaction end are released with a WARNING', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 3);
    await a.lockBuffer(id, 'share');
    expect(a.atTransactionEnd(true)).toBe(1);
    expect(t.notices.map((n) => n.message)).toEqual([expect.stringMatching(/^buffer refcount leak: \[\d+\] \(rel=base\/5\/16384, blockNum=3,/)]);
    expect(a.atTransactionEnd(true)).toBe(0);
    t.pool.checkInvariants();
  });

  it('the hit path is synchronous and counts a hit; a miss reads once', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    await t.pool.dropRelationBuffers(R);
    const before = t.pool.relationStats(R);
    expect(a.tryReadBufferHit(R, 'main', 2)).toBeUndefined();
    const id = await a.readBuffer(R, 'main', 2);
    a.releaseBuffer(id);
    const hit = a.tryReadBufferHit(R, 'main', 2);
    expect(hit).toBe(id);
    a.releaseBuffer(hit!);
    const after = t.pool.relationStats(R);
    expect(after.reads - before.reads).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });

  it('[B12] concurrent readers of one block share a single read', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    await t.pool.dropRelationBuffers(R);
    const backends = [0, 1, 2, 3].map(() => t.pool.registerBackend());
    const before = t.pool.relationStats(R).reads;
    const ids = await Promise.all(backends.map((b) => b.readBuffer(R, 'main', 5)));
    expect(new Set(ids).size).toBe(1);
    expect(t.pool.relationStats(R).reads - before).toBe(1);
    backends.forEach((b, i) => b.releaseBuffer(ids[i]!));
    t.pool.checkInvariants();
  });

  it('[B19] shared_buffers below 16 is refused', async () => {
    const t = await makeTestPool();
    expect(() => new BufferPool({ bufferCount: 15, smgr: t.smgr, flushWalUpTo: () => {} })).toThrow(/between 16/);
  });
});

describe('content locks (B4–B10)', () => {
  it('[B4] share locks are compatible; exclusive waits for them without blocking the event loop', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const [a, b, c] = [t.pool.registerBackend(), t.pool.registerBackend(), t.pool.registerBackend()];
    const id = await a.readBuffer(R, 'main', 0);
    await b.readBuffer(R, 'main', 0);
    await c.readBuffer(R, 'main', 0);
    await a.lockBuffer(id, 'share');
    await b.lockBuffer(id, 'share');
    expect(c.tryLockBuffer(id, 'exclusive')).toBe(false);
    let acquired = false;
    const waiting = c.lockBuffer(id, 'exclusive').then(() => { acquired = true; });
    await new Promise((r) => setTimeout(r, 5));
    expect(acquired).toBe(false);
    a.unlockBuffer(id);
    await new Promise((r) => setTimeout(r, 5));
    expect(acquired).toBe(false);
    b.unlockBuffer(id);
    await waiting;
    expect(acquired).toBe(true);
    expect(a.tryLockBuffer(id, 'share')).toBe(false);
    c.unlockBuffer(id);
    for (const x of [a, b, c]) x.releaseBuffer(id);
    t.pool.checkInvariants();
  });

  it('[B4][B9] lock and cleanup waits end when their AbortSignal fires (cancel, statement_timeout)', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const [a, b] = [t.pool.registerBackend(), t.pool.registerBackend()];
    const id = await a.readBuffer(R, 'main', 0);
    await b.readBuffer(R, 'main', 0);
    await a.lockBuffer(id, 'exclusive');
    const cancel = new AbortController();
    const waiting = b.lockBuffer(id, 'share', cancel.signal);
    cancel.abort();
    await expect(waiting).rejects.toMatchObject({ code: '57014' });
    expect(b.heldLockMode(id - 1)).toBeUndefined();
    a.unlockBuffer(id);
    const timeout = new AbortController();
    const cleanup = a.lockBufferForCleanup(id, timeout.signal);
    await new Promise((r) => setTimeout(r, 5));
    timeout.abort(new Error('statement timeout'));
    await expect(cleanup).rejects.toThrow('statement timeout');
    a.releaseBuffer(id);
    b.releaseBuffer(id);
    t.pool.checkInvariants();
  });

  it('[B4] taking a second content lock on the same buffer is a bug', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 0);
    await a.lockBuffer(id, 'share');
    expect(() => a.tryLockBuffer(id, 'share')).toThrow(/already locked/);
    expect(() => a.releaseBuffer(id)).toThrow(/content lock/);
    a.unlockReleaseBuffer(id);
  });

  it('[B7] markDirty needs the exclusive lock', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 0);
    await a.lockBuffer(id, 'share');
    expect(() => a.markDirty(id)).toThrow(/exclusive/);
    a.unlockBuffer(id);
    await a.lockBuffer(id, 'exclusive');
    a.markDirty(id);
    expect(a.isDirty(id)).toBe(true);
    a.unlockReleaseBuffer(id);
  });

  it('[B9] conditional cleanup lock fails while another backend pins; the waiting form gets it when the pin goes', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const [v, other] = [t.pool.registerBackend(), t.pool.registerBackend()];
    const id = await v.readBuffer(R, 'main', 1);
    await other.readBuffer(R, 'main', 1);
    expect(v.conditionalLockBufferForCleanup(id)).toBe(false);
    expect(v.heldLockMode(id - 1)).toBeUndefined();
    let got = false;
    const waiting = v.lockBufferForCleanup(id).then(() => { got = true; });
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toBe(false);
    // The waiter does not hold the content lock while it sleeps: others can lock.
    expect(other.tryLockBuffer(id, 'share')).toBe(true);
    other.unlockBuffer(id);
    other.releaseBuffer(id);
    await waiting;
    expect(v.holdsCleanupLock(id)).toBe(true);
    const page = v.getPage(id);
    page.addItem(new Uint8Array(40).fill(1));
    page.addItem(new Uint8Array(40).fill(2));
    page.setItemUnused(1);
    v.repairPageFragmentation(id);
    expect(page.getItem(2)[0]).toBe(2);
    v.unlockReleaseBuffer(id);
    t.pool.checkInvariants();
  });

  it('[B9] page compaction without a cleanup lock is refused', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const [v, other] = [t.pool.registerBackend(), t.pool.registerBackend()];
    const id = await v.readBuffer(R, 'main', 1);
    await other.readBuffer(R, 'main', 1);
    await v.lockBuffer(id, 'exclusive');
    expect(() => v.repairPageFragmentation(id)).toThrow(/cleanup lock/);
    v.unlockReleaseBuffer(id);
    other.releaseBuffer(id);
  });

  it('[B8][W5] markDirtyHint on a clean page logs a full-page image first when checksums are on', async () => {
    const t = await makeTestPool({ pool: { logHintFullPageImage: () => lsn(0x5000) } });
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 2);
    await a.lockBuffer(id, 'share');
    a.markDirtyHint(id);
    expect(a.isDirty(id)).toBe(true);
    expect(a.getPage(id).lsn).toBe(0x5000n);
    a.markDirtyHint(id); // already dirty: no second image
    a.unlockReleaseBuffer(id);
    await t.pool.flushAll();
    expect(t.walFlushes).toContain(0x5000n);
  });

  it('[W5] during recovery a hint does not dirty the page', async () => {
    const t = await makeTestPool({ pool: { isInRecovery: () => true } });
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 2);
    await a.lockBuffer(id, 'share');
    a.markDirtyHint(id);
    expect(a.isDirty(id)).toBe(false);
    expect(t.hintImages).toEqual([]);
    a.unlockReleaseBuffer(id);
  });
});

describe('replacement (B13–B18)', () => {
  it('[B13] usage count rises on each pin up to 5', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    let id = 0 as BufferId;
    for (let i = 0; i < 8; i++) {
      id = await a.readBuffer(R, 'main', 0);
      a.releaseBuffer(id);
    }
    expect((stateOf(t.pool, id) & BufferState.USAGECOUNT_MASK) >>> BufferState.USAGECOUNT_SHIFT).toBe(5);
  });

  it('[B14] clock sweep skips pinned buffers and decrements usage counts', async () => {
    const t = await makeTestPool();
    await makeRelation(t, R, 40);
    const a = t.pool.registerBackend();
    // Fill the pool and pin one buffer for good.
    const pinned = await a.readBuffer(R, 'main', 0);
    for (let b = 1; b < 40; b++) a.releaseBuffer(await a.readBuffer(R, 'main', b));
    expect(a.tryReadBufferHit(R, 'main', 0)).toBe(pinned);
    a.releaseBuffer(pinned);
    const tag = t.pool.tagOfIndex(pinned - 1);
    expect(tag?.blockNumber).toBe(0);
    for (let i = 0; i < 16; i++) {
      const s = Atomics.load(t.pool.desc, i * 12);
      expect((s & BufferState.USAGECOUNT_MASK) >>> BufferState.USAGECOUNT_SHIFT).toBeLessThanOrEqual(5);
    }
    a.releaseBuffer(pinned);
    t.pool.checkInvariants();
  });

  it('[B14] with every buffer pinned, allocation fails with "no unpinned buffers available" and the pool stays usable', async () => {
    const t = await makeTestPool();
    await makeRelation(t, R, 17);
    const a = t.pool.registerBackend();
    const ids: BufferId[] = [];
    for (let b = 0; b < 16; b++) ids.push(await a.readBuffer(R, 'main', b));
    await expect(a.readBuffer(R, 'main', 16)).rejects.toMatchObject({ message: 'no unpinned buffers available' });
    for (const id of ids) a.releaseBuffer(id);
    t.pool.checkInvariants();
    expect(await readStampOf(t, 16)).toBe(1016);
  });

  it('[B15][W1] a dirty victim is written only after WAL is flushed to its LSN', async () => {
    const t = await makeTestPool();
    await makeRelation(t, R, 40);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 3);
    await a.lockBuffer(id, 'exclusive');
    stampPage(a.getPage(id).bytes, 4242);
    a.markDirty(id);
    a.setPageLsn(id, lsn(0x1234_5678));
    a.unlockReleaseBuffer(id);
    t.events.length = 0;
    for (let b = 10; b < 40; b++) a.releaseBuffer(await a.readBuffer(R, 'main', b));
    const w = t.events.indexOf('write:base/5/16384:3');
    expect(w).toBeGreaterThan(0);
    expect(t.events[w - 1]).toBe(`wal:${0x1234_5678n}`);
    expect(t.pool.relationStats(R).evictions).toBeGreaterThan(0);
    expect(await readStampOf(t, 3)).toBe(4242);
    t.pool.checkInvariants();
  });

  it('[B15] a victim pinned while its write is in flight is not reused; another victim is chosen', async () => {
    let release: (() => void) | undefined;
    let stalled = false;
    const t = await makeTestPool({
      pool: {
        flushWalUpTo: async (l: Lsn) => {
          if (l === 0x777n && !stalled) {
            stalled = true;
            await new Promise<void>((r) => { release = r; });
          }
        },
      },
    });
    await makeRelation(t, R, 40);
    const [a, b] = [t.pool.registerBackend(), t.pool.registerBackend()];
    await t.pool.dropRelationBuffers(R);
    // Fill the pool (empties the free list) with blocks 1..15, then block 0.
    for (let k = 1; k < 16; k++) a.releaseBuffer(await a.readBuffer(R, 'main', k));
    const id0 = await a.readBuffer(R, 'main', 0);
    await a.lockBuffer(id0, 'exclusive');
    stampPage(a.getPage(id0).bytes, 777);
    a.markDirty(id0);
    a.setPageLsn(id0, lsn(0x777));
    a.unlockReleaseBuffer(id0);
    // Every buffer unpinned with usage 0, and the clock hand on block 0's buffer.
    ageAll(t.pool);
    Atomics.store(t.pool.ctl, 0, id0 - 1);
    const reader = b.readBuffer(R, 'main', 39);
    for (let i = 0; i < 1000 && !stalled; i++) await new Promise((r) => setTimeout(r, 1));
    expect(stalled).toBe(true);
    // Someone pins block 0 while its write waits for the WAL flush.
    const again = a.tryReadBufferHit(R, 'main', 0);
    expect(again).toBe(id0);
    release!();
    const got = [await reader];
    expect(got).not.toContain(id0);
    expect(a.isDirty(id0)).toBe(false);
    expect(readStamp(a.getPage(id0).bytes)).toBe(777);
    a.releaseBuffer(id0);
    for (const g of got) b.releaseBuffer(g);
    t.pool.checkInvariants();
  });

  it('[B16] ring sizes: BULKREAD 256 kB, BULKWRITE 16 MB, VACUUM 256 kB (PostgreSQL 15), each capped at NBuffers/8', async () => {
    const t = await makeTestPool({ bufferCount: 4096 });
    expect(t.pool.getAccessStrategy('bulkread').ringSizeBuffers).toBe(32);
    expect(t.pool.getAccessStrategy('vacuum').ringSizeBuffers).toBe(32);
    expect(t.pool.getAccessStrategy('bulkwrite').ringSizeBuffers).toBe(512);
    const small = await makeTestPool({ bufferCount: 16 });
    expect(small.pool.getAccessStrategy('bulkread').ringSizeBuffers).toBe(2);
  });

  it('[B16] a bulk read through a ring leaves the rest of the pool alone', async () => {
    const t = await makeTestPool({ bufferCount: 64 });
    await makeRelation(t, R, 8);
    await makeRelation(t, R2, 128);
    const a = t.pool.registerBackend();
    for (let b = 0; b < 8; b++) a.releaseBuffer(await a.readBuffer(R, 'main', b));
    const ring = t.pool.getAccessStrategy('bulkread');
    for (let b = 0; b < 128; b++) a.releaseBuffer(await a.readBuffer(R2, 'main', b, 'normal', ring));
    for (let b = 0; b < 8; b++) {
      const hit = a.tryReadBufferHit(R, 'main', b);
      expect(hit).toBeDefined();
      a.releaseBuffer(hit!);
    }
    expect(ring.ringBuffers().length).toBeLessThanOrEqual(8);
    t.pool.checkInvariants();
  });

  it('[B17] a BULKREAD ring drops a dirty buffer whose WAL is unflushed instead of writing it', async () => {
    const t = await makeTestPool({ bufferCount: 64 });
    await makeRelation(t, R2, 64);
    await t.pool.dropRelationBuffers(R2);
    const a = t.pool.registerBackend();
    const ring = t.pool.getAccessStrategy('bulkread');
    const first = await a.readBuffer(R2, 'main', 0, 'normal', ring);
    await a.lockBuffer(first, 'exclusive');
    a.markDirty(first);
    a.setPageLsn(first, lsn(0x9999_0000));
    a.unlockReleaseBuffer(first);
    for (let b = 1; b < 40; b++) a.releaseBuffer(await a.readBuffer(R2, 'main', b, 'normal', ring));
    expect(t.walFlushes).not.toContain(0x9999_0000n);
    expect(a.isDirty(first)).toBe(true);
    t.pool.checkInvariants();
  });

  it('[B17] a VACUUM ring flushes WAL and reuses its dirty buffer', async () => {
    const t = await makeTestPool({ bufferCount: 64 });
    await makeRelation(t, R2, 64);
    await t.pool.dropRelationBuffers(R2);
    const a = t.pool.registerBackend();
    const ring = t.pool.getAccessStrategy('vacuum');
    for (let b = 0; b < 40; b++) {
      const id = await a.readBuffer(R2, 'main', b, 'normal', ring);
      await a.lockBuffer(id, 'exclusive');
      a.markDirty(id);
      a.setPageLsn(id, lsn(0x100 + b));
      a.unlockReleaseBuffer(id);
    }
    expect(t.walFlushes.length).toBeGreaterThan(30);
    expect(ring.ringBuffers().length).toBe(8);
    t.pool.checkInvariants();
  });

  it('[B18] the background writer cleans dirty, unpinned, usage-0 buffers ahead of the clock hand without moving it', async () => {
    const t = await makeTestPool({ bufferCount: 32 });
    await makeRelation(t, R, 32);
    const a = t.pool.registerBackend();
    for (let b = 0; b < 32; b++) {
      const id = await a.readBuffer(R, 'main', b);
      await a.lockBuffer(id, 'exclusive');
      a.markDirty(id);
      a.unlockReleaseBuffer(id);
    }
    ageAll(t.pool);
    const bg = new BackgroundWriter(t.pool, { lruMaxPages: 5, lruMultiplier: 2 });
    const hand = t.pool.nextVictimBuffer;
    const round = await bg.runOnce();
    expect(round.writtenCount).toBe(5);
    expect(t.pool.nextVictimBuffer).toBe(hand);
    const disabled = new BackgroundWriter(t.pool, { lruMaxPages: 0 });
    expect((await disabled.runOnce()).writtenCount).toBe(0);
    expect(() => new BackgroundWriter(t.pool, { delayMs: 5 })).toThrow(/bgwriter_delay/);
    await bg.close();
    await disabled.close();
    t.pool.checkInvariants();
  });

  it('[B18] the timer driver runs rounds until stopped', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    for (let b = 0; b < 8; b++) {
      const id = await a.readBuffer(R, 'main', b);
      await a.lockBuffer(id, 'exclusive');
      a.markDirty(id);
      a.unlockReleaseBuffer(id);
    }
    ageAll(t.pool);
    Atomics.store(t.pool.ctl, 2, 8);
    const bg = new BackgroundWriter(t.pool, { delayMs: 10 });
    bg.start();
    for (let i = 0; i < 2000 && t.pool.relationStats(R).writes < 16; i++) await new Promise((r) => setTimeout(r, 5));
    await bg.close();
    expect(t.pool.relationStats(R).writes).toBeGreaterThanOrEqual(16);
    t.pool.checkInvariants();
  });
});

describe('checkpoints, truncation, extension', () => {
  it('flushAll writes every dirty buffer once; flushRelation only that relation', async () => {
    const t = await makeTestPool({ bufferCount: 32 });
    await makeRelation(t, R, 4);
    await makeRelation(t, R2, 4);
    const a = t.pool.registerBackend();
    for (const r of [R, R2]) for (let b = 0; b < 4; b++) {
      const id = await a.readBuffer(r, 'main', b);
      await a.lockBuffer(id, 'exclusive');
      a.markDirty(id);
      a.unlockReleaseBuffer(id);
    }
    expect((await t.pool.flushRelation(R)).writtenCount).toBe(4);
    expect((await t.pool.flushAll()).writtenCount).toBe(4);
    expect((await t.pool.flushAll()).writtenCount).toBe(0);
    t.pool.checkInvariants();
  });

  it('dropRelationBuffers discards buffers from a block on, without writing them', async () => {
    const t = await makeTestPool({ bufferCount: 32 });
    await makeRelation(t, R, 8);
    const a = t.pool.registerBackend();
    for (let b = 0; b < 8; b++) {
      const id = await a.readBuffer(R, 'main', b);
      await a.lockBuffer(id, 'exclusive');
      stampPage(a.getPage(id).bytes, 5);
      a.markDirty(id);
      a.unlockReleaseBuffer(id);
    }
    t.events.length = 0;
    expect(await t.pool.dropRelationBuffers(R, 'main', 4)).toBe(4);
    await t.smgr.truncate(R, 'main', 4);
    expect(t.events.filter((e) => e.startsWith('write'))).toEqual([]);
    expect(a.tryReadBufferHit(R, 'main', 5)).toBeUndefined();
    await expect(a.readBuffer(R, 'main', 5)).rejects.toMatchObject({ code: 'XX001' });
    t.pool.checkInvariants();
  });

  it('[W6] extendRelation adds zero pages at the end, one block per call, concurrently safe', async () => {
    const t = await makeTestPool();
    await t.smgr.create(R, 'main');
    const [a, b] = [t.pool.registerBackend(), t.pool.registerBackend()];
    const results = await Promise.all([a.extendRelation(R, 'main'), b.extendRelation(R, 'main'), a.extendRelation(R, 'main')]);
    expect(results.map((r) => r.blockNumber).sort()).toEqual([0, 1, 2]);
    expect(await t.smgr.nblocks(R, 'main')).toBe(3);
    expect(a.getPage(results[0]!.bufferId).isNew()).toBe(true);
    a.releaseBuffer(results[0]!.bufferId);
    b.releaseBuffer(results[1]!.bufferId);
    a.releaseBuffer(results[2]!.bufferId);
    expect(t.pool.relationStats(R).extends).toBe(3);
    t.pool.checkInvariants();
  });

  it('[B11] OIDs and block numbers at or above 2^31 map, hit, flush and drop like small ones', async () => {
    const t = await makeTestPool();
    const big = rel(0xffff_ff00, 0x8000_0001);
    await t.smgr.create(big, 'main');
    const a = t.pool.registerBackend();
    const { bufferId } = await a.extendRelation(big, 'main');
    await a.lockBuffer(bufferId, 'exclusive');
    a.getPage(bufferId).init(0);
    a.markDirty(bufferId);
    a.unlockReleaseBuffer(bufferId);
    expect(a.tryReadBufferHit(big, 'main', 0)).toBe(bufferId);
    expect(a.getBufferTag(bufferId)).toEqual({ rel: big, fork: 'main', blockNumber: 0 });
    a.releaseBuffer(bufferId);
    expect((await t.pool.flushRelation(big)).writtenCount).toBe(1);
    expect(await t.pool.dropRelationBuffers(big)).toBe(1);
    const id = await a.readBuffer(big, 'main', 0);
    expect(a.getPage(id).isNew()).toBe(false);
    a.releaseBuffer(id);
    const high = await a.readBuffer(big, 'main', 0x8000_0005, 'zero');
    expect(a.getBufferTag(high).blockNumber).toBe(0x8000_0005);
    a.unlockReleaseBuffer(high);
    expect(a.tryReadBufferHit(big, 'main', 0x8000_0005)).toBe(high);
    a.releaseBuffer(high);
    t.pool.checkInvariants();
  });

  it('per-relation statistics are bounded; totals keep every count', async () => {
    const t = await makeTestPool({ pool: { statsRelationCountMax: 2 } });
    const a = t.pool.registerBackend();
    for (const n of [1, 2, 3]) {
      const r = rel(20000 + n);
      await t.smgr.create(r, 'main');
      a.releaseBuffer((await a.extendRelation(r, 'main')).bufferId);
    }
    expect(t.pool.relationStats(rel(20001)).extends).toBe(0);
    expect(t.pool.relationStats(rel(20003)).extends).toBe(1);
    expect(t.pool.stats.totals.extends).toBe(3);
  });

  it('reading a relation whose file does not exist fails with 58P01 and leaves the pool consistent', async () => {
    const t = await makeTestPool();
    const a = t.pool.registerBackend();
    await expect(a.readBuffer(rel(99999), 'main', 0)).rejects.toMatchObject({
      code: '58P01', message: 'could not read block 0 in file "base/5/99999": No such file or directory',
    });
    await expect(t.smgr.nblocks(rel(99999), 'main')).rejects.toMatchObject({ code: '58P01' });
    expect(a.atTransactionEnd(true)).toBe(0);
    t.pool.checkInvariants();
  });

  it('backend ids of closed backends are reused', async () => {
    const t = await makeTestPool();
    const a = t.pool.registerBackend();
    const id = a.backendId;
    a.close();
    expect(t.pool.registerBackend().backendId).toBe(id);
  });

  it('zero mode returns an exclusively locked zero page without reading', async () => {
    const t = await makeTestPool();
    await t.smgr.create(R, 'main');
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 0, 'zero');
    expect(a.heldLockMode(id - 1)).toBe('exclusive');
    expect(a.getPage(id).bytes.every((x) => x === 0)).toBe(true);
    a.unlockReleaseBuffer(id);
  });

  it('a second pool object attached to the same shared memory sees the same buffers', async () => {
    const t = await makeTestPool();
    await makeRelation(t);
    const a = t.pool.registerBackend();
    const id = await a.readBuffer(R, 'main', 6);
    const other = new BufferPool({ sharedMemory: t.pool.sharedMemory, smgr: t.smgr, flushWalUpTo: () => {} });
    const b = other.registerBackend();
    const hit = b.tryReadBufferHit(R, 'main', 6);
    expect(hit).toBe(id);
    expect(readStamp(b.getPage(hit!).bytes)).toBe(1006);
    b.releaseBuffer(hit!);
    a.releaseBuffer(id);
    expect(createSharedBufferMemory(16).pages.byteLength).toBe(16 * BLCKSZ);
  });
});
