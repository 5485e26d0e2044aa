// Reading WAL back (PostgreSQL's xlogreader): records in order from a start LSN, validating
// every page header and record, stopping at the first thing that is not a valid
// continuation of the log (W21). Entry points: WalReader, LocalSegmentSource.
//
// The end of WAL is not an error: it is where the valid log stops, and `endReason` says why
// (zeroed or missing page, wrong pageaddr, bad CRC, bad prev-link, torn record, …).

import { formatLsn, type FileSystem, type Lsn } from '@palisade/common';
import { errnoCode, fileAccessError } from './errors.ts';
import { InvalidRecordError, SIZE_OF_XLOG_RECORD, decodeRecord, maxAlign, recordTotalLength, validateRecordHeader, type DecodedRecord } from './record.ts';
import { RmgrId } from './rmgr.ts';
import {
  PG_WAL_DIR, XLOG_BLCKSZ, XLOG_PAGE_MAGIC, XLP_ALL_FLAGS, XLP_FIRST_IS_CONTRECORD, XLP_LONG_HEADER,
  pageHeaderSize, readPageHeader, segmentFileName, segmentOf, segmentStart, type TimeLineId,
} from './segment.ts';
import { XlogInfo } from './xlog.ts';

/** Where segment files come from: pg_wal, an archive, or both. */
export interface SegmentSource {
  /** Segment `segno` of timeline `tli`, or undefined if it does not exist. The result may be shorter than a segment. */
  read(tli: TimeLineId, segno: bigint, fileName: string): Promise<Uint8Array | undefined>;
}

/** Segments from `<dataDir>/pg_wal`. */
export class LocalSegmentSource implements SegmentSource {
  constructor(readonly fs: FileSystem, readonly dataDir: string) {}

  async read(_tli: TimeLineId, _segno: bigint, fileName: string): Promise<Uint8Array | undefined> {
    const path = `${this.dataDir}/${PG_WAL_DIR}/${fileName}`;
    try {
      return await this.fs.readFile(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw fileAccessError('read', path, err);
    }
  }
}

/** One timeline of the history a reader follows: it is read from `beginLsn` on (0 for the first). */
export interface TimeLineSpan { tli: TimeLineId; beginLsn: Lsn }

/** Options of {@link WalReader}. */
export interface WalReaderOptions {
  source: SegmentSource;
  segSizeBytes: number;
  /** Expected xlp_sysid of long page headers (not checked if absent). */
  systemIdentifier?: bigint;
  /** Timelines to follow, any order; a segment is read from the newest timeline begun before the segment's end. */
  timelines: TimeLineSpan[];
}

/** Why the reader stopped. */
export interface EndOfWal { lsn: Lsn; reason: string }

/** Sequential WAL reader. */
export class WalReader {
  readonly #source: SegmentSource;
  readonly #segSizeBytes: number;
  readonly #systemIdentifier: bigint | undefined;
  readonly #timelines: TimeLineSpan[];
  #segno = -1n;
  #segment: Uint8Array | undefined;
  #segmentTli: TimeLineId = 0;
  #nextLsn: bigint = 0n;
  #prevLsn: bigint | undefined;
  #lastTli: TimeLineId = 0;
  /** Set once {@link next} has returned undefined. */
  endOfWal: EndOfWal | undefined;
  /** The last record returned. */
  lastRecord: DecodedRecord | undefined;

  constructor(options: WalReaderOptions) {
    this.#source = options.source;
    this.#segSizeBytes = options.segSizeBytes;
    this.#systemIdentifier = options.systemIdentifier;
    this.#timelines = [...options.timelines].sort((a, b) => b.tli - a.tli);
  }

  /** Positions the reader at a record start; `prevLsn` is the expected xl_prev of that record, if known. */
  seek(lsn: Lsn, prevLsn?: Lsn): void {
    this.#nextLsn = lsn;
    this.#prevLsn = prevLsn;
    this.#lastTli = 0;
    this.endOfWal = undefined;
    this.lastRecord = undefined;
  }

