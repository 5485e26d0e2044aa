// The pure parts of pg_hba `ldap` authentication as PostgreSQL 15 performs it: which servers
// to contact, the DN of a simple bind (prefix + user + suffix), the user-name check and search
// filter of search+bind, and the log texts of its failures. ldap-auth.ts runs them over the
// network; `ldap` records stay refused at load until the server dispatches them there (HBA9).
// Entry points: ldapPlan, ldapSearchFilter, ldapBindDn, checkLdapUserName.

import { assert } from '@palisade/common';
import type { HbaLine } from './hba.ts';

/** How to authenticate one connection against LDAP. */
export interface LdapPlan {
  /** One URI per configured server (`ldapserver` may list several, separated by blanks). */
  readonly serverUris: readonly string[];
  /** The servers to try, in order, with the port of the record. */
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  /** `ldapserver` as written: the server name of PostgreSQL's log lines. */
  readonly serverName: string;
  readonly scheme: 'ldap' | 'ldaps';
  readonly port: number;
  /** Start TLS on plain `ldap` connections. */
  readonly startTls: boolean;
  readonly mode: 'simple-bind' | 'search-bind';
  readonly prefix: string;
  readonly suffix: string;
  readonly baseDn?: string;
  readonly bindDn?: string;
  readonly bindPasswd?: string;
  readonly searchAttribute?: string;
  readonly searchFilter?: string;
  /** 0 base, 1 one level, 2 subtree. */
  readonly scope: number;
}

/** Builds the plan for an `ldap` record; a message for the log if the record cannot be used. */
export function ldapPlan(line: HbaLine): { ok: true; plan: LdapPlan } | { ok: false; logMessage: string } {
  assert(line.method === 'ldap', 'not an ldap record');
  const o = line.options;
  const scheme = o.ldapScheme ?? 'ldap';
  if (scheme !== 'ldap' && scheme !== 'ldaps') return { ok: false, logMessage: `invalid ldapscheme value: "${scheme}"` };
  const servers = (o.ldapServer ?? '').split(/[ \t]+/).filter((s) => s !== '');
  if (servers.length === 0) return { ok: false, logMessage: 'LDAP server not specified' };
  const port = o.ldapPort || (scheme === 'ldaps' ? 636 : 389);
  const plan: LdapPlan = {
    serverUris: servers.map((s) => `${scheme}://${s}:${port}`),
    servers: servers.map((s) => ({ host: s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s, port })),
    serverName: o.ldapServer ?? '', scheme, port, startTls: o.ldapTls,
    mode: o.ldapBaseDn !== undefined ? 'search-bind' : 'simple-bind', prefix: o.ldapPrefix ?? '', suffix: o.ldapSuffix ?? '',
    ...(o.ldapBaseDn !== undefined ? { baseDn: o.ldapBaseDn } : {}),
    ...(o.ldapBindDn !== undefined ? { bindDn: o.ldapBindDn } : {}),
    ...(o.ldapBindPasswd !== undefined ? { bindPasswd: o.ldapBindPasswd } : {}),
    ...(o.ldapSearchAttribute !== undefined ? { searchAttribute: o.ldapSearchAttribute } : {}),
    ...(o.ldapSearchFilter !== undefined ? { searchFilter: o.ldapSearchFilter } : {}),
    scope: o.ldapScope,
  };
  return { ok: true, plan };
}

/**
 * Search+bind refuses user names with characters a filter would need escaped (`*()\/`, as
 * PostgreSQL, and NUL, which a C string cannot hold), so a name can never inject filter
 * syntax. Returns the log message, or null if the name is acceptable.
 */
export function checkLdapUserName(user: string): string | null {
  return /[*()\\/\0]/.test(user) ? 'invalid character in user name for LDAP authentication' : null;
}

/** The search filter: `ldapsearchfilter` with every `$username` replaced, else `(attr=user)` with `uid` by default. */
export function ldapSearchFilter(plan: LdapPlan, user: string): string {
  if (plan.searchFilter !== undefined) return plan.searchFilter.split('$username').join(user);
  return `(${plan.searchAttribute ?? 'uid'}=${user})`;
}

/** DN of a simple bind: prefix ‖ user ‖ suffix. */
export function ldapBindDn(plan: LdapPlan, user: string): string {
  return `${plan.prefix}${user}${plan.suffix}`;
}

/** Log texts of search+bind outcomes other than exactly one entry. */
export function ldapSearchResultMessage(user: string, filter: string, server: string, entries: number): { message: string; detail: string } | null {
  if (entries === 1) return null;
  if (entries === 0) {
    return { message: `LDAP user "${user}" does not exist`, detail: `LDAP search for filter "${filter}" on server "${server}" returned no entries.` };
  }
  return { message: `LDAP user "${user}" is not unique`, detail: `LDAP search for filter "${filter}" on server "${server}" returned ${entries} entries.` };
}
