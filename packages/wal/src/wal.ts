// The WAL of a running instance: insertion into the WAL buffers, writing to segment files,
// and flushing with group commit. Entry point: `Wal.open(options)` (normally through
// bootstrapWal or startupWal), then `insert(record)` and `flush(upToLsn)`.
//
// Insertion (README "Insertion"): a record is encoded outside any critical section; then,
// synchronously and without an await, its place is reserved (insert position advanced,
// xl_prev taken), its header completed and its bytes copied into the WAL buffers (a ring
// of 8 KiB pages over a SharedArrayBuffer). Only a full ring makes an insert wait, for the
// write-out of older pages. Flushing: one flush at a time writes every inserted byte and
// fdatasyncs; every waiter whose LSN that covers returns without its own sync (W27).

import { type PgError, assert, type FileHandle, type FileSystem, type Lsn } from '@palisade/common';
import { errnoCode, fileAccessError } from './errors.ts';
import { encodeRecordBody, finishRecord, maxAlign, type RecordInput } from './record.ts';
import {
  ARCHIVE_STATUS_DIR, PG_WAL_DIR, SIZE_OF_LONG_PAGE_HEADER, SIZE_OF_SHORT_PAGE_HEADER, XLOG_BLCKSZ, XLOG_PAGE_MAGIC, XLP_FIRST_IS_CONTRECORD, XLP_LONG_HEADER,
  isValidSegmentSize, pageHeaderSize, segmentFileName, segmentOf, segmentOffset, segmentStart, writePageHeader, type TimeLineId,
} from './segment.ts';

/** Default size of the WAL buffers (wal_buffers), bytes. */
export const DEFAULT_WAL_BUFFERS_BYTES = 4 * 1024 * 1024;
/** Zero-fill chunk when creating a segment, bytes. */
const ZERO_FILL_CHUNK_BYTES = 1024 * 1024;
/** Bound on the wait-and-retry rounds of one insert or flush (each round makes progress or fails). */
const ROUNDS_MAX = 100_000;
/** Open segment files kept, at most (the one being written and the one before). */
const OPEN_SEGMENTS_MAX = 2;

/** Where insertion resumes: the end of valid WAL. */
export interface WalStartPoint {
  /** Position of the next byte to write (end of the last valid record, MAXALIGNed). */
  endLsn: Lsn;
  /** LSN of the last valid record (the next record's xl_prev). */
  prevLsn: Lsn;
  /** Bytes of the page containing `endLsn` that precede it, when it is not page-aligned. */
  partialPage?: Uint8Array;
}

/** Options of {@link Wal.open}. */
export interface WalOptions {
  fs: FileSystem;
  /** Data directory; segments live in `<dataDir>/pg_wal`. */
  dataDir: string;
  systemIdentifier: bigint;
  timeLineId: TimeLineId;
  segSizeBytes: number;
  start: WalStartPoint;
  /** The redo pointer of the latest checkpoint (full-page images are decided against it). */
  redoRecPtr: Lsn;
  /** full_page_writes (default on). */
  fullPageWrites?: boolean;
  /** wal_buffers, bytes (default 4 MiB; a multiple of 8 KiB, at least 2 × the largest record). */
  walBuffersBytes?: number;
  /** Zero-fill new segments when they are created (default true), as PostgreSQL pre-allocates. */
  zeroFillSegments?: boolean;
  /** commit_delay in microseconds (default 0, W27). */
  commitDelayUs?: number;
  /** commit_siblings (default 5, W27). */
  commitSiblings?: number;
  /** Number of other transactions in progress, for commit_siblings (default: none). */
  activeTransactionCount?: () => number;
  /** archive_mode: each completed segment gets a `.ready` status file (W28). */
  archiveMode?: boolean;
  /** Called after a segment is completely written and synced (the archiver's wake-up). */
  onSegmentComplete?: (fileName: string) => void;
}

/** What {@link Wal.insert} returns. */
export interface InsertResult {
  /** Where the record starts. */
  lsn: Lsn;
  /** Where it ends (MAXALIGNed): what a changed page gets as its LSN, and what a commit flushes to. */
  endLsn: Lsn;
}

