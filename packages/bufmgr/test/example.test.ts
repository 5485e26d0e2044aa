import { describe, expect, it } from 'vitest';
import { runExample } from '../examples/read-modify-checkpoint.ts';

describe('README example', () => {
  it('[B26][W1] runs: writes a page under the WAL rule, checkpoints, reads it back verified', async () => {
    const lines: string[] = [];
    expect(await runExample((l) => lines.push(l))).toBe('hello, palisade');
    expect(lines).toContain('checkpoint wrote 1 page(s); WAL flushed up to 4096');
    expect(lines.at(-1)).toBe('stats: 0 hits, 1 reads, 1 writes, 1 extends');
  });
});
