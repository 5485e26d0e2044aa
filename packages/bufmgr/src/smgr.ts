// The storage manager (PostgreSQL's smgr + md.c): relation forks as files of 8 KiB blocks
// under the data directory, split into segments of `segmentSizeBlocks` (1 GiB by default),
// with a bounded cache of open files and a queue of fsync requests that the checkpointer
// drains with `syncAllPending()`. Entry point: `StorageManager`.
//
// Every block read or written passes through the configured `PageTransform` (checksum today).
// All I/O goes through the common `FileSystem`, so that tests can inject faults.

import { assert, PgError, SqlState, type BlockNumber, type FileHandle, type FileSystem } from '@palisade/common';
import { fileAccessError } from './errors.ts';
import { BLCKSZ } from './page-constants.ts';
import { relationPath, segmentPath, FORK_NAMES, type ForkName, type RelFileLocator } from './relfile.ts';
import { ChecksumTransform, type NoticeReporter, type PageTransform } from './transform.ts';

/** Blocks per segment file in PostgreSQL's default build: 1 GiB / 8 KiB. */
export const RELSEG_SIZE_BLOCKS = 131072;
/** Largest block number + 1 a fork may have (block 0xFFFFFFFF is InvalidBlockNumber). */
export const MAX_BLOCK_COUNT = 0xffff_fffe;

/** Options of {@link StorageManager}. */
export interface StorageManagerOptions {
  fs: FileSystem;
  /** Data directory inside `fs` ('' = the file system's root). */
  dataDirectory?: string;
  /** Blocks per segment file (default {@link RELSEG_SIZE_BLOCKS}; small values for tests). */
  segmentSizeBlocks?: number;
  /** Most files kept open at once (default 64). Files in use are never closed, so the cache may exceed this by the number of I/Os in flight. */
  openFileCountMax?: number;
  /** Most distinct files with an fsync request queued (default 65536); beyond it the writer syncs the file itself, as a PostgreSQL backend does when the checkpointer's queue is full. */
  pendingSyncCountMax?: number;
  /** The transform point for page bytes (default: checksums off). */
  transform?: PageTransform;
  /** Receives WARNINGs (e.g. a failed unlink, W6). */
  onNotice?: NoticeReporter;
}

/** Options of reads. */
export interface SmgrReadOptions {
  /** Zero an invalid page (with a WARNING) instead of failing (RBM_ZERO_ON_ERROR). */
  zeroOnError?: boolean;
}

/** Options of writes and extensions. */
export interface SmgrWriteOptions {
  /** Do not queue an fsync request (temporary relations, or a caller that syncs itself). */
  skipFsync?: boolean;
}

interface OpenFile {
  readonly handle: Promise<FileHandle>;
  userCount: number;
}

/** Relation files, segments, the open-file cache and the fsync request queue. */
export class StorageManager {
  readonly fs: FileSystem;
  readonly segmentSizeBlocks: number;
  readonly openFileCountMax: number;
  readonly pendingSyncCountMax: number;
  readonly transform: PageTransform;
  readonly #dataDirectory: string;
  readonly #onNotice: NoticeReporter;
  /** Open files by path, least recently used first (Map keeps insertion order). */
  readonly #openFiles = new Map<string, OpenFile>();
  /** Paths of segment files written since their last fsync. */
  readonly #pendingSyncs = new Set<string>();
  /** Directories in which files were created since their last syncDir (FS2). */
  readonly #pendingDirSyncs = new Set<string>();
  /** Set by the first failed fsync; every later syncAllPending throws it again (FS3). */
  #syncFailure: PgError | undefined;

  constructor(options: StorageManagerOptions) {
    this.fs = options.fs;
    this.segmentSizeBlocks = options.segmentSizeBlocks ?? RELSEG_SIZE_BLOCKS;
    this.openFileCountMax = options.openFileCountMax ?? 64;
    this.pendingSyncCountMax = options.pendingSyncCountMax ?? 65536;
    this.transform = options.transform ?? new ChecksumTransform({ dataChecksums: false });
    this.#dataDirectory = options.dataDirectory ?? '';
    this.#onNotice = options.onNotice ?? (() => {});
    assert(Number.isInteger(this.segmentSizeBlocks) && this.segmentSizeBlocks >= 1, 'segmentSizeBlocks must be a positive integer');
    assert(this.openFileCountMax >= 1 && this.pendingSyncCountMax >= 1, 'cache limits must be positive');
  }

