// Audit records in contrib/sepgsql's format (S40, S41): which permissions a decision audits and
// the `SELinux: allowed { … } scontext=… tcontext=… tclass=… name="…" permissive=N` line, also
// as a structured event. Entry points: auditedPermissions, auditRecord, formatAuditMessage.

import { classInfo, permissionNames } from './classes.ts';

/** One audit event; `message` is the text PostgreSQL logs at LOG level. */
export interface AuditRecord {
  readonly result: 'allowed' | 'denied';
  readonly permissions: readonly string[];
  readonly scontext: string;
  readonly tcontext: string;
  readonly tclass: string;
  /** The object's name as sepgsql prints it (e.g. `public.t1`, `column c of table t`). */
  readonly name?: string;
  /** 0 only when enforcing and the domain is not permissive (S40). */
  readonly permissive: boolean;
  readonly message: string;
}

/**
 * The permissions a check audits (S41): with debug_audit every denied permission, or every
 * required one when nothing is denied; otherwise denied ∩ auditdeny or required ∩ auditallow.
 */
export function auditedPermissions(required: number, denied: number, auditallow: number, auditdeny: number, debugAudit: boolean): number {
  if (debugAudit) return (denied !== 0 ? denied : required) >>> 0;
  return (denied !== 0 ? denied & auditdeny : required & auditallow) >>> 0;
}

/** The log text, without the `LOG:  ` prefix the server adds. */
export function formatAuditMessage(r: Omit<AuditRecord, 'message'>): string {
  let out = `SELinux: ${r.result} {`;
  for (const p of r.permissions) out += ` ${p}`;
  out += ` } scontext=${r.scontext} tcontext=${r.tcontext} tclass=${r.tclass}`;
  if (r.name !== undefined) out += ` name="${r.name}"`;
  return `${out} permissive=${r.permissive ? 1 : 0}`;
}

/** Builds the record for `audited` bits of internal class `tclass`. */
export function auditRecord(
  denied: boolean, enforcing: boolean, scontext: string, tcontext: string, tclass: number, audited: number, name: string | undefined,
): AuditRecord {
  const base = {
    result: denied ? ('denied' as const) : ('allowed' as const),
    permissions: permissionNames(tclass, audited),
    scontext,
    tcontext,
    tclass: classInfo(tclass).name,
    permissive: !enforcing,
    ...(name === undefined ? {} : { name }),
  };
  return { ...base, message: formatAuditMessage(base) };
}

/** The structured form for JSON logs (stable keys, no message duplication of fields). */
export function auditEvent(r: AuditRecord): Record<string, unknown> {
  return {
    event: 'selinux_avc',
    result: r.result,
    permissions: [...r.permissions],
    scontext: r.scontext,
    tcontext: r.tcontext,
    tclass: r.tclass,
    ...(r.name === undefined ? {} : { name: r.name }),
    permissive: r.permissive,
  };
}
