// Model-based test: random pin / unpin / read / write / evict / flush / drop-and-reread
// sequences against a naive Map of block → contents. Page contents read back always equal
// the model, and the pool's structure is checked after every command.

import { lsn } from '@palisade/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BufferBackend, BufferId } from '../src/buffer-pool.ts';
import { makeTestPool, readStamp, rel, stampPage, type TestPool } from './helpers.ts';

const R = rel(16384);
const OTHER = rel(16390);
const BLOCK_COUNT = 24;
const PIN_COUNT_MAX = 8;

interface Model {
  pages: Map<number, number>;
  pins: { block: number }[];
}
interface Real {
  t: TestPool;
  be: BufferBackend;
  pins: { block: number; id: BufferId }[];
  nextLsn: number;
}

async function readAndCheck(r: Real, m: Model, block: number): Promise<void> {
  const id = await r.be.readBuffer(R, 'main', block);
  await r.be.lockBuffer(id, 'share');
  expect(readStamp(r.be.getPage(id).bytes)).toBe(m.pages.get(block));
  r.be.unlockReleaseBuffer(id);
}

class PinCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly block: number) {}
  check(m: Readonly<Model>): boolean { return m.pins.length < PIN_COUNT_MAX; }
  async run(m: Model, r: Real): Promise<void> {
    const id = await r.be.readBuffer(R, 'main', this.block);
    expect(readStamp(r.be.getPage(id).bytes)).toBe(m.pages.get(this.block));
    r.pins.push({ block: this.block, id });
    m.pins.push({ block: this.block });
    r.t.pool.checkInvariants();
  }
  toString(): string { return `pin(${this.block})`; }
}

class UnpinCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check(m: Readonly<Model>): boolean { return m.pins.length > 0; }
  async run(m: Model, r: Real): Promise<void> {
    const i = this.slot % r.pins.length;
    const pin = r.pins[i]!;
    // A pinned buffer still holds its page: the tag cannot change under a pin (B1).
    expect(r.be.getBufferTag(pin.id).blockNumber).toBe(pin.block);
    expect(readStamp(r.be.getPage(pin.id).bytes)).toBe(m.pages.get(pin.block));
    r.be.releaseBuffer(pin.id);
    r.pins.splice(i, 1);
    m.pins.splice(i, 1);
    r.t.pool.checkInvariants();
  }
  toString(): string { return `unpin(#${this.slot})`; }
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly block: number) {}
  check(): boolean { return true; }
  async run(m: Model, r: Real): Promise<void> {
    await readAndCheck(r, m, this.block);
    r.t.pool.checkInvariants();
  }
  toString(): string { return `read(${this.block})`; }
}

class WriteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly block: number, readonly stamp: number) {}
  check(): boolean { return true; }
  async run(m: Model, r: Real): Promise<void> {
    const id = await r.be.readBuffer(R, 'main', this.block);
    await r.be.lockBuffer(id, 'exclusive');
    stampPage(r.be.getPage(id).bytes, this.stamp);
    r.be.markDirty(id);
    r.be.setPageLsn(id, lsn(++r.nextLsn));
    r.be.unlockReleaseBuffer(id);
    m.pages.set(this.block, this.stamp);
    r.t.pool.checkInvariants();
  }
  toString(): string { return `write(${this.block}, ${this.stamp})`; }
}

/** Reads a whole other relation through the pool, evicting every unpinned buffer. */
class EvictCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean { return true; }
  async run(_m: Model, r: Real): Promise<void> {
    for (let b = 0; b < 16; b++) r.be.releaseBuffer(await r.be.readBuffer(OTHER, 'main', b));
    r.t.pool.checkInvariants();
  }
  toString(): string { return 'evict'; }
}

class FlushCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean { return true; }
  async run(_m: Model, r: Real): Promise<void> {
    await r.t.pool.flushAll();
    await r.t.smgr.syncAllPending();
    r.t.pool.checkInvariants();
  }
  toString(): string { return 'flush'; }
}

/** Checkpoint, then forget every unpinned buffer of the relation and read all blocks back from disk. */
class RereadFromDiskCommand implements fc.AsyncCommand<Model, Real> {
  check(m: Readonly<Model>): boolean { return m.pins.length === 0; }
  async run(m: Model, r: Real): Promise<void> {
    await r.t.pool.flushAll();
    await r.t.pool.dropRelationBuffers(R);
    for (let b = 0; b < BLOCK_COUNT; b++) await readAndCheck(r, m, b);
    r.t.pool.checkInvariants();
  }
  toString(): string { return 'reread-from-disk'; }
}

async function setup(): Promise<{ model: Model; real: Real }> {
  const t = await makeTestPool({ bufferCount: 16 });
  const be = t.pool.registerBackend();
  const pages = new Map<number, number>();
  for (const [r, count] of [[R, BLOCK_COUNT], [OTHER, 16]] as const) {
    await t.smgr.create(r, 'main');
    for (let b = 0; b < count; b++) {
      const { bufferId } = await be.extendRelation(r, 'main');
      await be.lockBuffer(bufferId, 'exclusive');
      be.getPage(bufferId).init(0);
      stampPage(be.getPage(bufferId).bytes, b);
      be.markDirty(bufferId);
      be.unlockReleaseBuffer(bufferId);
      if (r === R) pages.set(b, b);
    }
  }
  await t.pool.flushAll();
  return { model: { pages, pins: [] }, real: { t, be, pins: [], nextLsn: 1 } };
}

const block = fc.integer({ min: 0, max: BLOCK_COUNT - 1 });
const commands = fc.commands([
  block.map((b) => new PinCommand(b)),
  fc.nat(PIN_COUNT_MAX).map((s) => new UnpinCommand(s)),
  block.map((b) => new ReadCommand(b)),
  fc.tuple(block, fc.integer({ min: 100, max: 1_000_000 })).map(([b, s]) => new WriteCommand(b, s)),
  fc.constant(new EvictCommand()),
  fc.constant(new FlushCommand()),
  fc.constant(new RereadFromDiskCommand()),
], { maxCommands: 40 });

describe('buffer pool against a Map model', () => {
  it('[B1][B13][B14][B15] page contents read back always equal the model', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const { model, real } = await setup();
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        for (const pin of real.pins) real.be.releaseBuffer(pin.id);
        expect(real.be.atTransactionEnd(true)).toBe(0);
        real.t.pool.checkInvariants();
      }),
      { numRuns: 40 },
    );
  });
});
