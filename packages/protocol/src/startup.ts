// The first packet of a connection: a StartupMessage, or one of the three special requests
// that share its framing (SSLRequest, GSSENCRequest, CancelRequest). PostgreSQL reads it in
// ProcessStartupPacket; the rules here follow it and are numbered in README.md (PR1–PR6).

import { PgError, SqlState } from '@palisade/common';
import { MessageReader, invalidMessageFormat } from './reader.ts';

/** Protocol version codes of the special requests (major 1234, minor 5678/5679/5680). */
export const CANCEL_REQUEST_CODE = (1234 << 16) | 5678;
export const SSL_REQUEST_CODE = (1234 << 16) | 5679;
export const GSSENC_REQUEST_CODE = (1234 << 16) | 5680;
/** The protocol this server speaks: 3.0. */
export const PROTOCOL_MAJOR = 3;
export const PROTOCOL_MINOR_LATEST = 0;
/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH: longer startup packets are refused (PR1). */
export const MAX_STARTUP_PACKET_BYTES = 10_000;

export type StartupPacket =
  | { kind: 'ssl-request' }
  | { kind: 'gssenc-request' }
  | { kind: 'cancel-request'; processId: number; secretKey: number }
  | {
      kind: 'startup';
      protocolMajor: number;
      protocolMinor: number;
      /** Parameters as sent (user, database, options, application_name, client_encoding, …), without `_pq_.` ones. */
      parameters: Map<string, string>;
      /** `_pq_.` protocol options the client asked for; this server knows none, so all are unrecognized (PR5). */
      protocolOptions: string[];
      user: string;
      /** Defaults to the user name, as in PostgreSQL. */
      database: string;
      /** Replication mode requested by the `replication` parameter. */
      replication: 'none' | 'physical' | 'logical';
    };

/**
 * Validates the length word that starts the first packet (including itself).
 * Returns an error for PostgreSQL's "invalid length of startup packet" (PR1).
 */
export function checkStartupLength(lengthBytes: number): PgError | undefined {
  if (lengthBytes < 8 || lengthBytes > MAX_STARTUP_PACKET_BYTES) {
    return new PgError(SqlState.PROTOCOL_VIOLATION, 'invalid length of startup packet', { severity: 'FATAL' });
  }
  return undefined;
}

/** Parses the body of the first packet (after the length word). Throws PgError with PostgreSQL's message. */
export function parseStartupPacket(body: Uint8Array): StartupPacket {
  const lengthError = checkStartupLength(body.byteLength + 4);
  if (lengthError) throw lengthError;
  const r = new MessageReader(body);
  const code = r.int32();
  if (code === SSL_REQUEST_CODE) return { kind: 'ssl-request' };
  if (code === GSSENC_REQUEST_CODE) return { kind: 'gssenc-request' };
  if (code === CANCEL_REQUEST_CODE) {
    // PR3: a cancel request is exactly 16 bytes long.
    if (body.byteLength !== 12) throw invalidMessageFormat('invalid length of query cancel packet');
    return { kind: 'cancel-request', processId: r.int32(), secretKey: r.int32() };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== PROTOCOL_MAJOR) {
    // PR2
    throw new PgError(
      SqlState.FEATURE_NOT_SUPPORTED,
      `unsupported frontend protocol ${major}.${minor}: server supports ${PROTOCOL_MAJOR}.0 to ${PROTOCOL_MAJOR}.${PROTOCOL_MINOR_LATEST}`,
      { severity: 'FATAL' },
    );
  }
  // PR4: name/value pairs, then a single terminating NUL which must be the last byte.
  if (body[body.byteLength - 1] !== 0) {
    throw new PgError(SqlState.PROTOCOL_VIOLATION, 'invalid startup packet layout: expected terminator as last byte', { severity: 'FATAL' });
  }
  const parameters = new Map<string, string>();
  const protocolOptions: string[] = [];
  while (r.remaining > 1) {
    const name = r.cstring();
    if (name === '') {
      throw new PgError(SqlState.PROTOCOL_VIOLATION, 'invalid startup packet layout: expected terminator as last byte', { severity: 'FATAL' });
    }
    if (r.remaining < 1) throw new PgError(SqlState.PROTOCOL_VIOLATION, 'invalid startup packet layout: expected terminator as last byte', { severity: 'FATAL' });
    const value = r.cstring();
    if (name.startsWith('_pq_.')) protocolOptions.push(name);
    else parameters.set(name, value);
  }
  const user = parameters.get('user') ?? '';
  if (user === '') {
    throw new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, 'no PostgreSQL user name specified in startup packet', { severity: 'FATAL' });
  }
  return {
    kind: 'startup',
    protocolMajor: major,
    protocolMinor: minor,
    parameters,
    protocolOptions,
    user,
    database: parameters.get('database') || user,
    replication: parseReplication(parameters.get('replication')),
  };
}

function parseReplication(value: string | undefined): 'none' | 'physical' | 'logical' {
  if (value === undefined) return 'none';
  if (value === 'database') return 'logical';
  const v = value.toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(v)) return 'physical';
  if (['false', 'off', 'no', '0'].includes(v)) return 'none';
  throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "replication": "${value}"`, {
    severity: 'FATAL',
    hint: 'Valid values are: "false", 0, "true", 1, "database".',
  });
}

/**
 * PR5: whether the server must answer with NegotiateProtocolVersion — the client asked for a
 * newer minor version than 3.0 or for `_pq_.` options.
 */
export function needsNegotiation(packet: Extract<StartupPacket, { kind: 'startup' }>): boolean {
  return packet.protocolMinor > PROTOCOL_MINOR_LATEST || packet.protocolOptions.length > 0;
}
