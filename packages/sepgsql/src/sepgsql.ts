// Sepgsql: what the SQL hooks call — checkPermission (sepgsql_avc_check_perms_label), new-object
// labels, trusted-procedure labels and SECURITY LABEL validation — over an AVC and a provider,
// with contrib/sepgsql's modes, permissive handling and audit records (S5–S8, S36–S41).
// Entry points: Sepgsql.checkPermission, .computeCreate, .trustedProcedureLabel, .validateLabel.

import { PgError, SqlState } from '@palisade/common';
import { type AuditRecord, auditRecord, auditedPermissions } from './audit.ts';
import { Avc, type AvcEntry } from './avc.ts';
import { SEPG_CLASS, type SepgClassName, classInfo, permissionBits } from './classes.ts';
import { SECURITY_LABEL_LENGTH_MAX, invalidSecurityLabel } from './context.ts';
import type { PolicyProvider } from './provider.ts';

/** sepgsql's modes (S5). */
export type SepgsqlMode = 'internal' | 'default' | 'permissive' | 'disabled';

/** Options of {@link Sepgsql}. */
export interface SepgsqlOptions {
  provider: PolicyProvider;
  /** Initial mode (default 'internal', as before client authentication). */
  mode?: SepgsqlMode;
  /** sepgsql.debug_audit (S6). */
  debugAudit?: boolean;
  /** Receives audit records (S40); the server logs `record.message` at LOG level. */
  audit?: (record: AuditRecord) => void;
}

/** One permission check, as the hooks describe it. */
export interface CheckPermissionRequest {
  /** The client's current label. */
  scontext: string;
  /** The object's label; undefined for an object without one (evaluated as `unlabeled`, S12). */
  tcontext: string | undefined;
  tclass: number | SepgClassName;
  /** Required permissions: internal bits or names. */
  required: number | readonly string[];
  /** Object name for the audit record; null suppresses auditing (SEPGSQL_AVC_NOAUDIT). */
  auditName: string | null;
  /** Throw 42501 on a violation instead of returning false. */
  abortOnViolation: boolean;
}

/** How many times a decision is recomputed when the policy keeps changing under it. */
export const RECHECK_LOOPS_MAX = 8;

/** `42501 SELinux: security policy violation` (S8). */
export function securityPolicyViolation(): PgError {
  return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, 'SELinux: security policy violation');
}

/** SE-PostgreSQL's access checks over a provider, with an AVC. */
export class Sepgsql {
  readonly avc: Avc;
  mode: SepgsqlMode;
  debugAudit: boolean;
  #audit: (record: AuditRecord) => void;

  constructor(options: SepgsqlOptions) {
    this.avc = new Avc(options.provider);
    this.mode = options.mode ?? 'internal';
    this.debugAudit = options.debugAudit ?? false;
    this.#audit = options.audit ?? (() => {});
  }

  get provider(): PolicyProvider {
    return this.avc.provider;
  }

  /** sepgsql_getenforce: mode DEFAULT and the system enforcing (S7). */
  async enforcing(): Promise<boolean> {
    if (this.mode !== 'default') return false;
    return (await this.provider.status()).enforcing;
  }

  /**
   * sepgsql_avc_check_perms_label: true if allowed. Denials in permissive mode or for a
   * permissive domain are audited once and then added to the cached allowed set (S7); in
   * enforcing mode a denial returns false or, with abortOnViolation, throws 42501 (S8).
   */
  async checkPermission(req: CheckPermissionRequest): Promise<boolean> {
    const tclass = typeof req.tclass === 'number' ? req.tclass : SEPG_CLASS[req.tclass];
    classInfo(tclass);
    const required = typeof req.required === 'number' ? req.required >>> 0 : permissionBits(tclass, req.required);
    if (this.mode === 'disabled') return true;

    await this.avc.sync();
    let entry: AvcEntry;
    let denied = 0;
    let audited = 0;
    let result = true;
    let enforcing = false;
    for (let loop = 0; ; loop++) {
      if (loop >= RECHECK_LOOPS_MAX) {
        throw new PgError(SqlState.INTERNAL_ERROR, 'SELinux: security policy changed during every attempt to make a decision');
      }
      // sepgsql_getenforce, from the status the last poll saw (no extra read of the status page).
      enforcing = this.mode === 'default' && this.avc.lastStatus?.enforcing === true;
      const tcontext = req.tcontext ?? (await this.avc.unlabeled());
      entry = await this.avc.lookup(req.scontext, tcontext, tclass);
      denied = (required & ~entry.allowed) >>> 0;
      audited = auditedPermissions(required, denied, entry.auditallow, entry.auditdeny, this.debugAudit);
      result = true;
      if (denied !== 0) {
        if (!enforcing || entry.permissive) entry.allowed = (entry.allowed | required) >>> 0;
        else result = false;
      }
      if (await this.avc.sync()) break;
    }
    if (audited !== 0 && req.auditName !== null && this.mode !== 'internal') {
      const tcontext = entry.tcontextIsValid ? entry.tcontext : await this.avc.unlabeled();
      this.#audit(auditRecord(denied !== 0, enforcing && !entry.permissive, entry.scontext, tcontext, tclass, audited, req.auditName));
    }
    if (req.abortOnViolation && !result) throw securityPolicyViolation();
    return result;
  }

  /** The label of a new object (S28–S30): not cached, as in sepgsql. */
  async computeCreate(scontext: string, tcontext: string | undefined, tclass: number | SepgClassName, objname?: string): Promise<string> {
    const cls = typeof tclass === 'number' ? tclass : SEPG_CLASS[tclass];
    await this.avc.sync();
    const t = tcontext !== undefined && (await this.provider.checkContext(tcontext)) ? tcontext : await this.avc.unlabeled();
    return this.provider.computeCreate(scontext, t, cls, objname);
  }

  /**
   * sepgsql_avc_trusted_proc: the label a call of a function labelled `procLabel` switches the
   * client to, or undefined when the function is not a trusted procedure (S18).
   */
  async trustedProcedureLabel(scontext: string, procLabel: string | undefined): Promise<string | undefined> {
    for (let loop = 0; loop < RECHECK_LOOPS_MAX; loop++) {
      await this.avc.sync();
      const tcontext = procLabel ?? (await this.avc.unlabeled());
      const entry = await this.avc.lookup(scontext, tcontext, SEPG_CLASS.db_procedure);
      if (await this.avc.sync()) return entry.ncontext;
    }
    throw new PgError(SqlState.INTERNAL_ERROR, 'SELinux: security policy changed during every attempt to make a decision');
  }

  /** SECURITY LABEL's check (S11): 42602 unless `label` is a valid context in the loaded policy. */
  async validateLabel(label: string): Promise<void> {
    if (label.length === 0 || label.length > SECURITY_LABEL_LENGTH_MAX || label.includes('\0')) throw invalidSecurityLabel(label);
    if (!(await this.provider.checkContext(label))) throw invalidSecurityLabel(label);
  }

  /** The label of objects without a valid one (S12). */
  async unlabeledContext(): Promise<string> {
    await this.avc.sync();
    return this.avc.unlabeled();
  }
}
