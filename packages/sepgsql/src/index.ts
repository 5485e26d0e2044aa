// @palisade/sepgsql — SELinux mandatory access control for Palisade (contrib/sepgsql's engine).

export { Bitmap } from './bitmap.ts';
export {
  type MlsLevel, type MlsRange, type MlsNaming, type LevelRelation, canonicalMlsNaming, parseMlsLevel, parseMlsRange,
  formatMlsLevel, formatMlsRange, levelDominates, levelEquals, levelIncomparable, compareLevels, rangeContains,
  rangeIsOrdered, rangeEquals,
} from './mls.ts';
export {
  type SecurityContext, SECURITY_LABEL_LENGTH_MAX, invalidSecurityLabel, tryParseSecurityContext, parseSecurityContext,
  formatSecurityContext,
} from './context.ts';
export {
  SEPG_CLASS, type SepgClassName, type SepgClassInfo, SEPG_CLASSES, classInfo, permissionBits, permissionNames,
  allPermissionBits,
} from './classes.ts';
export type {
  PolicyDb, HandleUnknown, ClassDatum, CommonDatum, RoleDatum, TypeDatum, UserDatum, BoolDatum, SensitivityDatum,
  CategoryDatum, AvtabEntry, CondNode, CondExpr, Constraint, ConstraintExpr, RoleTransition, RoleAllow,
  FilenameTransition, RangeTransition, ContextStruct, InitialSid,
} from './policydb.ts';
export { AVTAB, CEXPR, SECINITSID_UNLABELED, POLICY_CAPABILITY_NAMES } from './policydb.ts';
export { readPolicy, POLICY_VERSION_MIN, POLICY_VERSION_MAX, SELINUX_MAGIC } from './reader.ts';
export { Policy, type AvDecision, type SidRuleKind, type ComputedContext } from './policy.ts';
export {
  type PolicyProvider, type AccessDecision, type ProviderStatus, type ClassMapping, buildClassMappings, missingFromPolicy,
  translateDecision,
} from './provider.ts';
export {
  UserspacePolicyProvider, type UserspaceProviderOptions, loadPolicyFile, POLICY_FILE_BYTES_MAX,
} from './userspace-provider.ts';
export {
  SelinuxfsProvider, type SelinuxfsProviderOptions, selinuxfsPresent, encodeObjectName, SELINUXFS_MOUNT,
} from './selinuxfs-provider.ts';
export { Avc, type AvcEntry, type AvcStats, avcHash, AVC_NUM_SLOTS, AVC_THRESHOLD, AVC_NUM_RECLAIM } from './avc.ts';
export { type AuditRecord, auditedPermissions, auditRecord, formatAuditMessage, auditEvent } from './audit.ts';
export {
  Sepgsql, type SepgsqlMode, type SepgsqlOptions, type CheckPermissionRequest, securityPolicyViolation, RECHECK_LOOPS_MAX,
} from './sepgsql.ts';
