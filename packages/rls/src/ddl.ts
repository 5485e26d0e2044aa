// Policy DDL: CREATE / ALTER / DROP POLICY, ALTER POLICY … RENAME and ALTER TABLE … {ENABLE |
// DISABLE | FORCE | NO FORCE} ROW LEVEL SECURITY, validated as PostgreSQL 15 validates them,
// in the same order, so that the first error reported is PostgreSQL's. The functions are
// pure: they take the relation's current state and return the new one.
// Entry point: applyPolicyDdl (dispatches on the statement's tag).

import { assert, PgError, SqlState } from '@palisade/common';
import { checkPolicyExpression, type FunctionKindLookup } from './expression-check.ts';
import { cloneNode, nodeFields, nodeTag, type Node, type NodeFields } from './node.ts';
import { PUBLIC_ROLE, relationKindHasRowSecurity, type Policy, type PolicyCommand, type RelationKind, type RlsRelation, type RoleId } from './policy.ts';

/** A role named in `TO …`, other than PUBLIC (which this package handles itself). */
export type RoleSpecification =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'current_user' }
  | { readonly kind: 'current_role' }
  | { readonly kind: 'session_user' };

/** What the DDL functions need to know about the world. */
export interface PolicyDdlContext {
  /** The relation the statement names, already looked up by the caller. */
  readonly relation: RlsRelation;
  /** The relation's current policies. */
  readonly policies: readonly Policy[];
  /** The role executing the statement. */
  readonly userId: RoleId;
  /** Ownership as pg_class_ownercheck decides it: owner, member with the owner's privileges, or superuser. */
  readonly isOwner: (userId: RoleId, relation: RlsRelation) => boolean;
  /** Resolves a role; `undefined` for a name that does not exist (42704). */
  readonly resolveRole: (spec: RoleSpecification) => RoleId | undefined;
  /** Function kinds beyond PostgreSQL's built-ins, for the expression checks. */
  readonly functionKind?: FunctionKindLookup;
}

/** The outcome of a statement that succeeded: the new state and any NOTICE/WARNING to send. */
export interface PolicyDdlResult {
  readonly relation: RlsRelation;
  readonly policies: Policy[];
  readonly notices: PgError[];
}

/** Applies one policy-related statement given as a libpg-query parse tree (the statement node). */
export function applyPolicyDdl(stmt: Node, ctx: PolicyDdlContext): PolicyDdlResult {
  const tag = nodeTag(stmt);
  const fields = nodeFields(stmt);
  switch (tag) {
    case 'CreatePolicyStmt':
      return createPolicy(fields, ctx);
    case 'AlterPolicyStmt':
      return alterPolicy(fields, ctx);
    case 'RenameStmt':
      return renamePolicy(fields, ctx);
    case 'DropStmt':
      return dropPolicy(fields, ctx);
    case 'AlterTableStmt':
      return alterTableRowSecurity(fields, ctx);
    default:
      assert(false, `not a policy statement: ${tag}`);
  }
}

const COMMANDS: Record<string, PolicyCommand> = { all: 'all', select: 'select', insert: 'insert', update: 'update', delete: 'delete' };

function checkRelationMatches(fields: NodeFields, ctx: PolicyDdlContext, key = 'table'): void {
  const rangeVar = fields[key] as { relname?: string } | undefined;
  assert(rangeVar?.relname === ctx.relation.name, () => `statement names "${rangeVar?.relname}", context holds "${ctx.relation.name}"`);
}

function findPolicy(ctx: PolicyDdlContext, name: string): Policy | undefined {
  return ctx.policies.find((p) => p.name === name);
}

function policyMissing(name: string, ctx: PolicyDdlContext): PgError {
  return new PgError(SqlState.UNDEFINED_OBJECT, `policy "${name}" for table "${ctx.relation.name}" does not exist`);
}

