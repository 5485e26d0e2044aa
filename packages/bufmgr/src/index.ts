// @palisade/bufmgr — pages, checksums, the storage manager and the shared buffer pool.

export {
  BLCKSZ, SIZE_OF_PAGE_HEADER_DATA, SIZE_OF_ITEM_ID_DATA, PG_PAGE_LAYOUT_VERSION, MAXIMUM_ALIGNOF_BYTES,
  PD_HAS_FREE_LINES, PD_PAGE_FULL, PD_ALL_VISIBLE, PD_VALID_FLAG_BITS,
  LP_UNUSED, LP_NORMAL, LP_REDIRECT, LP_DEAD, InvalidOffsetNumber, FirstOffsetNumber, MAX_OFFSET_NUMBER, maxAlign,
} from './page-constants.ts';
export {
  Page, type ItemId, type AddItemOptions, MAX_HEAP_TUPLES_PER_PAGE,
  pageHeaderIsSane, pageIsAllZero, pageIsNew, pageGetChecksum, pageSetChecksum, pageGetLsn,
} from './page.ts';
export { pageChecksum } from './checksum.ts';
export {
  type PageTransform, type PageLocation, type NoticeReporter, type ChecksumTransformOptions,
  ChecksumTransform, chainPageTransforms,
} from './transform.ts';
export {
  type RelFileLocator, type ForkName, FORK_NAMES, forkNumber, forkFromNumber, relationPath, segmentPath,
  DEFAULTTABLESPACE_OID, GLOBALTABLESPACE_OID,
} from './relfile.ts';
export {
  StorageManager, type StorageManagerOptions, type SmgrReadOptions, type SmgrWriteOptions,
  RELSEG_SIZE_BLOCKS, MAX_BLOCK_COUNT,
} from './smgr.ts';
export {
  BufferPool, BufferBackend, type BufferPoolOptions, type BufferId, InvalidBuffer, type BufferTag,
  type ReadBufferMode, type BufferLockMode, type FlushResult, BACKEND_COUNT_MAX,
} from './buffer-pool.ts';
export { BufferAccessStrategy, type BufferAccessStrategyKind, RING_SIZE_BYTES } from './strategy.ts';
export { BufferStats, type RelationBufferStats } from './stats.ts';
export { BackgroundWriter, type BackgroundWriterOptions, type BgWriterRoundResult } from './bgwriter.ts';
export {
  type SharedBufferMemory, createSharedBufferMemory, SHARED_BUFFERS_MIN, BUFFER_PARTITION_COUNT, MAX_USAGE_COUNT,
} from './shared-memory.ts';
