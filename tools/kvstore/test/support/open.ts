// Opening a store on a simulated disk with small, fast settings.

import type { FileSystem } from '@palisade/common';
import { KvStore, type KvStoreOptions } from '../../src/index.ts';

export const DATA_DIR = '/pgdata';

export function openSim(fs: FileSystem, options: Partial<KvStoreOptions> = {}): Promise<KvStore> {
  return KvStore.open({ fs, dataDir: DATA_DIR, segSizeBytes: 1024 * 1024, zeroFillSegments: false, bufferCount: 32, bucketCount: 8, ...options });
}

/** Deterministic value bytes for key `key` version `version`, `lengthBytes` long. */
export function valueFor(key: string, version: number, lengthBytes: number): string {
  const head = `${key}@${version}:`;
  return head.padEnd(Math.max(lengthBytes, head.length), String.fromCharCode(97 + (version % 26)));
}
