// Client authentication (AUTHN rules in README.md): pg_hba.conf matching with the connection's
// facts, the `clientcert` precondition, then the record's method — trust, reject, password,
// md5 (MD5 or SCRAM by the stored secret), scram-sha-256 (with SCRAM-SHA-256-PLUS under TLS) and
// cert — with PostgreSQL's uniform failures, mock exchanges and server-log details, and
// Palisade's failure throttle. Entry point: authenticateClient.

import { promises as dns } from 'node:dns';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { PgError, SqlState } from '@palisade/common';
import {
  AuthFailureThrottle, ScramServer, authFailedError, certCheckNeeded, checkCertAuth, checkClientCertRequired, checkMd5Response,
  checkPlainPassword, choosePasswordExchange, hbaRejectsError, logDetails, matchHbaAsync, md5Salt, noHbaEntryError,
  type AuthOutcome, type HbaConnection, type HbaLine, type IdentLine, type PeerCertificate, type RoleMembershipOracle, type UnavailableReason,
} from '@palisade/auth';
import {
  authenticationCleartextPassword, authenticationMD5Password, authenticationSASL, authenticationSASLContinue, authenticationSASLFinal,
  decodePasswordMessage, decodeSaslInitialResponse, decodeSaslResponse, type BackendConnection,
} from '@palisade/protocol';
import type { EngineBackend, RoleRecord } from '../session/engine.ts';

/** The client went away during authentication (A24): the backend exits without a word. */
export class ClientGone extends Error {
  constructor() {
    super('client closed the connection during authentication');
  }
}

/** Authentication failed: `clientError` goes to the client, `logDetail` only to the server log. */
export class AuthenticationFailed extends Error {
  constructor(readonly clientError: PgError, readonly logDetail: string | undefined) {
    super(clientError.message);
  }
}

/** What authentication needs from the postmaster. */
export interface AuthEnvironment {
  readonly hba: readonly HbaLine[];
  readonly ident: readonly IdentLine[];
  readonly engine: EngineBackend;
  readonly throttle: AuthFailureThrottle;
  readonly passwordEncryption: 'scram-sha-256' | 'md5';
  /** Channel-binding hash of the server certificate and whether ssl_ca_file is loaded; null without TLS. */
  readonly tls: { certificateHash: Uint8Array; rootStoreLoaded: boolean } | null;
  /** A SCRAM secret nobody knows the password of: cleartext checks for missing roles hash against it so they take as long (AUTHN6). */
  readonly mockScramSecret: string;
  /** Waits (throttle); resolves early if the connection closes. */
  sleep(ms: number): Promise<void>;
  nowMs(): number;
}

/** The connection facts authentication runs on. */
export interface ClientFacts {
  readonly type: 'local' | 'host';
  /** Client IP ('[local]' for a Unix socket). */
  readonly address: string;
  readonly user: string;
  readonly database: string;
  readonly replication: boolean;
}

/** A successful authentication. */
export interface Authenticated {
  readonly line: HbaLine;
  /** The identity recorded for `connection authenticated` (null for trust). */
  readonly authnId: string | null;
  readonly role: RoleRecord | undefined;
  /** LOG lines produced along the way (e.g. usermap notes). */
  readonly logMessages: string[];
}

/** Message type letters, for "expected password response, got message type %d". */
const TYPE_CODES: Record<string, number> = {
  Query: 0x51, Parse: 0x50, Bind: 0x42, Describe: 0x44, Execute: 0x45, Close: 0x43, Sync: 0x53, Flush: 0x48, Terminate: 0x58,
  CopyData: 0x64, CopyDone: 0x63, CopyFail: 0x66, FunctionCall: 0x46, AuthResponse: 0x70,
};

async function readAuthResponse(conn: BackendConnection, what: 'password' | 'SASL'): Promise<Uint8Array> {
  const item = await conn.next();
  if (item === undefined || conn.isClosed) throw new ClientGone();
  if (item.kind !== 'message' || item.message.type !== 'AuthResponse') {
    const code = item.kind === 'message' ? TYPE_CODES[item.message.type] ?? 0 : 0;
    throw new PgError(SqlState.PROTOCOL_VIOLATION, `expected ${what} response, got message type ${code}`, { severity: 'FATAL' });
  }
  return item.message.body;
}

