import { describe, expect, it } from 'vitest';
import { main } from '../examples/documents.ts';

describe('examples/documents.ts', () => {
  it('[R6][R8][RLS22] prints the quals, checks and effective policy PostgreSQL would apply', async () => {
    expect(await main()).toEqual([
      "SELECT filter: ((visibility = 'public') OR (author = CURRENT_USER))",
      'UPDATE filter: (NOT archived) AND (author = CURRENT_USER)',
      'UPDATE check (update-check): (author = CURRENT_USER)',
      "UPDATE check (update-check): (title <> '')",
      'error if the last check fails: new row violates row-level security policy "not_archived" for table "documents"',
      'table owner: none-env (owner)',
      "pg_rls_effective('documents', 'alice', 'update'): USING ((NOT archived) AND (author = CURRENT_USER)) WITH CHECK ((author = CURRENT_USER) AND (title <> ''))",
    ]);
  });
});
