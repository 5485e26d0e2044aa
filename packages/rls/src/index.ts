// @palisade/rls — row-level security: the policy model, validation of the policy DDL,
// check_enable_rls, and the combination of policies into the security quals and
// WithCheckOptions a query must carry (PostgreSQL 15 semantics).

export { type Node, ensureParser, parseExpression, parseStatement, cloneNode, nodesEqual, NODE_DEPTH_MAX } from './node.ts';
export { deparseExpression, quoteIdent } from './deparse.ts';
export {
  type Policy, type PolicyCommand, type PolicySql, type RoleId, type RlsRelation, type RelationKind,
  PUBLIC_ROLE, policyFromSql, relationKindHasRowSecurity,
} from './policy.ts';
export { type FunctionKind, type FunctionKindLookup, checkPolicyExpression } from './expression-check.ts';
export { type PolicyDdlContext, type PolicyDdlResult, type RoleSpecification, applyPolicyDdl } from './ddl.ts';
export { type RlsStatus, type BypassReason, type CheckEnableRlsInput, type CheckEnableRlsResult, checkEnableRls, rowSecurityActive } from './enable.ts';
export { type WithCheckOption, type WithCheckOptionKind, type WithCheckOrigin, withCheckViolationError } from './with-check.ts';
export {
  type RlsCommand, type RowSecurityQualsInput, type RowSecurityQuals, type ApplicablePolicies,
  rowSecurityQuals, applicablePolicies,
} from './combine.ts';
export {
  type PolicyRecursionGuard, type ReferencedRelation, policyRecursionGuard, referencedRelations, POLICY_EXPANSION_DEPTH_MAX,
} from './recursion.ts';
export { type DescribeEffectivePoliciesInput, type EffectivePolicies, describeEffectivePolicies } from './describe.ts';
