// WAL records of the heap (resource managers Heap and Heap2) and their redo routines.
// Entry points: heapResourceManager, heap2ResourceManager, HeapInfo, Heap2Info, and the
// payload codecs the heap uses when it logs a change.

import { type Xid, assert } from '@palisade/common';
import { Page, LP_REDIRECT, LP_NORMAL } from '@palisade/bufmgr';
import {
  type DecodedRecord, type RedoContext, type ResourceManager, RmgrId, readBufferForRedo, finishBlockRedo,
} from '@palisade/wal';
import type { CommandId } from '@palisade/mvcc';
import { readTupleHeader, writeTupleHeader } from './tuple.ts';

/** xl_info values of the Heap resource manager (PostgreSQL's heapam_xlog.h numbering). */
export const HeapInfo = { INSERT: 0x00, DELETE: 0x10, UPDATE: 0x20, HOT_UPDATE: 0x40, LOCK: 0x60 } as const;
/** xl_info values of Heap2. */
export const Heap2Info = { PRUNE: 0x10, VACUUM: 0x20 } as const;

/** A new xmax (delete or lock) or the old version's side of an update, as logged. */
export interface XmaxChange {
  offset: number;
  xmax: Xid;
  cid: CommandId;
  infomask: number;
  infomask2: number;
  ctidBlock: number;
  ctidOffset: number;
}
const XMAX_CHANGE_BYTES = 24;

export function encodeXmaxChange(c: XmaxChange): Uint8Array {
  const out = new Uint8Array(XMAX_CHANGE_BYTES);
  const v = new DataView(out.buffer);
  v.setUint16(0, c.offset, true);
  v.setBigUint64(2, c.xmax, true);
  v.setUint32(10, c.cid, true);
  v.setUint16(14, c.infomask, true);
  v.setUint16(16, c.infomask2, true);
  v.setUint32(18, c.ctidBlock, true);
  v.setUint16(22, c.ctidOffset, true);
  return out;
}

export function decodeXmaxChange(bytes: Uint8Array): XmaxChange {
  assert(bytes.length >= XMAX_CHANGE_BYTES, 'xmax change record too short');
  const v = new DataView(bytes.buffer, bytes.byteOffset, XMAX_CHANGE_BYTES);
  return {
    offset: v.getUint16(0, true), xmax: v.getBigUint64(2, true) as Xid, cid: v.getUint32(10, true) as CommandId,
    infomask: v.getUint16(14, true), infomask2: v.getUint16(16, true), ctidBlock: v.getUint32(18, true), ctidOffset: v.getUint16(22, true),
  };
}

/** Block data of an inserted tuple: offset number then the whole tuple, header included. */
export function encodeTupleData(offset: number, tuple: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + tuple.length);
  new DataView(out.buffer).setUint16(0, offset, true);
  out.set(tuple, 2);
  return out;
}
export function decodeTupleData(bytes: Uint8Array): { offset: number; tuple: Uint8Array } {
  assert(bytes.length > 2, 'tuple record too short');
  return { offset: bytes[0]! | (bytes[1]! << 8), tuple: bytes.subarray(2) };
}

/** What pruning did to a page: redirects (from → to), line pointers made dead, made unused. */
export interface PruneResult {
  redirected: [number, number][];
  dead: number[];
  unused: number[];
}

