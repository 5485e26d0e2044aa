// The session loop and connection handling against a running postmaster: simple and extended
// protocol (error recovery, pipelining, Flush), protocol violations, cancel, statement_timeout,
// idle_in_transaction_session_timeout, connection slots, authentication_timeout, A24.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { acquireExclusive, startTestServer, type TestServer } from './support/harness.ts';
import { PASSWORDS } from './support/engine-double.ts';
import { RawClient, errorFields, message, msg, startupPacket } from './support/raw-client.ts';

const HBA = `host all all,+staff 127.0.0.1/32 trust
local all alice scram-sha-256
local all all trust
`;
// Line 1 trusts TCP: this is a throw-away test server on loopback.

let server: TestServer;
let releaseExclusive: (() => void) | undefined;
beforeAll(async () => {
  // Not while the timing test measures: this file's clients (psql, TLS) load the machine.
  releaseExclusive = await acquireExclusive();
  server = await startTestServer({ hba: HBA, settings: { max_connections: 6, superuser_reserved_connections: 2, authentication_timeout: 1 } });
});
afterAll(async () => {
  releaseExclusive?.();
  await server?.close();
});

async function rawSession(params: Record<string, string> = {}): Promise<RawClient> {
  const c = await RawClient.connect({ port: server.port });
  c.write(startupPacket({ user: 'alice', database: 'postgres', ...params }));
  const startup = await c.until('Z');
  expect(startup.map((m) => m.type)).toEqual(['R', ...Array(13).fill('S'), 'K', 'Z']);
  return c;
}

const types = (ms: { type: string }[]) => ms.map((m) => m.type).join('');

