// The RedoContext that replays WAL into @palisade/bufmgr's shared buffers. Pages handed to a
// redo routine stay pinned and exclusively locked until the record is done
// (releaseRedoPins, called by this package's resource managers), so a later block of the same
// record cannot evict an earlier one. Entry point: BufferRedoContext.

import { assert } from '@palisade/common';
import { type BufferBackend, type BufferId, type StorageManager, forkFromNumber } from '@palisade/bufmgr';
import type { BlockLocation, RedoContext } from '@palisade/wal';

/** Pages one record may hold at once (XLR_MAX_BLOCK_ID + 1). */
const REDO_PINS_MAX = 33;

export class BufferRedoContext implements RedoContext {
  readonly #held = new Map<string, { id: BufferId; bytes: Uint8Array }>();

  constructor(readonly buffers: BufferBackend, readonly smgr: StorageManager) {}

  async readPage(location: BlockLocation, mode: 'read' | 'zero'): Promise<Uint8Array | undefined> {
    const key = `${location.rel.spcOid}/${location.rel.dbOid}/${location.rel.relNumber}/${location.fork}/${location.block}`;
    const held = this.#held.get(key);
    if (held !== undefined) {
      if (mode === 'zero') held.bytes.fill(0);
      return held.bytes;
    }
    assert(this.#held.size < REDO_PINS_MAX, 'too many pages held by one redo record');
    const fork = forkFromNumber(location.fork);
    const exists = await this.smgr.exists(location.rel, fork);
    if (!exists) {
      // The file was created and not yet dropped when the record was written (W6): recreate it.
      if (mode === 'read') return undefined;
      await this.smgr.create(location.rel, fork);
    }
    const n = await this.smgr.nblocks(location.rel, fork);
    if (location.block >= n) {
      if (mode === 'read') return undefined;
      // Extension is not logged: grow the file up to the block (BUF11).
      for (let b = n; b <= location.block; b++) {
        const { bufferId } = await this.buffers.extendRelation(location.rel, fork);
        this.buffers.releaseBuffer(bufferId);
      }
    }
    let id: BufferId;
    if (mode === 'zero') {
      id = await this.buffers.readBuffer(location.rel, fork, location.block, 'zero');
      this.buffers.getPage(id).bytes.fill(0);
    } else {
      id = await this.buffers.readBuffer(location.rel, fork, location.block, 'normal');
      await this.buffers.lockBuffer(id, 'exclusive');
    }
    const bytes = this.buffers.getPage(id).bytes;
    this.#held.set(key, { id, bytes });
    return bytes;
  }

  markDirty(location: BlockLocation): void {
    const key = `${location.rel.spcOid}/${location.rel.dbOid}/${location.rel.relNumber}/${location.fork}/${location.block}`;
    const held = this.#held.get(key);
    assert(held !== undefined, 'redo marked a page dirty that it does not hold');
    this.buffers.markDirty(held.id);
  }

  /** Unlocks and unpins every page of the record just replayed. */
  releaseRedoPins(): void {
    for (const { id } of this.#held.values()) this.buffers.unlockReleaseBuffer(id);
    this.#held.clear();
  }
}
