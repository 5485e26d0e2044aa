import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { PgError, SqlState } from '@palisade/common';
import {
  MessageFramer, MessageWriter, authenticationMD5Password, authenticationOk, authenticationSASL, backendKeyData, bindComplete,
  commandComplete, copyInResponse, dataRow, decodeFrontendMessage, decodePasswordMessage, decodeSaslInitialResponse,
  errorFieldsOf, errorResponse, noticeResponse, notificationResponse, parameterDescription, parameterStatus, parseComplete,
  readyForQuery, rowDescription, type FrontendMessage,
} from '../src/index.ts';
import { parseBackend } from './helpers.ts';

/** Decodes what node-postgres's serializer produced for one frontend message. */
function roundTrip(bytes: Buffer): FrontendMessage {
  const framer = new MessageFramer(false);
  framer.push(bytes);
  const frame = framer.next();
  if (!frame || frame.kind !== 'message') throw new Error('no frame');
  expect(framer.pendingBytes).toBe(0);
  return decodeFrontendMessage(frame.type, frame.body);
}

describe('frontend messages as node-postgres sends them', () => {
  it('[PR8] decodes Query, Parse, Bind, Describe, Execute, Close, Sync, Flush, Terminate', () => {
    expect(roundTrip(serialize.query('select 1'))).toEqual({ type: 'Query', sql: 'select 1' });
    expect(roundTrip(serialize.parse({ name: 's1', text: 'select $1::int', types: [23] }))).toEqual({ type: 'Parse', statement: 's1', sql: 'select $1::int', paramTypes: [23] });
    const bind = roundTrip(serialize.bind({ portal: 'p', statement: 's1', values: ['42', null, Buffer.from([1, 2])], binary: true }));
    expect(bind.type).toBe('Bind');
    if (bind.type === 'Bind') {
      expect(bind.portal).toBe('p');
      expect(bind.statement).toBe('s1');
      expect(bind.params.map((p) => (p === null ? null : Buffer.from(p).toString('hex')))).toEqual(['3432', null, '0102']);
      expect(bind.paramFormats).toEqual([0, 0, 1]);
      expect(bind.resultFormats).toEqual([1]);
    }
    expect(roundTrip(serialize.describe({ type: 'S', name: 's1' }))).toEqual({ type: 'Describe', target: 'statement', name: 's1' });
    expect(roundTrip(serialize.describe({ type: 'P' }))).toEqual({ type: 'Describe', target: 'portal', name: '' });
    expect(roundTrip(serialize.execute({ portal: 'p', rows: 10 }))).toEqual({ type: 'Execute', portal: 'p', maxRows: 10 });
    expect(roundTrip(serialize.close({ type: 'P', name: 'p' }))).toEqual({ type: 'Close', target: 'portal', name: 'p' });
    expect(roundTrip(serialize.sync())).toEqual({ type: 'Sync' });
    expect(roundTrip(serialize.flush())).toEqual({ type: 'Flush' });
    expect(roundTrip(serialize.end())).toEqual({ type: 'Terminate' });
  });

  it('[PR8] decodes COPY messages and authentication responses', () => {
    const cd = roundTrip(serialize.copyData(Buffer.from('1\tx\n')));
    expect(cd.type === 'CopyData' && Buffer.from(cd.data).toString()).toBe('1\tx\n');
    expect(roundTrip(serialize.copyDone())).toEqual({ type: 'CopyDone' });
    expect(roundTrip(serialize.copyFail('bad'))).toEqual({ type: 'CopyFail', message: 'bad' });
    const pw = roundTrip(serialize.password('secret'));
    expect(pw.type === 'AuthResponse' && decodePasswordMessage(pw.body)).toBe('secret');
    const sasl = roundTrip(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=abc'));
    expect(sasl.type).toBe('AuthResponse');
    if (sasl.type === 'AuthResponse') {
      const d = decodeSaslInitialResponse(sasl.body);
      expect(d.mechanism).toBe('SCRAM-SHA-256');
      expect(Buffer.from(d.data!).toString()).toBe('n,,n=*,r=abc');
    }
  });

  it('[PR9] malformed bodies are protocol violations, not crashes', () => {
    const bad = (type: string, body: number[]) => () => decodeFrontendMessage(type.charCodeAt(0), Uint8Array.from(body));
    expect(bad('Q', [0x73, 0x65])).toThrow(/invalid string in message/); // no terminator
    expect(bad('E', [0])).toThrow(/invalid message format/); // portal then missing int32
    expect(bad('D', [0x58, 0])).toThrow(/invalid DESCRIBE message subtype 88/);
    expect(bad('C', [0x58, 0])).toThrow(/invalid CLOSE message subtype 88/);
    expect(bad('S', [1])).toThrow(/invalid message format/); // trailing garbage
    expect(bad('B', [0, 0, 0, 1, 0, 7, 0, 0, 0, 0])).toThrow(/unsupported format code: 7/);
    expect(bad('B', [0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 1])).toThrow(/invalid message format/); // param longer than message
    try {
      bad('Z', [])();
    } catch (e) {
      expect((e as PgError).code).toBe(SqlState.PROTOCOL_VIOLATION);
      expect((e as PgError).message).toBe('invalid frontend message type 90');
    }
  });
});

describe('backend messages as node-postgres reads them', () => {
  it('[PR10] encodes the startup sequence, results and completion', () => {
    const w = new MessageWriter(16);
    authenticationOk(w);
    parameterStatus(w, 'server_version', '15.0 (Palisade)');
    backendKeyData(w, 1234, -5);
    readyForQuery(w, 'I');
    rowDescription(w, [
      { name: 'id', tableOid: 16384, columnNumber: 1, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 },
      { name: 'näme', tableOid: 0, columnNumber: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 },
    ]);
    dataRow(w, [Buffer.from('1'), null]);
    commandComplete(w, 'SELECT 1');
    parseComplete(w);
    bindComplete(w);
    parameterDescription(w, [23, 25]);
    copyInResponse(w, 0, [0, 0]);
    notificationResponse(w, 77, 'chan', 'payload');
    const msgs = parseBackend(w.flush());
    expect(msgs.map((m) => m.name)).toEqual([
      'authenticationOk', 'parameterStatus', 'backendKeyData', 'readyForQuery', 'rowDescription', 'dataRow', 'commandComplete',
      'parseComplete', 'bindComplete', 'parameterDescription', 'copyInResponse', 'notification',
    ]);
    expect(msgs[1]).toMatchObject({ parameterName: 'server_version', parameterValue: '15.0 (Palisade)' });
    expect(msgs[2]).toMatchObject({ processID: 1234, secretKey: -5 });
    expect(msgs[3]).toMatchObject({ status: 'I' });
    expect((msgs[4] as unknown as { fields: unknown[] }).fields).toEqual([
      expect.objectContaining({ name: 'id', tableID: 16384, columnID: 1, dataTypeID: 23, dataTypeSize: 4, dataTypeModifier: -1, format: 'text' }),
      expect.objectContaining({ name: 'näme', dataTypeID: 25 }),
    ]);
    expect(msgs[5]).toMatchObject({ fields: ['1', null] });
    expect(msgs[6]).toMatchObject({ text: 'SELECT 1' });
    expect(msgs[9]).toMatchObject({ dataTypeIDs: [23, 25] });
    expect(msgs[11]).toMatchObject({ processId: 77, channel: 'chan', payload: 'payload' });
  });

  it('[PR11] error and notice responses carry every field of the PgError', () => {
    const e = new PgError(SqlState.UNIQUE_VIOLATION, 'duplicate key value violates unique constraint "t_pkey"', {
      detail: 'Key (id)=(1) already exists.', schema: 'public', table: 't', constraint: 't_pkey', position: 3, hint: 'h', where: 'w',
    });
    const w = new MessageWriter();
    errorResponse(w, errorFieldsOf(e));
    noticeResponse(w, { severity: 'NOTICE', code: '00000', message: 'table "x" does not exist, skipping' });
    const [err, notice] = parseBackend(w.flush());
    expect(err).toMatchObject({
      name: 'error', severity: 'ERROR', code: '23505', message: e.message, detail: 'Key (id)=(1) already exists.',
      schema: 'public', table: 't', constraint: 't_pkey', position: '3', hint: 'h', where: 'w',
    });
    expect(notice).toMatchObject({ name: 'notice', severity: 'NOTICE', message: 'table "x" does not exist, skipping' });
  });

  it('[PR10] authentication requests', () => {
    const w = new MessageWriter();
    authenticationMD5Password(w, Uint8Array.of(1, 2, 3, 4));
    authenticationSASL(w, ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    const [md5, sasl] = parseBackend(w.flush());
    expect(md5).toMatchObject({ name: 'authenticationMD5Password' });
    expect(Buffer.from(md5!.salt as Uint8Array)).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(sasl).toMatchObject({ name: 'authenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] });
  });
});
