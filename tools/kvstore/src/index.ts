// @palisade/kvstore — a durable key-value store on @palisade/bufmgr pages and @palisade/wal:
// the end-to-end proof of the storage spine. README.md is the contract.

export {
  KvStore, type KvStoreOptions, type KvOp, type CommitResult, type KvStoreStats, RM_KV_ID, XLOG_KV_INIT, XLOG_KV_CHANGE, KV_RELATION,
  KV_OPS_PER_COMMIT_MAX, KV_PAGES_PER_COMMIT_MAX,
} from './store.ts';
export {
  KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX, KV_BUCKET_COUNT_MAX, KV_SPECIAL_BYTES, PageKind, type PageOp, applyPageOps, encodePageOps, decodePageOps,
} from './page-format.ts';
