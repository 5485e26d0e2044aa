import { describe, expect, it } from 'vitest';
import { main } from '../examples/crash-demo.ts';

describe('examples/crash-demo.ts', () => {
  it('[FS1][FS4][CRC1] the synced record always survives; the unsynced one is dropped, torn or kept', async () => {
    expect(await main()).toEqual([
      'seed 1: 20 bytes on disk; records: first: committed',
      'seed 2: 23 bytes on disk; records: first: committed; 3-byte torn tail ignored',
      'seed 3: 46 bytes on disk; records: first: committed | second: not yet synced',
    ]);
  });
});
