import { describe, expect, it } from 'vitest';
import { isPgError, oid, relFileNumber } from '@palisade/common';
import { Btree, checkBtree, checkIndexCoversHeap, type IndexColumn, type Heap, type AccessBackend } from '../src/index.ts';
import { openInstance, type Instance } from '../examples/instance.ts';
import { accountsHeap, freshInstance, int4, readInt4, inTransaction } from './helpers.ts';

const int4Column: IndexColumn = { compare: (a, b) => readInt4(a) - readInt4(b) };
const indexLocator = { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(16390) };

function makeIndex(inst: Instance, heap: Heap, opts: { unique?: boolean; columns?: IndexColumn[]; name?: string } = {}): Btree {
  return new Btree({
    locator: indexLocator, relOid: 16390, name: opts.name ?? 'accounts_pkey', columns: opts.columns ?? [int4Column], unique: opts.unique ?? false,
    columnNames: ['id'], formatKey: (k) => k.map((v) => (v === null ? 'null' : String(readInt4(v)))).join(', '),
  }, inst, heap);
}

async function keysOf(index: Btree, b: AccessBackend, opts: Parameters<Btree['scan']>[1] = {}): Promise<number[]> {
  const out: number[] = [];
  for await (const e of index.scan(b, opts)) out.push(readInt4(e.key[0]));
  return out;
}

