// The checker must catch what it claims to: each test damages a page on purpose.

import { describe, expect, it } from 'vitest';
import { oid, relFileNumber } from '@palisade/common';
import { Infomask } from '@palisade/mvcc';
import { Btree, checkHeap, checkBtree, checkIndexCoversHeap, readTupleHeader, writeTupleHeader, type AccessBackend } from '../src/index.ts';
import { accountsHeap, freshInstance, int4, readInt4, inTransaction, tableLocator } from './helpers.ts';

async function withPage(b: AccessBackend, rel: typeof tableLocator, block: number, fn: (bytes: Uint8Array, page: ReturnType<AccessBackend['buffers']['getPage']>) => void): Promise<void> {
  const buf = await b.buffers.readBuffer(rel, 'main', block);
  await b.buffers.lockBuffer(buf, 'exclusive');
  const page = b.buffers.getPage(buf);
  fn(page.bytes, page);
  b.buffers.markDirty(buf);
  b.buffers.unlockReleaseBuffer(buf);
}

describe('structural checker', () => {
  it('[CHK3][CHK4] finds a redirect to a root tuple and two visible members of one HOT chain', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const b = inst.connect();
    const root = await inTransaction(b, () => heap.insert(b, [int4(1), int4(0)]));
    const other = await inTransaction(b, () => heap.insert(b, [int4(2), int4(0)]));
    const upd = await inTransaction(b, () => heap.update(b, root, [int4(1), int4(1)], { indexedColumnsChanged: false }));
    expect(upd.result === 'Ok' && upd.hot).toBe(true);
    await b.session.begin();
    b.session.startStatement();
    expect(await checkHeap(heap, b, b.session.snapshot())).toEqual([]);
    // Resurrect the old version: its xmax "aborted" → both versions visible.
    await withPage(b, tableLocator, 0, (_bytes, page) => {
      const stored = page.getItem(root.offset);
      const h = readTupleHeader(stored, root);
      h.infomask = (h.infomask & ~Infomask.HEAP_XMAX_COMMITTED) | Infomask.HEAP_XMAX_INVALID;
      writeTupleHeader(stored, h);
    });
    const p1 = await checkHeap(heap, b, b.session.snapshot());
    expect(p1.map((p) => p.rule)).toContain('CHK4');
    // A redirect to a tuple that is not heap-only.
    await withPage(b, tableLocator, 0, (_bytes, page) => page.setItemRedirect(root.offset, other.offset));
    const p2 = await checkHeap(heap, b);
    expect(p2.some((p) => p.rule === 'CHK3' && p.offset === root.offset)).toBe(true);
    await b.session.commit();
  });

  it('[CHK2] finds overlapping tuple storage and a line pointer outside the page', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const b = inst.connect();
    await inTransaction(b, async () => { await heap.insert(b, [int4(1), int4(0)]); await heap.insert(b, [int4(2), int4(0)]); });
    await b.session.begin();
    await withPage(b, tableLocator, 0, (bytes) => {
      // Line pointer 2 := line pointer 1 (same storage).
      bytes.copyWithin(28, 24, 28);
    });
    expect((await checkHeap(heap, b)).map((p) => p.rule)).toContain('CHK2');
    await withPage(b, tableLocator, 0, (bytes) => {
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(28, (8180 & 0x7fff) | (1 << 15) | (40 << 17), true);
    });
    expect((await checkHeap(heap, b)).some((p) => p.rule === 'CHK2' && p.offset === 2)).toBe(true);
    await b.session.commit();
  });

  it('[CHK5][CHK6] finds entries out of order and a visible row without an index entry', async () => {
    const { inst } = await freshInstance();
    const heap = accountsHeap(inst);
    await heap.create();
    const b = inst.connect();
    const locator = { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(16395) };
    const index = new Btree({ locator, relOid: 16395, name: 'i', unique: false, columns: [{ compare: (x, y) => readInt4(x) - readInt4(y) }], columnNames: ['k'], formatKey: () => '' }, inst, heap);
    await index.create(b);
    await inTransaction(b, async () => {
      for (let i = 0; i < 5; i++) await index.insert(b, [int4(i)], await heap.insert(b, [int4(i), int4(0)]));
      await heap.insert(b, [int4(99), int4(0)]);
    });
    await b.session.begin();
    b.session.startStatement();
    expect(await checkBtree(index, b)).toEqual([]);
    expect((await checkIndexCoversHeap(heap, index, b, b.session.snapshot(), (v) => [v[0]!])).map((p) => p.rule)).toEqual(['CHK5']);
    // Swap the line pointers of the first two leaf entries (block 1 is the root leaf).
    await withPage(b, locator, 1, (bytes) => {
      const a = bytes.slice(24, 28);
      bytes.copyWithin(24, 28, 32);
      bytes.set(a, 28);
    });
    expect((await checkBtree(index, b)).map((p) => p.rule)).toContain('CHK6');
    await b.session.commit();
  });
});
