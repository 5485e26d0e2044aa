// pg_control (W14–W16): the 8192-byte file `global/pg_control` that says where recovery
// starts. Entry points: readControlFile, writeControlFile, encodeCheckPoint/decodeCheckPoint
// (the CheckPoint struct is both the checkpoint record's payload and checkPointCopy).
//
// Layout: the fields below in order, each at its natural alignment, little-endian; the
// struct is ≤ 512 bytes, followed by its CRC-32C, then zeros up to 8192 bytes. Written with
// write-temp + fsync + rename + fsync(dir): see README "pg_control" for why not in place.

import { PgError, SqlState, assert, type FileSystem, type Lsn, type Oid, type Xid } from '@palisade/common';
import { crc32c } from '@palisade/common';
import { errnoCode, fileAccessError } from './errors.ts';
import type { TimeLineId } from './segment.ts';

/** Size of the file (PG_CONTROL_FILE_SIZE). */
export const PG_CONTROL_FILE_SIZE = 8192;
/** Upper bound of the struct, so that it fits one 512-byte sector (PG_CONTROL_MAX_SAFE_SIZE). */
export const PG_CONTROL_MAX_SAFE_SIZE = 512;
/** Palisade's pg_control_version (PostgreSQL 15 writes 1300). */
export const PG_CONTROL_VERSION = 9001;
/** Palisade's catalog_version_no (the sql package bumps it with catalog changes). */
export const CATALOG_VERSION_NO = 202611001;
/** Path of the file relative to the data directory. */
export const PG_CONTROL_PATH = 'global/pg_control';

/** DBState (W16). */
export const DBState = {
  DB_STARTUP: 0,
  DB_SHUTDOWNED: 1,
  DB_SHUTDOWNED_IN_RECOVERY: 2,
  DB_SHUTDOWNING: 3,
  DB_IN_CRASH_RECOVERY: 4,
  DB_IN_ARCHIVE_RECOVERY: 5,
  DB_IN_PRODUCTION: 6,
} as const;
export type DBStateValue = (typeof DBState)[keyof typeof DBState];

/** wal_level values as pg_control stores them. */
export const WalLevel = { minimal: 0, replica: 1, logical: 2 } as const;

/** The CheckPoint struct (64-bit xids and multixacts in Palisade). */
export interface CheckPoint {
  redo: Lsn;
  thisTimeLineId: TimeLineId;
  prevTimeLineId: TimeLineId;
  fullPageWrites: boolean;
  walLevel: number;
  nextXid: Xid;
  nextOid: Oid;
  nextMulti: bigint;
  nextMultiOffset: bigint;
  oldestXid: Xid;
  oldestXidDb: Oid;
  oldestMulti: bigint;
  oldestMultiDb: Oid;
  /** Seconds since the Unix epoch. */
  time: bigint;
  oldestCommitTsXid: Xid;
  newestCommitTsXid: Xid;
  oldestActiveXid: Xid;
}

/** The whole of pg_control (ControlFileData) but its CRC. */
export interface ControlFileData {
  systemIdentifier: bigint;
  pgControlVersion: number;
  catalogVersionNo: number;
  state: DBStateValue;
  /** Last update, seconds since the Unix epoch. */
  time: bigint;
  /** LSN of the latest checkpoint record. */
  checkPoint: Lsn;
  checkPointCopy: CheckPoint;
  unloggedLsn: Lsn;
  minRecoveryPoint: Lsn;
  minRecoveryPointTli: TimeLineId;
  backupStartPoint: Lsn;
  backupEndPoint: Lsn;
  backupEndRequired: boolean;
  walLevel: number;
  walLogHints: boolean;
  maxConnections: number;
  maxWorkerProcesses: number;
  maxWalSenders: number;
  maxPreparedXacts: number;
  maxLocksPerXact: number;
  trackCommitTimestamp: boolean;
  maxAlign: number;
  floatFormat: number;
  blcksz: number;
  relsegSize: number;
  xlogBlcksz: number;
  xlogSegSize: number;
  nameDataLen: number;
  indexMaxKeys: number;
  toastMaxChunkSize: number;
  loblksize: number;
  float8ByVal: boolean;
  dataChecksumVersion: number;
  defaultCharSignedness: boolean;
  /** 32 random bytes for mock authentication of nonexistent roles. */
  mockAuthenticationNonce: Uint8Array;
}