  /** Position of the next record to read (after the end: where valid WAL stops). */
  get nextLsn(): Lsn { return this.#nextLsn as Lsn; }

  /** The timeline a segment is read from. */
  timelineOfSegment(segno: bigint): TimeLineId {
    const end = segmentStart(segno + 1n, this.#segSizeBytes);
    for (const span of this.#timelines) if (span.beginLsn < end) return span.tli;
    return this.#timelines[this.#timelines.length - 1]?.tli ?? 1;
  }

  /** The next valid record, or undefined at the end of WAL (see {@link endOfWal}). */
  async next(): Promise<DecodedRecord | undefined> {
    if (this.endOfWal) return undefined;
    const start = this.#nextLsn;
    try {
      const record = await this.#read(start);
      this.lastRecord = record;
      this.#prevLsn = record.lsn;
      let next = BigInt(record.endLsn);
      if (record.rmid === RmgrId.XLOG && (record.info & 0xf0) === XlogInfo.SWITCH && next % BigInt(this.#segSizeBytes) !== 0n) {
        next = segmentStart(segmentOf(next, this.#segSizeBytes) + 1n, this.#segSizeBytes);
      }
      this.#nextLsn = next;
      return record;
    } catch (err) {
      if (!(err instanceof InvalidRecordError)) throw err;
      // The end of valid WAL is at the start of the record that failed, or after the header of an empty page.
      this.endOfWal = { lsn: start as Lsn, reason: err.message };
      return undefined;
    }
  }

  async #loadSegment(segno: bigint): Promise<Uint8Array | undefined> {
    if (segno === this.#segno) return this.#segment;
    const tli = this.timelineOfSegment(segno);
    const name = segmentFileName(tli, segno, this.#segSizeBytes);
    const bytes = await this.#source.read(tli, segno, name);
    this.#segno = segno;
    this.#segmentTli = tli;
    if (bytes === undefined) {
      this.#segment = undefined;
      return undefined;
    }
    // Bytes past the end of a short (truncated) file read as zeros: an invalid page or a zero length.
    const full = new Uint8Array(this.#segSizeBytes);
    full.set(bytes.subarray(0, this.#segSizeBytes));
    this.#segment = full;
    return full;
  }

  /** The page at `pageStart`, validated; returns the segment buffer and the offset of the page. */
  async #page(pageStart: bigint, at: bigint): Promise<{ buf: Uint8Array; offset: number; headerBytes: number; info: number; remLengthBytes: number }> {
    const segno = segmentOf(pageStart, this.#segSizeBytes);
    const buf = await this.#loadSegment(segno);
    if (!buf) throw new InvalidRecordError(`could not read WAL segment ${segmentFileName(this.timelineOfSegment(segno), segno, this.#segSizeBytes)} for ${formatLsn(at as Lsn)}: no such file`);
    const offset = Number(pageStart % BigInt(this.#segSizeBytes));
    const header = readPageHeader(buf, offset);
    const where = `in WAL segment ${segmentFileName(this.#segmentTli, segno, this.#segSizeBytes)}, offset ${offset}`;
    if (header.magic !== XLOG_PAGE_MAGIC) throw new InvalidRecordError(`invalid magic number ${header.magic.toString(16).toUpperCase().padStart(4, '0')} ${where}`);
    if ((header.info & ~XLP_ALL_FLAGS) !== 0) throw new InvalidRecordError(`invalid info bits ${header.info.toString(16).toUpperCase().padStart(4, '0')} ${where}`);
    const long = offset === 0;
    if (long !== ((header.info & XLP_LONG_HEADER) !== 0)) throw new InvalidRecordError(`invalid long-header bit ${where}`);
    if (long) {
      if (this.#systemIdentifier !== undefined && header.systemIdentifier !== this.#systemIdentifier) {
        throw new InvalidRecordError(`WAL file is from different database system: WAL file database system identifier is ${header.systemIdentifier}, pg_control database system identifier is ${this.#systemIdentifier}`);
      }
      if (header.segSizeBytes !== this.#segSizeBytes) throw new InvalidRecordError(`WAL file is from different database system: incorrect segment size in page header`);
      if (header.blockSizeBytes !== XLOG_BLCKSZ) throw new InvalidRecordError(`WAL file is from different database system: incorrect XLOG_BLCKSZ in page header`);
    }
    if (header.pageAddr !== pageStart) throw new InvalidRecordError(`unexpected pageaddr ${formatLsn(header.pageAddr)} ${where}`);
    if (header.tli > this.#segmentTli || header.tli < this.#lastTli) {
      throw new InvalidRecordError(`out-of-sequence timeline ID ${header.tli} (after ${this.#lastTli}) ${where}`);
    }
    this.#lastTli = header.tli;
    return { buf, offset, headerBytes: pageHeaderSize(pageStart, this.#segSizeBytes), info: header.info, remLengthBytes: header.remLengthBytes };
  }

  async #read(startPos: bigint): Promise<DecodedRecord> {
    const pageBytes = BigInt(XLOG_BLCKSZ);
    let pos = startPos;
    let pageStart = pos - (pos % pageBytes);
    let page = await this.#page(pageStart, pos);
    if (pos === pageStart) {
      if ((page.info & XLP_FIRST_IS_CONTRECORD) !== 0 && page.remLengthBytes > 0) {
        throw new InvalidRecordError(`contrecord is requested by ${formatLsn(pos as Lsn)}`);
      }
      pos += BigInt(page.headerBytes);
    } else if (Number(pos - pageStart) < page.headerBytes) {
      throw new InvalidRecordError(`invalid record offset at ${formatLsn(pos as Lsn)}`);
    }
    const lsn = pos as Lsn;
    if (pos % 8n !== 0n) throw new InvalidRecordError(`invalid record offset at ${formatLsn(lsn)}`);
    const inPage = Number(pos - pageStart);
    const totalBytes = recordTotalLength(page.buf, page.offset + inPage);
    if (totalBytes < SIZE_OF_XLOG_RECORD) throw new InvalidRecordError(`invalid record length at ${formatLsn(lsn)}: wanted ${SIZE_OF_XLOG_RECORD}, got ${totalBytes}`);
    const bytes = new Uint8Array(totalBytes);
    let got = 0;
    let headerChecked = false;
    // Bounded: each round consumes one page of a record of bounded length.
    while (got < totalBytes) {
      if (got > 0) {
        pageStart += pageBytes;
        page = await this.#page(pageStart, pos);
        if ((page.info & XLP_FIRST_IS_CONTRECORD) === 0) throw new InvalidRecordError(`there is no contrecord flag at ${formatLsn(pageStart as Lsn)}`);
        if (page.remLengthBytes !== totalBytes - got) {
          throw new InvalidRecordError(`invalid contrecord length ${page.remLengthBytes} (expected ${totalBytes - got}) at ${formatLsn(pageStart as Lsn)}`);
        }
        pos = pageStart + BigInt(page.headerBytes);
      }
      const inPageNow = Number(pos - pageStart);
      const n = Math.min(XLOG_BLCKSZ - inPageNow, totalBytes - got);
      bytes.set(page.buf.subarray(page.offset + inPageNow, page.offset + inPageNow + n), got);
      got += n;
      pos += BigInt(n);
      if (!headerChecked && got >= SIZE_OF_XLOG_RECORD) {
        validateRecordHeader(bytes, lsn, this.#prevLsn as Lsn | undefined);
        headerChecked = true;
      }
    }
    const endLsn = (pos + BigInt(maxAlign(Number(pos % 8n)) - Number(pos % 8n))) as Lsn;
    return decodeRecord(bytes, lsn, endLsn);
  }
}