function policyExists(name: string, ctx: PolicyDdlContext): PgError {
  return new PgError(SqlState.DUPLICATE_OBJECT, `policy "${name}" for table "${ctx.relation.name}" already exists`);
}

/** The object type word of aclcheck_error's "must be owner of %s %s" for a relation kind. */
function ownerObjectType(kind: RelationKind | undefined): string {
  switch (kind ?? 'table') {
    case 'table': case 'partitioned-table': case 'toast-table': return 'table';
    case 'index': case 'partitioned-index': return 'index';
    case 'sequence': return 'sequence';
    case 'view': return 'view';
    case 'materialized-view': return 'materialized view';
    case 'foreign-table': return 'foreign table';
    case 'composite-type': return 'type';
  }
}

function mustBeOwner(objectType: string, name: string): PgError {
  return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `must be owner of ${objectType} ${name}`);
}

function systemCatalog(name: string): PgError {
  return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `permission denied: "${name}" is a system catalog`);
}

/** RangeVarCallbackForPolicy: owner, then not a system catalog, then a table (R1, R8). */
function checkPolicyTarget(ctx: PolicyDdlContext): void {
  const { relation } = ctx;
  if (!ctx.isOwner(ctx.userId, relation)) throw mustBeOwner(ownerObjectType(relation.kind), relation.name);
  if (relation.isSystemCatalog) throw systemCatalog(relation.name);
  if (!relationKindHasRowSecurity(relation.kind)) {
    throw new PgError(SqlState.WRONG_OBJECT_TYPE, `"${relation.name}" is not a table`);
  }
}

/** policy_role_list_to_array: no roles means PUBLIC; PUBLIC among others wins with a WARNING. */
function resolveRoles(specs: Node[] | undefined, ctx: PolicyDdlContext, notices: PgError[]): RoleId[] {
  if (specs === undefined || specs.length === 0) return [PUBLIC_ROLE];
  const roles: RoleId[] = [];
  for (const specNode of specs) {
    const spec = nodeFields(specNode);
    const type = spec['roletype'] as string;
    if (type === 'ROLESPEC_PUBLIC') {
      if (specs.length !== 1) {
        notices.push(new PgError(SqlState.INVALID_PARAMETER_VALUE, 'ignoring specified roles other than PUBLIC', {
          severity: 'WARNING',
          hint: 'All roles are members of the PUBLIC role.',
        }));
      }
      return [PUBLIC_ROLE];
    }
    let resolved: RoleId | undefined;
    let name = '';
    switch (type) {
      case 'ROLESPEC_CSTRING':
        name = String(spec['rolename']);
        resolved = ctx.resolveRole({ kind: 'name', name });
        break;
      case 'ROLESPEC_CURRENT_USER':
        resolved = ctx.resolveRole({ kind: 'current_user' });
        break;
      case 'ROLESPEC_CURRENT_ROLE':
        resolved = ctx.resolveRole({ kind: 'current_role' });
        break;
      case 'ROLESPEC_SESSION_USER':
        resolved = ctx.resolveRole({ kind: 'session_user' });
        break;
      default:
        assert(false, `unknown role specification ${type}`);
    }
    if (resolved === undefined) {
      assert(type === 'ROLESPEC_CSTRING', 'CURRENT_USER, CURRENT_ROLE and SESSION_USER always resolve');
      throw new PgError(SqlState.UNDEFINED_OBJECT, `role "${name}" does not exist`);
    }
    roles.push(resolved);
  }
  return roles;
}

function checkExpressions(fields: NodeFields, ctx: PolicyDdlContext): { using?: Node; withCheck?: Node } {
  const using = fields['qual'] as Node | undefined;
  const withCheck = fields['with_check'] as Node | undefined;
  if (using !== undefined) checkPolicyExpression(using, ctx.functionKind);
  if (withCheck !== undefined) checkPolicyExpression(withCheck, ctx.functionKind);
  return {
    ...(using === undefined ? {} : { using: cloneNode(using) }),
    ...(withCheck === undefined ? {} : { withCheck: cloneNode(withCheck) }),
  };
}

