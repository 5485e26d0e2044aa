// The outcome of a password authentication: what the client is told (always the same 28P01
// message, A16/A17) and what only the server log sees. Entry points: passwordFailure, logDetails.

import { PgError, SqlState } from '@palisade/common';

/** A finished authentication exchange. */
export interface AuthOutcome {
  readonly done: true;
  readonly ok: boolean;
  /** SCRAM server-final-message (`v=…`) to send before AuthenticationOk. */
  readonly serverFinal?: string;
  /** For the server log only (errdetail_log); never contains a password. */
  readonly logDetail: string | null;
  /** What the client receives on failure. */
  readonly clientError?: PgError;
}

/** FATAL 28P01 `password authentication failed for user "%s"` (A16). */
export function passwordAuthFailed(user: string): PgError {
  return new PgError(SqlState.INVALID_PASSWORD, `password authentication failed for user "${user}"`, { severity: 'FATAL' });
}

/** The server-log detail texts of A17. */
export const logDetails = {
  roleDoesNotExist: (user: string) => `Role "${user}" does not exist.`,
  noPassword: (user: string) => `User "${user}" has no password assigned.`,
  expiredPassword: (user: string) => `User "${user}" has an expired password.`,
  notMd5: (user: string) => `User "${user}" has a password that cannot be used with MD5 authentication.`,
  noScramSecret: (user: string) => `User "${user}" does not have a valid SCRAM secret.`,
  passwordMismatch: (user: string) => `Password does not match for user "${user}".`,
  /** Log-detail line naming the matched record, as PostgreSQL 15 words it. */
  connectionMatched: (lineNumber: number, rawLine: string) => `Connection matched pg_hba.conf line ${lineNumber}: "${rawLine}"`,
  /** The same for a record read from an included file (PostgreSQL 16's wording, which names the file). */
  connectionMatchedFile: (file: string, lineNumber: number, rawLine: string) => `Connection matched file "${file}" line ${lineNumber}: "${rawLine}"`,
} as const;

/** Why a role has no usable secret; decides the log detail of the (mock) exchange. */
export type UnavailableReason = 'role-does-not-exist' | 'no-password' | 'password-expired';

export function unavailableDetail(user: string, reason: UnavailableReason): string {
  switch (reason) {
    case 'role-does-not-exist': return logDetails.roleDoesNotExist(user);
    case 'no-password': return logDetails.noPassword(user);
    case 'password-expired': return logDetails.expiredPassword(user);
  }
}

export function failure(user: string, logDetail: string | null): AuthOutcome {
  return { done: true, ok: false, logDetail, clientError: passwordAuthFailed(user) };
}

/** What the pg_hba.conf messages need to know about the connection (A15). */
export interface HbaRejectedConnection {
  type: 'local' | 'host';
  address?: string;
  user: string;
  database: string;
  replication: boolean;
  ssl: boolean;
  gssEnc: boolean;
}

function describeConnection(c: HbaRejectedConnection): { host: string; encryption: string } {
  return {
    host: c.type === 'local' ? '[local]' : c.address ?? '???',
    encryption: c.ssl ? 'SSL encryption' : c.gssEnc ? 'GSS encryption' : 'no encryption',
  };
}

/** FATAL 28000 when no record matched (implicit reject, A15). */
export function noHbaEntryError(c: HbaRejectedConnection): PgError {
  const { host, encryption } = describeConnection(c);
  const message = c.replication
    ? `no pg_hba.conf entry for replication connection from host "${host}", user "${c.user}", ${encryption}`
    : `no pg_hba.conf entry for host "${host}", user "${c.user}", database "${c.database}", ${encryption}`;
  return new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, message, { severity: 'FATAL' });
}

/** FATAL 28000 when the matching record says `reject` (A15). */
export function hbaRejectsError(c: HbaRejectedConnection): PgError {
  const { host, encryption } = describeConnection(c);
  const message = c.replication
    ? `pg_hba.conf rejects replication connection for host "${host}", user "${c.user}", ${encryption}`
    : `pg_hba.conf rejects connection for host "${host}", user "${c.user}", database "${c.database}", ${encryption}`;
  return new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, message, { severity: 'FATAL' });
}

const METHOD_FAILURE_WORD: Record<string, string> = {
  trust: '"trust"', ident: 'Ident', peer: 'Peer', gss: 'GSSAPI', sspi: 'SSPI', pam: 'PAM', bsd: 'BSD', ldap: 'LDAP',
  cert: 'certificate', radius: 'RADIUS',
};

/** The failure sent for a method (A16): password methods 28P01, the others 28000 `<Method> authentication failed …`. */
export function authFailedError(method: string, user: string): PgError {
  if (method === 'password' || method === 'md5' || method === 'scram-sha-256') return passwordAuthFailed(user);
  const word = METHOD_FAILURE_WORD[method];
  return new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, `${word ?? method} authentication failed for user "${user}"`, { severity: 'FATAL' });
}
