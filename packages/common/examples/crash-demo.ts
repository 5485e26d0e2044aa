// Crash demo: append two records to a log file on a SimulatedFileSystem, sync only the first,
// pull the plug, and look at what survived. The synced record always does (FS1); the unsynced
// one may be whole, torn or gone (FS4), depending on the crash seed.
// Run: pnpm exec tsx --conditions=@palisade/source packages/common/examples/crash-demo.ts

import { SimulatedFileSystem, crc32c } from '@palisade/common';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record as a log would store it: the text followed by its CRC-32C (4 bytes, little-endian). */
function record(text: string): Uint8Array {
  const body = encoder.encode(text);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32c(body), true);
  return out;
}

/** Splits a log back into records, stopping at the first one whose CRC does not match (a torn tail). */
function readRecords(log: Uint8Array, lengths: number[]): { records: string[]; validBytes: number } {
  const records: string[] = [];
  let position = 0;
  for (const length of lengths) {
    if (position + length > log.length) break;
    const body = log.subarray(position, position + length - 4);
    const stored = new DataView(log.buffer, log.byteOffset + position + length - 4, 4).getUint32(0, true);
    if (stored !== crc32c(body)) break;
    records.push(decoder.decode(body));
    position += length;
  }
  return { records, validBytes: position };
}

export async function main(seeds: number[] = [1, 2, 3]): Promise<string[]> {
  const out: string[] = [];
  for (const seed of seeds) {
    const fs = new SimulatedFileSystem();
    await fs.mkdir('/data');
    await fs.syncDir('/');
    const log = await fs.open('/data/log', { create: true });
    await fs.syncDir('/data');

    const first = record('first: committed');
    await log.write(first, 0, first.length, 0);
    await log.sync();
    const second = record('second: not yet synced');
    await log.write(second, 0, second.length, first.length);

    const afterCrash = fs.crash({ seed });
    const survived = await afterCrash.readFile('/data/log');
    const { records, validBytes } = readRecords(survived, [first.length, second.length]);
    const tail = survived.length - validBytes;
    out.push(`seed ${seed}: ${survived.length} bytes on disk; records: ${records.join(' | ')}${tail > 0 ? `; ${tail}-byte torn tail ignored` : ''}`);
  }
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const line of await main()) console.log(line);
}
