// Security contexts `user:role:type[:range]`: syntax, canonical text, and the 42602 error that
// SECURITY LABEL raises for a label that is not a context (S11). Entry points:
// parseSecurityContext, formatSecurityContext, invalidSecurityLabel.
//
// This is syntax only; whether the user, role, type and range exist in the loaded policy and are
// authorised for each other is PolicyDb.validateContext's job (policy.ts).

import { PgError, SqlState } from '@palisade/common';
import { type MlsNaming, type MlsRange, canonicalMlsNaming, formatMlsRange, parseMlsRange } from './mls.ts';

/** A parsed security context. `range` is absent for a policy without MLS. */
export interface SecurityContext {
  readonly user: string;
  readonly role: string;
  readonly type: string;
  readonly range?: MlsRange;
}

/** Longest label accepted (the kernel's page-sized limit on contexts written to selinuxfs). */
export const SECURITY_LABEL_LENGTH_MAX = 4096;

// SELinux identifiers: what checkpolicy's lexer accepts for user, role and type names.
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$.-]*$/;

/** `42602 SELinux: invalid security label: "<label>"` (S11). */
export function invalidSecurityLabel(label: string): PgError {
  return new PgError(SqlState.INVALID_NAME, `SELinux: invalid security label: "${label}"`);
}

/**
 * Parses a context without throwing; undefined when `label` is not syntactically a context.
 * `mls` says whether the range part is required (true), forbidden (false) or optional (undefined).
 */
export function tryParseSecurityContext(
  label: string,
  naming: MlsNaming = canonicalMlsNaming,
  mls?: boolean,
): SecurityContext | undefined {
  if (label.length === 0 || label.length > SECURITY_LABEL_LENGTH_MAX) return undefined;
  const c1 = label.indexOf(':');
  const c2 = c1 < 0 ? -1 : label.indexOf(':', c1 + 1);
  if (c2 < 0) return undefined;
  const c3 = label.indexOf(':', c2 + 1);
  const user = label.slice(0, c1);
  const role = label.slice(c1 + 1, c2);
  const type = c3 < 0 ? label.slice(c2 + 1) : label.slice(c2 + 1, c3);
  if (!IDENTIFIER.test(user) || !IDENTIFIER.test(role) || !IDENTIFIER.test(type)) return undefined;
  if (c3 < 0) {
    if (mls === true) return undefined;
    return { user, role, type };
  }
  if (mls === false) return undefined;
  const range = parseMlsRange(label.slice(c3 + 1), naming);
  if (range === undefined) return undefined;
  return { user, role, type, range };
}

/** Parses a context; throws 42602 `SELinux: invalid security label` when it is not one. */
export function parseSecurityContext(label: string, naming: MlsNaming = canonicalMlsNaming, mls?: boolean): SecurityContext {
  const ctx = tryParseSecurityContext(label, naming, mls);
  if (ctx === undefined) throw invalidSecurityLabel(label);
  return ctx;
}

/** Canonical text of a context, as the kernel prints it. */
export function formatSecurityContext(ctx: SecurityContext, naming: MlsNaming = canonicalMlsNaming): string {
  const base = `${ctx.user}:${ctx.role}:${ctx.type}`;
  return ctx.range === undefined ? base : `${base}:${formatMlsRange(ctx.range, naming)}`;
}
