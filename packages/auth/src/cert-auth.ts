// Client certificates in authentication (A23): the `clientcert` precondition checked before
// any method runs, and the CN / DN check of the `cert` method and of clientcert=verify-full,
// through the user-name map. Entry points: checkClientCertRequired, checkCertAuth.

import { PgError, SqlState } from '@palisade/common';
import type { HbaLine } from './hba.ts';
import type { RoleMembershipOracle } from './hba-match.ts';
import { checkUsermap, type IdentLine } from './ident.ts';

/** The verified client certificate's names, or null when the client sent none (or it did not verify). */
export interface PeerCertificate {
  /** Subject common name. */
  cn?: string;
  /** Subject distinguished name (RFC 2253 form). */
  dn?: string;
}

/**
 * Before the method runs: a record with `clientcert` needs a root certificate store (else
 * F0000) and a valid client certificate (else 28000). Returns the FATAL error, or null.
 */
export function checkClientCertRequired(line: HbaLine, state: { rootStoreLoaded: boolean; peer: PeerCertificate | null }): PgError | null {
  if (line.options.clientCert === 'off') return null;
  if (!state.rootStoreLoaded) {
    return new PgError(SqlState.CONFIG_FILE_ERROR, 'client certificates can only be checked if a root certificate store is available', { severity: 'FATAL' });
  }
  if (!state.peer) return new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, 'connection requires a valid client certificate', { severity: 'FATAL' });
  return null;
}

/** Whether {@link checkCertAuth} must run: always for `cert`, after success for clientcert=verify-full. */
export function certCheckNeeded(line: HbaLine): boolean {
  return line.method === 'cert' || line.options.clientCert === 'verify-full';
}

/**
 * The certificate name (CN, or DN with clientname=DN) must map to the requested user through
 * the record's map (or equal it without one). `authenticatedIdentity` is the DN for `cert`.
 */
export function checkCertAuth(
  line: HbaLine, peer: PeerCertificate, user: string, identLines: readonly IdentLine[], roles: RoleMembershipOracle,
): { ok: boolean; logMessages: string[]; authenticatedIdentity?: string } {
  const name = line.options.clientName === 'DN' ? peer.dn : peer.cn;
  if (name === undefined || name === '') {
    return { ok: false, logMessages: [`certificate authentication failed for user "${user}": client certificate contains no user name`] };
  }
  let identity: string | undefined;
  if (line.method === 'cert') {
    if (!peer.dn) return { ok: false, logMessages: [`certificate authentication failed for user "${user}": unable to retrieve subject DN`] };
    identity = peer.dn;
  }
  const mapped = checkUsermap(identLines, line.options.map, user, name, roles);
  const logMessages = mapped.logMessage ? [mapped.logMessage] : [];
  if (!mapped.ok && line.options.clientCert === 'verify-full' && line.method !== 'cert') {
    logMessages.push(`certificate validation (clientcert=verify-full) failed for user "${user}": ${line.options.clientName} mismatch`);
  }
  return { ok: mapped.ok, logMessages, ...(identity !== undefined ? { authenticatedIdentity: identity } : {}) };
}