/** Counters for benchmarks and tests. */
export interface WalStats {
  recordsInserted: number;
  bytesInserted: number;
  flushRequests: number;
  /** fdatasync calls made for flushes (group commit: fewer than flushRequests). */
  flushSyncs: number;
  segmentsCreated: number;
  fullPageImages: number;
}

/**
 * Slots of the shared insert state (a BigUint64Array over a SharedArrayBuffer). A
 * multi-threaded inserter reserves with a compare-and-swap on the pair (INSERT_POS, PREV_LSN)
 * packed under a lock word; the single-threaded server updates them in one synchronous step.
 */
enum Slot { INSERT_POS = 0, PREV_LSN = 1, WRITTEN_POS = 2, FLUSHED_POS = 3, REDO_REC_PTR = 4, COUNT = 5 }

interface OpenSegment { segno: bigint; handle: FileHandle; dirty: boolean }

/** The log: see the file comment. */
export class Wal {
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly systemIdentifier: bigint;
  readonly segSizeBytes: number;
  readonly walBuffersBytes: number;
  readonly stats: WalStats = { recordsInserted: 0, bytesInserted: 0, flushRequests: 0, flushSyncs: 0, segmentsCreated: 0, fullPageImages: 0 };
  fullPageWrites: boolean;
  commitDelayUs: number;
  commitSiblings: number;
  archiveMode: boolean;
  #timeLineId: TimeLineId;
  readonly #activeTransactionCount: () => number;
  readonly #zeroFill: boolean;
  readonly #onSegmentComplete: ((fileName: string) => void) | undefined;
  readonly #shared: BigUint64Array;
  /** The sizes as bigints, so that the insert path does no BigInt() conversions. */
  readonly #ringBytesBig: bigint;
  readonly #segBytesBig: bigint;
  readonly #buffers: Uint8Array;
  /** Ranges [start, end) skipped by a segment switch: never copied, never written. */
  readonly #gaps: Array<{ start: bigint; end: bigint }> = [];
  readonly #open: OpenSegment[] = [];
  #writing: Promise<void> | undefined;
  #flushing: Promise<void> | undefined;
  #failure: PgError | undefined;
  #closed = false;
  #tempCounter = 0;
  /** Completed segments whose `.ready` file is still to be created (bounded by the segments written meanwhile). */
  readonly #pendingReady: string[] = [];
  /** Highest end LSN of an asynchronous commit (the WAL writer's target, W23). */
  #asyncCommitLsn = 0n;

  private constructor(options: WalOptions) {
    assert(isValidSegmentSize(options.segSizeBytes), () => `invalid segment size ${options.segSizeBytes}`);
    const buffersBytes = options.walBuffersBytes ?? DEFAULT_WAL_BUFFERS_BYTES;
    assert(buffersBytes % XLOG_BLCKSZ === 0 && buffersBytes >= 8 * XLOG_BLCKSZ, () => `wal_buffers ${buffersBytes} must be a multiple of ${XLOG_BLCKSZ} and ≥ 8 pages`);
    this.fs = options.fs;
    this.dataDir = options.dataDir;
    this.systemIdentifier = options.systemIdentifier;
    this.segSizeBytes = options.segSizeBytes;
    this.walBuffersBytes = buffersBytes;
    this.fullPageWrites = options.fullPageWrites ?? true;
    this.commitDelayUs = options.commitDelayUs ?? 0;
    this.commitSiblings = options.commitSiblings ?? 5;
    this.archiveMode = options.archiveMode ?? false;
    this.#timeLineId = options.timeLineId;
    this.#activeTransactionCount = options.activeTransactionCount ?? (() => 0);
    this.#zeroFill = options.zeroFillSegments ?? true;
    this.#onSegmentComplete = options.onSegmentComplete;
    this.#ringBytesBig = BigInt(buffersBytes);
    this.#segBytesBig = BigInt(options.segSizeBytes);
    this.#shared = new BigUint64Array(new SharedArrayBuffer(Slot.COUNT * 8));
    this.#buffers = new Uint8Array(new SharedArrayBuffer(buffersBytes));
    const { endLsn, prevLsn, partialPage } = options.start;
    assert(endLsn % BigInt(8) === 0n, () => `start ${endLsn} not MAXALIGNed`);
    const inPage = Number(endLsn % BigInt(XLOG_BLCKSZ));
    if (inPage > 0) {
      assert(partialPage !== undefined && partialPage.length >= inPage, 'a start inside a page needs the page prefix');
      this.#buffers.set(partialPage.subarray(0, inPage), this.#ringOffset(endLsn - BigInt(inPage)));
    }
    this.#set(Slot.INSERT_POS, endLsn);
    this.#set(Slot.PREV_LSN, prevLsn);
    this.#set(Slot.WRITTEN_POS, endLsn);
    this.#set(Slot.FLUSHED_POS, endLsn);
    this.#set(Slot.REDO_REC_PTR, options.redoRecPtr);
  }

