// Backend (server → client) messages. Each function appends one message to a MessageWriter,
// so a session can batch a whole response into one socket write.

import type { PgError, PgErrorFields, Severity } from '@palisade/common';
import type { FormatCode } from './frontend.ts';
import { MessageWriter } from './writer.ts';

/** Authentication request codes of the 'R' message. */
export const AuthCode = { Ok: 0, CleartextPassword: 3, MD5Password: 5, GSS: 7, GSSContinue: 8, SSPI: 9, SASL: 10, SASLContinue: 11, SASLFinal: 12 } as const;

export function authenticationOk(w: MessageWriter): MessageWriter {
  return w.begin('R').int32(AuthCode.Ok).end();
}
export function authenticationCleartextPassword(w: MessageWriter): MessageWriter {
  return w.begin('R').int32(AuthCode.CleartextPassword).end();
}
export function authenticationMD5Password(w: MessageWriter, salt: Uint8Array): MessageWriter {
  return w.begin('R').int32(AuthCode.MD5Password).bytes(salt).end();
}
/** AuthenticationSASL listing mechanisms in preference order. */
export function authenticationSASL(w: MessageWriter, mechanisms: readonly string[]): MessageWriter {
  w.begin('R').int32(AuthCode.SASL);
  for (const m of mechanisms) w.cstring(m);
  return w.int8(0).end();
}
export function authenticationSASLContinue(w: MessageWriter, data: Uint8Array): MessageWriter {
  return w.begin('R').int32(AuthCode.SASLContinue).bytes(data).end();
}
export function authenticationSASLFinal(w: MessageWriter, data: Uint8Array): MessageWriter {
  return w.begin('R').int32(AuthCode.SASLFinal).bytes(data).end();
}
export function backendKeyData(w: MessageWriter, processId: number, secretKey: number): MessageWriter {
  return w.begin('K').int32(processId).int32(secretKey).end();
}
export function parameterStatus(w: MessageWriter, name: string, value: string): MessageWriter {
  return w.begin('S').cstring(name).cstring(value).end();
}
/** Transaction status: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';
export function readyForQuery(w: MessageWriter, status: TransactionStatus): MessageWriter {
  return w.begin('Z').int8(status.charCodeAt(0)).end();
}
/** NegotiateProtocolVersion: the newest minor version supported and the unrecognized `_pq_.` options. */
export function negotiateProtocolVersion(w: MessageWriter, newestMinor: number, unrecognized: readonly string[]): MessageWriter {
  w.begin('v').int32(newestMinor).int32(unrecognized.length);
  for (const o of unrecognized) w.cstring(o);
  return w.end();
}