type Kind = 'u8' | 'bool' | 'u32' | 'u64' | 'i64' | 'f64' | 'bytes32';
type Field<T> = readonly [keyof T & string, Kind];

const SIZE: Record<Kind, number> = { u8: 1, bool: 1, u32: 4, u64: 8, i64: 8, f64: 8, bytes32: 32 };
const ALIGN: Record<Kind, number> = { u8: 1, bool: 1, u32: 4, u64: 8, i64: 8, f64: 8, bytes32: 1 };

const CHECKPOINT_FIELDS: readonly Field<CheckPoint>[] = [
  ['redo', 'u64'], ['thisTimeLineId', 'u32'], ['prevTimeLineId', 'u32'], ['fullPageWrites', 'bool'], ['walLevel', 'u32'],
  ['nextXid', 'u64'], ['nextOid', 'u32'], ['nextMulti', 'u64'], ['nextMultiOffset', 'u64'], ['oldestXid', 'u64'],
  ['oldestXidDb', 'u32'], ['oldestMulti', 'u64'], ['oldestMultiDb', 'u32'], ['time', 'i64'], ['oldestCommitTsXid', 'u64'],
  ['newestCommitTsXid', 'u64'], ['oldestActiveXid', 'u64'],
];

const CONTROL_HEAD: readonly Field<ControlFileData>[] = [
  ['systemIdentifier', 'u64'], ['pgControlVersion', 'u32'], ['catalogVersionNo', 'u32'], ['state', 'u32'], ['time', 'i64'], ['checkPoint', 'u64'],
];
const CONTROL_TAIL: readonly Field<ControlFileData>[] = [
  ['unloggedLsn', 'u64'], ['minRecoveryPoint', 'u64'], ['minRecoveryPointTli', 'u32'], ['backupStartPoint', 'u64'], ['backupEndPoint', 'u64'],
  ['backupEndRequired', 'bool'], ['walLevel', 'u32'], ['walLogHints', 'bool'], ['maxConnections', 'u32'], ['maxWorkerProcesses', 'u32'],
  ['maxWalSenders', 'u32'], ['maxPreparedXacts', 'u32'], ['maxLocksPerXact', 'u32'], ['trackCommitTimestamp', 'bool'], ['maxAlign', 'u32'],
  ['floatFormat', 'f64'], ['blcksz', 'u32'], ['relsegSize', 'u32'], ['xlogBlcksz', 'u32'], ['xlogSegSize', 'u32'], ['nameDataLen', 'u32'],
  ['indexMaxKeys', 'u32'], ['toastMaxChunkSize', 'u32'], ['loblksize', 'u32'], ['float8ByVal', 'bool'], ['dataChecksumVersion', 'u32'],
  ['defaultCharSignedness', 'bool'], ['mockAuthenticationNonce', 'bytes32'],
];

function align(pos: number, to: number): number {
  return Math.ceil(pos / to) * to;
}

function writeFields<T>(view: DataView, start: number, fields: readonly Field<T>[], value: T): number {
  let pos = start;
  const v = value as Record<string, unknown>;
  for (const [name, kind] of fields) {
    pos = align(pos, ALIGN[kind]);
    const x = v[name];
    switch (kind) {
      case 'u8': view.setUint8(pos, x as number); break;
      case 'bool': view.setUint8(pos, x ? 1 : 0); break;
      case 'u32': view.setUint32(pos, x as number, true); break;
      case 'u64': view.setBigUint64(pos, BigInt(x as bigint), true); break;
      case 'i64': view.setBigInt64(pos, BigInt(x as bigint), true); break;
      case 'f64': view.setFloat64(pos, x as number, true); break;
      case 'bytes32': {
        const bytes = x as Uint8Array;
        assert(bytes.length === 32, `${name} must be 32 bytes`);
        new Uint8Array(view.buffer, view.byteOffset + pos, 32).set(bytes);
        break;
      }
    }
    pos += SIZE[kind];
  }
  return pos;
}

