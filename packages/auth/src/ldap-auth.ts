// pg_hba `ldap` authentication as PostgreSQL 15's CheckLDAPAuth performs it, over this
// package's own LDAPv3 client: simple bind (DN = prefix ‖ user ‖ suffix) or search+bind
// (bind as ldapbinddn or anonymously, search for exactly one entry, then bind as that entry),
// over ldap://, ldaps:// or StartTLS, trying the servers of `ldapserver` in order. The client
// always gets 28000 `LDAP authentication failed for user "%s"`; the reason, worded as
// PostgreSQL logs it, is returned for the server log. Entry point: ldapAuthenticate.

import { PgError, SqlState } from '@palisade/common';
import type { HbaLine } from './hba.ts';
import { authFailedError } from './auth-result.ts';
import { checkLdapUserName, ldapBindDn, ldapPlan, ldapSearchFilter, ldapSearchResultMessage, type LdapPlan } from './ldap.ts';
import { LdapConnection, LdapError, ldapErr2String, LdapResultCode, type LdapConnectOptions, type LdapResult } from './ldap-client.ts';

/** Defaults of the bounds an LDAP authentication runs under. */
export const LDAP_CONNECT_TIMEOUT_MS_DEFAULT = 5_000;
export const LDAP_OPERATION_TIMEOUT_MS_DEFAULT = 10_000;
export const LDAP_MESSAGE_SIZE_MAX_BYTES_DEFAULT = 256 * 1024;
export const LDAP_SEARCH_ENTRIES_MAX_DEFAULT = 100;

/** How to reach the LDAP servers; everything but trust has a default. */
export interface LdapAuthOptions {
  /** TCP connect plus TLS handshake, per server (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Each LDAP operation, from request to last response (default 10 s). */
  readonly operationTimeoutMs?: number;
  /** Trusted CA certificates (PEM) for ldaps and StartTLS; the system's when absent. */
  readonly tlsCa?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Largest LDAP message accepted (default 256 KiB). */
  readonly messageSizeMaxBytes?: number;
  /** Most entries a search+bind search may return; more is `Size limit exceeded` (default 100). */
  readonly searchEntriesMax?: number;
}

/** The outcome of one LDAP authentication. */
export type LdapAuthResult =
  | {
    readonly ok: true;
    /** The DN the password was verified for (PostgreSQL's authenticated identity). */
    readonly identity: string;
  }
  | {
    readonly ok: false;
    /** What the client receives. */
    readonly clientError: PgError;
    /** The server-log message (PostgreSQL's LOG line); never contains a password. */
    readonly logDetail: string;
    /** Its DETAIL, when PostgreSQL gives one (`LDAP diagnostics: …`, `LDAP search for filter … returned …`). */
    readonly logDiagnostics?: string;
  };

/**
 * Authenticates `user` with `password` against the LDAP servers of an `ldap` pg_hba record
 * (or of its plan). Never throws for anything the network or the directory does.
 */