export function encodePrune(p: PruneResult): Uint8Array {
  const n = 3 + p.redirected.length * 2 + p.dead.length + p.unused.length;
  const out = new Uint8Array(n * 2);
  const v = new DataView(out.buffer);
  let o = 0;
  const put = (x: number): void => { v.setUint16(o, x, true); o += 2; };
  put(p.redirected.length); put(p.dead.length); put(p.unused.length);
  for (const [a, b] of p.redirected) { put(a); put(b); }
  for (const d of p.dead) put(d);
  for (const u of p.unused) put(u);
  return out;
}
export function decodePrune(bytes: Uint8Array): PruneResult {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let o = 0;
  const get = (): number => { const x = v.getUint16(o, true); o += 2; return x; };
  const nr = get(), nd = get(), nu = get();
  assert(bytes.length === (3 + nr * 2 + nd + nu) * 2, 'prune record length mismatch');
  const redirected: [number, number][] = [];
  for (let i = 0; i < nr; i++) redirected.push([get(), get()]);
  const dead: number[] = [];
  for (let i = 0; i < nd; i++) dead.push(get());
  const unused: number[] = [];
  for (let i = 0; i < nu; i++) unused.push(get());
  return { redirected, dead, unused };
}

/**
 * Applies a prune result to a page (heap_page_prune_execute) and compacts it. The caller holds
 * a cleanup lock (B9), or is redo.
 */
export function applyPrune(page: Page, p: PruneResult): void {
  for (const [from, to] of p.redirected) page.setItemRedirect(from, to);
  for (const d of p.dead) {
    const id = page.getItemId(d);
    assert(id.flags === LP_NORMAL || id.flags === LP_REDIRECT, 'pruning a line pointer that is not normal or redirect to dead');
    // LP_DEAD without storage: the index entries still point here until VACUUM.
    page.setItemUnused(d);
    page.markItemDead(d);
  }
  for (const u of p.unused) page.setItemUnused(u);
  page.repairFragmentation();
}

/** Writes a logged xmax change into the tuple at c.offset. */
export function applyXmaxChange(page: Page, c: XmaxChange): void {
  const id = page.getItemId(c.offset);
  assert(id.flags === LP_NORMAL, () => `xmax change on line pointer ${c.offset} which is not normal`);
  const bytes = page.getItem(c.offset);
  const h = readTupleHeader(bytes, { block: c.ctidBlock, offset: c.offset });
  h.xmax = c.xmax;
  h.cid = c.cid;
  h.infomask = c.infomask;
  h.infomask2 = c.infomask2;
  h.ctid = { block: c.ctidBlock, offset: c.ctidOffset };
  writeTupleHeader(bytes, h);
}

/** Puts a logged tuple at exactly `offset`. */
export function redoPlaceTuple(page: Page, offset: number, tuple: Uint8Array): void {
  if (page.isNew()) page.init(0);
  const got = page.addItem(tuple, { offsetNumber: offset, overwrite: true });
  assert(got === offset, () => `redo could not place tuple at offset ${offset}`);
}

/** Redo pins are released after each record by a context that holds them (see BufferRedoContext). */
function endRecord(ctx: RedoContext): void {
  (ctx as Partial<{ releaseRedoPins(): void }>).releaseRedoPins?.();
}

