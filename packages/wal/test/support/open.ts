// Opening a fresh log for tests: bootstrap a data directory and start it with the test rmgr.
import type { FileSystem, Lsn, Xid } from '@palisade/common';
import { bootstrapWal, startupWal, type StartupOptions } from '../../src/recovery.ts';
import type { Wal } from '../../src/wal.ts';
import type { Checkpointer } from '../../src/checkpoint.ts';
import type { ControlFileStore } from '../../src/control.ts';
import { DATA_DIR, SeqRmgr, TEST_RMID, newDisk, noPages, noopCallbacks, registryWith, testPayload, type SimulatedFileSystem } from './harness.ts';

export interface Opened { fs: SimulatedFileSystem; wal: Wal; checkpointer: Checkpointer; control: ControlFileStore; rm: SeqRmgr }

export async function openFresh(options: { segSizeBytes?: number; wal?: StartupOptions['wal']; fs?: SimulatedFileSystem } = {}): Promise<Opened> {
  const fs = options.fs ?? (await newDisk());
  await bootstrapWal({ fs, dataDir: DATA_DIR, segSizeBytes: options.segSizeBytes ?? 64 * 1024 });
  return reopen(fs, options.wal);
}

export async function reopen(fs: FileSystem, wal?: StartupOptions['wal'], extra: Partial<StartupOptions> = {}): Promise<Opened> {
  const rm = new SeqRmgr();
  const r = await startupWal({ fs, dataDir: DATA_DIR, registry: registryWith(rm), redo: noPages, checkpoint: noopCallbacks(), ...(wal ? { wal } : {}), ...extra });
  if (r.status !== 'running') throw new Error('not running');
  return { fs: fs as SimulatedFileSystem, wal: r.wal, checkpointer: r.checkpointer, control: r.control, rm };
}

export async function put(wal: Wal, seq: number, payloadBytes = 50): Promise<{ lsn: Lsn; endLsn: Lsn }> {
  return wal.insert({ rmid: TEST_RMID, info: 0, xid: BigInt(seq + 3) as Xid, mainData: testPayload(seq, payloadBytes) });
}