/** The hba membership oracle over the engine's roles: a role is a member of itself and of what it is granted (A5). */
export function membershipOracle(engine: EngineBackend): RoleMembershipOracle {
  return {
    isMemberOf(user, role) {
      const r = engine.lookupRole(user);
      if (!r) return false;
      return r.rolname === role || r.memberships.includes(role);
    },
  };
}

const resolver = {
  async reverse(address: string): Promise<string | null> {
    try {
      return (await dns.reverse(address))[0] ?? null;
    } catch {
      return null;
    }
  },
  async forward(hostname: string): Promise<string[]> {
    try {
      return (await dns.lookup(hostname, { all: true })).map((a) => a.address);
    } catch {
      return [];
    }
  },
};

/** The verified client certificate's CN and RFC 2253 DN, or null when none was sent or it did not verify against ssl_ca_file. */
export function peerCertificateOf(socket: TLSSocket | undefined): PeerCertificate | null {
  if (!socket) return null;
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return null;
  if (!socket.authorized) {
    // Node computes `authorized` only for sockets a tls.Server created; a socket upgraded after
    // SSLRequest asks OpenSSL's verification result of the handshake directly.
    const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
    if (!handle?.verifyError || handle.verifyError() !== null) return null;
  }
  const x509 = new X509Certificate(peer.raw);
  const rdns = x509.subject.split('\n').filter((s) => s !== '');
  const cnRdn = rdns.find((r) => r.startsWith('CN='));
  return { ...(cnRdn ? { cn: cnRdn.slice(3) } : {}), dn: rdns.reverse().join(',') };
}

/** Secret and unavailability reason for a password exchange (A17): missing role, NULL password or expired VALID UNTIL. */
function storedSecret(role: RoleRecord | undefined, nowMs: number): { stored: string | null; reason: UnavailableReason } {
  if (!role) return { stored: null, reason: 'role-does-not-exist' };
  if (role.rolpassword === null || role.rolpassword === '') return { stored: null, reason: 'no-password' };
  if (role.rolvaliduntil !== null && role.rolvaliduntil.getTime() < nowMs) return { stored: null, reason: 'password-expired' };
  return { stored: role.rolpassword, reason: 'no-password' };
}

async function runScram(conn: BackendConnection, env: AuthEnvironment, user: string, stored: string | null, reason: UnavailableReason): Promise<AuthOutcome> {
  const scram = new ScramServer({
    user, verifier: stored, unavailableReason: reason, mockNonce: env.engine.mockAuthenticationNonce(),
    channelBinding: conn.isTls && env.tls ? { certificateHash: env.tls.certificateHash } : null,
  });
  authenticationSASL(conn.writer, scram.mechanisms());
  conn.flush();
  const initial = decodeSaslInitialResponse(await readAuthResponse(conn, 'SASL'));
  let step: ReturnType<ScramServer['handleFinal']> = scram.handleInitial(initial.mechanism, initial.data);
  // At most two rounds: an empty challenge when the client sent no initial data, then the final message.
  for (let round = 0; round < 3 && !step.done; round++) {
    authenticationSASLContinue(conn.writer, new TextEncoder().encode(step.serverMessage));
    conn.flush();
    step = scram.handleFinal(decodeSaslResponse(await readAuthResponse(conn, 'SASL')));
  }
  if (!step.done) throw new PgError(SqlState.PROTOCOL_VIOLATION, 'malformed SCRAM message', { severity: 'FATAL' });
  if (step.ok && step.serverFinal !== undefined) authenticationSASLFinal(conn.writer, new TextEncoder().encode(step.serverFinal));
  return step;
}

async function runMd5(conn: BackendConnection, user: string, stored: string | null, reason: UnavailableReason): Promise<AuthOutcome> {
  const salt = md5Salt();
  authenticationMD5Password(conn.writer, salt);
  conn.flush();
  const response = decodePasswordMessage(await readAuthResponse(conn, 'password'));
  if (response === '') throw new ClientGone();
  return checkMd5Response(user, stored, salt, response, reason);
}