function createPolicy(fields: NodeFields, ctx: PolicyDdlContext): PolicyDdlResult {
  checkRelationMatches(fields, ctx);
  const name = String(fields['policy_name']);
  const command = COMMANDS[String(fields['cmd_name'] ?? 'all')];
  assert(command !== undefined, 'unrecognized policy command');
  const hasUsing = fields['qual'] !== undefined;
  const hasWithCheck = fields['with_check'] !== undefined;
  if ((command === 'select' || command === 'delete') && hasWithCheck) {
    throw new PgError(SqlState.SYNTAX_ERROR, 'WITH CHECK cannot be applied to SELECT or DELETE');
  }
  if (command === 'insert' && hasUsing) {
    throw new PgError(SqlState.SYNTAX_ERROR, 'only WITH CHECK expression allowed for INSERT');
  }
  const notices: PgError[] = [];
  const roles = resolveRoles(fields['roles'] as Node[] | undefined, ctx, notices);
  checkPolicyTarget(ctx);
  const expressions = checkExpressions(fields, ctx);
  if (findPolicy(ctx, name) !== undefined) throw policyExists(name, ctx);
  const policy: Policy = {
    name,
    relationId: ctx.relation.id,
    command,
    permissive: fields['permissive'] === true,
    roles,
    ...expressions,
  };
  return { relation: ctx.relation, policies: [...ctx.policies, policy], notices };
}

function alterPolicy(fields: NodeFields, ctx: PolicyDdlContext): PolicyDdlResult {
  checkRelationMatches(fields, ctx);
  const name = String(fields['policy_name']);
  const notices: PgError[] = [];
  const roleSpecs = fields['roles'] as Node[] | undefined;
  const roles = roleSpecs === undefined ? undefined : resolveRoles(roleSpecs, ctx, notices);
  checkPolicyTarget(ctx);
  const expressions = checkExpressions(fields, ctx);
  const existing = findPolicy(ctx, name);
  if (existing === undefined) throw policyMissing(name, ctx);
  if ((existing.command === 'select' || existing.command === 'delete') && expressions.withCheck !== undefined) {
    throw new PgError(SqlState.SYNTAX_ERROR, 'only USING expression allowed for SELECT, DELETE');
  }
  if (existing.command === 'insert' && expressions.using !== undefined) {
    throw new PgError(SqlState.SYNTAX_ERROR, 'only WITH CHECK expression allowed for INSERT');
  }
  const updated: Policy = {
    ...existing,
    ...(roles === undefined ? {} : { roles }),
    ...expressions,
  };
  return { relation: ctx.relation, policies: ctx.policies.map((p) => (p === existing ? updated : p)), notices };
}

function renamePolicy(fields: NodeFields, ctx: PolicyDdlContext): PolicyDdlResult {
  assert(fields['renameType'] === 'OBJECT_POLICY', 'not ALTER POLICY … RENAME');
  checkRelationMatches(fields, ctx, 'relation');
  checkPolicyTarget(ctx);
  const oldName = String(fields['subname']);
  const newName = String(fields['newname']);
  if (findPolicy(ctx, newName) !== undefined) throw policyExists(newName, ctx);
  const existing = findPolicy(ctx, oldName);
  if (existing === undefined) throw policyMissing(oldName, ctx);
  const renamed: Policy = { ...existing, name: newName };
  return { relation: ctx.relation, policies: ctx.policies.map((p) => (p === existing ? renamed : p)), notices: [] };
}

