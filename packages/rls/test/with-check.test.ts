import { describe, expect, it } from 'vitest';
import { withCheckViolationError, type WithCheckOptionKind } from '../src/index.ts';

// Messages as PostgreSQL 15's ExecWithCheckOptions words them (observed in the semantic fixture).
const table: Array<[WithCheckOptionKind, string | undefined, string]> = [
  ['insert-check', undefined, 'new row violates row-level security policy for table "t"'],
  ['insert-check', 'p', 'new row violates row-level security policy "p" for table "t"'],
  ['update-check', undefined, 'new row violates row-level security policy for table "t"'],
  ['update-check', 'p', 'new row violates row-level security policy "p" for table "t"'],
  ['conflict-update-check', undefined, 'new row violates row-level security policy (USING expression) for table "t"'],
  ['conflict-update-check', 'p', 'new row violates row-level security policy "p" (USING expression) for table "t"'],
  ['merge-update-check', undefined, 'target row violates row-level security policy (USING expression) for table "t"'],
  ['merge-update-check', 'p', 'target row violates row-level security policy "p" (USING expression) for table "t"'],
  ['merge-delete-check', undefined, 'target row violates row-level security policy (USING expression) for table "t"'],
  ['merge-delete-check', 'p', 'target row violates row-level security policy "p" (USING expression) for table "t"'],
];

describe('withCheckViolationError', () => {
  for (const [kind, policyName, message] of table) {
    it(`[R7][R12][R13] ${kind}${policyName === undefined ? '' : ' of a restrictive policy'} → 42501 "${message}"`, () => {
      const error = withCheckViolationError({ kind, relationName: 't', ...(policyName === undefined ? {} : { policyName }) });
      expect([error.code, error.message, error.severity]).toEqual(['42501', message, 'ERROR']);
    });
  }
});