async function runPassword(conn: BackendConnection, env: AuthEnvironment, user: string, stored: string | null, reason: UnavailableReason): Promise<AuthOutcome> {
  authenticationCleartextPassword(conn.writer);
  conn.flush();
  const password = decodePasswordMessage(await readAuthResponse(conn, 'password'));
  // PostgreSQL: "empty password returned by client" ends the connection without an error.
  if (password === '') throw new ClientGone();
  if (stored === null) {
    // AUTHN6: hash against a mock secret so a missing role costs what a real one does.
    checkPlainPassword(user, env.mockScramSecret, password);
    return checkPlainPassword(user, null, password, reason);
  }
  return checkPlainPassword(user, stored, password);
}

function matchedDetail(line: HbaLine): string {
  return logDetails.connectionMatched(line.lineNumber, line.rawLine);
}

/**
 * Runs pg_hba.conf matching and the chosen method. Returns on success (AuthenticationOk not yet
 * sent); throws AuthenticationFailed, ClientGone, or a FATAL PgError for protocol violations.
 */
export async function authenticateClient(conn: BackendConnection, env: AuthEnvironment, facts: ClientFacts): Promise<Authenticated> {
  const ssl = conn.isTls;
  const hbaConn: HbaConnection = {
    type: facts.type, ssl, gssEnc: false, database: facts.database, user: facts.user, replication: facts.replication,
    ...(facts.type === 'host' ? { address: facts.address } : {}),
  };
  const oracle = membershipOracle(env.engine);
  const line = await matchHbaAsync(env.hba, hbaConn, oracle, resolver);
  const described = { type: facts.type, address: facts.address, user: facts.user, database: facts.database, replication: facts.replication, ssl, gssEnc: false };
  if (line === null) throw new AuthenticationFailed(noHbaEntryError(described), undefined);
  if (line.method === 'reject') throw new AuthenticationFailed(hbaRejectsError(described), matchedDetail(line));

  const peer = peerCertificateOf(conn.tlsSocket);
  const certRequired = checkClientCertRequired(line, { rootStoreLoaded: env.tls?.rootStoreLoaded ?? false, peer });
  if (certRequired) throw new AuthenticationFailed(certRequired, undefined);

  if (line.method !== 'trust') {
    const delayMs = env.throttle.delayMs(facts.address, facts.user);
    if (delayMs > 0) await env.sleep(delayMs);
    if (conn.isClosed) throw new ClientGone();
  }

  const role = env.engine.lookupRole(facts.user);
  const logMessages: string[] = [];
  let authnId: string | null = null;
  const fail = (error: PgError, detail: string | null | undefined): never => {
    env.throttle.recordFailure(facts.address, facts.user);
    throw new AuthenticationFailed(error, detail ? `${detail}\n${matchedDetail(line)}` : matchedDetail(line));
  };

  switch (line.method) {
    case 'trust':
      break;
    case 'password':
    case 'md5':
    case 'scram-sha-256': {
      const { stored, reason } = storedSecret(role, env.nowMs());
      let outcome: AuthOutcome;
      if (line.method === 'password') outcome = await runPassword(conn, env, facts.user, stored, reason);
      else {
        const exchange = choosePasswordExchange(line.method, stored, env.passwordEncryption);
        outcome = exchange === 'md5' ? await runMd5(conn, facts.user, stored, reason) : await runScram(conn, env, facts.user, stored, reason);
      }
      if (!outcome.ok) fail(outcome.clientError ?? authFailedError(line.method, facts.user), outcome.logDetail);
      authnId = facts.user;
      break;
    }
    case 'cert': {
      if (!peer) fail(authFailedError('cert', facts.user), undefined);
      const checked = checkCertAuth(line, peer!, facts.user, env.ident, oracle);
      logMessages.push(...checked.logMessages);
      if (!checked.ok) fail(authFailedError('cert', facts.user), checked.logMessages.join('\n') || undefined);
      authnId = checked.authenticatedIdentity ?? facts.user;
      break;
    }
    default:
      // loadHba refuses every method Palisade does not implement (HBA9), so none can be matched.
      throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, `authentication method "${line.method}" is not supported by Palisade`, { severity: 'FATAL' });
  }

  if (line.method !== 'cert' && certCheckNeeded(line) && peer) {
    const checked = checkCertAuth(line, peer, facts.user, env.ident, oracle);
    logMessages.push(...checked.logMessages);
    if (!checked.ok) fail(authFailedError(line.method, facts.user), checked.logMessages.join('\n') || undefined);
  }
  if (line.method !== 'trust') env.throttle.recordSuccess(facts.address, facts.user);
  return { line, authnId, role, logMessages };
}

