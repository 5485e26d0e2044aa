import { describe, expect, it } from 'vitest';
import { main } from '../examples/gate.ts';

describe('examples/gate.ts', () => {
  it('[A10][A16][A17][THR2] matches a record, authenticates with SCRAM, hides why failures failed', async () => {
    expect(await main()).toEqual([
      'alice: authenticated by line 4 (v=…)',
      'alice: 28P01 password authentication failed for user "alice" [log: Password does not match for user "alice".]',
      'ghost: 28P01 password authentication failed for user "ghost" [log: Role "ghost" does not exist.]',
      'next attempt from 10.1.2.3 waits 400 ms',
    ]);
  });
});
