// @palisade/common — the shared foundations every Palisade package builds on.

export {
  type Brand, type Lsn, type Xid, type Oid, type BlockNumber, type RelFileNumber,
  lsn, xid, oid, blockNumber, relFileNumber, formatLsn, parseLsn,
  InvalidLsn, InvalidXid, BootstrapXid, FrozenXid, FirstNormalXid, InvalidOid, InvalidBlockNumber, FirstNormalObjectId,
} from './ids.ts';
export { AssertionError, assert, assertNever } from './assert.ts';
export { SqlState, type SqlStateCode, conditionNames } from './sqlstate.ts';
export { PgError, type PgErrorFields, type Severity, isPgError, featureNotSupported, sqlStateClass } from './error.ts';
export { type FileSystem, type FileHandle, type FileStat, type OpenOptions, fsError } from './fs.ts';
export { NodeFileSystem, type NodeFileSystemOptions, DEFAULT_FILE_MODE, DEFAULT_DIRECTORY_MODE } from './fs-node.ts';
export {
  SimulatedFileSystem, type SimulatedFileSystemOptions, type CrashOptions, type FaultOp, type FaultRule,
} from './fs-sim.ts';
export { crc32c, crc32cInit, crc32cUpdate, crc32cFinal } from './crc32c.ts';
export { CrashingFileSystem, type CrashPlan } from './fs-crashing.ts';
