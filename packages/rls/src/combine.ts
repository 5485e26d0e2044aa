// rowSecurityQuals: the security quals and WithCheckOptions that one relation of a query must
// carry, as PostgreSQL's get_row_security_policies builds them (rewrite/rowsecurity.c), with
// check_enable_rls folded in when its inputs are given.
// Entry points: rowSecurityQuals, applicablePolicies.

import { assert } from '@palisade/common';
import { checkEnableRls, type BypassReason, type CheckEnableRlsInput, type RlsStatus } from './enable.ts';
import { cloneNode, falseConst, hasSubLink, nodeSignature, orExpr, orSignature, type Node } from './node.ts';
import { PUBLIC_ROLE, relationKindHasRowSecurity, type Policy, type RlsRelation, type RoleId } from './policy.ts';
import type { WithCheckOption, WithCheckOptionKind, WithCheckOrigin } from './with-check.ts';

/** The statement's command type. MERGE has no policies of its own; it uses the others'. */
export type RlsCommand = 'select' | 'insert' | 'update' | 'delete' | 'merge';

/** The policy-lookup command: what get_policies_for_relation is asked for. */
type LookupCommand = 'select' | 'insert' | 'update' | 'delete';

/** Inputs of {@link rowSecurityQuals}: one range-table entry of one query. */
export interface RowSecurityQualsInput {
  readonly relation: RlsRelation;
  /** All policies of the relation (order does not matter). */
  readonly policies: readonly Policy[];
  /** The role policies are chosen for (the view owner through a view, else the current user). */
  readonly userId: RoleId;
  readonly hasPrivsOfRole: (user: RoleId, role: RoleId) => boolean;
  /** The statement's command. */
  readonly command: RlsCommand;
  /** True for the statement's target relation; other relations only get SELECT policies (R14). */
  readonly isResultRelation: boolean;
  /** SELECT … FOR UPDATE/NO KEY UPDATE/SHARE/KEY SHARE locks this relation. */
  readonly forUpdateOrShare?: boolean;
  /** The statement reads the relation's columns (WHERE, RETURNING, SET from columns, ON CONFLICT arbiter). */
  readonly needsSelectRights: boolean;
  /**
   * INSERT … ON CONFLICT: DO NOTHING without a conflict target, DO NOTHING with one, or DO UPDATE
   * (which always has one). A conflict target reads columns, so it implies `needsSelectRights`.
   */
  readonly onConflict?: 'nothing' | 'nothing-with-arbiter' | 'update';
  /**
   * When given, {@link checkEnableRls} runs first and a bypass returns no quals. When omitted,
   * the caller has decided that RLS is enabled.
   */
  readonly enable?: Omit<CheckEnableRlsInput, 'relation' | 'userId' | 'hasPrivsOfRole' | 'noError'>;
}

/** What a relation must carry. Quals are fresh copies: the caller may modify them. */
export interface RowSecurityQuals {
  readonly status: RlsStatus;
  readonly bypassReason: BypassReason | null;
  /** Filters on existing rows, to be ANDed, as security-barrier quals, in this order. */
  readonly securityQuals: Node[];
  /** Checks raising an error, evaluated in this order within each kind. */
  readonly withCheckOptions: WithCheckOption[];
  /** The query must be re-planned when the role or row_security changes (status is not `none`). */
  readonly hasRowSecurity: boolean;
  /** Some qual contains a sub-select. */
  readonly hasSubLinks: boolean;
}

/** The policies that apply to `command` for `userId`, split as PostgreSQL orders them. */
export interface ApplicablePolicies {
  /** In descending name order, PostgreSQL's relcache order (the order of the OR's arms). */
  readonly permissive: Policy[];
  /** In ascending name order, the order in which their checks run (R7). */
  readonly restrictive: Policy[];
}

function roleMatches(policy: Policy, userId: RoleId, hasPrivsOfRole: (user: RoleId, role: RoleId) => boolean): boolean {
  assert(policy.roles.length > 0, () => `policy "${policy.name}" has no roles`);
  if (policy.roles[0] === PUBLIC_ROLE) return true;
  return policy.roles.some((role) => role === PUBLIC_ROLE || hasPrivsOfRole(userId, role));
}

