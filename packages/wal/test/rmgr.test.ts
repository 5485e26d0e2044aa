import { describe, expect, it } from 'vitest';
import { PgError, type BlockNumber, type Lsn, type Oid, type RelFileNumber, type Xid } from '@palisade/common';
import { BLCKSZ, pageGetLsn, pageSetLsn } from '../src/page.ts';
import { decodeRecord, encodeRecordBody, finishRecord, maxAlign, type BlockRef, type DecodedRecord } from '../src/record.ts';
import { ResourceManagerRegistry, finishBlockRedo, readBufferForRedo, type BlockLocation, type RedoContext } from '../src/rmgr.ts';
import { xlogResourceManager } from '../src/xlog.ts';

const rel = { spcOid: 1663 as Oid, dbOid: 1 as Oid, relNumber: 1 as RelFileNumber };

function record(block: Partial<BlockRef>, policyRedo = 0n): DecodedRecord {
  const enc = encodeRecordBody({ rmid: 10, info: 0, xid: 5n as Xid, mainData: new Uint8Array(0), blocks: [{ id: 0, rel, fork: 0, block: 0 as BlockNumber, flags: {}, ...block }] }, { redoRecPtr: policyRedo as Lsn, fullPageWrites: true });
  finishRecord(enc, 0n as Lsn);
  return decodeRecord(enc.bytes, 0x1000n as Lsn, (0x1000n + BigInt(maxAlign(enc.bytes.length))) as Lsn);
}

class OnePage implements RedoContext {
  page: Uint8Array | undefined = new Uint8Array(BLCKSZ);
  dirty = 0;
  readPage(_loc: BlockLocation, mode: 'read' | 'zero'): Uint8Array | undefined {
    if (mode === 'zero') {
      this.page ??= new Uint8Array(BLCKSZ);
      this.page.fill(0);
    }
    return this.page;
  }
  markDirty(): void {
    this.dirty += 1;
  }
}

describe('readBufferForRedo', () => {
  it('[W2] a page whose LSN is at or past the record\'s end is done; an older one needs redo', async () => {
    const r = record({});
    const ctx = new OnePage();
    pageSetLsn(ctx.page!, r.endLsn);
    expect((await readBufferForRedo(ctx, r, 0)).action).toBe('done');
    pageSetLsn(ctx.page!, (r.endLsn - 8n) as Lsn);
    const { action, page, block } = await readBufferForRedo(ctx, r, 0);
    expect(action).toBe('needsRedo');
    await finishBlockRedo(ctx, r, block, page!);
    expect(pageGetLsn(ctx.page!)).toBe(r.endLsn);
    expect(ctx.dirty).toBe(1);
  });

  it('[W3] a full-page image is restored and stamped with the record\'s end LSN', async () => {
    const image = new Uint8Array(BLCKSZ).fill(3);
    pageSetLsn(image, 0n as Lsn);
    const r = record({ page: image, flags: { forceImage: true } });
    const ctx = new OnePage();
    ctx.page!.fill(9);
    const { action } = await readBufferForRedo(ctx, r, 0);
    expect(action).toBe('restored');
    expect(pageGetLsn(ctx.page!)).toBe(r.endLsn);
    expect(ctx.page!.subarray(8).every((b) => b === 3)).toBe(true);
  });

  it('[W6] a missing page is notFound; a WILL_INIT page is handed out zeroed', async () => {
    const ctx = new OnePage();
    ctx.page = undefined;
    expect((await readBufferForRedo(ctx, record({}), 0)).action).toBe('notFound');
    const init = await readBufferForRedo(ctx, record({ flags: { willInit: true } }), 0);
    expect(init.action).toBe('needsRedo');
    expect(init.page!.every((b) => b === 0)).toBe(true);
  });

  it('registering two resource managers with one id is refused', () => {
    const registry = new ResourceManagerRegistry();
    registry.register(xlogResourceManager);
    expect(() => registry.register({ ...xlogResourceManager, name: 'other' })).toThrow(PgError);
  });
});
