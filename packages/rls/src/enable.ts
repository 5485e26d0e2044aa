// checkEnableRls: does row-level security apply to this relation for this user right now?
// PostgreSQL's check_enable_rls (utils/misc/rls.c), plus the reason for a silent bypass so that
// the server can log it (log_row_security_bypass, a Palisade extension).

import { FirstNormalObjectId, PgError, SqlState } from '@palisade/common';
import type { RlsRelation, RoleId } from './policy.ts';

/**
 * `none`: RLS is not enabled on the relation. `none-env`: enabled, but bypassed in this
 * environment (role, row_security), so a cached plan must be redone when that changes.
 * `enabled`: policies apply.
 */
export type RlsStatus = 'none' | 'none-env' | 'enabled';

/**
 * Why RLS was bypassed for a relation that has it enabled. `ri-check` is an owner bypass
 * that FORCE ROW LEVEL SECURITY does not stop: a referential-integrity query.
 */
export type BypassReason = 'superuser' | 'bypassrls' | 'owner' | 'ri-check';

/** Inputs of {@link checkEnableRls}. */
export interface CheckEnableRlsInput {
  readonly relation: Pick<RlsRelation, 'id' | 'name' | 'ownerId' | 'rowSecurity' | 'forceRowSecurity' | 'isSystemCatalog'>;
  /** The role the check is for (the view owner through a view, else the current user). */
  readonly userId: RoleId;
  readonly isSuperuser: boolean;
  /** The role has the BYPASSRLS attribute. */
  readonly hasBypassRls: boolean;
  /** has_privs_of_role: `user` is `role` or inherits its privileges. */
  readonly hasPrivsOfRole: (user: RoleId, role: RoleId) => boolean;
  /** The row_security setting. */
  readonly rowSecurityGuc: boolean;
  /** True while running a foreign-key check or cascade (PostgreSQL's SECURITY_NOFORCE_RLS). */
  readonly isRiCheck?: boolean;
  /** Return `enabled` instead of raising the row_security = off error (row_security_active()). */
  readonly noError?: boolean;
}

/** Result of {@link checkEnableRls}; `bypassReason` is set exactly when status is `none-env`. */
export interface CheckEnableRlsResult {
  readonly status: RlsStatus;
  readonly bypassReason: BypassReason | null;
}

/**
 * Decides whether RLS applies (R1, R3, R4): catalogs and relations without ENABLE never;
 * superusers and BYPASSRLS roles bypass; the owner (or a role with its privileges) bypasses
 * unless FORCE, and even under FORCE for RI checks. Otherwise, with row_security = off, throws
 * 42501 instead of silently filtering.
 */
export function checkEnableRls(input: CheckEnableRlsInput): CheckEnableRlsResult {
  const { relation } = input;
  if (relation.id < FirstNormalObjectId || relation.isSystemCatalog || !relation.rowSecurity) {
    return { status: 'none', bypassReason: null };
  }
  if (input.isSuperuser) return { status: 'none-env', bypassReason: 'superuser' };
  if (input.hasBypassRls) return { status: 'none-env', bypassReason: 'bypassrls' };
  const isOwner = input.userId === relation.ownerId || input.hasPrivsOfRole(input.userId, relation.ownerId);
  if (isOwner) {
    if (input.isRiCheck === true) return { status: 'none-env', bypassReason: relation.forceRowSecurity ? 'ri-check' : 'owner' };
    if (!relation.forceRowSecurity) return { status: 'none-env', bypassReason: 'owner' };
  }
  if (!input.rowSecurityGuc && input.noError !== true) {
    throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE,
      `query would be affected by row-level security policy for table "${relation.name}"`,
      isOwner ? { hint: 'To disable the policy for the table\'s owner, use ALTER TABLE NO FORCE ROW LEVEL SECURITY.' } : {});
  }
  return { status: 'enabled', bypassReason: null };
}

/** row_security_active(): true if policies apply to the relation for this user now. */
export function rowSecurityActive(input: Omit<CheckEnableRlsInput, 'noError'>): boolean {
  return checkEnableRls({ ...input, noError: true }).status === 'enabled';
}
