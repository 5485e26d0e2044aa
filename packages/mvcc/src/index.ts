// @palisade/mvcc — transaction ids, commit log, snapshots, visibility, heavyweight locks,
// row locks and serializable snapshot isolation.

export {
  type MultiXactId,
  type CommandId,
  type VirtualXid,
  InvalidMultiXactId,
  FirstMultiXactId,
  FirstCommandId,
  InvalidCommandId,
  isNormalXid,
  isValidXid,
  xidPrecedes,
  minXid,
  maxXid,
  formatVirtualXid,
} from './xid.ts';
export { type Clock, type TimerHandle, systemClock, ManualClock } from './clock.ts';
export {
  serializationFailureRw,
  serializationFailureConcurrent,
  deadlockDetected,
  rowLockNotAvailable,
  relationLockNotAvailable,
  lockTimeout,
  queryCanceled,
  statementTimeout,
  outOfSharedMemory,
  inFailedTransaction,
  savepointDoesNotExist,
  tooManyClients,
} from './errors.ts';
export { type SlruPageStore, MemorySlruStore } from './slru.ts';
export {
  CommitLog,
  type CommitLogOptions,
  XidStatus,
  CLOG_XACTS_PER_PAGE,
  CLOG_XACTS_PER_LSN_GROUP,
  CLOG_PAGE_SIZE_BYTES,
} from './clog.ts';
export { SubTrans } from './subtrans.ts';
export {
  XactRecordInfo,
  MultiXactStatus,
  type MultiXactMember,
  type XactRecord,
  type XactLog,
  type XactRedoTarget,
  encodeXactRecord,
  decodeXactRecord,
  redoXactRecord,
  MemoryXactLog,
} from './xact-record.ts';
export { ProcArray, type ProcArrayOptions, ProcFlags, PGPROC_MAX_CACHED_SUBXIDS } from './procarray.ts';
export { type Snapshot, type TopmostResolver, xidInMVCCSnapshot, formatSnapshot } from './snapshot.ts';
export { ComboCidTable } from './combocid.ts';
export { MultiXactManager, type MultiXactOptions, isUpdateStatus } from './multixact.ts';
export {
  type Tid,
  type TupleHeader,
  Infomask,
  Infomask2,
  tidEquals,
  xmaxIsLockedOnly,
  xminCommitted,
  xminInvalid,
  xminFrozen,
  newTupleHeader,
} from './tuple.ts';
export {
  type VisibilityContext,
  TMResult,
  HTSVResult,
  getUpdateXid,
  multiXactIsRunning,
  heapTupleSatisfiesMVCC,
  heapTupleSatisfiesSelf,
  heapTupleSatisfiesAny,
  heapTupleSatisfiesDirty,
  heapTupleSatisfiesUpdate,
  heapTupleSatisfiesVacuum,
} from './visibility.ts';
export {
  LockMode,
  LOCK_MODE_COUNT,
  lockModeNames,
  conflictTable,
  lockBit,
  lockModesConflict,
  type LockTag,
  lockTagKey,
  describeLockTag,
  relationLockTag,
  tupleLockTag,
  transactionLockTag,
} from './lock-tag.ts';
export {
  LockManager,
  type LockManagerOptions,
  type LockRequest,
  type LockWaitOptions,
  type LockAcquireStatus,
  SESSION_OWNER,
  type LockStatusRow,
} from './lock-manager.ts';
export { findDeadlock, type WaitGraph, type WaitEdge, type DeadlockResult } from './deadlock.ts';
export { SharedLockTable } from './shared-lock-table.ts';
export { type PredicateTarget, predicateTargetKey, PredicateLockTable, type PredicateLockLimits } from './predicate-lock.ts';
export { SerializableXact, SerializableXactManager, type SsiOptions, serializableConflictOutXid } from './ssi.ts';
export {
  TransactionManager,
  type TransactionManagerOptions,
  Session,
  IsolationLevel,
  type BeginOptions,
} from './xact.ts';
export {
  LockTupleMode,
  lockTupleModeNames,
  tupleLockModesConflict,
  tupleLockHeavyweightMode,
  statusStrength,
  xmaxMembers,
  type WaitPolicy,
  type TupleLockTarget,
  type LockTupleOptions,
  type LockTupleResult,
  lockTuple,
  applyTupleLock,
  evalPlanQualDecision,
} from './row-locks.ts';
