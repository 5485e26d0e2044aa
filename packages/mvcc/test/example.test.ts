import { describe, expect, it } from 'vitest';
import { main } from '../examples/basic.ts';

describe('examples/basic.ts', () => {
  it('[MV40] runs and prints what the README promises', async () => {
    const lines: string[] = [];
    await main((l) => lines.push(l));
    expect(lines).toEqual([
      'bob sees the tuple before commit: false',
      "bob's snapshot: 3:3:",
      "bob (repeatable read) sees it after alice's commit: false",
      'a new snapshot sees it: true',
      'bob got ACCESS SHARE after alice committed',
    ]);
  });
});
