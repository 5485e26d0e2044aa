// A durable sequence log over the WAL, for crash simulation: each record carries the next
// sequence number; a checkpoint snapshots the sequence (after flushing WAL to it, W1);
// recovery rebuilds it from the snapshot and redo. Used by crash.sim and the fault loops.

import { PgError, type FileSystem, type Lsn, type Oid, type Xid } from '@palisade/common';
import type { Checkpointer } from '../../src/checkpoint.ts';
import type { DecodedRecord } from '../../src/record.ts';
import { startupWal, type RecoveryResult } from '../../src/recovery.ts';
import type { ResourceManager } from '../../src/rmgr.ts';
import type { Wal } from '../../src/wal.ts';
import { DATA_DIR, TEST_RMID, checkPayload, noPages, registryWith, testPayload } from './harness.ts';

const SNAPSHOT = `${DATA_DIR}/seq.snapshot`;

interface Snapshot { count: number; lsn: string }

/** The recovered state: how many records (0..count-1) exist, and the LSN after the last applied one. */
export class SeqState implements ResourceManager {
  readonly id = TEST_RMID;
  readonly name = 'Seq';
  count = 0;
  appliedLsn = 0n;
  /** Incarnation (startup number) of the last applied record: WAL of an older one after a newer one is a stale record past a hole. */
  generation = 0n;
  /** Set if redo saw something out of order (a hole, a duplicate, a record from the past). */
  violation: string | undefined;

  redo(record: DecodedRecord): void {
    const seq = checkPayload(record.mainData);
    if (record.endLsn <= this.appliedLsn) return; // W2: already in the snapshot
    const generation = record.xid >> 32n;
    if (generation < this.generation) {
      this.violation ??= `replayed a record of incarnation ${generation} after one of incarnation ${this.generation} at ${record.lsn}`;
      return;
    }
    this.generation = generation;
    if (seq !== this.count) {
      this.violation ??= `replayed seq ${seq} at ${record.lsn} but expected ${this.count}`;
      return;
    }
    this.count += 1;
    this.appliedLsn = record.endLsn;
  }
  desc(record: DecodedRecord): string {
    return `seq ${checkPayload(record.mainData)}`;
  }
}

export interface Instance {
  wal: Wal;
  checkpointer: Checkpointer;
  state: SeqState;
  recovery: RecoveryResult;
  /** Highest seq whose flush returned, +1. */
  acked: number;
  /** Seqs handed out (inserted or in flight). */
  issued: number;
  /** Written into every record's xid (high 32 bits). */
  generation: bigint;
}

/** Starts (recovering) the sequence log on `fs`. */
export async function startInstance(fs: FileSystem, walOptions: { walBuffersBytes?: number; zeroFillSegments?: boolean } = {}, generation = 1): Promise<Instance> {
  const state = new SeqState();
  if (await fs.exists(SNAPSHOT)) {
    const snap = JSON.parse(new TextDecoder().decode(await fs.readFile(SNAPSHOT))) as Snapshot;
    state.count = snap.count;
    state.appliedLsn = BigInt(snap.lsn);
  }
  let instance: Instance | undefined;
  const result = await startupWal({
    fs,
    dataDir: DATA_DIR,
    registry: registryWith(state),
    redo: noPages,
    wal: walOptions,
    checkpoint: {
      flushAllBuffers: async () => {
        // The "buffer pool" is the in-memory sequence: write it, WAL first (W1).
        // During startup (the end-of-recovery checkpoint) the state is what redo rebuilt.
        const inst = instance as (Instance & { issuedInserted: number; lastEnd: bigint }) | undefined;
        const count = inst ? inst.issuedInserted : state.count;
        const lsn = inst ? inst.lastEnd : state.appliedLsn;
        if (inst) await inst.wal.flush(lsn as Lsn);
        await fs.writeFileAtomic(SNAPSHOT, new TextEncoder().encode(JSON.stringify({ count, lsn: lsn.toString() } satisfies Snapshot)));
      },
      syncAllPending: async () => undefined,
      getNextXid: () => 3n as Xid,
      getNextOid: () => 10000 as Oid,
    },
  });
  if (result.status !== 'running') throw new Error('unexpected shutdown');
  if (state.violation) throw new Error(state.violation);
  const inst = { generation: BigInt(generation), wal: result.wal, checkpointer: result.checkpointer, state, recovery: result.recovery, acked: state.count, issued: state.count } as Instance & { issuedInserted: number; lastEnd: bigint };
  inst.issuedInserted = state.count;
  inst.lastEnd = state.appliedLsn > 0n ? state.appliedLsn : 0n;
  instance = inst;
  return inst;
}

/** Inserts the next seq record (payload of `payloadBytes`); returns its end LSN. Seqs are inserted in order. */
export function insertNext(inst: Instance, payloadBytes: number): Promise<{ seq: number; endLsn: Lsn }> {
  // Inserts are chained so that seq order is LSN order even when an insert waits for buffer space.
  const ext = inst as Instance & { issuedInserted: number; lastEnd: bigint; chain?: Promise<unknown> };
  const run = (ext.chain ?? Promise.resolve()).catch(() => undefined).then(async () => {
    const seq = inst.issued;
    inst.issued += 1;
    const { endLsn } = await inst.wal.insert({ rmid: TEST_RMID, info: 0, xid: ((inst.generation << 32n) + BigInt(seq)) as Xid, mainData: testPayload(seq, payloadBytes) });
    ext.issuedInserted = seq + 1;
    ext.lastEnd = endLsn;
    return { seq, endLsn };
  });
  ext.chain = run;
  return run;
}

/** Inserts then flushes (a commit): `acked` moves only when the flush returned. */
export async function commitNext(inst: Instance, payloadBytes: number): Promise<void> {
  const { seq, endLsn } = await insertNext(inst, payloadBytes);
  await inst.wal.flush(endLsn);
  if (seq + 1 > inst.acked) inst.acked = seq + 1;
}

/** True for errors a dead or failing disk causes (the workload stops on them). */
export function isIoFailure(err: unknown): boolean {
  if (err instanceof PgError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EIO' || code === 'ENOSPC';
}