/** One column of a RowDescription. */
export interface FieldDescription {
  name: string;
  /** OID of the table the column comes from, or 0. */
  tableOid: number;
  /** Attribute number within that table, or 0. */
  columnNumber: number;
  typeOid: number;
  /** pg_type.typlen: -1 varlena, -2 cstring. */
  typeSize: number;
  typeModifier: number;
  format: FormatCode;
}
export function rowDescription(w: MessageWriter, fields: readonly FieldDescription[]): MessageWriter {
  w.begin('T').int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name).int32(f.tableOid).int16(f.columnNumber).int32(f.typeOid).int16(f.typeSize).int32(f.typeModifier).int16(f.format);
  }
  return w.end();
}
/** DataRow; null is SQL NULL. */
export function dataRow(w: MessageWriter, values: readonly (Uint8Array | null)[]): MessageWriter {
  w.begin('D').int16(values.length);
  for (const v of values) {
    if (v === null) w.int32(-1);
    else w.int32(v.byteLength).bytes(v);
  }
  return w.end();
}
export function commandComplete(w: MessageWriter, tag: string): MessageWriter {
  return w.begin('C').cstring(tag).end();
}
export function emptyQueryResponse(w: MessageWriter): MessageWriter {
  return w.begin('I').end();
}
export function parseComplete(w: MessageWriter): MessageWriter {
  return w.begin('1').end();
}
export function bindComplete(w: MessageWriter): MessageWriter {
  return w.begin('2').end();
}
export function closeComplete(w: MessageWriter): MessageWriter {
  return w.begin('3').end();
}
export function noData(w: MessageWriter): MessageWriter {
  return w.begin('n').end();
}
export function portalSuspended(w: MessageWriter): MessageWriter {
  return w.begin('s').end();
}
export function parameterDescription(w: MessageWriter, typeOids: readonly number[]): MessageWriter {
  w.begin('t').int16(typeOids.length);
  for (const oid of typeOids) w.int32(oid);
  return w.end();
}
function copyResponse(w: MessageWriter, type: string, overall: FormatCode, columnFormats: readonly FormatCode[]): MessageWriter {
  w.begin(type).int8(overall).int16(columnFormats.length);
  for (const f of columnFormats) w.int16(f);
  return w.end();
}
export function copyInResponse(w: MessageWriter, overall: FormatCode, columnFormats: readonly FormatCode[]): MessageWriter {
  return copyResponse(w, 'G', overall, columnFormats);
}
export function copyOutResponse(w: MessageWriter, overall: FormatCode, columnFormats: readonly FormatCode[]): MessageWriter {
  return copyResponse(w, 'H', overall, columnFormats);
}
export function copyBothResponse(w: MessageWriter, overall: FormatCode, columnFormats: readonly FormatCode[]): MessageWriter {
  return copyResponse(w, 'W', overall, columnFormats);
}
export function copyData(w: MessageWriter, data: Uint8Array): MessageWriter {
  return w.begin('d').bytes(data).end();
}
export function copyDone(w: MessageWriter): MessageWriter {
  return w.begin('c').end();
}
export function notificationResponse(w: MessageWriter, processId: number, channel: string, payload: string): MessageWriter {
  return w.begin('A').int32(processId).cstring(channel).cstring(payload).end();
}
export function functionCallResponse(w: MessageWriter, value: Uint8Array | null): MessageWriter {
  w.begin('V');
  if (value === null) w.int32(-1);
  else w.int32(value.byteLength).bytes(value);
  return w.end();
}

/** The fields of an ErrorResponse / NoticeResponse: a PgError's fields with the required three. */
export interface ErrorFields extends Omit<PgErrorFields, 'severity' | 'cause'> {
  severity: Severity;
  code: string;
  message: string;
}

const FIELD_CODES: readonly [keyof ErrorFields, string][] = [
  ['detail', 'D'], ['hint', 'H'], ['position', 'P'], ['internalPosition', 'p'], ['internalQuery', 'q'], ['where', 'W'],
  ['schema', 's'], ['table', 't'], ['column', 'c'], ['dataType', 'd'], ['constraint', 'n'], ['file', 'F'], ['line', 'L'], ['routine', 'R'],
];

function diagnostic(w: MessageWriter, type: 'E' | 'N', f: ErrorFields): MessageWriter {
  // S is the localized severity, V the untranslated one; Palisade does not translate messages.
  w.begin(type).int8(0x53).cstring(f.severity).int8(0x56).cstring(f.severity).int8(0x43).cstring(f.code).int8(0x4d).cstring(stripNul(f.message));
  for (const [key, code] of FIELD_CODES) {
    const v = f[key];
    if (v !== undefined) w.int8(code.charCodeAt(0)).cstring(stripNul(String(v)));
  }
  return w.int8(0).end();
}

/** Protocol strings are NUL-terminated: a NUL inside a message text (e.g. echoed user input) is dropped. */
function stripNul(s: string): string {
  return s.includes('\0') ? s.replaceAll('\0', '') : s;
}

export function errorResponse(w: MessageWriter, f: ErrorFields): MessageWriter {
  return diagnostic(w, 'E', f);
}
export function noticeResponse(w: MessageWriter, f: ErrorFields): MessageWriter {
  return diagnostic(w, 'N', f);
}

/** The ErrorResponse fields of a PgError. */
export function errorFieldsOf(e: PgError): ErrorFields {
  const out: ErrorFields = { severity: e.severity, code: e.code, message: e.message };
  for (const [key] of FIELD_CODES) {
    const v = (e as unknown as Record<string, unknown>)[key];
    if (v !== undefined) (out as unknown as Record<string, unknown>)[key] = v;
  }
  return out;
}
