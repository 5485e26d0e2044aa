// Frontend (client → server) messages after startup: decoding of every message type of
// protocol 3.0, with PostgreSQL's per-type length limits and error messages.

import { PgError, SqlState } from '@palisade/common';
import { MessageReader, invalidMessageFormat } from './reader.ts';

/** A parameter or column format code: 0 text, 1 binary. */
export type FormatCode = 0 | 1;

export type FrontendMessage =
  | { type: 'Query'; sql: string }
  | { type: 'Parse'; statement: string; sql: string; paramTypes: number[] }
  | {
      type: 'Bind';
      portal: string;
      statement: string;
      paramFormats: FormatCode[];
      /** null = SQL NULL */
      params: (Uint8Array | null)[];
      resultFormats: FormatCode[];
    }
  | { type: 'Describe'; target: 'statement' | 'portal'; name: string }
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Close'; target: 'statement' | 'portal'; name: string }
  | { type: 'Sync' }
  | { type: 'Flush' }
  | { type: 'Terminate' }
  | { type: 'CopyData'; data: Uint8Array }
  | { type: 'CopyDone' }
  | { type: 'CopyFail'; message: string }
  | { type: 'FunctionCall'; functionOid: number; argFormats: FormatCode[]; args: (Uint8Array | null)[]; resultFormat: FormatCode }
  /** 'p': its meaning depends on the authentication exchange in progress; decode with the helpers below. */
  | { type: 'AuthResponse'; body: Uint8Array };

/** PostgreSQL's PQ_SMALL_MESSAGE_LIMIT and PQ_LARGE_MESSAGE_LIMIT (PR7). */
export const SMALL_MESSAGE_LIMIT_BYTES = 10_000;
export const LARGE_MESSAGE_LIMIT_BYTES = 0x3fff_ffff - 1;
/** PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH: the largest authentication response accepted. */
export const MAX_AUTH_TOKEN_BYTES = 65_535;

/** The message type letters a client may send after startup. */
const KNOWN_TYPES = new Set(['Q', 'P', 'B', 'D', 'E', 'C', 'S', 'H', 'X', 'd', 'c', 'f', 'F', 'p']);

/**
 * PR6/PR7: the largest body (excluding the 4-byte length word) accepted for a message type,
 * or undefined for a type that is not a frontend message ("invalid frontend message type").
 */
export function maxBodyBytes(type: number): number | undefined {
  const t = String.fromCharCode(type);
  if (!KNOWN_TYPES.has(t)) return undefined;
  switch (t) {
    case 'Q':
    case 'P':
    case 'B':
    case 'F':
    case 'd':
      return LARGE_MESSAGE_LIMIT_BYTES;
    case 'p':
      return MAX_AUTH_TOKEN_BYTES + 100;
    default:
      return SMALL_MESSAGE_LIMIT_BYTES;
  }
}

/** `08P01 invalid frontend message type %d`. */
export function invalidMessageType(type: number): PgError {
  return new PgError(SqlState.PROTOCOL_VIOLATION, `invalid frontend message type ${type}`, { severity: 'FATAL' });
}

function formatCode(r: MessageReader): FormatCode {
  const f = r.int16();
  if (f !== 0 && f !== 1) throw new PgError(SqlState.PROTOCOL_VIOLATION, `unsupported format code: ${f}`);
  return f;
}

function countOf(r: MessageReader, what: string): number {
  const n = r.int16();
  if (n < 0) throw invalidMessageFormat(`invalid ${what} count ${n}`);
  return n;
}

function values(r: MessageReader, count: number): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.int32();
    if (len === -1) out.push(null);
    else if (len < 0) throw invalidMessageFormat(`invalid parameter length ${len}`);
    else out.push(r.bytesOf(len));
  }
  return out;
}

/** Decodes one frontend message body. Throws PgError 08P01 on a malformed message. */
export function decodeFrontendMessage(type: number, body: Uint8Array): FrontendMessage {
  const r = new MessageReader(body);
  let msg: FrontendMessage;
  switch (String.fromCharCode(type)) {
    case 'Q':
      msg = { type: 'Query', sql: r.cstring() };
      break;
    case 'P': {
      const statement = r.cstring();
      const sql = r.cstring();
      const n = countOf(r, 'parameter type');
      const paramTypes: number[] = [];
      for (let i = 0; i < n; i++) paramTypes.push(r.int32() >>> 0);
      msg = { type: 'Parse', statement, sql, paramTypes };
      break;
    }
    case 'B': {
      const portal = r.cstring();
      const statement = r.cstring();
      const nf = countOf(r, 'parameter format');
      const paramFormats: FormatCode[] = [];
      for (let i = 0; i < nf; i++) paramFormats.push(formatCode(r));
      const np = countOf(r, 'parameter');
      const params = values(r, np);
      const nr = countOf(r, 'result format');
      const resultFormats: FormatCode[] = [];
      for (let i = 0; i < nr; i++) resultFormats.push(formatCode(r));
      msg = { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
      break;
    }
    case 'D':
    case 'C': {
      const kind = r.int8();
      const name = r.cstring();
      const what = type === 0x44 ? 'DESCRIBE' : 'CLOSE';
      if (kind !== 0x53 && kind !== 0x50) throw invalidMessageFormat(`invalid ${what} message subtype ${kind}`);
      msg = { type: type === 0x44 ? 'Describe' : 'Close', target: kind === 0x53 ? 'statement' : 'portal', name };
      break;
    }
    case 'E': {
      const portal = r.cstring();
      const maxRows = r.int32();
      msg = { type: 'Execute', portal, maxRows: maxRows <= 0 ? 0 : maxRows };
      break;
    }
    case 'S':
      msg = { type: 'Sync' };
      break;
    case 'H':
      msg = { type: 'Flush' };
      break;
    case 'X':
      msg = { type: 'Terminate' };
      break;
    case 'd':
      msg = { type: 'CopyData', data: r.rest() };
      break;
    case 'c':
      msg = { type: 'CopyDone' };
      break;
    case 'f':
      msg = { type: 'CopyFail', message: r.cstring() };
      break;
    case 'F': {
      const functionOid = r.int32() >>> 0;
      const nf = countOf(r, 'argument format');
      const argFormats: FormatCode[] = [];
      for (let i = 0; i < nf; i++) argFormats.push(formatCode(r));
      const na = countOf(r, 'argument');
      const args = values(r, na);
      msg = { type: 'FunctionCall', functionOid, argFormats, args, resultFormat: formatCode(r) };
      break;
    }
    case 'p':
      msg = { type: 'AuthResponse', body: r.rest() };
      break;
    default:
      throw invalidMessageType(type);
  }
  r.end();
  return msg;
}

/** A cleartext or MD5 password response: the NUL-terminated password. */
export function decodePasswordMessage(body: Uint8Array): string {
  const r = new MessageReader(body);
  const password = r.cstring();
  if (r.remaining !== 0) throw invalidMessageFormat('invalid password packet size');
  return password;
}

/** SASLInitialResponse: the chosen mechanism and the optional client-first message. */
export function decodeSaslInitialResponse(body: Uint8Array): { mechanism: string; data: Uint8Array | null } {
  const r = new MessageReader(body);
  const mechanism = r.cstring();
  const len = r.int32();
  const data = len === -1 ? null : len < 0 ? (() => { throw invalidMessageFormat(); })() : r.bytesOf(len);
  r.end();
  return { mechanism, data };
}

/** SASLResponse: the raw client message. */
export function decodeSaslResponse(body: Uint8Array): Uint8Array {
  return body;
}
