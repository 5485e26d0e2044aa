// The structural checker (contrib/amcheck's verify_heapam and bt_index_check in spirit):
// page invariants, line pointers, HOT chains, and "no tuple visible twice". It reads under
// share locks and never changes anything (hint bits found are not written back).
// Entry points: checkHeap, type CheckProblem.

import {
  type Page, LP_NORMAL, LP_REDIRECT, LP_DEAD, LP_UNUSED, SIZE_OF_PAGE_HEADER_DATA, BLCKSZ, maxAlign,
} from '@palisade/bufmgr';
import { type Snapshot, type TupleHeader, Infomask, Infomask2, heapTupleSatisfiesMVCC } from '@palisade/mvcc';
import type { AccessBackend, Heap } from './heap.ts';
import { Btree, type BtreePageOpaque, type IndexKey, BTP_LEAF, P_NONE } from './btree.ts';
import { readTupleHeader, deformTuple, tupleHoff, HEAP_TUPLE_HEADER_BYTES } from './tuple.ts';

/** One violated invariant, with where it was found. */
export interface CheckProblem {
  block: number;
  offset?: number;
  rule: string;
  message: string;
}

/** Problems reported at most (the checker stops collecting after this many). */
const PROBLEMS_MAX = 1000;

/**
 * Checks every page of `heap` (CHK1–CHK5). With a snapshot, also checks that at most one
 * member of each HOT chain is visible and that every visible heap-only tuple is reachable
 * from a root (CHK4).
 */
export async function checkHeap(heap: Heap, b: AccessBackend, snapshot?: Snapshot): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const n = await heap.nblocks();
  for (let block = 0; block < n && problems.length < PROBLEMS_MAX; block++) {
    const buf = await b.buffers.readBuffer(heap.locator, 'main', block);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      checkPage(heap, b, b.buffers.getPage(buf), block, n, snapshot, problems);
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }
  return problems;
}

