// @palisade/access — heap and B-tree access methods over @palisade/bufmgr, logged with
// @palisade/wal, under @palisade/mvcc. README.md is the contract.

export {
  type AttributeDescriptor, type TupleDescriptor, type TupleValues, type TypAlign, type TypStorage,
  formTuple, deformTuple, readTupleHeader, writeTupleHeader, headerSize, tupleNatts, tupleHoff,
  HEAP_TUPLE_HEADER_BYTES, HEAP_HASNULL, HEAP_HASVARWIDTH, HEAP_HASEXTERNAL, HEAP_NATTS_MASK, MAX_HEAP_ATTRIBUTE_COUNT,
  MAX_HEAP_TUPLE_BYTES, MAX_VARLENA_PAYLOAD_BYTES,
} from './tuple.ts';
export {
  Heap, planPrune, type WalInserter, type AccessStorage, type HeapRelationInfo, type AccessBackend, type HeapTuple,
  type TMOutcome, type ModifyOptions, type UpdateOptions,
} from './heap.ts';
export {
  HeapInfo, Heap2Info, heapResourceManager, heap2ResourceManager, type XmaxChange, type PruneResult,
  encodeXmaxChange, decodeXmaxChange, encodePrune, decodePrune,
} from './heap-wal.ts';
export { FreeSpaceMap, FSM_PAGE_COUNT_MAX } from './fsm.ts';
export { BufferRedoContext } from './redo-context.ts';
export { WalXactLog, XactRecordCollector } from './xact-log.ts';
export { btreeResourceManager } from './btree-wal.ts';
export { checkHeap, checkBtree, checkIndexCoversHeap, type CheckProblem } from './check.ts';
export {
  Btree, type BtreeRelationInfo, type IndexColumn, type IndexKey, type IndexEntry, type ScanBound, type BtreeScanOptions,
  type BtreeTuple, type BtreePageOpaque, BTREE_SPECIAL_BYTES, BTREE_MAX_ITEM_BYTES, BTREE_MAGIC, BTREE_VERSION,
  BTP_LEAF, BTP_ROOT, BTP_META, BTP_HAS_GARBAGE, P_NONE,
} from './btree.ts';
export { BtreeInfo } from './btree-wal.ts';
export { lazyVacuum, autovacuumNeeded, type VacuumOptions, type VacuumResult, type AutovacuumSettings } from './vacuum.ts';