export async function ldapAuthenticate(rule: HbaLine | LdapPlan, user: string, password: string, options: LdapAuthOptions = {}): Promise<LdapAuthResult> {
  const fail = (logDetail: string, logDiagnostics?: string): LdapAuthResult => ({
    ok: false, clientError: authFailedError('ldap', user), logDetail, ...(logDiagnostics ? { logDiagnostics } : {}),
  });
  let plan: LdapPlan;
  if ('method' in rule) {
    const planned = ldapPlan(rule);
    if (!planned.ok) return fail(planned.logMessage);
    plan = planned.plan;
  } else {
    plan = rule;
  }
  if (password === '') {
    // PostgreSQL refuses an empty password when it reads the password packet, before any LDAP
    // traffic: a simple bind with a DN and no password is an unauthenticated bind, which
    // servers accept as anonymous (RFC 4513 §5.1.2).
    const e = new PgError(SqlState.INVALID_PASSWORD, 'empty password returned by client', { severity: 'FATAL' });
    return { ok: false, clientError: e, logDetail: e.message };
  }
  const connect: LdapConnectOptions = {
    connectTimeoutMs: options.connectTimeoutMs ?? LDAP_CONNECT_TIMEOUT_MS_DEFAULT,
    operationTimeoutMs: options.operationTimeoutMs ?? LDAP_OPERATION_TIMEOUT_MS_DEFAULT,
    messageSizeMaxBytes: options.messageSizeMaxBytes ?? LDAP_MESSAGE_SIZE_MAX_BYTES_DEFAULT,
    ...(options.tlsCa !== undefined ? { tlsCa: options.tlsCa } : {}),
  };
  const server = plan.serverName;
  const diagnostics = (d: string) => (d !== '' ? `LDAP diagnostics: ${d}` : undefined);

  let fullUser: string;
  if (plan.mode === 'search-bind') {
    const bad = checkLdapUserName(user);
    if (bad !== null) return fail(bad);
    const bindDn = plan.bindDn ?? '';
    const session = await openSession(plan, connect);
    if (!session.ok) {
      if (session.stage === 'starttls') return fail(session.logDetail, session.logDiagnostics);
      return fail(`could not perform initial LDAP bind for ldapbinddn "${bindDn}" on server "${server}": ${ldapErr2String(session.error.resultCode)}`, diagnostics(session.error.diagnosticMessage));
    }
    const conn = session.conn;
    try {
      const bound = await operation(() => conn.bind(bindDn, plan.bindPasswd ?? ''));
      if (bound.resultCode !== LdapResultCode.SUCCESS) {
        return fail(`could not perform initial LDAP bind for ldapbinddn "${bindDn}" on server "${server}": ${ldapErr2String(bound.resultCode)}`, diagnostics(bound.diagnosticMessage));
      }
      const filter = ldapSearchFilter(plan, user);
      const entriesMax = options.searchEntriesMax ?? LDAP_SEARCH_ENTRIES_MAX_DEFAULT;
      const found = await operation(async () => {
        const r = await conn.search({
          baseDn: plan.baseDn ?? '', scope: plan.scope, filter, attributes: ['1.1'], sizeLimit: entriesMax,
          timeLimitSeconds: Math.max(1, Math.ceil(connect.operationTimeoutMs / 1000)),
        });
        return { ...r.result, entries: r.entries };
      });
      if (found.resultCode !== LdapResultCode.SUCCESS) {
        return fail(`could not search LDAP for filter "${filter}" on server "${server}": ${ldapErr2String(found.resultCode)}`, diagnostics(found.diagnosticMessage));
      }
      const entries = 'entries' in found ? found.entries : [];
      const notOne = ldapSearchResultMessage(user, filter, server, entries.length);
      if (notOne !== null) return fail(notOne.message, notOne.detail);
      fullUser = entries[0]!;
      // A bind with an empty DN and a password is anonymous or refused, never this user's (beyond PostgreSQL).
      if (fullUser === '') return fail(`could not get dn for the first entry matching "${filter}" on server "${server}": ${ldapErr2String(LdapResultCode.DECODING_ERROR)}`);
    } finally {
      conn.close();
    }
  } else {
    fullUser = ldapBindDn(plan, user);
  }

  // PostgreSQL binds as the user on a fresh connection (it re-initializes after the search).
  const session = await openSession(plan, connect);
  if (!session.ok) {
    if (session.stage === 'starttls') return fail(session.logDetail, session.logDiagnostics);
    return fail(`LDAP login failed for user "${fullUser}" on server "${server}": ${ldapErr2String(session.error.resultCode)}`, diagnostics(session.error.diagnosticMessage));
  }
  try {
    const r = await operation(() => session.conn.bind(fullUser, password));
    if (r.resultCode !== LdapResultCode.SUCCESS) {
      return fail(`LDAP login failed for user "${fullUser}" on server "${server}": ${ldapErr2String(r.resultCode)}`, diagnostics(r.diagnosticMessage));
    }
    return { ok: true, identity: fullUser };
  } finally {
    session.conn.close();
  }
}

type Session =
  | { ok: true; conn: LdapConnection }
  | { ok: false; stage: 'connect'; error: LdapError }
  | { ok: false; stage: 'starttls'; logDetail: string; logDiagnostics?: string };

/**
 * Connects to the first reachable server and runs StartTLS if asked. As with OpenLDAP, a
 * connection failure surfaces in the first operation's log line, except that with StartTLS
 * that operation is StartTLS itself (`could not start LDAP TLS session: …`).
 */
async function openSession(plan: LdapPlan, connect: LdapConnectOptions): Promise<Session> {
  const targets = plan.servers.map((s) => ({ host: s.host, port: s.port, ldaps: plan.scheme === 'ldaps' }));
  const startTlsFailure = (code: number, diag: string): Session => ({
    ok: false, stage: 'starttls', logDetail: `could not start LDAP TLS session: ${ldapErr2String(code)}`,
    ...(diag !== '' ? { logDiagnostics: `LDAP diagnostics: ${diag}` } : {}),
  });
  let conn: LdapConnection;
  try {
    conn = await LdapConnection.open(targets, connect);
  } catch (e) {
    if (!(e instanceof LdapError)) throw e;
    return plan.startTls ? startTlsFailure(e.resultCode, e.diagnosticMessage) : { ok: false, stage: 'connect', error: e };
  }
  if (!plan.startTls) return { ok: true, conn };
  try {
    const r = await conn.startTls();
    if (r.resultCode !== LdapResultCode.SUCCESS) {
      conn.close();
      return startTlsFailure(r.resultCode, r.diagnosticMessage);
    }
    return { ok: true, conn };
  } catch (e) {
    conn.close();
    if (!(e instanceof LdapError)) throw e;
    return startTlsFailure(e.resultCode, e.diagnosticMessage);
  }
}

/** Runs one operation; a transport failure becomes a result with its API code, as ldap_*_s return it. */
async function operation<T extends LdapResult>(run: () => Promise<T>): Promise<T | LdapResult> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof LdapError)) throw e;
    return { resultCode: e.resultCode, matchedDn: '', diagnosticMessage: e.diagnosticMessage };
  }
}