function checkPage(heap: Heap, b: AccessBackend, page: Page, block: number, nblocks: number, snapshot: Snapshot | undefined, problems: CheckProblem[]): void {
  const report = (rule: string, message: string, offset?: number): void => {
    if (problems.length < PROBLEMS_MAX) problems.push({ block, ...(offset !== undefined ? { offset } : {}), rule, message });
  };
  if (page.isNew()) return;
  if (!page.headerIsSane()) {
    report('CHK1', `page header not sane: lower ${page.lower}, upper ${page.upper}, special ${page.special}`);
    return;
  }
  if (page.special !== BLCKSZ) report('CHK1', `heap page has special space at ${page.special}`);
  const count = page.itemCount;
  const ranges: [number, number, number][] = [];
  const headers = new Map<number, TupleHeader>();
  for (let off = 1; off <= count; off++) {
    const id = page.getItemId(off);
    if (id.flags === LP_UNUSED) {
      if (id.lengthBytes !== 0 || id.offset !== 0) report('CHK2', 'unused line pointer with storage', off);
      continue;
    }
    if (id.flags === LP_DEAD) {
      if (id.lengthBytes !== 0) report('CHK2', 'dead line pointer with storage', off);
      continue;
    }
    if (id.flags === LP_REDIRECT) {
      if (id.offset < 1 || id.offset > count) { report('CHK2', `redirect to ${id.offset} out of range`, off); continue; }
      const target = page.getItemId(id.offset);
      if (target.flags !== LP_NORMAL) { report('CHK3', `redirect to a line pointer that is not normal (${id.offset})`, off); continue; }
      const th = readTupleHeader(page.getItem(id.offset), { block, offset: id.offset });
      if ((th.infomask2 & Infomask2.HEAP_ONLY_TUPLE) === 0) report('CHK3', `redirect to a tuple that is not heap-only (${id.offset})`, off);
      continue;
    }
    // LP_NORMAL
    if (id.offset < SIZE_OF_PAGE_HEADER_DATA + count * 4 || id.offset + id.lengthBytes > page.special || id.offset !== maxAlign(id.offset)) {
      report('CHK2', `tuple storage ${id.offset}+${id.lengthBytes} outside the item area`, off);
      continue;
    }
    if (id.lengthBytes < HEAP_TUPLE_HEADER_BYTES) { report('CHK2', `tuple of ${id.lengthBytes} bytes is shorter than its header`, off); continue; }
    ranges.push([id.offset, id.offset + id.lengthBytes, off]);
    const stored = page.getItem(off);
    if (tupleHoff(stored) > id.lengthBytes) { report('CHK2', `t_hoff ${tupleHoff(stored)} beyond the tuple`, off); continue; }
    try {
      deformTuple(heap.relation.descriptor, stored);
    } catch (e) {
      report('CHK2', `tuple data does not decode: ${(e as Error).message}`, off);
      continue;
    }
    const h = readTupleHeader(stored, { block, offset: off });
    headers.set(off, h);
    if (h.ctid.block >= nblocks) report('CHK3', `ctid block ${h.ctid.block} beyond the relation's ${nblocks} blocks`, off);
    if ((h.infomask2 & Infomask2.HEAP_HOT_UPDATED) !== 0 && h.ctid.block !== block) report('CHK3', 'HOT-updated tuple whose successor is on another page', off);
    if ((h.infomask2 & Infomask2.HEAP_ONLY_TUPLE) !== 0 && (h.infomask & Infomask.HEAP_UPDATED) === 0) report('CHK3', 'heap-only tuple without HEAP_UPDATED', off);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) report('CHK2', `tuple storage of ${ranges[i]![2]} overlaps ${ranges[i - 1]![2]}`, ranges[i]![2]);
  }
  if (snapshot === undefined) return;
  // CHK4: chains from each root; at most one visible member; visible heap-only tuples are reachable.
  const reached = new Set<number>();
  const visible = (h: TupleHeader): boolean => heapTupleSatisfiesMVCC({ ...h, ctid: { ...h.ctid } }, snapshot, b.session);
  for (let root = 1; root <= count; root++) {
    const id = page.getItemId(root);
    let off: number;
    if (id.flags === LP_REDIRECT) off = id.offset;
    else if (id.flags === LP_NORMAL && headers.has(root) && (headers.get(root)!.infomask2 & Infomask2.HEAP_ONLY_TUPLE) === 0) off = root;
    else continue;
    let visibleCount = 0;
    let prevXmax: bigint | undefined;
    for (let steps = 0; steps <= count; steps++) {
      const h = headers.get(off);
      if (h === undefined || reached.has(off)) break;
      if (prevXmax !== undefined && h.xmin !== prevXmax) break;
      reached.add(off);
      if (visible(h)) visibleCount++;
      if ((h.infomask2 & Infomask2.HEAP_HOT_UPDATED) === 0 || h.ctid.block !== block) break;
      prevXmax = h.xmax;
      off = h.ctid.offset;
    }
    if (visibleCount > 1) report('CHK4', `${visibleCount} members of one HOT chain are visible`, root);
  }
  for (const [off, h] of headers) {
    if ((h.infomask2 & Infomask2.HEAP_ONLY_TUPLE) !== 0 && !reached.has(off) && visible(h)) {
      report('CHK4', 'visible heap-only tuple not reachable from any root', off);
    }
  }
}

/**
 * B-tree invariants (CHK6–CHK8, bt_index_check): on every level, entries in strictly
 * increasing order, every entry below the page's high key, the right sibling's left-link
 * pointing back and its entries not below the high key; each downlink's child one level down,
 * bounded by the pivot and the next pivot.
 */
