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
