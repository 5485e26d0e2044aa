// PolicyProvider: where access decisions and new labels come from — the userspace engine over a
// compiled policy file (UserspacePolicyProvider) or the kernel through selinuxfs
// (SelinuxfsProvider). Both speak SE-PostgreSQL's internal class codes and permission bits and
// translate them to the policy's by name (S2), applying handle_unknown to what the policy lacks
// (S3). Entry points: PolicyProvider, translateDecision, ClassMapping.

import { PgError, SqlState } from '@palisade/common';
import { SEPG_CLASSES, classInfo } from './classes.ts';

/** A decision in SE-PostgreSQL's internal permission bits of one class (S2). */
export interface AccessDecision {
  allowed: number;
  auditallow: number;
  auditdeny: number;
  /** The subject is a permissive domain: denials are logged but not enforced (S7). */
  permissive: boolean;
}

/** What the AVC polls before and after each decision (selinux_status_updated, S38). */
export interface ProviderStatus {
  /** Changes on every policy load, enforcing change or boolean change. */
  readonly seqno: number;
  /** The system is enforcing (kernel `enforce`, or the userspace provider's setting). */
  readonly enforcing: boolean;
  /** deny_unknown: classes/permissions missing from the policy are denied (S3). */
  readonly denyUnknown: boolean;
}

/** The security server SE-PostgreSQL asks. All labels are raw context strings. */
export interface PolicyProvider {
  status(): Promise<ProviderStatus>;
  /** security_compute_av_flags for internal class `tclass`, translated to internal bits. */
  computeAccess(scontext: string, tcontext: string, tclass: number): Promise<AccessDecision>;
  /** security_compute_create_name: the label of a new object of internal class `tclass`. */
  computeCreate(scontext: string, tcontext: string, tclass: number, objname?: string): Promise<string>;
  /** security_check_context: the label is a valid context in the loaded policy. */
  checkContext(context: string): Promise<boolean>;
  /** The context of the `unlabeled` initial SID (S12, S39). */
  unlabeledContext(): Promise<string>;
}

/** How one internal class maps onto the loaded policy. */
export interface ClassMapping {
  /** The policy's class value, or undefined if the policy lacks the class. */
  readonly policyClass: number | undefined;
  /** For internal permission bit i: the policy's permission bit (a power of two), or 0 if missing. */
  readonly permBits: readonly number[];
}

/** Builds the internal→policy mapping for every SE-PostgreSQL class from name lookups. */
export function buildClassMappings(
  classValue: (name: string) => number | undefined,
  permValue: (classValue: number, perm: string) => number | undefined,
): ClassMapping[] {
  return SEPG_CLASSES.map((info) => {
    const policyClass = classValue(info.name);
    const permBits = info.permissions.map((p) => {
      if (policyClass === undefined) return 0;
      const v = permValue(policyClass, p);
      return v === undefined ? 0 : (1 << (v - 1)) >>> 0;
    });
    return { policyClass, permBits };
  });
}

/** Names of classes and permissions SE-PostgreSQL needs that the policy lacks (`class` or `class:perm`). */
export function missingFromPolicy(mappings: readonly ClassMapping[]): string[] {
  const missing: string[] = [];
  mappings.forEach((m, code) => {
    const info = classInfo(code);
    if (m.policyClass === undefined) missing.push(info.name);
    else m.permBits.forEach((b, i) => b === 0 && missing.push(`${info.name}:${info.permissions[i]}`));
  });
  return missing;
}

/**
 * sepgsql_compute_avd's translation (S2, S3): an unknown class is all-allowed unless
 * deny_unknown, never audited on allow and always on deny; an unknown permission in a known class
 * is allowed unless deny_unknown and always audited on deny.
 */
export function translateDecision(
  mapping: ClassMapping,
  denyUnknown: boolean,
  policy: (policyClass: number) => { allowed: number; auditallow: number; auditdeny: number; permissive: boolean },
): AccessDecision {
  if (mapping.policyClass === undefined) {
    return { allowed: denyUnknown ? 0 : 0xffffffff, auditallow: 0, auditdeny: 0xffffffff, permissive: false };
  }
  const avd = policy(mapping.policyClass);
  const out: AccessDecision = { allowed: 0, auditallow: 0, auditdeny: 0, permissive: avd.permissive };
  mapping.permBits.forEach((pbit, i) => {
    const ibit = (1 << i) >>> 0;
    if (pbit === 0) {
      if (!denyUnknown) out.allowed |= ibit;
      out.auditdeny |= ibit;
      return;
    }
    if ((avd.allowed & pbit) !== 0) out.allowed |= ibit;
    if ((avd.auditallow & pbit) !== 0) out.auditallow |= ibit;
    if ((avd.auditdeny & pbit) !== 0) out.auditdeny |= ibit;
  });
  out.allowed >>>= 0;
  out.auditallow >>>= 0;
  out.auditdeny >>>= 0;
  return out;
}

/** `XX000 SELinux could not compute av_decision: …` as sepgsql_compute_avd reports a failed call. */
export function computeAvFailed(scontext: string, tcontext: string, tclass: number, why: string): PgError {
  return new PgError(
    SqlState.INTERNAL_ERROR,
    `SELinux could not compute av_decision: scontext=${scontext} tcontext=${tcontext} tclass=${classInfo(tclass).name}: ${why}`,
  );
}

/** `XX000 SELinux could not compute a new context: …` as sepgsql_compute_create reports a failed call. */
export function computeCreateFailed(scontext: string, tcontext: string, tclass: number, why: string): PgError {
  return new PgError(
    SqlState.INTERNAL_ERROR,
    `SELinux could not compute a new context: scontext=${scontext} tcontext=${tcontext} tclass=${classInfo(tclass).name}: ${why}`,
  );
}