describe('session loop', () => {
  it('[SESS1] simple query: rows, several statements, 0A000 with every field, ReadyForQuery status I/T/E', async () => {
    const c = await rawSession();
    c.write(msg.query('SELECT 1; SELECT current_user'));
    expect(types(await c.until('Z'))).toBe('TDCTDCZ');
    c.write(msg.query('BEGIN'));
    const begun = await c.until('Z');
    expect(begun.at(-1)!.body.toString()).toBe('T');
    c.write(msg.query('SELECT nonsense'));
    const failed = await c.until('Z');
    expect(types(failed)).toBe('EZ');
    expect(errorFields(failed[0]!.body)).toMatchObject({ S: 'ERROR', V: 'ERROR', C: '0A000' });
    expect(failed[1]!.body.toString()).toBe('E');
    c.write(msg.query('ROLLBACK'));
    const rolled = await c.until('Z');
    expect(rolled.at(-1)!.body.toString()).toBe('I');
    c.write(msg.query(''));
    expect(types(await c.until('Z'))).toBe('IZ');
    c.write(msg.terminate());
    await c.closedByServer();
  });

  it('[SESS2] extended protocol: after an error, messages are skipped until Sync; pipelined batches answer in order', async () => {
    const c = await rawSession();
    c.write(Buffer.concat([
      msg.parse('', 'DELETE FROM t'), msg.bind('', ''), msg.execute(''), msg.sync(),
      msg.parse('s1', 'SELECT 1'), msg.bind('', 's1'), msg.describePortal(''), msg.execute(''), msg.sync(),
      msg.parse('s2', 'SELECT $1'), msg.sync(),
    ]));
    const first = await c.until('Z');
    expect(types(first)).toBe('EZ');
    expect(errorFields(first[0]!.body).C).toBe('0A000');
    expect(types(await c.until('Z'))).toBe('12TDCZ');
    expect(types(await c.until('Z'))).toBe('1Z');
    c.end();
  });

  it('[SESS3] Flush sends pending responses without ending the implicit transaction', async () => {
    const c = await rawSession();
    c.write(Buffer.concat([msg.parse('a', 'SELECT 1'), msg.flush()]));
    expect((await c.next())!.type).toBe('1');
    c.write(msg.sync());
    expect(types(await c.until('Z'))).toBe('Z');
    c.end();
  });

  it('[SESS4][PR7] a protocol violation is FATAL 08P01 for that connection only', async () => {
    const c = await rawSession();
    const other = await rawSession();
    c.write(message('z', Buffer.from('junk')));
    const m = await c.next();
    expect(errorFields(m!.body)).toMatchObject({ S: 'FATAL', C: '08P01', M: 'invalid frontend message type 122' });
    await c.closedByServer();
    other.write(msg.query('SELECT 1'));
    expect(types(await other.until('Z'))).toBe('TDCZ');
    other.end();
  });

  it('[SESS5][PM5] CancelRequest with the right key cancels the running query (57014); a wrong key does nothing', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'alice', database: 'postgres' });
    await client.connect();
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    const sendCancel = async (key: number) => {
      const c = await RawClient.connect({ port: server.port });
      const p = Buffer.alloc(16);
      p.writeInt32BE(16, 0);
      p.writeInt32BE(80877102, 4);
      p.writeInt32BE(processID, 8);
      p.writeInt32BE(key, 12);
      c.write(p);
      await c.closedByServer();
    };
    const wrong = client.query('SELECT pg_sleep(0.3)');
    await new Promise((r) => setTimeout(r, 50));
    await sendCancel(secretKey ^ 1);
    await expect(wrong).resolves.toMatchObject({ rowCount: 1 });
    const running = client.query('SELECT pg_sleep(30)').then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await sendCancel(secretKey);
    expect(await running).toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
    expect((await client.query('SELECT 1')).rows).toEqual([{ '?column?': 1 }]);
    await client.end();
  });

  it('[SESS6] statement_timeout aborts the statement through its AbortSignal', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'alice', database: 'postgres', statement_timeout: 100 });
    await client.connect();
    await expect(client.query('SELECT pg_sleep(30)')).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    await client.end();
  });

  it('[SESS7] idle_in_transaction_session_timeout ends the session with FATAL 25P03', async () => {
    const c = await rawSession({ idle_in_transaction_session_timeout: '150' });
    c.write(msg.query('BEGIN'));
    await c.until('Z');
    const m = await c.next();
    expect(errorFields(m!.body)).toMatchObject({ S: 'FATAL', C: '25P03', M: 'terminating connection due to idle-in-transaction timeout' });
    await c.closedByServer();
  });

  it('[PM4][A20] connection slots: reserved slots refuse non-superusers (53300), then "sorry, too many clients already"', async () => {
    const clients: pg.Client[] = [];
    const connect = async (user: string) => {
      const c = new pg.Client({ host: '127.0.0.1', port: server.port, user, database: 'postgres', password: user === 'su' ? PASSWORDS.su : '' });
      c.on('error', () => undefined);
      try {
        await c.connect();
        clients.push(c);
        return 'ok';
      } catch (e) {
        return `${(e as { code: string }).code} ${(e as Error).message}`;
      }
    };
    try {
      for (let i = 0; i < 4; i++) expect(await connect('alice')).toBe('ok');
      expect(await connect('alice')).toBe('53300 remaining connection slots are reserved for non-replication superuser connections');
      expect(await connect('su')).toBe('ok');
      expect(await connect('su')).toBe('ok');
      expect(await connect('su')).toBe('53300 sorry, too many clients already');
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('[PM11][A22] authentication_timeout closes silently and logs FATAL 57014 only to the server log', async () => {
    const c = await RawClient.connect({ port: server.port });
    c.write(startupPacket({ user: 'alice' }).subarray(0, 6));
    const rest = await c.closedByServer();
    expect(rest.length).toBe(0);
    expect(server.logs.join('\n')).toMatch(/FATAL:  canceling authentication due to timeout/);
  });

  it('[PM12][A24] a client that disconnects mid-authentication leaves no FATAL line', async () => {
    const path = `${server.socketDir}/.s.PGSQL.${server.port}`;
    const c = await RawClient.connect({ path });
    const before = server.logs.length;
    c.write(startupPacket({ user: 'alice', database: 'postgres' }));
    const challenge = await c.next();
    expect(challenge!.type).toBe('R');
    expect(challenge!.body.readInt32BE(0)).toBe(10);
    c.end();
    await new Promise((r) => setTimeout(r, 100));
    expect(server.logs.slice(before).filter((l) => l.includes('FATAL'))).toEqual([]);
  });

  it('[PM5][PR3] SSLRequest without ssl and GSSENCRequest are answered N; NegotiateProtocolVersion for 3.1 and _pq_ options', async () => {
    const c = await RawClient.connect({ port: server.port });
    const req = (code: number) => { const b = Buffer.alloc(8); b.writeInt32BE(8, 0); b.writeInt32BE(code, 4); return b; };
    c.write(req(80877103));
    expect(await c.byte()).toBe('N');
    c.write(req(80877104));
    expect(await c.byte()).toBe('N');
    c.write(startupPacket({ user: 'alice', database: 'postgres', '_pq_.compression': 'on' }, (3 << 16) | 1));
    const msgs = await c.until('Z');
    expect(msgs[0]!.type).toBe('v');
    expect(msgs[0]!.body.readInt32BE(0)).toBe(0);
    expect(msgs[0]!.body.readInt32BE(4)).toBe(1);
    expect(msgs[0]!.body.subarray(8).toString()).toBe('_pq_.compression\0');
    expect(types(msgs.slice(1))).toMatch(/^RS+KZ$/);
    c.end();
  });

  it('[AUTHN9] ParameterStatus carries server_version, encodings, is_superuser and session_authorization', async () => {
    const c = await RawClient.connect({ port: server.port });
    c.write(startupPacket({ user: 'alice', database: 'postgres', application_name: 'raw', client_encoding: 'utf-8' }));
    const msgs = await c.until('Z');
    const params = Object.fromEntries(msgs.filter((m) => m.type === 'S').map((m) => m.body.toString().split('\0').slice(0, 2)));
    expect(params).toMatchObject({
      application_name: 'raw', client_encoding: 'UTF8', DateStyle: 'ISO, MDY', integer_datetimes: 'on', standard_conforming_strings: 'on', server_encoding: 'UTF8',
      is_superuser: 'off', session_authorization: 'alice', in_hot_standby: 'off', IntervalStyle: 'postgres', default_transaction_read_only: 'off',
    });
    expect(params.server_version).toMatch(/^15\.0 \(Palisade \d+\.\d+\.\d+\)$/);
    c.end();
  });
});
