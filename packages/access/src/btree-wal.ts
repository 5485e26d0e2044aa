// WAL records of the B-tree (resource manager Btree) and their redo. Leaf and internal inserts
// are logged logically (offset + tuple); a split with everything it causes up the tree (new
// right pages, right-sibling left-links, parent downlinks, a new root and the metapage) is one
// record of full-page images, so recovery never sees a half-finished split (BT6).
// Entry points: btreeResourceManager, BtreeInfo.

import { assert } from '@palisade/common';
import { Page } from '@palisade/bufmgr';
import { type DecodedRecord, type RedoContext, type ResourceManager, RmgrId, readBufferForRedo, finishBlockRedo } from '@palisade/wal';

/** xl_info values of the Btree resource manager (PostgreSQL's nbtxlog.h numbering where it exists). */
export const BtreeInfo = { INSERT_LEAF: 0x00, INSERT_UPPER: 0x10, SPLIT: 0x30, DELETE: 0x70, VACUUM: 0x80, NEWROOT: 0xa0 } as const;

export function encodeOffsets(offsets: readonly number[]): Uint8Array {
  const out = new Uint8Array(offsets.length * 2);
  const v = new DataView(out.buffer);
  offsets.forEach((o, i) => v.setUint16(i * 2, o, true));
  return out;
}
export function decodeOffsets(bytes: Uint8Array): number[] {
  assert(bytes.length % 2 === 0, 'offset list length');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push(v.getUint16(i, true));
  return out;
}

async function redoBtree(record: DecodedRecord, ctx: RedoContext): Promise<void> {
  const info = record.info & 0xf0;
  try {
    if (info === BtreeInfo.INSERT_LEAF || info === BtreeInfo.INSERT_UPPER) {
      const r = await readBufferForRedo(ctx, record, 0);
      if (r.action === 'needsRedo' && r.page) {
        const data = r.block.data!;
        const off = data[0]! | (data[1]! << 8);
        const page = new Page(r.page);
        assert(page.addItem(data.subarray(2), { offsetNumber: off }) === off, 'btree redo could not place the tuple');
        await finishBlockRedo(ctx, record, r.block, r.page);
      }
    } else if (info === BtreeInfo.SPLIT || info === BtreeInfo.NEWROOT) {
      for (const block of record.blocks) {
        const r = await readBufferForRedo(ctx, record, block.id);
        assert(r.action !== 'needsRedo', 'split records carry full-page images');
      }
    } else if (info === BtreeInfo.DELETE || info === BtreeInfo.VACUUM) {
      const r = await readBufferForRedo(ctx, record, 0);
      if (r.action === 'needsRedo' && r.page) {
        const page = new Page(r.page);
        const offsets = decodeOffsets(r.block.data!);
        for (let i = offsets.length - 1; i >= 0; i--) page.deleteItem(offsets[i]!);
        await finishBlockRedo(ctx, record, r.block, r.page);
      }
    } else {
      assert(false, `unknown btree record info 0x${info.toString(16)}`);
    }
  } finally {
    (ctx as Partial<{ releaseRedoPins(): void }>).releaseRedoPins?.();
  }
}

const names: Record<number, string> = { 0x00: 'INSERT_LEAF', 0x10: 'INSERT_UPPER', 0x30: 'SPLIT', 0x70: 'DELETE', 0x80: 'VACUUM', 0xa0: 'NEWROOT' };

/** The Btree resource manager (id 11). */
export const btreeResourceManager: ResourceManager = {
  id: RmgrId.Btree,
  name: 'Btree',
  redo: redoBtree,
  identify: (info) => names[info & 0xf0],
  desc: (record) => `blocks: ${record.blocks.map((b) => b.block).join(', ')}`,
};