  /** Number of files currently open (for tests and monitoring). */
  get openFileCount(): number {
    return this.#openFiles.size;
  }

  /** Number of files with a queued fsync request. */
  get pendingSyncCount(): number {
    return this.#pendingSyncs.size;
  }

  /** Creates a fork's first segment (and the database directory). With `isRedo`, an existing file is fine. */
  async create(rel: RelFileLocator, fork: ForkName, options: { isRedo?: boolean } = {}): Promise<void> {
    const relPath = relationPath(rel, fork);
    const dir = relPath.slice(0, relPath.lastIndexOf('/'));
    try {
      await this.fs.mkdir(this.#fullPath(dir), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fileAccessError(err, `could not create directory "${dir}"`);
    }
    try {
      const handle = await this.fs.open(this.#fullPath(relPath), { create: true, exclusive: options.isRedo !== true, mode: 0o600 });
      await handle.close();
    } catch (err) {
      throw fileAccessError(err, `could not create file "${relPath}"`);
    }
    // The file's entry, and those of any directory mkdir created, become durable at the next
    // syncAllPending (FS2); until then the create is protected only by its WAL record.
    for (let d = dir; ; d = d.slice(0, Math.max(d.lastIndexOf('/'), 0))) {
      this.#pendingDirSyncs.add(d);
      if (d === '') break;
    }
  }

  /** True if the fork's first segment exists. */
  async exists(rel: RelFileLocator, fork: ForkName): Promise<boolean> {
    return this.fs.exists(this.#fullPath(relationPath(rel, fork)));
  }

  /** Number of blocks in the fork: full segments plus the blocks of the first partial one. */
  async nblocks(rel: RelFileLocator, fork: ForkName): Promise<number> {
    let total = 0;
    const segmentCountMax = Math.ceil(MAX_BLOCK_COUNT / this.segmentSizeBlocks) + 1;
    for (let segment = 0; segment < segmentCountMax; segment++) {
      const path = segmentPath(rel, fork, segment);
      let sizeBytes: number;
      try {
        sizeBytes = await this.#withFile(path, false, (h) => h.size());
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && segment > 0) return total;
        throw fileAccessError(err, `could not open file "${path}"`);
      }
      const blocks = Math.floor(sizeBytes / BLCKSZ);
      if (blocks > this.segmentSizeBlocks) {
        throw new PgError(SqlState.INTERNAL_ERROR, `segment too big: file "${path}" has ${blocks} blocks`);
      }
      total += blocks;
      if (blocks < this.segmentSizeBlocks) return total;
    }
    return total;
  }

  /**
   * Adds block `block` (normally = nblocks) to the fork, written with `page` or zeros.
   * Extension is not WAL-logged (W6): after a crash the block may be missing or all zero.
   */
  async extend(rel: RelFileLocator, fork: ForkName, block: BlockNumber | number, page?: Uint8Array, options: SmgrWriteOptions = {}): Promise<void> {
    if (block >= MAX_BLOCK_COUNT) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `cannot extend file "${relationPath(rel, fork)}" beyond ${MAX_BLOCK_COUNT} blocks`);
    }
    const bytes = page === undefined ? new Uint8Array(BLCKSZ) : page.slice();
    assert(bytes.length === BLCKSZ, 'a page is BLCKSZ bytes');
    this.transform.encodePage(bytes, { relationPath: relationPath(rel, fork), blockNumber: block });
    const { path, positionBytes } = this.#locate(rel, fork, block);
    try {
      await this.#withFile(path, true, (h) => h.write(bytes, 0, BLCKSZ, positionBytes));
    } catch (err) {
      throw fileAccessError(err, `could not extend file "${path}"`);
    }
    if (block % this.segmentSizeBlocks === 0) this.#pendingDirSyncs.add(path.slice(0, path.lastIndexOf('/')));
    if (options.skipFsync !== true) await this.registerSync(path);
  }

