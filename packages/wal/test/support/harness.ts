// Test doubles shared by the wal tests: a simulated data directory, a test resource manager
// whose records carry a sequence number, and no-op checkpoint callbacks.

import type { Lsn, Oid, Xid } from '@palisade/common';
import type { CheckpointCallbacks } from '../../src/checkpoint.ts';
import type { DecodedRecord } from '../../src/record.ts';
import { ResourceManagerRegistry, type RedoContext, type ResourceManager } from '../../src/rmgr.ts';
import { xlogResourceManager } from '../../src/xlog.ts';
import { SimulatedFileSystem } from './sim.ts';

export { SimulatedFileSystem };

export const DATA_DIR = '/data';
export const TEST_RMID = 200;

/** A fresh simulated disk with an empty 0700 data directory. */
export async function newDisk(seed = 1): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem({ seed });
  await fs.mkdir(DATA_DIR, { recursive: true, mode: 0o700 });
  await fs.syncDir('/');
  return fs;
}

/** Main data of a test record: seq (u32) then `payloadBytes` bytes derived from seq. */
export function testPayload(seq: number, payloadBytes: number): Uint8Array {
  const bytes = new Uint8Array(4 + payloadBytes);
  new DataView(bytes.buffer).setUint32(0, seq, true);
  for (let i = 0; i < payloadBytes; i++) bytes[4 + i] = (seq * 31 + i * 7) & 0xff;
  return bytes;
}

/** Checks a payload made by {@link testPayload}; returns its seq. */
export function checkPayload(bytes: Uint8Array): number {
  const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(0, true);
  for (let i = 4; i < bytes.length; i++) if (bytes[i] !== ((seq * 31 + (i - 4) * 7) & 0xff)) throw new Error(`payload of ${seq} corrupt at ${i}`);
  return seq;
}

/** A resource manager that records what it replays. */
export class SeqRmgr implements ResourceManager {
  readonly id = TEST_RMID;
  readonly name = 'Test';
  replayed: number[] = [];
  lsns: Lsn[] = [];
  redo(record: DecodedRecord): void {
    this.replayed.push(checkPayload(record.mainData));
    this.lsns.push(record.lsn);
  }
  desc(record: DecodedRecord): string {
    return `seq ${checkPayload(record.mainData)}`;
  }
}

export function registryWith(...rms: ResourceManager[]): ResourceManagerRegistry {
  const registry = new ResourceManagerRegistry();
  registry.register(xlogResourceManager);
  for (const rm of rms) registry.register(rm);
  return registry;
}

export const noPages: RedoContext = {
  readPage: () => undefined,
  markDirty: () => undefined,
};

export function noopCallbacks(extra: Partial<CheckpointCallbacks> = {}): CheckpointCallbacks {
  return {
    flushAllBuffers: async () => undefined,
    syncAllPending: async () => undefined,
    getNextXid: () => 3n as Xid,
    getNextOid: () => 10000 as Oid,
    ...extra,
  };
}
