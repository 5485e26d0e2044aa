// A pg_waldump for Palisade's WAL: every record from a start LSN with its resource manager,
// lengths, xid, back-link, block references and description. Entry points: describeWal
// (async iterator of entries), formatWalDumpEntry (pg_waldump's line format).

import { formatLsn, type FileSystem, type Lsn } from '@palisade/common';
import { readControlFile } from './control.ts';
import { LocalSegmentSource, WalReader } from './reader.ts';
import type { DecodedRecord } from './record.ts';
import { ResourceManagerRegistry, type ResourceManager } from './rmgr.ts';
import {
  PG_WAL_DIR, SIZE_OF_LONG_PAGE_HEADER, historyFileName, XLOG_BLCKSZ, XLP_FIRST_IS_CONTRECORD, pageHeaderSize, parseSegmentFileName, readPageHeader, segmentStart,
} from './segment.ts';
import { parseTimeLineHistory, timelineSpans } from './timeline.ts';
import { xlogResourceManager } from './xlog.ts';

/** Options of {@link describeWal}. */
export interface DescribeWalOptions {
  /** First record (default: the first record starting in the oldest segment in pg_wal). */
  startLsn?: Lsn;
  /** Stop before the first record at or after this LSN (default: end of valid WAL). */
  endLsn?: Lsn;
  /** Resource managers for names and descriptions (XLOG is always known). */
  registry?: ResourceManagerRegistry;
  /** At most this many records (default 10 million). */
  limit?: number;
}

/** One record as pg_waldump shows it. */
export interface WalDumpEntry {
  lsn: Lsn;
  prevLsn: Lsn;
  endLsn: Lsn;
  rmgr: string;
  /** The record's type name (e.g. CHECKPOINT_ONLINE), or the info byte in hex. */
  type: string;
  xid: bigint;
  /** Bytes without full-page images. */
  recordLengthBytes: number;
  /** xl_tot_len. */
  totalLengthBytes: number;
  desc: string;
  blocks: Array<{ id: number; spcOid: number; dbOid: number; relNumber: number; fork: number; block: number; image: boolean; willInit: boolean }>;
  record: DecodedRecord;
}

/** Where the first record of segment file `bytes` (starting at `segStart`) begins. */
function firstRecordInSegment(bytes: Uint8Array, segStart: bigint, segSizeBytes: number): Lsn {
  const header = readPageHeader(bytes, 0);
  let pos = segStart + BigInt(SIZE_OF_LONG_PAGE_HEADER);
  if ((header.info & XLP_FIRST_IS_CONTRECORD) === 0) return pos as Lsn;
  let remaining = header.remLengthBytes;
  // Bounded: each round consumes one page of the continued record.
  while (remaining > 0) {
    const room = XLOG_BLCKSZ - Number(pos % BigInt(XLOG_BLCKSZ));
    const n = Math.min(room, remaining);
    pos += BigInt(n);
    remaining -= n;
    if (remaining > 0) pos += BigInt(pageHeaderSize(pos, segSizeBytes));
  }
  pos = (pos + 7n) & ~7n;
  if (pos % BigInt(XLOG_BLCKSZ) === 0n) pos += BigInt(pageHeaderSize(pos, segSizeBytes));
  return pos as Lsn;
}

const FORKS = ['main', 'fsm', 'vm', 'init'];