function dropPolicy(fields: NodeFields, ctx: PolicyDdlContext): PolicyDdlResult {
  assert(fields['removeType'] === 'OBJECT_POLICY', 'not DROP POLICY');
  const objects = (fields['objects'] as Node[] | undefined) ?? [];
  assert(objects.length === 1, 'DROP POLICY names one policy');
  const names = ((nodeFields(objects[0]!)['items'] as Node[] | undefined) ?? []).map((n) => String(nodeFields(n)['sval']));
  const policyName = names.at(-1)!;
  assert(names.at(-2) === ctx.relation.name, 'DROP POLICY names the relation in the context');
  const existing = findPolicy(ctx, policyName);
  if (existing === undefined) {
    if (fields['missing_ok'] === true) {
      const notice = new PgError(SqlState.SUCCESSFUL_COMPLETION,
        `policy "${policyName}" for relation "${ctx.relation.name}" does not exist, skipping`, { severity: 'NOTICE' });
      return { relation: ctx.relation, policies: [...ctx.policies], notices: [notice] };
    }
    throw policyMissing(policyName, ctx);
  }
  // check_object_ownership names the object type "relation" for policies.
  if (!ctx.isOwner(ctx.userId, ctx.relation)) throw mustBeOwner('relation', ctx.relation.name);
  return { relation: ctx.relation, policies: ctx.policies.filter((p) => p !== existing), notices: [] };
}

const ROW_SECURITY_ACTIONS: Record<string, { action: string; apply: (r: RlsRelation) => RlsRelation }> = {
  AT_EnableRowSecurity: { action: 'ENABLE ROW SECURITY', apply: (r) => ({ ...r, rowSecurity: true }) },
  AT_DisableRowSecurity: { action: 'DISABLE ROW SECURITY', apply: (r) => ({ ...r, rowSecurity: false }) },
  AT_ForceRowSecurity: { action: 'FORCE ROW SECURITY', apply: (r) => ({ ...r, forceRowSecurity: true }) },
  AT_NoForceRowSecurity: { action: 'NO FORCE ROW SECURITY', apply: (r) => ({ ...r, forceRowSecurity: false }) },
};

const KIND_PLURAL: Record<RelationKind, string> = {
  'table': 'tables', 'partitioned-table': 'partitioned tables', 'view': 'views',
  'materialized-view': 'materialized views', 'sequence': 'sequences', 'foreign-table': 'foreign tables',
  'index': 'indexes', 'partitioned-index': 'partitioned indexes', 'toast-table': 'TOAST tables',
  'composite-type': 'composite types',
};

function alterTableRowSecurity(fields: NodeFields, ctx: PolicyDdlContext): PolicyDdlResult {
  checkRelationMatches(fields, ctx, 'relation');
  const { relation } = ctx;
  const cmds = ((fields['cmds'] as Node[] | undefined) ?? []).map((c) => nodeFields(c));
  assert(cmds.length > 0, 'ALTER TABLE without commands');
  // RangeVarCallbackForAlterRelation: ownership, then system catalogs, then composite types.
  if (!ctx.isOwner(ctx.userId, relation)) throw mustBeOwner(ownerObjectType(relation.kind), relation.name);
  if (relation.isSystemCatalog) throw systemCatalog(relation.name);
  if (relation.kind === 'composite-type') {
    throw new PgError(SqlState.WRONG_OBJECT_TYPE, `"${relation.name}" is a composite type`, { hint: 'Use ALTER TYPE instead.' });
  }
  let next: RlsRelation = relation;
  for (const cmd of cmds) {
    const entry = ROW_SECURITY_ACTIONS[String(cmd['subtype'])];
    assert(entry !== undefined, () => `not a row-security ALTER TABLE action: ${String(cmd['subtype'])}`);
    if (!relationKindHasRowSecurity(relation.kind)) {
      throw new PgError(SqlState.WRONG_OBJECT_TYPE,
        `ALTER action ${entry.action} cannot be performed on relation "${relation.name}"`,
        { detail: `This operation is not supported for ${KIND_PLURAL[relation.kind!]}.` });
    }
    next = entry.apply(next);
  }
  return { relation: next, policies: [...ctx.policies], notices: [] };
}