  /**
   * Reads block `block` into `into` (BLCKSZ bytes) and passes it through the transform,
   * which verifies it (B27). A block past the end of the fork is an error.
   */
  async read(rel: RelFileLocator, fork: ForkName, block: BlockNumber | number, into: Uint8Array, options: SmgrReadOptions = {}): Promise<void> {
    assert(into.length === BLCKSZ, 'a page is BLCKSZ bytes');
    const { path, positionBytes } = this.#locate(rel, fork, block);
    let count: number;
    try {
      count = await this.#withFile(path, false, (h) => h.read(into, 0, BLCKSZ, positionBytes));
    } catch (err) {
      throw fileAccessError(err, `could not read block ${block} in file "${path}"`);
    }
    if (count !== BLCKSZ) {
      throw new PgError(SqlState.DATA_CORRUPTED, `could not read block ${block} in file "${path}": read only ${count} of ${BLCKSZ} bytes`);
    }
    this.transform.decodePage(into, { relationPath: relationPath(rel, fork), blockNumber: block, zeroOnError: options.zeroOnError === true });
  }

  /** Writes an existing block from `page` (not modified: the transform works on a copy) and queues an fsync request. */
  async write(rel: RelFileLocator, fork: ForkName, block: BlockNumber | number, page: Uint8Array, options: SmgrWriteOptions = {}): Promise<void> {
    assert(page.length === BLCKSZ, 'a page is BLCKSZ bytes');
    const bytes = page.slice();
    this.transform.encodePage(bytes, { relationPath: relationPath(rel, fork), blockNumber: block });
    const { path, positionBytes } = this.#locate(rel, fork, block);
    try {
      await this.#withFile(path, false, (h) => h.write(bytes, 0, BLCKSZ, positionBytes));
    } catch (err) {
      throw fileAccessError(err, `could not write block ${block} in file "${path}"`);
    }
    if (options.skipFsync !== true) await this.registerSync(path);
  }

  /**
   * Truncates the fork to `blockCount` blocks. Later segments are truncated to zero length but
   * kept, as PostgreSQL does, so that an open file elsewhere never refers to a recycled name.
   * Callers must first drop the buffers of the removed blocks (BufferPool.dropRelationBuffers).
   */
  async truncate(rel: RelFileLocator, fork: ForkName, blockCount: number, options: SmgrWriteOptions = {}): Promise<void> {
    const current = await this.nblocks(rel, fork);
    if (blockCount > current) {
      throw new PgError(SqlState.INTERNAL_ERROR, `could not truncate file "${relationPath(rel, fork)}" to ${blockCount} blocks: it's only ${current} blocks now`);
    }
    if (blockCount === current) return;
    const lastSegment = Math.floor(Math.max(current - 1, 0) / this.segmentSizeBlocks);
    for (let segment = 0; segment <= lastSegment; segment++) {
      const priorBlocks = segment * this.segmentSizeBlocks;
      if (priorBlocks + this.segmentSizeBlocks <= blockCount) continue;
      const keepBlocks = Math.max(blockCount - priorBlocks, 0);
      const path = segmentPath(rel, fork, segment);
      try {
        await this.#withFile(path, false, (h) => h.truncate(keepBlocks * BLCKSZ));
      } catch (err) {
        throw fileAccessError(err, `could not truncate file "${path}" to ${blockCount} blocks`);
      }
      if (options.skipFsync !== true) await this.registerSync(path);
    }
  }

  /**
   * Removes the files of one fork, or of every fork, and forgets their fsync requests.
   * A failure is only a WARNING (W6): the relation is already gone from the catalog.
   */
  async unlink(rel: RelFileLocator, fork?: ForkName): Promise<void> {
    const forks = fork === undefined ? FORK_NAMES : [fork];
    const segmentCountMax = Math.ceil(MAX_BLOCK_COUNT / this.segmentSizeBlocks) + 1;
    for (const f of forks) {
      for (let segment = 0; segment < segmentCountMax; segment++) {
        const path = segmentPath(rel, f, segment);
        this.#pendingSyncs.delete(path);
        await this.#closeFile(path);
        try {
          await this.fs.unlink(this.#fullPath(path));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            this.#onNotice(fileAccessError(err, `could not remove file "${path}"`, 'WARNING'));
          }
          if (segment > 0 || (err as NodeJS.ErrnoException).code === 'ENOENT') break;
        }
      }
    }
  }

