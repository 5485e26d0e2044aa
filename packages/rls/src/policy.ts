// The policy model: what pg_policy and the RLS columns of pg_class hold, as plain values.
// Entry points: Policy, RlsRelation, PUBLIC_ROLE, policyFromSql.

import { oid, type Oid } from '@palisade/common';
import { parseExpression, type Node } from './node.ts';

/** A role's OID. */
export type RoleId = Oid;

/** The pseudo-role PUBLIC (PostgreSQL's ACL_ID_PUBLIC, OID 0): every role is a member. */
export const PUBLIC_ROLE: RoleId = oid(0);

/** The command a policy is for (pg_policy.polcmd: `*`, `r`, `a`, `w`, `d`). */
export type PolicyCommand = 'all' | 'select' | 'insert' | 'update' | 'delete';

/** One row-level security policy of one relation (a pg_policy row). */
export interface Policy {
  /** Unique per relation. */
  readonly name: string;
  readonly relationId: Oid;
  readonly command: PolicyCommand;
  /** PERMISSIVE (ORed with the others) or RESTRICTIVE (ANDed). */
  readonly permissive: boolean;
  /** The roles it applies to; `[PUBLIC_ROLE]` for everybody. Never empty. */
  readonly roles: readonly RoleId[];
  /** USING: which existing rows are visible / may be updated or deleted. */
  readonly using?: Node | undefined;
  /** WITH CHECK: which new rows may be added. */
  readonly withCheck?: Node | undefined;
}

/**
 * What a relation's pg_class row says. `kind` defaults to `'table'`.
 * `isSystemCatalog` marks PostgreSQL's built-in catalogs (and objects with OID below
 * FirstNormalObjectId), which RLS never applies to.
 */
export interface RlsRelation {
  readonly id: Oid;
  readonly name: string;
  readonly kind?: RelationKind;
  readonly ownerId: RoleId;
  /** relrowsecurity: ENABLE ROW LEVEL SECURITY. */
  readonly rowSecurity: boolean;
  /** relforcerowsecurity: FORCE ROW LEVEL SECURITY (applies policies to the owner too). */
  readonly forceRowSecurity: boolean;
  readonly isSystemCatalog: boolean;
}

/** pg_class.relkind, spelled out. Only tables and partitioned tables can carry policies. */
export type RelationKind =
  | 'table' | 'partitioned-table' | 'view' | 'materialized-view' | 'sequence' | 'foreign-table'
  | 'index' | 'partitioned-index' | 'toast-table' | 'composite-type';

/** True for the relation kinds that can have row-level security (R1). */
export function relationKindHasRowSecurity(kind: RelationKind | undefined): boolean {
  return kind === undefined || kind === 'table' || kind === 'partitioned-table';
}

/** A policy described with SQL text for its expressions, for {@link policyFromSql}. */
export interface PolicySql {
  readonly name: string;
  readonly relationId: Oid;
  readonly command?: PolicyCommand;
  readonly permissive?: boolean;
  readonly roles?: readonly RoleId[];
  readonly using?: string;
  readonly withCheck?: string;
}

/**
 * Builds a {@link Policy} from SQL expression text (defaults: FOR ALL, PERMISSIVE, TO PUBLIC).
 * Does not validate; DDL validation is {@link applyPolicyDdl}. Needs `await ensureParser()`.
 */
export function policyFromSql(spec: PolicySql): Policy {
  return {
    name: spec.name,
    relationId: spec.relationId,
    command: spec.command ?? 'all',
    permissive: spec.permissive ?? true,
    roles: spec.roles ?? [PUBLIC_ROLE],
    using: spec.using === undefined ? undefined : parseExpression(spec.using),
    withCheck: spec.withCheck === undefined ? undefined : parseExpression(spec.withCheck),
  };
}
