// WithCheckOption: a check that a row must pass or the statement fails, one per PostgreSQL
// WCOKind used by RLS, and the exact error ExecWithCheckOptions raises for each.
// Entry points: WithCheckOption, withCheckViolationError.

import { assertNever, PgError, SqlState } from '@palisade/common';
import type { Node } from './node.ts';

/**
 * PostgreSQL's WCOKind values for RLS, one to one: WCO_RLS_INSERT_CHECK, WCO_RLS_UPDATE_CHECK,
 * WCO_RLS_CONFLICT_CHECK, WCO_RLS_MERGE_UPDATE_CHECK, WCO_RLS_MERGE_DELETE_CHECK.
 * The executor evaluates each kind at its own moment (see the README's decision table).
 */
export type WithCheckOptionKind = 'insert-check' | 'update-check' | 'conflict-update-check' | 'merge-update-check' | 'merge-delete-check';

/**
 * Which policy clause a check was made from: a WITH CHECK clause (or USING standing in for a
 * missing one), a USING clause enforced as an error (ON CONFLICT DO UPDATE, MERGE), or SELECT
 * USING enforced as an error so that new rows are never silently hidden (RETURNING and the
 * like). Informational only: the error message depends on `kind` alone, as in PostgreSQL.
 */
export type WithCheckOrigin = 'with-check' | 'using' | 'select-using';

/** One check on a new (or, for conflict and merge kinds, existing) row. */
export interface WithCheckOption {
  readonly kind: WithCheckOptionKind;
  readonly relationName: string;
  /** Set only for a restrictive policy's check, so the error can name it. */
  readonly policyName?: string;
  /** The row passes only if this is true (false and NULL fail). */
  readonly qual: Node;
  /** Always false for RLS (view CHECK OPTION uses it); kept to mirror PostgreSQL's node. */
  readonly cascaded: false;
  readonly origin: WithCheckOrigin;
}

/** The 42501 error PostgreSQL raises when a row fails `option` (R7, R12, R13). */
export function withCheckViolationError(option: Pick<WithCheckOption, 'kind' | 'relationName' | 'policyName'>): PgError {
  const table = option.relationName;
  const named = option.policyName === undefined ? '' : ` "${option.policyName}"`;
  let message: string;
  switch (option.kind) {
    case 'insert-check':
    case 'update-check':
      message = `new row violates row-level security policy${named} for table "${table}"`;
      break;
    case 'conflict-update-check':
      message = `new row violates row-level security policy${named} (USING expression) for table "${table}"`;
      break;
    case 'merge-update-check':
    case 'merge-delete-check':
      message = `target row violates row-level security policy${named} (USING expression) for table "${table}"`;
      break;
    default:
      assertNever(option.kind, 'WithCheckOption kind');
  }
  return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, message);
}
