import { describe, expect, it } from 'vitest';
import { runExample } from '../examples/table-with-index.ts';

describe('example', () => {
  it('[EX1] examples/table-with-index.ts runs as documented: committed rows survive the crash, the uncommitted one does not', async () => {
    const lines: string[] = [];
    const rows = await runExample((l) => lines.push(l));
    expect(rows).toEqual(['1 Ada Lovelace', '2 grace', '3 barbara']);
    expect(lines.at(-1)).toMatch(/checker: clean$/);
  });
});
