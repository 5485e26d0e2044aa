// @palisade/wal — write-ahead log: records, segments, insertion and group commit, the WAL
// writer, checkpoints and pg_control, crash recovery through resource managers, archiving
// and point-in-time recovery, and a pg_waldump. README.md is the contract.

export {
  type RelFileLocator, type BlockRef, type BlockRefFlags, type RecordInput, type DecodedRecord, type DecodedBlockRef,
  type EncodedRecord, type ImagePolicy, InvalidRecordError, encodeRecordBody, finishRecord, decodeRecord, needsImage, maxAlign,
  SIZE_OF_XLOG_RECORD, MAXALIGN, XLR_MAX_BLOCK_ID, MAX_RECORD_SIZE_BYTES, MAX_BLOCK_DATA_BYTES, XLR_INFO_MASK, XLR_RMGR_INFO_MASK,
  BKPBLOCK_HAS_IMAGE, BKPBLOCK_HAS_DATA, BKPBLOCK_WILL_INIT, BKPBLOCK_SAME_REL, BKPIMAGE_HAS_HOLE, BKPIMAGE_APPLY,
} from './record.ts';
export { BLCKSZ, pageGetLsn, pageSetLsn, standardPageHole } from './page.ts';
export {
  type TimeLineId, type PageHeader, XLOG_BLCKSZ, XLOG_PAGE_MAGIC, XLP_FIRST_IS_CONTRECORD, XLP_LONG_HEADER, XLP_FIRST_IS_OVERWRITE_CONTRECORD,
  SIZE_OF_SHORT_PAGE_HEADER, SIZE_OF_LONG_PAGE_HEADER, DEFAULT_SEGMENT_SIZE_BYTES, MIN_SEGMENT_SIZE_BYTES, MAX_SEGMENT_SIZE_BYTES,
  PG_WAL_DIR, ARCHIVE_STATUS_DIR, isValidSegmentSize, segmentFileName, parseSegmentFileName, historyFileName, segmentOf, segmentStart,
  readPageHeader,
} from './segment.ts';
export { Wal, type WalOptions, type WalStartPoint, type InsertResult, type WalStats, DEFAULT_WAL_BUFFERS_BYTES } from './wal.ts';
export { type SynchronousCommit, parseSynchronousCommit, waitForCommit, WalWriter, type WalWriterOptions } from './commit.ts';
export {
  type ControlFileData, type CheckPoint, type DBStateValue, DBState, WalLevel, ControlFileStore, PG_CONTROL_FILE_SIZE, PG_CONTROL_VERSION,
  PG_CONTROL_PATH, CATALOG_VERSION_NO, readControlFile, writeControlFile, encodeControlFile, decodeControlFile, encodeCheckPoint, decodeCheckPoint,
} from './control.ts';
export {
  type ResourceManager, type RedoContext, type BlockLocation, type RedoAction, ResourceManagerRegistry, RmgrId, RM_MIN_CUSTOM_ID,
  readBufferForRedo, finishBlockRedo,
} from './rmgr.ts';
export {
  XlogInfo, xlogResourceManager, type RestorePoint, type EndOfRecovery, encodeRestorePoint, decodeRestorePoint, encodeEndOfRecovery,
  decodeEndOfRecovery, encodeNextOid, decodeNextOid, isCheckpointRecord, switchWal, createRestorePoint,
} from './xlog.ts';
export { Checkpointer, type CheckpointCallbacks, type CheckpointerOptions, type CheckpointRequest, type CheckpointResult, removeOldSegments } from './checkpoint.ts';
export { WalReader, LocalSegmentSource, type SegmentSource, type WalReaderOptions, type TimeLineSpan, type EndOfWal } from './reader.ts';
export {
  bootstrapWal, startupWal, checkDataDirPermissions, makeSystemIdentifier, RECOVERY_SIGNAL_FILE, STANDBY_SIGNAL_FILE,
  type BootstrapOptions, type StartupOptions, type StartupResult, type RecoveryResult, type RecoveryTarget, type ArchiveRecoveryOptions,
  type RecoveryPause, type TransactionRecordHooks,
} from './recovery.ts';
export {
  Archiver, RestoreCommandSource, expandArchiveCommand, expandRestoreCommand, shellCommandRunner, type ArchiverOptions,
  type ArchiveRoundResult, type CommandRunner, type CommandOutcome, type RestoreCommandSourceOptions,
} from './archive.ts';
export { type TimeLineHistoryEntry, parseTimeLineHistory, formatTimeLineHistory } from './timeline.ts';
export { describeWal, formatWalDumpEntry, type DescribeWalOptions, type WalDumpEntry } from './waldump.ts';
