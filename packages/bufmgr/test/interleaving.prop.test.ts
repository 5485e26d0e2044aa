// Interleavings of concurrent sessions (fc.scheduler): sessions increment counters on shared
// pages under exclusive locks while a small pool evicts, and WAL flushes and a background
// checkpoint complete in an order chosen by fast-check. No update is lost, every page written
// follows the WAL rule, and the pool's structure holds at the end.

import { lsn, type Lsn } from '@palisade/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BufferBackend } from '../src/buffer-pool.ts';
import { pageGetLsn } from '../src/page.ts';
import { makeTestPool, readStamp, rel, stampPage } from './helpers.ts';

const R = rel(16384);
const BLOCK_COUNT = 20;

describe('concurrent sessions under random interleavings', () => {
  it('[B4][B7][B12][B15][W1] exclusive-lock increments are never lost and writes follow the WAL rule', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(fc.integer({ min: 0, max: BLOCK_COUNT - 1 }), { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 4 }),
        fc.boolean(),
        async (s, sessionsBlocks, withCheckpoint) => {
          const flushed = { value: 0n };
          const writeLsnsOk: boolean[] = [];
          const flushWal = async (upTo: Lsn): Promise<void> => {
            if (upTo > flushed.value) flushed.value = upTo;
          };
          const scheduledFlushWal = s.scheduleFunction(flushWal);
          // Only the concurrent phase lets the scheduler order WAL flushes.
          let concurrent = false;
          const t = await makeTestPool({
            bufferCount: 16,
            pool: { flushWalUpTo: (upTo: Lsn) => (concurrent ? scheduledFlushWal(upTo) : flushWal(upTo)) },
          });
          // Check W1 at the transform point: a page's LSN is never ahead of flushed WAL.
          const encode = t.smgr.transform.encodePage.bind(t.smgr.transform);
          t.smgr.transform.encodePage = (bytes, loc) => {
            writeLsnsOk.push(pageGetLsn(bytes) <= flushed.value);
            encode(bytes, loc);
          };
          await t.smgr.create(R, 'main');
          const setup = t.pool.registerBackend();
          for (let b = 0; b < BLOCK_COUNT; b++) {
            const { bufferId } = await setup.extendRelation(R, 'main');
            await setup.lockBuffer(bufferId, 'exclusive');
            setup.getPage(bufferId).init(0);
            setup.markDirty(bufferId);
            setup.unlockReleaseBuffer(bufferId);
          }
          setup.close();
          let nextLsn = 100;
          concurrent = true;
          const increment = async (be: BufferBackend, block: number): Promise<void> => {
            const id = await be.readBuffer(R, 'main', block);
            await be.lockBuffer(id, 'exclusive');
            const page = be.getPage(id);
            stampPage(page.bytes, readStamp(page.bytes) + 1);
            be.markDirty(id);
            be.setPageLsn(id, lsn(++nextLsn));
            be.unlockReleaseBuffer(id);
          };
          const work = sessionsBlocks.map(async (blocks) => {
            const be = t.pool.registerBackend();
            for (const block of blocks) await increment(be, block);
            expect(be.atTransactionEnd(true)).toBe(0);
            be.close();
          });
          if (withCheckpoint) work.push(t.pool.flushAll().then(() => undefined));
          let finished = false;
          const all = Promise.all(work).finally(() => { finished = true; });
          let steps = 0;
          for (; !finished && steps < 20_000; steps++) {
            if (s.count() > 0) await s.waitOne();
            else await new Promise((r) => setImmediate(r));
          }
          concurrent = false;
          expect(finished, `sessions stuck after ${steps} steps; ${s.report().length} scheduled tasks`).toBe(true);
          await all;
          t.pool.checkInvariants();
          expect(writeLsnsOk.every(Boolean)).toBe(true);
          const expected = new Map<number, number>();
          for (const blocks of sessionsBlocks) for (const b of blocks) expected.set(b, (expected.get(b) ?? 0) + 1);
          const check = t.pool.registerBackend();
          for (let b = 0; b < BLOCK_COUNT; b++) {
            const id = await check.readBuffer(R, 'main', b);
            expect(readStamp(check.getPage(id).bytes)).toBe(expected.get(b) ?? 0);
            check.releaseBuffer(id);
          }
          check.close();
        },
      ),
      { numRuns: 30 },
    );
  });
});
