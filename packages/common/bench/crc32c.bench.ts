// CRC-32C throughput: slicing-by-8 (the package's crc32c) against a bytewise table
// implementation measured in the same run, on a WAL-page-sized and a small-record-sized buffer.
// Run: pnpm exec tsx --conditions=@palisade/source packages/common/bench/crc32c.bench.ts

import { Bench } from 'tinybench';
import { crc32c } from '@palisade/common';

const BYTEWISE_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    table[b] = crc >>> 0;
  }
  return table;
})();

/** The baseline: one table lookup per byte (Sarwate). */
function crc32cBytewise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (BYTEWISE_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const sizesBytes = [8192, 100];
const buffers = new Map(sizesBytes.map((n) => [n, Uint8Array.from({ length: n }, (_, i) => (i * 131 + 17) & 0xff)]));
for (const [, data] of buffers) {
  if (crc32c(data) !== crc32cBytewise(data)) throw new Error('the implementations disagree');
}

let sink = 0;
const bench = new Bench({ time: 1000, warmupTime: 200 });
for (const [sizeBytes, data] of buffers) {
  bench.add(`bytewise table, ${sizeBytes} B`, () => {
    sink ^= crc32cBytewise(data);
  });
  bench.add(`slicing-by-8, ${sizeBytes} B`, () => {
    sink ^= crc32c(data);
  });
}
await bench.run();

const rows = [];
for (const sizeBytes of sizesBytes) {
  const baseline = bench.getTask(`bytewise table, ${sizeBytes} B`)?.result;
  const candidate = bench.getTask(`slicing-by-8, ${sizeBytes} B`)?.result;
  if (baseline?.state !== 'completed' || candidate?.state !== 'completed') throw new Error('a benchmark task did not complete');
  const mbPerS = (opsPerS: number) => (opsPerS * sizeBytes) / 1e6;
  rows.push({
    'buffer (bytes)': sizeBytes,
    'bytewise MB/s (median)': mbPerS(baseline.throughput.p50).toFixed(0),
    'slicing-by-8 MB/s (median)': mbPerS(candidate.throughput.p50).toFixed(0),
    speedup: `${(candidate.throughput.p50 / baseline.throughput.p50).toFixed(2)}x`,
  });
}
console.table(rows);
if (sink === 0.5) console.log(sink); // keeps the results alive
