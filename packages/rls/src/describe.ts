// describeEffectivePolicies: the combined USING and WITH CHECK that a role gets for a command
// on a table, as SQL text. Beyond PostgreSQL: the basis of pg_rls_effective(regclass, regrole,
// text), which answers "what can this role see and write here?" without running a query.

import { applicablePolicies, rowSecurityQuals } from './combine.ts';
import { deparseExpression } from './deparse.ts';
import type { BypassReason, CheckEnableRlsInput, RlsStatus } from './enable.ts';
import { andExpr, type Node } from './node.ts';
import type { Policy, RlsRelation, RoleId } from './policy.ts';

/** Inputs of {@link describeEffectivePolicies}. */
export interface DescribeEffectivePoliciesInput {
  readonly relation: RlsRelation;
  readonly policies: readonly Policy[];
  readonly role: RoleId;
  readonly hasPrivsOfRole: (user: RoleId, role: RoleId) => boolean;
  readonly command: 'select' | 'insert' | 'update' | 'delete';
  /** When given, bypasses (superuser, BYPASSRLS, owner) are reported instead of the policies. */
  readonly enable?: Omit<CheckEnableRlsInput, 'relation' | 'userId' | 'hasPrivsOfRole' | 'noError' | 'rowSecurityGuc'>;
}

/** The effective policy of one role and command, as SQL text. */
export interface EffectivePolicies {
  readonly status: RlsStatus;
  readonly bypassReason: BypassReason | null;
  /** Rows the command may see or touch; `null` when the command reads no rows (INSERT) or RLS is bypassed. */
  readonly using: string | null;
  /** Rows the command may write; `null` when it writes none (SELECT, DELETE) or RLS is bypassed. */
  readonly withCheck: string | null;
  /** Names of the policies that contributed, permissive then restrictive. */
  readonly policyNames: string[];
}

/**
 * The combined USING and WITH CHECK of the policies that apply to `role` for `command`, for
 * a statement that does not otherwise read the table's columns. `false` means default deny.
 */
export function describeEffectivePolicies(input: DescribeEffectivePoliciesInput): EffectivePolicies {
  const quals = rowSecurityQuals({
    relation: input.relation,
    policies: input.policies,
    userId: input.role,
    hasPrivsOfRole: input.hasPrivsOfRole,
    command: input.command,
    isResultRelation: true,
    needsSelectRights: false,
    ...(input.enable === undefined ? {} : { enable: { ...input.enable, rowSecurityGuc: true } }),
  });
  if (quals.status !== 'enabled') {
    return { status: quals.status, bypassReason: quals.bypassReason, using: null, withCheck: null, policyNames: [] };
  }
  const text = (nodes: Node[]): string | null => (nodes.length === 0 ? null : deparseExpression(andExpr(nodes)));
  const applicable = applicablePolicies(input.policies, input.command, input.role, input.hasPrivsOfRole);
  return {
    status: quals.status,
    bypassReason: null,
    using: text(quals.securityQuals),
    withCheck: text(quals.withCheckOptions.map((o) => o.qual)),
    policyNames: [...applicable.permissive, ...applicable.restrictive].map((p) => p.name),
  };
}