  /**
   * Queues an fsync request for a segment file, to be done by {@link syncAllPending}. When the
   * queue is full the file is synced now instead.
   */
  async registerSync(path: string): Promise<void> {
    if (this.#pendingSyncs.has(path)) return;
    if (this.#pendingSyncs.size < this.pendingSyncCountMax) {
      this.#pendingSyncs.add(path);
      return;
    }
    await this.#syncOne(path);
  }

  /**
   * Fsyncs every file with a queued request, once each, then the directories in which files were
   * created (the checkpointer's job). A failed fsync
   * throws a PANIC-severity PgError, and so does every later call: the state of unsynced data
   * is unknown (FS3) and the caller must stop and recover from WAL, never retry and continue.
   */
  async syncAllPending(): Promise<void> {
    if (this.#syncFailure !== undefined) throw this.#syncFailure;
    const paths = [...this.#pendingSyncs];
    for (const path of paths) {
      if (!this.#pendingSyncs.has(path)) continue; // forgotten by unlink meanwhile
      // Remove before syncing: a write during the fsync registers the file again.
      this.#pendingSyncs.delete(path);
      await this.#syncOne(path);
    }
    // New files' directory entries are durable only once their directory is synced (FS2).
    for (const dir of [...this.#pendingDirSyncs]) {
      this.#pendingDirSyncs.delete(dir);
      try {
        await this.fs.syncDir(this.#fullPath(dir));
      } catch (err) {
        this.#syncFailure = fileAccessError(err, `could not fsync directory "${dir}"`, 'PANIC');
        throw this.#syncFailure;
      }
    }
  }

  /** Closes every cached file (shutdown). */
  async closeAll(): Promise<void> {
    for (const path of [...this.#openFiles.keys()]) await this.#closeFile(path);
  }

  async #syncOne(path: string): Promise<void> {
    if (this.#syncFailure !== undefined) throw this.#syncFailure;
    try {
      await this.#withFile(path, false, (h) => h.sync());
    } catch (err) {
      this.#syncFailure = fileAccessError(err, `could not fsync file "${path}"`, 'PANIC');
      throw this.#syncFailure;
    }
  }

  #locate(rel: RelFileLocator, fork: ForkName, block: number): { path: string; positionBytes: number } {
    assert(Number.isInteger(block) && block >= 0 && block < MAX_BLOCK_COUNT, () => `block number ${block} out of range`);
    const segment = Math.floor(block / this.segmentSizeBlocks);
    return { path: segmentPath(rel, fork, segment), positionBytes: (block % this.segmentSizeBlocks) * BLCKSZ };
  }

  #fullPath(relative: string): string {
    if (relative === '') return this.#dataDirectory === '' ? '/' : this.#dataDirectory;
    return this.#dataDirectory === '' ? relative : `${this.#dataDirectory}/${relative}`;
  }

  /** Runs `fn` with the cached open file for `path`, opening it (and evicting another) if needed. */
  async #withFile<T>(path: string, create: boolean, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.#openFiles.get(path);
    if (entry === undefined) {
      entry = { handle: this.fs.open(this.#fullPath(path), { create, mode: 0o600 }), userCount: 0 };
      this.#openFiles.set(path, entry);
      this.#evictIdleFiles();
    } else {
      // Most recently used goes last.
      this.#openFiles.delete(path);
      this.#openFiles.set(path, entry);
    }
    entry.userCount++;
    try {
      let handle: FileHandle;
      try {
        handle = await entry.handle;
      } catch (err) {
        if (this.#openFiles.get(path) === entry) this.#openFiles.delete(path);
        throw err;
      }
      return await fn(handle);
    } finally {
      entry.userCount--;
    }
  }

  #evictIdleFiles(): void {
    if (this.#openFiles.size <= this.openFileCountMax) return;
    for (const [path, entry] of this.#openFiles) {
      if (this.#openFiles.size <= this.openFileCountMax) break;
      if (entry.userCount > 0) continue;
      this.#openFiles.delete(path);
      entry.handle.then((h) => h.close()).catch((err: unknown) => {
        this.#onNotice(fileAccessError(err, `could not close file "${path}"`, 'WARNING'));
      });
    }
  }

  async #closeFile(path: string): Promise<void> {
    const entry = this.#openFiles.get(path);
    if (entry === undefined) return;
    this.#openFiles.delete(path);
    try {
      const handle = await entry.handle;
      await handle.close();
    } catch {
      // An open that failed, or a close of a file about to be removed: nothing to keep.
    }
  }
}