  /** Opens the log for writing at `options.start`. */
  static async open(options: WalOptions): Promise<Wal> {
    const wal = new Wal(options);
    await ensureDirectory(options.fs, options.dataDir, PG_WAL_DIR);
    await ensureDirectory(options.fs, options.dataDir, ARCHIVE_STATUS_DIR);
    return wal;
  }

  #get(slot: Slot): bigint {
    return Atomics.load(this.#shared, slot);
  }
  #set(slot: Slot, value: bigint): void {
    Atomics.store(this.#shared, slot, value);
  }
  #ringOffset(pos: bigint): number {
    return Number(pos % this.#ringBytesBig);
  }

  /** Position where the next record's bytes go (end of the last inserted record). */
  get insertLsn(): Lsn { return this.#get(Slot.INSERT_POS) as Lsn; }
  /** LSN of the last inserted record. */
  get lastRecordLsn(): Lsn { return this.#get(Slot.PREV_LSN) as Lsn; }
  /** Everything before this has been handed to the operating system. */
  get writtenLsn(): Lsn { return this.#get(Slot.WRITTEN_POS) as Lsn; }
  /** Everything before this is durable (fdatasync returned). */
  get flushedLsn(): Lsn { return this.#get(Slot.FLUSHED_POS) as Lsn; }
  /** The redo pointer that full-page images are decided against (RedoRecPtr). */
  get redoRecPtr(): Lsn { return this.#get(Slot.REDO_REC_PTR) as Lsn; }
  get timeLineId(): TimeLineId { return this.#timeLineId; }
  /** The PANIC that put the log into the failed state, if any. */
  get failure(): PgError | undefined { return this.#failure; }
  /** Highest end LSN of an asynchronous commit not necessarily flushed. */
  get asyncCommitLsn(): Lsn { return this.#asyncCommitLsn as Lsn; }

  /** The LSN the next record would get if inserted now (skipping a page header at a page boundary). */
  nextRecordLsn(): Lsn {
    const pos = this.insertLsn;
    return (pos % BigInt(XLOG_BLCKSZ) === 0n ? pos + BigInt(pageHeaderSize(pos, this.segSizeBytes)) : pos) as Lsn;
  }

  /**
   * Sets the redo pointer (the checkpointer, at the start of a checkpoint). Synchronous, so no
   * insert can decide its images between reading the position and publishing the pointer.
   */
  beginCheckpointRedo(): Lsn {
    this.#checkUsable();
    const redo = this.nextRecordLsn();
    this.#set(Slot.REDO_REC_PTR, redo);
    return redo;
  }

  /** Restores a redo pointer (a new Wal after recovery). */
  setRedoRecPtr(value: Lsn): void {
    this.#set(Slot.REDO_REC_PTR, value);
  }

  /** Notes an asynchronous commit (synchronous_commit = off): the WAL writer flushes it (W23). */
  noteAsyncCommit(endLsn: Lsn): void {
    if (endLsn > this.#asyncCommitLsn) this.#asyncCommitLsn = endLsn;
  }

  #checkUsable(): void {
    if (this.#failure) throw this.#failure;
    assert(!this.#closed, 'the WAL is closed');
  }

  /** Where a record of `lengthBytes` starting at the insert position `pos` ends (MAXALIGNed). */
  #endOf(startPos: bigint, lengthBytes: number): { start: bigint; end: bigint } {
    // Offsets within the current segment fit a double exactly; only the segment base is a bigint.
    const segBase = startPos - (startPos % this.#segBytesBig);
    let off = Number(startPos - segBase);
    let remaining = lengthBytes;
    let start = -1;
    // Bounded: each round consumes a page.
    for (let rounds = 0; rounds < ROUNDS_MAX; rounds++) {
      if (off % XLOG_BLCKSZ === 0) off += off % this.segSizeBytes === 0 ? SIZE_OF_LONG_PAGE_HEADER : SIZE_OF_SHORT_PAGE_HEADER;
      if (start < 0) start = off;
      const room = XLOG_BLCKSZ - (off % XLOG_BLCKSZ);
      if (remaining <= room) {
        off += remaining;
        break;
      }
      off += room;
      remaining -= room;
    }
    return { start: segBase + BigInt(start), end: segBase + BigInt(maxAlign(off)) };
  }

  /**
   * Inserts a record and returns its position. Full-page images are added for block
   * references whose page LSN ≤ the redo pointer (W3). Does not wait for durability: call
   * {@link flush} with `endLsn` for that. Throws 53100 when a segment cannot be written for
   * lack of space (nothing was inserted); PANIC once the log has failed.
   */
  async insert(input: RecordInput, options: { segmentSwitch?: boolean } = {}): Promise<InsertResult> {
    this.#checkUsable();
    for (let rounds = 0; rounds < ROUNDS_MAX; rounds++) {
      const encoded = encodeRecordBody(input, { redoRecPtr: this.redoRecPtr, fullPageWrites: this.fullPageWrites });
      const insertPos = this.#get(Slot.INSERT_POS);
      const { start, end } = this.#endOf(insertPos, encoded.bytes.length);
      if (end - this.#get(Slot.WRITTEN_POS) <= BigInt(this.walBuffersBytes)) {
        // Critical section: no await from here to the return.
        this.#checkUsable();
        finishRecord(encoded, this.#get(Slot.PREV_LSN) as Lsn);
        this.#copyIn(insertPos, encoded.bytes, end);
        this.#set(Slot.PREV_LSN, start);
        this.#set(Slot.INSERT_POS, end);
        this.stats.recordsInserted += 1;
        this.stats.bytesInserted += encoded.bytes.length;
        this.stats.fullPageImages += encoded.imageBlockIds.length;
        // XLOG_SWITCH: the rest of the segment belongs to the record; the next one starts a new segment.
        const recordEnd = options.segmentSwitch ? this.#skipToNextSegment() : end;
        return { lsn: start as Lsn, endLsn: recordEnd as Lsn };
      }
      assert(BigInt(encoded.bytes.length) * 2n <= BigInt(this.walBuffersBytes), () => `record of ${encoded.bytes.length} bytes does not fit wal_buffers of ${this.walBuffersBytes}`);
      await this.#writeOut(this.#get(Slot.INSERT_POS));
    }
    assert(false, 'insert made no progress');
  }

  /** Ends the current segment inside the insert critical section: the rest of it is never written. */
  #skipToNextSegment(): bigint {
    const pos = this.#get(Slot.INSERT_POS);
    if (segmentOffset(pos, this.segSizeBytes) === 0) return pos;
    const next = segmentStart(segmentOf(pos, this.segSizeBytes) + 1n, this.segSizeBytes);
    // Bounded: one gap per segment switch between the written and the insert position.
    this.#gaps.push({ start: pos, end: next });
    this.#set(Slot.INSERT_POS, next);
    return next;
  }

  /** Copies a complete record into the buffers at `pos`, writing page headers as pages begin. */
  #copyIn(pos: bigint, bytes: Uint8Array, end: bigint): void {
    const page = BigInt(XLOG_BLCKSZ);
    let src = 0;
    let p = pos;
    while (src < bytes.length) {
      if (p % page === 0n) {
        const long = p % BigInt(this.segSizeBytes) === 0n;
        const size = writePageHeader(this.#buffers, this.#ringOffset(p), {
          magic: XLOG_PAGE_MAGIC,
          info: (src > 0 ? XLP_FIRST_IS_CONTRECORD : 0) | (long ? XLP_LONG_HEADER : 0),
          tli: this.#timeLineId,
          pageAddr: p as Lsn,
          remLengthBytes: src > 0 ? bytes.length - src : 0,
          systemIdentifier: this.systemIdentifier,
          segSizeBytes: this.segSizeBytes,
        });
        p += BigInt(size);
      }
      const room = XLOG_BLCKSZ - Number(p % page);
      const n = Math.min(room, bytes.length - src);
      this.#buffers.set(bytes.subarray(src, src + n), this.#ringOffset(p));
      src += n;
      p += BigInt(n);
    }
    // Zero the alignment padding: the ring holds older bytes there.
    if (end > p) this.#buffers.fill(0, this.#ringOffset(p), this.#ringOffset(p) + Number(end - p));
  }

  /** Writes the buffers out up to `target` (single writer at a time). */
  async #writeOut(target: bigint): Promise<void> {
    for (let rounds = 0; rounds < ROUNDS_MAX; rounds++) {
      if (this.#get(Slot.WRITTEN_POS) >= target) return;
      if (this.#writing) {
        await this.#writing.catch(() => undefined);
        continue;
      }
      this.#checkUsable();
      const run = this.#doWrite(target);
      this.#writing = run;
      try {
        await run;
      } finally {
        this.#writing = undefined;
      }
      return;
    }
  }

  async #doWrite(target: bigint): Promise<void> {
    const segBytes = BigInt(this.segSizeBytes);
    await this.#markReady();
    // Bounded by the number of segments and ring wraps between written and target.
    for (let rounds = 0; rounds < ROUNDS_MAX; rounds++) {
      const pos = this.#get(Slot.WRITTEN_POS);
      if (pos >= target) return;
      const gap = this.#gaps[0];
      if (gap && pos >= gap.start) {
        this.#gaps.shift();
        this.#set(Slot.WRITTEN_POS, gap.end);
        await this.#completeSegment(segmentOf(gap.start, this.segSizeBytes));
        continue;
      }
      const segno = segmentOf(pos, this.segSizeBytes);
      const segEnd = (segno + 1n) * segBytes;
      let chunkEnd = target < segEnd ? target : segEnd;
      if (gap && gap.start < chunkEnd) chunkEnd = gap.start;
      const ringPos = this.#ringOffset(pos);
      const ringRoom = this.walBuffersBytes - ringPos;
      const length = Math.min(Number(chunkEnd - pos), ringRoom);
      const seg = await this.#segment(segno);
      try {
        await seg.handle.write(this.#buffers, ringPos, length, segmentOffset(pos, this.segSizeBytes));
      } catch (err) {
        throw this.#writeFailure(seg.handle.path, err);
      }
      seg.dirty = true;
      const newPos = pos + BigInt(length);
      this.#set(Slot.WRITTEN_POS, newPos);
      if (newPos === segEnd) await this.#completeSegment(segno);
    }
  }

  /** A write error: ENOSPC leaves the log usable (the write is retried later); anything else is a PANIC. */
  #writeFailure(path: string, err: unknown): PgError {
    const code = errnoCode(err);
    if (code === 'ENOSPC') return fileAccessError('write to', path, err);
    return this.#fail(fileAccessError('write to', path, err, { severity: 'PANIC' }));
  }

  #fail(error: PgError): PgError {
    const panic = error.severity === 'PANIC' ? error : error.with({ severity: 'PANIC' });
    this.#failure ??= panic;
    return this.#failure;
  }

  /** A fully written segment: sync it now (PostgreSQL does at segment end), close it, mark it for archiving. */
  async #completeSegment(segno: bigint): Promise<void> {
    const index = this.#open.findIndex((s) => s.segno === segno);
    const name = segmentFileName(this.#timeLineId, segno, this.segSizeBytes);
    if (index >= 0) {
      const seg = this.#open[index]!;
      if (seg.dirty) await this.#syncSegment(seg);
      this.#open.splice(index, 1);
      await seg.handle.close().catch(() => undefined);
    }
    if (this.archiveMode) this.#pendingReady.push(name);
    await this.#markReady();
    this.#onSegmentComplete?.(name);
  }

  /** Creates the `.ready` files of completed segments; one that fails stays pending for the next write (W28). */
  async #markReady(): Promise<void> {
    while (this.#pendingReady.length > 0) {
      const name = this.#pendingReady[0]!;
      const ready = `${this.dataDir}/${ARCHIVE_STATUS_DIR}/${name}.ready`;
      try {
        await this.fs.writeFileAtomic(ready, new Uint8Array(0));
      } catch (err) {
        throw fileAccessError('write to', ready, err);
      }
      this.#pendingReady.shift();
    }
  }

  async #syncSegment(seg: OpenSegment): Promise<void> {
    try {
      await seg.handle.sync();
    } catch (err) {
      // FS3: the state of the unsynced data is unknown; never retry. The instance must restart.
      throw this.#fail(fileAccessError('fdatasync', seg.handle.path, err, { severity: 'PANIC' }));
    }
    seg.dirty = false;
  }

  /** The open segment file `segno`, creating (and zero-filling) it if needed. */
  async #segment(segno: bigint): Promise<OpenSegment> {
    const found = this.#open.find((s) => s.segno === segno);
    if (found) return found;
    const name = segmentFileName(this.#timeLineId, segno, this.segSizeBytes);
    const path = `${this.dataDir}/${PG_WAL_DIR}/${name}`;
    let handle: FileHandle;
    if (await this.fs.exists(path)) {
      try {
        handle = await this.fs.open(path);
      } catch (err) {
        throw this.#writeFailure(path, err);
      }
    } else {
      await this.#createSegment(path);
      handle = await this.fs.open(path);
    }
    // Bounded: the oldest open segment is complete (synced) or about to be rewritten by us.
    while (this.#open.length >= OPEN_SEGMENTS_MAX) {
      const old = this.#open.shift()!;
      if (old.dirty) await this.#syncSegment(old);
      await old.handle.close().catch(() => undefined);
    }
    const seg = { segno, handle, dirty: false };
    this.#open.push(seg);
    return seg;
  }

  /** Creates a segment durably: zero-filled temp file, fsync, rename, fsync pg_wal. */
  async #createSegment(path: string): Promise<void> {
    this.#tempCounter += 1;
    const temp = `${this.dataDir}/${PG_WAL_DIR}/${TEMP_SEGMENT_PREFIX}${process.pid}.${this.#tempCounter}`;
    let handle: FileHandle | undefined;
    try {
      try {
        handle = await this.fs.open(temp, { create: true, exclusive: true });
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
        // A leftover of a crashed process that had the same pid: nobody else uses this name.
        await this.fs.unlink(temp);
        handle = await this.fs.open(temp, { create: true, exclusive: true });
      }
      if (this.#zeroFill) {
        const zeros = new Uint8Array(Math.min(ZERO_FILL_CHUNK_BYTES, this.segSizeBytes));
        for (let off = 0; off < this.segSizeBytes; off += zeros.length) await handle.write(zeros, 0, zeros.length, off);
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      await this.fs.rename(temp, path);
      await this.fs.syncDir(`${this.dataDir}/${PG_WAL_DIR}`);
      this.stats.segmentsCreated += 1;
    } catch (err) {
      if (handle) await handle.close().catch(() => undefined);
      await this.fs.unlink(temp).catch(() => undefined);
      if (errnoCode(err) === 'ENOSPC') throw fileAccessError('write to', temp, err);
      throw this.#fail(fileAccessError('create', temp, err, { severity: 'PANIC' }));
    }
  }

  /**
   * Makes WAL durable up to at least `upTo` (XLogFlush). Group commit: one flush at a time
   * writes and syncs everything inserted so far; callers whose LSN it covers return without
   * syncing themselves (W27). ENOSPC throws 53100 and may be retried; a failed fdatasync puts
   * the log into the failed state (every later call throws the same PANIC).
   */
  async flush(upTo: Lsn): Promise<void> {
    this.#checkUsable();
    this.stats.flushRequests += 1;
    const insertPos = this.#get(Slot.INSERT_POS);
    assert(upTo <= insertPos, () => `xlog flush request ${upTo} is beyond the insert position ${insertPos}`);
    for (let rounds = 0; rounds < ROUNDS_MAX; rounds++) {
      if (this.#get(Slot.FLUSHED_POS) >= upTo) return;
      this.#checkUsable();
      if (this.#flushing) {
        await this.#flushing.catch(() => undefined);
        continue;
      }
      const run = this.#doFlush();
      this.#flushing = run;
      try {
        await run;
      } finally {
        this.#flushing = undefined;
      }
    }
    assert(this.#get(Slot.FLUSHED_POS) >= upTo, 'flush made no progress');
  }

  async #doFlush(): Promise<void> {
    if (this.commitDelayUs > 0 && this.#activeTransactionCount() >= this.commitSiblings) {
      await new Promise((resolve) => setTimeout(resolve, this.commitDelayUs / 1000));
    }
    const target = this.#get(Slot.INSERT_POS);
    await this.#writeOut(target);
    let synced = false;
    for (const seg of [...this.#open]) {
      if (seg.dirty) {
        await this.#syncSegment(seg);
        synced = true;
      }
    }
    if (synced) this.stats.flushSyncs += 1;
    if (target > this.#get(Slot.FLUSHED_POS)) this.#set(Slot.FLUSHED_POS, target);
  }

  /** Flushes everything inserted (the WAL writer's round, and shutdown). */
  async flushAll(): Promise<void> {
    await this.flush(this.insertLsn);
  }

  /** Closes the segment files. Unflushed WAL is not written: flush first. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#flushing?.catch(() => undefined);
    await this.#writing?.catch(() => undefined);
    this.#closed = true;
    for (const seg of this.#open.splice(0)) await seg.handle.close().catch(() => undefined);
  }

  /** True once {@link close} was called. */
  get closed(): boolean { return this.#closed; }

  /** Switches insertion to a new timeline (end of archive recovery). The current segment is continued under the new TLI. */
  async switchTimeLine(tli: TimeLineId): Promise<void> {
    this.#checkUsable();
    assert(tli > this.#timeLineId, () => `new timeline ${tli} not above ${this.#timeLineId}`);
    await this.flushAll();
    for (const seg of this.#open.splice(0)) await seg.handle.close().catch(() => undefined);
    this.#timeLineId = tli;
  }

  /** Largest record payload that fits the buffers (bytes). */
  get maxRecordBytes(): number { return Math.floor(this.walBuffersBytes / 2); }
}

function parentDir(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '.';
  return slash > 0 ? path.slice(0, slash) : '/';
}

/**
 * Creates `<dataDir>/<relPath>` if missing, durably (FS2): every directory whose entries it
 * created (the parent of each new directory, up to the first one that existed) is synced.
 */
export async function ensureDirectory(fs: FileSystem, dataDir: string, relPath: string): Promise<void> {
  const path = `${dataDir}/${relPath}`;
  if (await fs.exists(path)) return;
  try {
    // The missing directories, deepest first (bounded by the path's depth).
    const missing: string[] = [path];
    for (let dir = parentDir(path); dir !== '/' && dir !== '.' && !(await fs.exists(dir)); dir = parentDir(dir)) missing.push(dir);
    await fs.mkdir(path, { recursive: true, mode: 0o700 });
    for (const dir of missing) await fs.syncDir(parentDir(dir));
  } catch (err) {
    throw fileAccessError('create directory', path, err);
  }
}

/** Prefix of the temporary files segments are created as (`xlogtemp.<pid>.<n>`). */
export const TEMP_SEGMENT_PREFIX = 'xlogtemp.';

/**
 * Removes leftover temporary segment files from `pg_wal/` (a crash during segment creation
 * leaves them), as PostgreSQL removes its temporary files at startup. Call before the log
 * creates any segment. Returns how many were removed; a missing `pg_wal/` is none.
 */
export async function removeTempSegments(fs: FileSystem, dataDir: string): Promise<number> {
  const walDir = `${dataDir}/${PG_WAL_DIR}`;
  let names: string[];
  try {
    names = await fs.readdir(walDir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 0;
    throw fileAccessError('read directory', walDir, err, { severity: 'FATAL' });
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(TEMP_SEGMENT_PREFIX)) continue;
    try {
      await fs.unlink(`${walDir}/${name}`);
      removed += 1;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw fileAccessError('remove', `${walDir}/${name}`, err, { severity: 'FATAL' });
    }
  }
  return removed;
}

/** Makes sure the SIZE constant the header math relies on holds. */
assert(SIZE_OF_LONG_PAGE_HEADER % 8 === 0, 'page headers must keep records MAXALIGNed');