function compareNames(a: Policy, b: Policy): number {
  // strcmp order: by code unit, not locale.
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * get_policies_for_relation (R5): ALL policies and those for `command` whose roles include
 * PUBLIC or a role whose privileges `userId` has.
 */
export function applicablePolicies(
  policies: readonly Policy[],
  command: LookupCommand,
  userId: RoleId,
  hasPrivsOfRole: (user: RoleId, role: RoleId) => boolean,
): ApplicablePolicies {
  const permissive: Policy[] = [];
  const restrictive: Policy[] = [];
  for (const policy of policies) {
    if (policy.command !== 'all' && policy.command !== command) continue;
    if (!roleMatches(policy, userId, hasPrivsOfRole)) continue;
    (policy.permissive ? permissive : restrictive).push(policy);
  }
  permissive.sort((a, b) => compareNames(b, a));
  restrictive.sort(compareNames);
  return { permissive, restrictive };
}

interface Accumulator {
  securityQuals: Node[];
  /** Signatures of securityQuals, for list_append_unique. */
  qualSignatures: Set<string>;
  withCheckOptions: WithCheckOption[];
  /** kind, relation, policy and qual signature of each WithCheckOption, for list_append_unique. */
  optionSignatures: Set<string>;
  hasSubLinks: boolean;
}

function noteSubLinks(acc: Accumulator, policy: Policy): void {
  // PostgreSQL keeps one hassublinks flag per policy, covering both of its clauses.
  acc.hasSubLinks ||= hasSubLink(policy.using) || hasSubLink(policy.withCheck);
}

function appendQualUnique(acc: Accumulator, signature: string, build: () => Node): void {
  if (acc.qualSignatures.has(signature)) return;
  acc.qualSignatures.add(signature);
  acc.securityQuals.push(build());
}

/** add_security_quals: restrictive USINGs one by one, then one OR of the permissive USINGs (R6, R2). */
function addSecurityQuals(acc: Accumulator, applicable: ApplicablePolicies): void {
  const permissive = applicable.permissive.filter((p) => p.using !== undefined);
  if (permissive.length === 0) {
    // Not de-duplicated, as in PostgreSQL (lappend, not list_append_unique).
    acc.securityQuals.push(falseConst());
    return;
  }
  permissive.forEach((policy) => noteSubLinks(acc, policy));
  for (const policy of applicable.restrictive) {
    const using = policy.using;
    if (using === undefined) continue;
    appendQualUnique(acc, nodeSignature(using), () => cloneNode(using));
    noteSubLinks(acc, policy);
  }
  appendQualUnique(acc, orSignature(permissive.map((p) => nodeSignature(p.using!))),
    () => orExpr(permissive.map((p) => cloneNode(p.using!))));
}

/**
 * add_with_check_options: one check for the OR of the permissive clauses, then one per
 * restrictive policy (named), or a single `false` check when no permissive clause exists.
 * `forceUsing` takes USING even where WITH CHECK exists; otherwise WITH CHECK, else USING (R8).
 */
function addWithCheckOptions(
  acc: Accumulator,
  relationName: string,
  kind: WithCheckOptionKind,
  applicable: ApplicablePolicies,
  forceUsing: boolean,
  origin: WithCheckOrigin,
): void {
  const clause = (policy: Policy): Node | undefined =>
    !forceUsing && policy.withCheck !== undefined ? policy.withCheck : policy.using;
  const pushUnique = (signature: string, policyName: string | undefined, build: () => Node): void => {
    const key = `${kind}\u0000${relationName}\u0000${policyName ?? ''}\u0000${signature}`;
    if (acc.optionSignatures.has(key)) return;
    acc.optionSignatures.add(key);
    acc.withCheckOptions.push({ kind, relationName, ...(policyName === undefined ? {} : { policyName }), qual: build(), cascaded: false, origin });
  };
  const permissive = applicable.permissive.filter((p) => clause(p) !== undefined);
  if (permissive.length === 0) {
    // Not de-duplicated, as in PostgreSQL (lappend, not list_append_unique).
    acc.withCheckOptions.push({ kind, relationName, qual: falseConst(), cascaded: false, origin });
    return;
  }
  permissive.forEach((policy) => noteSubLinks(acc, policy));
  pushUnique(orSignature(permissive.map((p) => nodeSignature(clause(p)!))), undefined,
    () => orExpr(permissive.map((p) => cloneNode(clause(p)!))));
  for (const policy of applicable.restrictive) {
    const qual = clause(policy);
    if (qual === undefined) continue;
    pushUnique(nodeSignature(qual), policy.name, () => cloneNode(qual));
    noteSubLinks(acc, policy);
  }
}

/**
 * The security quals and WithCheckOptions for one relation of a query (R2, R5–R14), in the
 * order PostgreSQL adds them. See the README's decision table for the steps.
 */
export function rowSecurityQuals(input: RowSecurityQualsInput): RowSecurityQuals {
  const { relation } = input;
  const empty = (status: RlsStatus, bypassReason: BypassReason | null): RowSecurityQuals => ({
    status, bypassReason, securityQuals: [], withCheckOptions: [], hasRowSecurity: status !== 'none', hasSubLinks: false,
  });
  if (!relationKindHasRowSecurity(relation.kind)) return empty('none', null);
  if (input.enable !== undefined) {
    const decision = checkEnableRls({ ...input.enable, relation, userId: input.userId, hasPrivsOfRole: input.hasPrivsOfRole });
    if (decision.status !== 'enabled') return empty(decision.status, decision.bypassReason);
  }
  assert(input.onConflict === undefined || (input.command === 'insert' && input.isResultRelation),
    'ON CONFLICT belongs to the target of an INSERT');
  for (const policy of input.policies) {
    assert(policy.relationId === relation.id, () => `policy "${policy.name}" belongs to another relation`);
  }

  const acc: Accumulator = { securityQuals: [], qualSignatures: new Set(), withCheckOptions: [], optionSignatures: new Set(), hasSubLinks: false };
  const lookups = new Map<LookupCommand, ApplicablePolicies>();
  const lookup = (command: LookupCommand): ApplicablePolicies => {
    let found = lookups.get(command);
    if (found === undefined) {
      found = applicablePolicies(input.policies, command, input.userId, input.hasPrivsOfRole);
      lookups.set(command, found);
    }
    return found;
  };
  const name = relation.name;
  const command: RlsCommand = input.isResultRelation ? input.command : 'select';
  // An arbiter's columns are read, so ON CONFLICT (…) needs SELECT rights; DO UPDATE always has one.
  const needsSelect = input.needsSelectRights || input.onConflict === 'nothing-with-arbiter' || input.onConflict === 'update';

  // 1. SELECT … FOR UPDATE/SHARE: UPDATE USING first (R10).
  if (command === 'select' && input.forUpdateOrShare === true) addSecurityQuals(acc, lookup('update'));

  // 2. The command's own USING filter for SELECT, UPDATE, DELETE (R10).
  const own = command === 'merge' ? undefined : lookup(command);
  if (own !== undefined && (command === 'select' || command === 'update' || command === 'delete')) addSecurityQuals(acc, own);

  // 3. SELECT USING as a filter when the statement also reads the rows (R11, R13).
  if ((command === 'update' || command === 'delete' || command === 'merge') && needsSelect) {
    addSecurityQuals(acc, lookup('select'));
  }

  // 4. INSERT and UPDATE: WITH CHECK on new rows; SELECT USING as an error if rows are read (R7, R8, R11).
  if (command === 'insert' || command === 'update') {
    assert(own !== undefined, 'own policies were looked up');
    const kind: WithCheckOptionKind = command === 'insert' ? 'insert-check' : 'update-check';
    addWithCheckOptions(acc, name, kind, own, false, 'with-check');
    const select = needsSelect ? lookup('select') : undefined;
    if (select !== undefined) addWithCheckOptions(acc, name, kind, select, true, 'select-using');

    // 5. INSERT … ON CONFLICT DO UPDATE: the existing row against UPDATE (and SELECT) USING as
    //    errors, the new row against UPDATE WITH CHECK (and SELECT USING) (R12).
    if (command === 'insert' && input.onConflict === 'update') {
      const update = lookup('update');
      addWithCheckOptions(acc, name, 'conflict-update-check', update, true, 'using');
      if (select !== undefined) addWithCheckOptions(acc, name, 'conflict-update-check', select, true, 'select-using');
      addWithCheckOptions(acc, name, 'update-check', update, false, 'with-check');
      if (select !== undefined) addWithCheckOptions(acc, name, 'update-check', select, true, 'select-using');
    }
  }

  // 6. MERGE: every action's checks, selected by kind when the action runs (R13).
  if (command === 'merge') {
    const update = lookup('update');
    addWithCheckOptions(acc, name, 'merge-update-check', update, true, 'using');
    addWithCheckOptions(acc, name, 'update-check', update, false, 'with-check');
    if (needsSelect) addWithCheckOptions(acc, name, 'update-check', lookup('select'), true, 'select-using');
    addWithCheckOptions(acc, name, 'merge-delete-check', lookup('delete'), true, 'using');
    addWithCheckOptions(acc, name, 'insert-check', lookup('insert'), false, 'with-check');
  }

  return {
    status: 'enabled',
    bypassReason: null,
    securityQuals: acc.securityQuals,
    withCheckOptions: acc.withCheckOptions,
    hasRowSecurity: true,
    hasSubLinks: acc.hasSubLinks,
  };
}