async function redoHeap(record: DecodedRecord, ctx: RedoContext): Promise<void> {
  const info = record.info & 0xf0;
  try {
    if (info === HeapInfo.INSERT) {
      const r = await readBufferForRedo(ctx, record, 0);
      if (r.action === 'needsRedo' && r.page) {
        const { offset, tuple } = decodeTupleData(r.block.data!);
        redoPlaceTuple(new Page(r.page), offset, tuple);
        await finishBlockRedo(ctx, record, r.block, r.page);
      }
    } else if (info === HeapInfo.DELETE || info === HeapInfo.LOCK) {
      const r = await readBufferForRedo(ctx, record, 0);
      if (r.action === 'needsRedo' && r.page) {
        const page = new Page(r.page);
        applyXmaxChange(page, decodeXmaxChange(r.block.data!));
        if (info === HeapInfo.DELETE) page.setPruneXid(record.xid);
        await finishBlockRedo(ctx, record, r.block, r.page);
      }
    } else if (info === HeapInfo.UPDATE || info === HeapInfo.HOT_UPDATE) {
      const samePage = (record.mainData[0]! & 1) === 1;
      const r0 = await readBufferForRedo(ctx, record, 0);
      if (samePage) {
        if (r0.action === 'needsRedo' && r0.page) {
          const data = r0.block.data!;
          const page = new Page(r0.page);
          const change = decodeXmaxChange(data.subarray(0, XMAX_CHANGE_BYTES));
          applyXmaxChange(page, change);
          const { offset, tuple } = decodeTupleData(data.subarray(XMAX_CHANGE_BYTES));
          redoPlaceTuple(page, offset, tuple);
          page.setPruneXid(record.xid);
          await finishBlockRedo(ctx, record, r0.block, r0.page);
        }
      } else {
        if (r0.action === 'needsRedo' && r0.page) {
          const { offset, tuple } = decodeTupleData(r0.block.data!);
          redoPlaceTuple(new Page(r0.page), offset, tuple);
          await finishBlockRedo(ctx, record, r0.block, r0.page);
        }
        const r1 = await readBufferForRedo(ctx, record, 1);
        if (r1.action === 'needsRedo' && r1.page) {
          const page = new Page(r1.page);
          applyXmaxChange(page, decodeXmaxChange(r1.block.data!));
          page.setPruneXid(record.xid);
          await finishBlockRedo(ctx, record, r1.block, r1.page);
        }
      }
    } else {
      assert(false, `unknown heap record info 0x${info.toString(16)}`);
    }
  } finally {
    endRecord(ctx);
  }
}

async function redoHeap2(record: DecodedRecord, ctx: RedoContext): Promise<void> {
  const info = record.info & 0xf0;
  try {
    assert(info === Heap2Info.PRUNE || info === Heap2Info.VACUUM, `unknown heap2 record info 0x${info.toString(16)}`);
    const r = await readBufferForRedo(ctx, record, 0);
    if (r.action === 'needsRedo' && r.page) {
      const page = new Page(r.page);
      const p = decodePrune(r.block.data!);
      if (info === Heap2Info.PRUNE) applyPrune(page, p);
      else for (const off of p.unused) page.setItemUnused(off);
      await finishBlockRedo(ctx, record, r.block, r.page);
    }
  } finally {
    endRecord(ctx);
  }
}

const heapNames: Record<number, string> = { 0x00: 'INSERT', 0x10: 'DELETE', 0x20: 'UPDATE', 0x40: 'HOT_UPDATE', 0x60: 'LOCK' };

/** The Heap resource manager (id 10): insert, delete, update, HOT update, lock. */
export const heapResourceManager: ResourceManager = {
  id: RmgrId.Heap,
  name: 'Heap',
  redo: redoHeap,
  identify: (info) => heapNames[info & 0xf0],
  desc: (record) => {
    const b = record.blocks[0];
    if (b?.data === undefined) return '';
    const info = record.info & 0xf0;
    if (info === HeapInfo.INSERT) return `off: ${decodeTupleData(b.data).offset}`;
    if (info === HeapInfo.DELETE || info === HeapInfo.LOCK) {
      const c = decodeXmaxChange(b.data);
      return `off: ${c.offset}, xmax: ${c.xmax}, infobits: 0x${c.infomask.toString(16)}`;
    }
    return `same page: ${(record.mainData[0]! & 1) === 1}`;
  },
};

/** The Heap2 resource manager (id 9): pruning. */
export const heap2ResourceManager: ResourceManager = {
  id: RmgrId.Heap2,
  name: 'Heap2',
  redo: redoHeap2,
  identify: (info) => ((info & 0xf0) === Heap2Info.PRUNE ? 'PRUNE' : (info & 0xf0) === Heap2Info.VACUUM ? 'VACUUM' : undefined),
  desc: (record) => {
    const b = record.blocks[0];
    if (b?.data === undefined) return '';
    const p = decodePrune(b.data);
    return `nredirected: ${p.redirected.length}, ndead: ${p.dead.length}, nunused: ${p.unused.length}`;
  },
};