/** Reads the WAL of a data directory record by record. */
export async function* describeWal(fs: FileSystem, dataDir: string, options: DescribeWalOptions = {}): AsyncGenerator<WalDumpEntry> {
  const control = await readControlFile(fs, dataDir);
  const segSizeBytes = control.xlogSegSize;
  const tli = control.checkPointCopy.thisTimeLineId;
  const source = new LocalSegmentSource(fs, dataDir);
  let start = options.startLsn;
  if (start === undefined) {
    const segnos = (await fs.readdir(`${dataDir}/${PG_WAL_DIR}`))
      .map((n) => parseSegmentFileName(n, segSizeBytes))
      .filter((p): p is { tli: number; segno: bigint } => p !== undefined && p.tli <= tli)
      .map((p) => p.segno)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const first = segnos[0];
    if (first === undefined) return;
    const name = (await fs.readdir(`${dataDir}/${PG_WAL_DIR}`)).find((n) => parseSegmentFileName(n, segSizeBytes)?.segno === first)!;
    const bytes = await source.read(tli, first, name);
    if (!bytes || bytes.length < XLOG_BLCKSZ) return;
    start = firstRecordInSegment(bytes, segmentStart(first, segSizeBytes), segSizeBytes);
  }
  const registry = options.registry ?? new ResourceManagerRegistry();
  const rmgrOf = (id: number): ResourceManager | undefined => (id === 0 ? registry.get(0) ?? xlogResourceManager : registry.get(id));
  // Follow the timeline's history (its ancestors' segments before each switch point) when pg_wal has it.
  const historyBytes = tli > 1 ? await source.read(tli, 0n, historyFileName(tli)) : undefined;
  const history = historyBytes ? parseTimeLineHistory(new TextDecoder().decode(historyBytes), historyFileName(tli)) : [];
  const reader = new WalReader({ source, segSizeBytes, systemIdentifier: control.systemIdentifier, timelines: timelineSpans(tli, history) });
  reader.seek(start);
  const limit = options.limit ?? 10_000_000;
  for (let i = 0; i < limit; i++) {
    const record = await reader.next();
    if (!record) return;
    if (options.endLsn !== undefined && record.lsn >= options.endLsn) return;
    const rm = rmgrOf(record.rmid);
    const imageBytes = record.blocks.reduce((sum, b) => sum + (b.imageStoredBytes ?? 0), 0);
    yield {
      lsn: record.lsn,
      prevLsn: record.prevLsn,
      endLsn: record.endLsn,
      rmgr: rm?.name ?? `custom${record.rmid.toString().padStart(3, '0')}`,
      type: rm?.identify?.(record.info) ?? `UNKNOWN (${(record.info & 0xf0).toString(16).toUpperCase()})`,
      xid: record.xid,
      recordLengthBytes: record.totalLengthBytes - imageBytes,
      totalLengthBytes: record.totalLengthBytes,
      desc: rm ? safeDesc(rm, record) : '',
      blocks: record.blocks.map((b) => ({ id: b.id, spcOid: b.rel.spcOid, dbOid: b.rel.dbOid, relNumber: b.rel.relNumber, fork: b.fork, block: b.block, image: b.image !== undefined, willInit: b.flags.willInit === true })),
      record,
    };
  }
}

function safeDesc(rm: ResourceManager, record: DecodedRecord): string {
  try {
    return rm.desc(record);
  } catch (err) {
    return `(could not describe: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** pg_waldump's line: `rmgr: XLOG len (rec/tot): 114/ 114, tx: 0, lsn: 0/01000028, prev 0/00000000, desc: …`. */
export function formatWalDumpEntry(entry: WalDumpEntry): string {
  const lsn = (v: Lsn): string => {
    const [hi, lo] = formatLsn(v).split('/');
    return `${hi}/${lo!.padStart(8, '0')}`;
  };
  const blocks = entry.blocks
    .map((b) => `, blkref #${b.id}: rel ${b.spcOid}/${b.dbOid}/${b.relNumber}${b.fork === 0 ? '' : ` fork ${FORKS[b.fork] ?? b.fork}`} blk ${b.block}${b.image ? ' FPW' : ''}${b.willInit ? ' (init)' : ''}`)
    .join('');
  return `rmgr: ${entry.rmgr.padEnd(11)} len (rec/tot): ${String(entry.recordLengthBytes).padStart(6)}/${String(entry.totalLengthBytes).padStart(6)}, tx: ${String(entry.xid).padStart(10)}, lsn: ${lsn(entry.lsn)}, prev ${lsn(entry.prevLsn)}, desc: ${entry.type} ${entry.desc}${blocks}`.trimEnd();
}