function readFields<T>(view: DataView, start: number, fields: readonly Field<T>[], out: Record<string, unknown>): number {
  let pos = start;
  for (const [name, kind] of fields) {
    pos = align(pos, ALIGN[kind]);
    switch (kind) {
      case 'u8': out[name] = view.getUint8(pos); break;
      case 'bool': out[name] = view.getUint8(pos) !== 0; break;
      case 'u32': out[name] = view.getUint32(pos, true); break;
      case 'u64': out[name] = view.getBigUint64(pos, true); break;
      case 'i64': out[name] = view.getBigInt64(pos, true); break;
      case 'f64': out[name] = view.getFloat64(pos, true); break;
      case 'bytes32': out[name] = new Uint8Array(view.buffer, view.byteOffset + pos, 32).slice(); break;
    }
    pos += SIZE[kind];
  }
  return pos;
}

/** Size of an encoded CheckPoint struct. */
export const SIZE_OF_CHECKPOINT = align(writeFields(new DataView(new ArrayBuffer(512)), 0, CHECKPOINT_FIELDS, emptyCheckPoint()), 8);

/** A CheckPoint with every field zero. */
export function emptyCheckPoint(): CheckPoint {
  return {
    redo: 0n as Lsn, thisTimeLineId: 1, prevTimeLineId: 1, fullPageWrites: true, walLevel: WalLevel.replica, nextXid: 0n as Xid,
    nextOid: 0 as Oid, nextMulti: 1n, nextMultiOffset: 0n, oldestXid: 0n as Xid, oldestXidDb: 0 as Oid, oldestMulti: 1n,
    oldestMultiDb: 0 as Oid, time: 0n, oldestCommitTsXid: 0n as Xid, newestCommitTsXid: 0n as Xid, oldestActiveXid: 0n as Xid,
  };
}

export function encodeCheckPoint(value: CheckPoint): Uint8Array {
  const bytes = new Uint8Array(SIZE_OF_CHECKPOINT);
  writeFields(new DataView(bytes.buffer), 0, CHECKPOINT_FIELDS, value);
  return bytes;
}

export function decodeCheckPoint(bytes: Uint8Array): CheckPoint {
  assert(bytes.length >= SIZE_OF_CHECKPOINT, () => `checkpoint payload of ${bytes.length} bytes, expected ${SIZE_OF_CHECKPOINT}`);
  const out: Record<string, unknown> = {};
  readFields(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0, CHECKPOINT_FIELDS, out);
  return out as unknown as CheckPoint;
}

function layout(value: ControlFileData): { bytes: Uint8Array; crcOffset: number } {
  const bytes = new Uint8Array(PG_CONTROL_FILE_SIZE);
  const view = new DataView(bytes.buffer);
  let pos = writeFields(view, 0, CONTROL_HEAD, value);
  pos = align(pos, 8);
  bytes.set(encodeCheckPoint(value.checkPointCopy), pos);
  pos += SIZE_OF_CHECKPOINT;
  pos = writeFields(view, pos, CONTROL_TAIL, value);
  const crcOffset = align(pos, 4);
  return { bytes, crcOffset };
}

/** Encodes pg_control: 8192 bytes with the CRC after the struct. */
export function encodeControlFile(value: ControlFileData): Uint8Array {
  const { bytes, crcOffset } = layout(value);
  assert(crcOffset + 4 <= PG_CONTROL_MAX_SAFE_SIZE, () => `pg_control struct is ${crcOffset + 4} bytes`);
  new DataView(bytes.buffer).setUint32(crcOffset, crc32c(bytes.subarray(0, crcOffset)), true);
  return bytes;
}

/** Decodes and verifies pg_control; throws the PgError PostgreSQL would raise. `path` names the file in errors. */
export function decodeControlFile(bytes: Uint8Array, path: string = PG_CONTROL_PATH): ControlFileData {
  if (bytes.length !== PG_CONTROL_FILE_SIZE) {
    throw new PgError(SqlState.DATA_CORRUPTED, `could not read file "${path}": read ${bytes.length} of ${PG_CONTROL_FILE_SIZE}`, { severity: 'FATAL' });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint32(8, true);
  if (version !== PG_CONTROL_VERSION) {
    throw new PgError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, 'database files are incompatible with server', {
      severity: 'FATAL',
      detail: `The database cluster was initialized with PG_CONTROL_VERSION ${version} (0x${version.toString(16).padStart(8, '0')}), but the server was compiled with PG_CONTROL_VERSION ${PG_CONTROL_VERSION} (0x${PG_CONTROL_VERSION.toString(16).padStart(8, '0')}) (file "${path}").`,
      hint: 'It looks like you need to initdb.',
    });
  }
  const out: Record<string, unknown> = {};
  let pos = readFields(view, 0, CONTROL_HEAD, out);
  pos = align(pos, 8);
  out.checkPointCopy = decodeCheckPoint(bytes.subarray(pos, pos + SIZE_OF_CHECKPOINT));
  pos += SIZE_OF_CHECKPOINT;
  pos = readFields(view, pos, CONTROL_TAIL, out);
  const crcOffset = align(pos, 4);
  if (crc32c(bytes.subarray(0, crcOffset)) !== view.getUint32(crcOffset, true)) {
    throw new PgError(SqlState.DATA_CORRUPTED, 'incorrect checksum in control file', { severity: 'FATAL', detail: `File "${path}".` });
  }
  return out as unknown as ControlFileData;
}