describe('B-tree', () => {
  it('[BT3][BT5][BT8] random and sequential inserts split pages; forward and backward range scans return keys in order; checker clean', async () => {
    const { inst } = await freshInstance({ bufferCount: 64 });
    const heap = accountsHeap(inst);
    await heap.create();
    const index = makeIndex(inst, heap);
    const b = inst.connect();
    await index.create(b);
    const keys: number[] = [];
    await inTransaction(b, async () => {
      for (let i = 0; i < 3000; i++) {
        const k = i < 1500 ? (i * 7919) % 1500 : i;
        keys.push(k);
        const tid = await heap.insert(b, [int4(k), int4(0)]);
        await index.insert(b, [int4(k)], tid);
      }
    });
    expect(await index.storage.pool.smgr.nblocks(indexLocator, 'main')).toBeGreaterThan(10);
    const sorted = [...keys].sort((x, y) => x - y);
    await b.session.begin();
    b.session.startStatement();
    expect(await keysOf(index, b)).toEqual(sorted);
    expect(await keysOf(index, b, { direction: 'backward' })).toEqual([...sorted].reverse());
    expect(await keysOf(index, b, { lower: { key: [int4(100)], inclusive: false }, upper: { key: [int4(110)], inclusive: true } })).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    expect(await keysOf(index, b, { lower: { key: [int4(100)], inclusive: true }, upper: { key: [int4(103)], inclusive: false }, direction: 'backward' })).toEqual([102, 101, 100]);
    expect(await checkBtree(index, b)).toEqual([]);
    expect(await checkIndexCoversHeap(heap, index, b, b.session.snapshot(), (v) => [v[0]!])).toEqual([]);
    await b.session.commit();
  });

  it('[BT3][BT4] four sessions inserting concurrently split pages under each other; nothing is lost, the checker is clean', async () => {
    const { inst } = await freshInstance({ bufferCount: 128 });
    const heap = accountsHeap(inst);
    await heap.create();
    const index = makeIndex(inst, heap);
    const setup = inst.connect();
    await index.create(setup);
    const sessions = [inst.connect(), inst.connect(), inst.connect(), inst.connect()];
    await Promise.all(sessions.map((s, w) => inTransaction(s, async () => {
      for (let i = 0; i < 600; i++) {
        const k = ((i * 4 + w) * 2654435761) % 1_000_003;
        await index.insert(s, [int4(k)], await heap.insert(s, [int4(k), int4(w)]));
      }
    })));
    await setup.session.begin();
    setup.session.startStatement();
    expect(await checkBtree(index, setup)).toEqual([]);
    expect(await checkIndexCoversHeap(heap, index, setup, setup.session.snapshot(), (v) => [v[0]!])).toEqual([]);
    expect((await keysOf(index, setup)).length).toBe(2400);
    await setup.session.commit();
  });

  it('[BT1] multi-column keys with DESC and NULLS FIRST order as PostgreSQL', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const index = makeIndex(inst, heap, { columns: [int4Column, { ...int4Column, desc: true }] });
    const b = inst.connect();
    await index.create(b);
    const rows: [number, number | null][] = [[1, 5], [1, null], [2, 3], [1, 9], [0, 0]];
    await inTransaction(b, async () => {
      for (const [x, y] of rows) await index.insert(b, [int4(x), y === null ? null : int4(y)], await heap.insert(b, [int4(x), int4(y ?? -1)]));
    });
    await b.session.begin();
    const got: string[] = [];
    for await (const e of index.scan(b)) got.push(`${readInt4(e.key[0])}:${e.key[1] === null ? 'null' : readInt4(e.key[1])}`);
    // DESC defaults to NULLS FIRST.
    expect(got).toEqual(['0:0', '1:null', '1:9', '1:5', '2:3']);
    await b.session.commit();
  });

  it('[BT7] unique: a committed duplicate fails with 23505 and PostgreSQL\'s message; a running one makes the inserter wait, then proceed after abort', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const index = makeIndex(inst, heap, { unique: true });
    const a = inst.connect();
    const c = inst.connect();
    await index.create(a);
    await inTransaction(a, async () => index.insert(a, [int4(1)], await heap.insert(a, [int4(1), int4(0)])));
    await c.session.begin();
    c.session.startStatement();
    try {
      await index.insert(c, [int4(1)], await heap.insert(c, [int4(1), int4(0)]));
      expect.unreachable();
    } catch (e) {
      expect(isPgError(e) && e.code).toBe('23505');
      expect((e as Error).message).toBe('duplicate key value violates unique constraint "accounts_pkey"');
      expect((e as { detail?: string }).detail).toBe('Key (id)=(1) already exists.');
    }
    c.session.rollback();
    // Race on key 2: a inserts and holds; c waits; a aborts; c proceeds.
    await a.session.begin();
    a.session.startStatement();
    await index.insert(a, [int4(2)], await heap.insert(a, [int4(2), int4(0)]));
    await c.session.begin();
    c.session.startStatement();
    let finished = false;
    const pending = (async () => { await index.insert(c, [int4(2)], await heap.insert(c, [int4(2), int4(1)])); finished = true; })();
    await new Promise((r) => setTimeout(r, 20));
    expect(finished).toBe(false);
    a.session.rollback();
    await pending;
    expect(finished).toBe(true);
    await c.session.commit();
    // Race on key 3 where the holder commits: exactly one 23505.
    await a.session.begin();
    a.session.startStatement();
    await index.insert(a, [int4(3)], await heap.insert(a, [int4(3), int4(0)]));
    await c.session.begin();
    c.session.startStatement();
    const pending2 = (async () => index.insert(c, [int4(3)], await heap.insert(c, [int4(3), int4(1)])))().then(() => 'ok', (e: unknown) => (isPgError(e) ? e.code : String(e)));
    await new Promise((r) => setTimeout(r, 20));
    await a.session.commit();
    expect(await pending2).toBe('23505');
    c.session.rollback();
  });

  it('[BT10] LP_DEAD entries are skipped by scans and removed when the page fills', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const index = makeIndex(inst, heap);
    const b = inst.connect();
    await index.create(b);
    const tids = await inTransaction(b, async () => {
      const out = [];
      for (let i = 0; i < 100; i++) {
        const tid = await heap.insert(b, [int4(i), int4(0)]);
        await index.insert(b, [int4(i)], tid);
        out.push(tid);
      }
      return out;
    });
    await b.session.begin();
    for (let i = 0; i < 50; i++) expect(await index.killItem(b, [int4(i)], tids[i]!)).toBe(true);
    const left = await keysOf(index, b);
    expect(left[0]).toBe(50);
    expect(left.length).toBe(50);
    expect(await checkBtree(index, b)).toEqual([]);
    await b.session.commit();
  });

  it('[BT6] a B-tree survives power loss: recovery restores splits atomically and the checker is clean', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { fs, inst } = await freshInstance({ bufferCount: 16 }, seed);
      const heap = accountsHeap(inst);
      await heap.create();
      const index = makeIndex(inst, heap);
      const b = inst.connect();
      await index.create(b);
      await inst.smgr.syncAllPending();
      const committed: number[] = [];
      for (let t = 0; t < 6; t++) {
        await b.session.begin();
        b.session.startStatement();
        const mine: number[] = [];
        for (let i = 0; i < 150; i++) {
          const k = (seed * 1000 + t * 150 + i) * 7919 % 100_000;
          await index.insert(b, [int4(k)], await heap.insert(b, [int4(k), int4(t)]));
          mine.push(k);
        }
        if (t % 3 === 2) b.session.rollback();
        else { await b.session.commit(); committed.push(...mine); }
        if (t === seed % 6) await inst.pool.flushAll();
      }
      const crashed = fs.crash({ seed, keepProbability: 0.4 });
      const rec = await openInstance(crashed, { bufferCount: 16 });
      const heap2 = accountsHeap(rec);
      const index2 = makeIndex(rec, heap2);
      const c = rec.connect();
      await c.session.begin();
      c.session.startStatement();
      expect(await checkBtree(index2, c)).toEqual([]);
      expect(await checkIndexCoversHeap(heap2, index2, c, c.session.snapshot(), (v) => [v[0]!])).toEqual([]);
      const visible: number[] = [];
      for await (const e of index2.scan(c)) {
        const t = await heap2.hotSearch(c, e.heapTid, c.session.snapshot());
        if (t !== undefined) visible.push(readInt4(t.values[0]));
      }
      expect(visible).toEqual([...committed].sort((x, y) => x - y));
      await c.session.commit();
      await rec.wal.close();
    }
  });
});
