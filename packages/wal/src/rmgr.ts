// Resource managers: the redo routines other packages plug in (heap and btree in
// @palisade/access, transactions in @palisade/mvcc), the registry recovery dispatches
// through, and the RedoContext through which redo reaches pages the layer above owns.
// Entry points: ResourceManagerRegistry, readBufferForRedo, RmgrId.

import { PgError, SqlState, assert, type BlockNumber } from '@palisade/common';
import { pageGetLsn, pageSetLsn } from './page.ts';
import type { DecodedBlockRef, DecodedRecord, RelFileLocator } from './record.ts';

/** PostgreSQL's built-in resource manager ids (rmgrlist.h), shared so that every package uses the same numbers. */
export const RmgrId = {
  XLOG: 0, Transaction: 1, Storage: 2, CLOG: 3, Database: 4, Tablespace: 5, MultiXact: 6, RelMap: 7, Standby: 8,
  Heap2: 9, Heap: 10, Btree: 11, Hash: 12, Gin: 13, Gist: 14, Sequence: 15, SPGist: 16, BRIN: 17, CommitTs: 18,
  ReplicationOrigin: 19, Generic: 20, LogicalMessage: 21,
} as const;
/** Ids 128..255 are for resource managers outside Palisade's own packages (RM_EXPERIMENTAL_ID is 128). */
export const RM_MIN_CUSTOM_ID = 128;
export const RM_MAX_ID = 255;

/** Which page a block reference names. */
export interface BlockLocation {
  rel: RelFileLocator;
  fork: number;
  block: BlockNumber;
}

/**
 * What redo needs from the layer that owns pages (the buffer manager), supplied by the
 * caller of recovery. Pages are returned as the buffer itself: redo changes them in place.
 */
export interface RedoContext {
  /**
   * The page for redo. `read`: its current content, or undefined if the relation or block
   * does not exist (dropped or truncated later in WAL: the change is skipped, W6). `zero`: the
   * buffer zero-filled (extending the relation if needed), for a page about to be initialized or restored.
   */
  readPage(location: BlockLocation, mode: 'read' | 'zero'): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** The page was changed by redo (MarkBufferDirty): the buffer manager writes it later, WAL first. */
  markDirty(location: BlockLocation, page: Uint8Array): void | Promise<void>;
}

/** A redo routine set for one record family (PostgreSQL's RmgrData). */
export interface ResourceManager {
  id: number;
  name: string;
  /** Replays a record. Use {@link readBufferForRedo} for every block reference (W2, W3). */
  redo(record: DecodedRecord, ctx: RedoContext): void | Promise<void>;
  /** One line describing the record's main data, as pg_waldump prints after "desc:". */
  desc(record: DecodedRecord): string;
  /** The record type's name from its info bits (e.g. "INSERT"); defaults to the info byte in hex. */
  identify?(info: number): string | undefined;
  startup?(): void | Promise<void>;
  cleanup?(): void | Promise<void>;
}

/** Resource managers by id; recovery refuses a record whose rmid is not registered. */
export class ResourceManagerRegistry {
  readonly #byId = new Map<number, ResourceManager>();

  /** Registers `rm`; its id must be free. */
  register(rm: ResourceManager): void {
    assert(Number.isInteger(rm.id) && rm.id >= 0 && rm.id <= RM_MAX_ID, () => `resource manager id ${rm.id} out of range`);
    const existing = this.#byId.get(rm.id);
    if (existing) {
      throw new PgError(SqlState.DUPLICATE_OBJECT, `failed to register custom resource manager "${rm.name}" with ID ${rm.id}`, {
        detail: `Custom resource manager "${existing.name}" already registered with the same ID.`,
      });
    }
    this.#byId.set(rm.id, rm);
  }

  get(id: number): ResourceManager | undefined {
    return this.#byId.get(id);
  }

  /** The resource manager for `id`, or the FATAL error recovery raises for an unknown one. */
  require(id: number): ResourceManager {
    const rm = this.#byId.get(id);
    if (!rm) {
      throw new PgError(SqlState.UNDEFINED_OBJECT, `resource manager with ID ${id} not registered`, {
        severity: 'FATAL',
        hint: 'Register the resource manager that writes these records before starting recovery.',
      });
    }
    return rm;
  }

  /** Registered managers in id order. */
  list(): ResourceManager[] {
    return [...this.#byId.values()].sort((a, b) => a.id - b.id);
  }
}

/** What {@link readBufferForRedo} found (PostgreSQL's XLogRedoAction). */
export type RedoAction = 'needsRedo' | 'done' | 'restored' | 'notFound';

/**
 * Gets the page of block reference `blockId` ready for redo (XLogReadBufferForRedo):
 * - a full-page image is restored, stamped with the record's end LSN, marked dirty: `restored`;
 * - a WILL_INIT block gets a zeroed page: `needsRedo` (the routine initializes it);
 * - a page whose LSN ≥ the record's end LSN already has the change (W2): `done`;
 * - otherwise `needsRedo`: apply the change, then {@link finishBlockRedo}.
 */
export async function readBufferForRedo(ctx: RedoContext, record: DecodedRecord, blockId: number): Promise<{ action: RedoAction; page?: Uint8Array; block: DecodedBlockRef }> {
  const block = record.blocks.find((b) => b.id === blockId);
  assert(block !== undefined, () => `record at ${record.lsn} has no block reference ${blockId}`);
  const location: BlockLocation = { rel: block.rel, fork: block.fork, block: block.block };
  if (block.image && block.applyImage) {
    const page = await ctx.readPage(location, 'zero');
    assert(page !== undefined, 'readPage(zero) must return a page');
    page.set(block.image);
    // An all-zero image is a new page: it keeps LSN 0, as PostgreSQL leaves new pages alone.
    if (!isAllZero(block.image)) pageSetLsn(page, record.endLsn);
    await ctx.markDirty(location, page);
    return { action: 'restored', page, block };
  }
  if (block.flags.willInit) {
    const page = await ctx.readPage(location, 'zero');
    assert(page !== undefined, 'readPage(zero) must return a page');
    return { action: 'needsRedo', page, block };
  }
  const page = await ctx.readPage(location, 'read');
  if (page === undefined) return { action: 'notFound', block };
  if (pageGetLsn(page) >= record.endLsn) return { action: 'done', page, block };
  return { action: 'needsRedo', page, block };
}

/** After a redo routine changed a page: stamp it with the record's end LSN and mark it dirty. */
export async function finishBlockRedo(ctx: RedoContext, record: DecodedRecord, block: DecodedBlockRef, page: Uint8Array): Promise<void> {
  pageSetLsn(page, record.endLsn);
  await ctx.markDirty({ rel: block.rel, fork: block.fork, block: block.block }, page);
}

function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