export async function checkBtree(index: Btree, b: AccessBackend): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const report = (block: number, rule: string, message: string): void => {
    if (problems.length < PROBLEMS_MAX) problems.push({ block, rule, message });
  };
  const n = await index.storage.pool.smgr.nblocks(index.locator, 'main');
  const pages = new Map<number, ReturnType<typeof Btree.pageContents>>();
  for (let block = 1; block < n; block++) {
    const buf = await b.buffers.readBuffer(index.locator, 'main', block);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      const page = b.buffers.getPage(buf);
      if (!page.isNew()) pages.set(block, Btree.pageContents(page));
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }
  const firstData = (o: BtreePageOpaque): number => (o.next === P_NONE ? 0 : 1);
  for (const [block, { opaque, items }] of pages) {
    const start = firstData(opaque);
    for (let i = start + 1; i < items.length; i++) {
      const a = items[i - 1]!.tuple;
      if (a.keys.length === 0) continue;
      if (index.compareEntries({ keys: a.keys, tie: a.tie }, items[i]!.tuple) >= 0) report(block, 'CHK6', `entries ${i} and ${i + 1} out of order`);
    }
    if (opaque.next !== P_NONE) {
      const hk = items[0]!.tuple;
      for (let i = start; i < items.length; i++) {
        const t = items[i]!.tuple;
        if (t.keys.length === 0) continue;
        if (index.compareEntries({ keys: t.keys, tie: t.tie }, hk) >= 0) report(block, 'CHK7', `entry ${i + 1} not below the high key`);
      }
      const right = pages.get(opaque.next);
      if (right === undefined) report(block, 'CHK7', `right sibling ${opaque.next} missing`);
      else {
        if (right.opaque.prev !== block) report(block, 'CHK7', `right sibling ${opaque.next} points back to ${right.opaque.prev}`);
        if (right.opaque.level !== opaque.level) report(block, 'CHK7', 'right sibling on another level');
        const rf = right.items[firstData(right.opaque)];
        if (rf !== undefined && rf.tuple.keys.length > 0 && index.compareEntries({ keys: rf.tuple.keys, tie: rf.tuple.tie }, hk) < 0) {
          report(block, 'CHK7', 'right sibling has an entry below this page\'s high key');
        }
      }
    }
    if ((opaque.flags & BTP_LEAF) === 0) {
      for (let i = start; i < items.length; i++) {
        const pivot = items[i]!.tuple;
        const child = pages.get(pivot.ptrBlock);
        if (child === undefined) { report(block, 'CHK8', `downlink to missing block ${pivot.ptrBlock}`); continue; }
        if (child.opaque.level !== opaque.level - 1) report(block, 'CHK8', `child ${pivot.ptrBlock} on level ${child.opaque.level}, expected ${opaque.level - 1}`);
        const cf = child.items[firstData(child.opaque)];
        if (pivot.keys.length > 0 && cf !== undefined && cf.tuple.keys.length > 0 && index.compareEntries({ keys: cf.tuple.keys, tie: cf.tuple.tie }, pivot) < 0) {
          report(block, 'CHK8', `child ${pivot.ptrBlock} has an entry below its downlink's key`);
        }
        const nextPivot = items[i + 1]?.tuple ?? (opaque.next !== P_NONE ? items[0]!.tuple : undefined);
        if (nextPivot !== undefined && child.opaque.next !== P_NONE) {
          const chk = child.items[0]!.tuple;
          if (index.compareEntries({ keys: chk.keys, tie: chk.tie }, nextPivot) !== 0) report(block, 'CHK8', `child ${pivot.ptrBlock}'s high key differs from the next downlink's key`);
        }
      }
    }
  }
  return problems;
}

/**
 * CHK5: every heap tuple visible to `snapshot` has an index entry with its key pointing at its
 * HOT chain's root.
 */
export async function checkIndexCoversHeap(heap: Heap, index: Btree, b: AccessBackend, snapshot: Snapshot, keyOf: (values: (Uint8Array | null)[]) => IndexKey): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const entries = new Set<string>();
  for await (const e of index.scan(b)) entries.add(`${e.heapTid.block}/${e.heapTid.offset}/${e.key.map((k) => (k === null ? 'N' : Buffer.from(k).toString('hex'))).join(',')}`);
  const roots = new Map<string, number>();
  const n = await heap.nblocks();
  for (let block = 0; block < n; block++) {
    const buf = await b.buffers.readBuffer(heap.locator, 'main', block);
    await b.buffers.lockBuffer(buf, 'share');
    try {
      const page = b.buffers.getPage(buf);
      if (page.isNew()) continue;
      for (let root = 1; root <= page.itemCount; root++) {
        const id = page.getItemId(root);
        let off: number;
        if (id.flags === LP_REDIRECT) off = id.offset;
        else if (id.flags === LP_NORMAL && (readTupleHeader(page.getItem(root), { block, offset: root }).infomask2 & Infomask2.HEAP_ONLY_TUPLE) === 0) off = root;
        else continue;
        for (let steps = 0; steps <= page.itemCount; steps++) {
          if (page.getItemId(off).flags !== LP_NORMAL) break;
          roots.set(`${block}/${off}`, root);
          const h = readTupleHeader(page.getItem(off), { block, offset: off });
          if ((h.infomask2 & Infomask2.HEAP_HOT_UPDATED) === 0 || h.ctid.block !== block) break;
          off = h.ctid.offset;
        }
      }
    } finally {
      b.buffers.unlockReleaseBuffer(buf);
    }
  }
  for await (const t of heap.scan(b, snapshot)) {
    const root = roots.get(`${t.tid.block}/${t.tid.offset}`);
    const key = keyOf(t.values).map((k) => (k === null ? 'N' : Buffer.from(k).toString('hex'))).join(',');
    if (root === undefined || !entries.has(`${t.tid.block}/${root}/${key}`)) {
      problems.push({ block: t.tid.block, offset: t.tid.offset, rule: 'CHK5', message: 'visible heap tuple without an index entry' });
      if (problems.length >= PROBLEMS_MAX) break;
    }
  }
  return problems;
}