/** Reads `<dataDir>/global/pg_control`. */
export async function readControlFile(fs: FileSystem, dataDir: string): Promise<ControlFileData> {
  const path = `${dataDir}/${PG_CONTROL_PATH}`;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    throw fileAccessError('open', path, err, { severity: 'FATAL' });
  }
  return decodeControlFile(bytes, path);
}

/** Writes pg_control durably and atomically (the old or the new content survives a crash). */
export async function writeControlFile(fs: FileSystem, dataDir: string, value: ControlFileData): Promise<void> {
  const path = `${dataDir}/${PG_CONTROL_PATH}`;
  const bytes = encodeControlFile({ ...value, time: BigInt(Math.floor(Date.now() / 1000)) });
  try {
    await fs.writeFileAtomic(path, bytes);
  } catch (err) {
    // Failing to record a checkpoint or state change is a PANIC in PostgreSQL too: the file's state is unknown.
    const code = errnoCode(err);
    throw fileAccessError('write to', path, err, { severity: code === 'ENOSPC' ? 'ERROR' : 'PANIC' });
  }
}

/** The pg_control of a freshly initialized cluster. */
export function newControlFile(init: { systemIdentifier: bigint; segSizeBytes: number; checkPoint: Lsn; checkPointCopy: CheckPoint; mockAuthenticationNonce: Uint8Array; dataChecksumVersion?: number }): ControlFileData {
  return {
    systemIdentifier: init.systemIdentifier,
    pgControlVersion: PG_CONTROL_VERSION,
    catalogVersionNo: CATALOG_VERSION_NO,
    state: DBState.DB_SHUTDOWNED,
    time: 0n,
    checkPoint: init.checkPoint,
    checkPointCopy: init.checkPointCopy,
    unloggedLsn: 1000n as Lsn,
    minRecoveryPoint: 0n as Lsn,
    minRecoveryPointTli: 0,
    backupStartPoint: 0n as Lsn,
    backupEndPoint: 0n as Lsn,
    backupEndRequired: false,
    walLevel: init.checkPointCopy.walLevel,
    walLogHints: false,
    maxConnections: 100,
    maxWorkerProcesses: 8,
    maxWalSenders: 10,
    maxPreparedXacts: 0,
    maxLocksPerXact: 64,
    trackCommitTimestamp: false,
    maxAlign: 8,
    floatFormat: 1234567.0,
    blcksz: 8192,
    relsegSize: 131072,
    xlogBlcksz: 8192,
    xlogSegSize: init.segSizeBytes,
    nameDataLen: 64,
    indexMaxKeys: 32,
    toastMaxChunkSize: 1996,
    loblksize: 2048,
    float8ByVal: true,
    dataChecksumVersion: init.dataChecksumVersion ?? 1,
    defaultCharSignedness: true,
    mockAuthenticationNonce: init.mockAuthenticationNonce,
  };
}

/** The in-memory copy of pg_control and the one way to change it: update, then write durably. */
export class ControlFileStore {
  #data: ControlFileData;

  constructor(readonly fs: FileSystem, readonly dataDir: string, data: ControlFileData) {
    this.#data = data;
  }

  /** A snapshot of the current content. */
  get data(): Readonly<ControlFileData> {
    return this.#data;
  }

  /** Applies `patch` and writes the file; the in-memory copy changes only once the write succeeded. */
  async update(patch: Partial<ControlFileData>): Promise<void> {
    const next = { ...this.#data, ...patch };
    await writeControlFile(this.fs, this.dataDir, next);
    this.#data = next;
  }
}
