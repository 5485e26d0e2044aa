// Shared test fixtures: an int4/text table and a fresh simulated instance.

import { SimulatedFileSystem, oid, relFileNumber } from '@palisade/common';
import type { RelFileLocator } from '@palisade/wal';
import { Heap, type TupleDescriptor, type AccessBackend } from '../src/index.ts';
import { bootstrapInstance, openInstance, type Instance, type InstanceOptions } from '../examples/instance.ts';

export const intTextDescriptor: TupleDescriptor = {
  attributes: [
    { typlen: 4, typbyval: true, typalign: 'i', storage: 'p' },
    { typlen: -1, typbyval: false, typalign: 'i', storage: 'x' },
  ],
};

export const twoIntDescriptor: TupleDescriptor = {
  attributes: [
    { typlen: 4, typbyval: true, typalign: 'i', storage: 'p' },
    { typlen: 4, typbyval: true, typalign: 'i', storage: 'p' },
  ],
};

export function int4(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}
export function readInt4(b: Uint8Array | null | undefined): number {
  if (b === null || b === undefined) throw new Error('null int4');
  return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
}
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
export function readText(b: Uint8Array | null | undefined): string {
  if (b === null || b === undefined) throw new Error('null text');
  return new TextDecoder().decode(b);
}

export const tableLocator: RelFileLocator = { spcOid: oid(1663), dbOid: oid(5), relNumber: relFileNumber(16384) };

export function accountsHeap(inst: Instance, descriptor: TupleDescriptor = twoIntDescriptor): Heap {
  return new Heap({ locator: tableLocator, relOid: 16384, name: 'accounts', descriptor }, inst);
}

export async function freshInstance(opts: InstanceOptions = {}, seed = 1): Promise<{ fs: SimulatedFileSystem; inst: Instance }> {
  const fs = new SimulatedFileSystem({ seed });
  await bootstrapInstance(fs, opts);
  const inst = await openInstance(fs, opts);
  return { fs, inst };
}

/** Runs `fn` in a transaction of `b` and commits. */
export async function inTransaction<T>(b: AccessBackend, fn: () => Promise<T>, isolation?: Parameters<AccessBackend['session']['begin']>[0]): Promise<T> {
  await b.session.begin(isolation);
  try {
    b.session.startStatement();
    const r = await fn();
    await b.session.commit();
    return r;
  } catch (e) {
    b.session.rollback();
    throw e;
  }
}
