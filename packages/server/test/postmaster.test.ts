// The postmaster's lifecycle: secure defaults, data directory checks, postmaster.pid, the Unix
// socket and its lock file, TLS key permissions, reload (A11) and the three shutdown modes.

import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { NodeFileSystem, isPgError } from '@palisade/common';
import { loadServerSettings, reportedParameters, startPostmaster } from '../src/index.ts';
import { TestEngine } from './support/engine-double.ts';
import { makeCerts, makeDataDir, startTestServer, type TestServer } from './support/harness.ts';
import { RawClient, errorFields, msg, startupPacket } from './support/raw-client.ts';

const TRUST = 'host all all 127.0.0.1/32 trust\nlocal all all trust\n';
const started: TestServer[] = [];
afterAll(async () => {
  for (const s of started) await s.close();
});
async function start(o: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(o);
  started.push(s);
  return s;
}
async function query(s: TestServer, user = 'alice'): Promise<unknown> {
  const c = new pg.Client({ host: '127.0.0.1', port: s.port, user, database: 'postgres' });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query('SELECT 1');
    await c.end();
    return r.rows;
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
}
async function startFailure(dataDir: string, settings: Record<string, string> = {}): Promise<unknown> {
  try {
    const pm = await startPostmaster({ dataDir, engine: new TestEngine(), log: () => undefined, settings: { listen_addresses: '127.0.0.1', port: 1, unix_socket_directories: '', ...settings } });
    await pm.stop('immediate');
    return 'started';
  } catch (e) {
    if (!isPgError(e)) throw e;
    return { code: e.code, message: e.message, detail: e.detail, hint: e.hint };
  }
}

describe('postmaster', () => {
  it('[PM1] secure defaults: listen_addresses = localhost, port 5432, TLS minimum 1.2, throttling on', async () => {
    const dir = makeDataDir(TRUST);
    const { settings } = await loadServerSettings(new NodeFileSystem(), dir, {});
    expect(settings).toMatchObject({
      listenAddresses: ['localhost'], port: 5432, sslMinProtocolVersion: 'TLSv1.2', authenticationTimeoutMs: 60_000, maxConnections: 100,
      superuserReservedConnections: 3, authFailureThrottle: true, authFailureDelayMs: 250, connectionRateLimit: 10, passwordEncryption: 'scram-sha-256',
    });
    rmSync(dir, { recursive: true });
  });

  it('[PM8] refuses a data directory with group or world permissions, with PostgreSQL\'s message and DETAIL', async () => {
    const dir = makeDataDir(TRUST);
    chmodSync(dir, 0o777);
    expect(await startFailure(dir)).toEqual({
      code: '55000', message: `data directory "${dir}" has invalid permissions`, detail: 'Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).', hint: undefined,
    });
    chmodSync(dir, 0o750);
    // 0750 passes the directory check: what fails now is the port.
    expect(await startFailure(dir, { port: '0' })).toMatchObject({ code: 'F0000', detail: expect.stringContaining('"port"') });
    rmSync(dir, { recursive: true });
  });

  it('[PM6] refuses a TLS private key readable by group or others', async () => {
    const certs = makeCerts();
    chmodSync(certs.serverKey, 0o644);
    const dir = makeDataDir(TRUST);
    expect(await startFailure(dir, { ssl: 'on', ssl_cert_file: certs.serverCert, ssl_key_file: certs.serverKey })).toMatchObject({
      code: 'F0000', message: `private key file "${certs.serverKey}" has group or world access`,
    });
    rmSync(dir, { recursive: true });
    rmSync(certs.dir, { recursive: true });
  });

  it('[PM9][PM3] postmaster.pid in PostgreSQL\'s format, socket with unix_socket_permissions and a lock file; all removed at stop', async () => {
    const s = await startTestServer({ hba: TRUST, settings: { unix_socket_permissions: '0770' } });
    const pidPath = `${s.dataDir}/postmaster.pid`;
    const lines = readFileSync(pidPath, 'utf8').split('\n');
    expect(lines.slice(0, 8)).toEqual([String(process.pid), s.dataDir, expect.stringMatching(/^\d+$/), String(s.port), s.socketDir, '127.0.0.1', '        0         0', 'ready   ']);
    const sock = `${s.socketDir}/.s.PGSQL.${s.port}`;
    expect(statSync(sock).mode & 0o777).toBe(0o770);
    expect(existsSync(`${sock}.lock`)).toBe(true);
    expect(statSync(pidPath).mode & 0o777).toBe(0o600);
    const again = await startFailure(s.dataDir);
    expect(again).toMatchObject({ code: 'F0001', message: 'lock file "postmaster.pid" already exists' });
    await s.pm.stop('fast');
    expect([existsSync(pidPath), existsSync(sock), existsSync(`${sock}.lock`)]).toEqual([false, false, false]);
    expect(s.logs.join('\n')).toContain('LOG:  database system is shut down');
    await s.close();
  });

  it('[PM10][A11] reload applies a valid pg_hba.conf and keeps the old rules when the new file has errors', async () => {
    const s = await start({ hba: TRUST });
    expect(await query(s)).toEqual([{ '?column?': 1 }]);
    writeFileSync(`${s.dataDir}/pg_hba.conf`, 'host all all 127.0.0.1/32 trust\nhost all all 10.0.0.0 bogus\n');
    expect(await s.pm.reload()).toMatchObject({ hbaReloaded: false });
    expect(s.logs.join('\n')).toContain('LOG:  pg_hba.conf was not reloaded');
    expect(await query(s)).toEqual([{ '?column?': 1 }]);
    writeFileSync(`${s.dataDir}/pg_hba.conf`, 'host all all 127.0.0.1/32 reject\n');
    expect(await s.pm.reload()).toMatchObject({ hbaReloaded: true });
    expect(await query(s)).toEqual({ code: '28000', message: 'pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "postgres", no encryption' });
  });

  it('[PM10] an invalid pg_hba.conf at start-up is FATAL', async () => {
    const dir = makeDataDir('host all all 127.0.0.1 trust\n');
    expect(await startFailure(dir)).toMatchObject({ code: 'F0000', message: 'could not load pg_hba.conf' });
    rmSync(dir, { recursive: true });
  });

  it('[PM7] fast shutdown terminates sessions with FATAL 57P01', async () => {
    const s = await startTestServer({ hba: TRUST });
    const c = await RawClient.connect({ port: s.port });
    c.write(startupPacket({ user: 'alice', database: 'postgres' }));
    await c.until('Z');
    const stopping = s.pm.stop('fast');
    const m = await c.next();
    expect(errorFields(m!.body)).toMatchObject({ S: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' });
    await stopping;
    await s.close();
  });

  it('[PM7] smart shutdown refuses new connections (57P03) and waits for sessions to end', async () => {
    const s = await startTestServer({ hba: TRUST });
    const c = await RawClient.connect({ port: s.port });
    c.write(startupPacket({ user: 'alice', database: 'postgres' }));
    await c.until('Z');
    let stopped = false;
    const stopping = s.pm.stop('smart').then(() => (stopped = true));
    expect(await query(s)).toEqual({ code: '57P03', message: 'the database system is shutting down' });
    c.write(msg.query('SELECT 1'));
    expect((await c.until('Z')).map((x) => x.type).join('')).toBe('TDCZ');
    expect(stopped).toBe(false);
    c.write(msg.terminate());
    await stopping;
    expect(stopped).toBe(true);
    await s.close();
  });

  it('[PM7] immediate shutdown drops connections at once', async () => {
    const s = await startTestServer({ hba: TRUST });
    const c = await RawClient.connect({ port: s.port });
    c.write(startupPacket({ user: 'alice', database: 'postgres' }));
    await c.until('Z');
    await s.pm.stop('immediate');
    await c.closedByServer();
    expect(c.closed).toBe(true);
    await s.close();
  });

  it('[PM9] a postmaster.pid left by a process that is gone is replaced', async () => {
    const dir = makeDataDir(TRUST);
    writeFileSync(`${dir}/postmaster.pid`, `2147483000\n${dir}\n0\n5432\n\n\n        0         0\nready   \n`, { mode: 0o600 });
    const s = await start({ hba: TRUST });
    const pm = await startPostmaster({ dataDir: dir, engine: new TestEngine(), log: () => undefined, settings: { listen_addresses: '127.0.0.1', port: s.port + 0, unix_socket_directories: '' } }).catch((e: Error) => e);
    // The port is taken by the other server, so the start fails at listening — after the lock file was taken over.
    expect(pm).toBeInstanceOf(Error);
    expect((pm as Error).message).toBe('could not create listen socket for "127.0.0.1"');
    expect(existsSync(`${dir}/postmaster.pid`)).toBe(false);
    rmSync(dir, { recursive: true });
  });

  it('[AUTHN9] ParameterStatus values in PostgreSQL 15\'s order, start-up parameters winning', async () => {
    const dir = makeDataDir(TRUST);
    const { settings } = await loadServerSettings(new NodeFileSystem(), dir, { TimeZone: 'Europe/Paris' });
    const params = reportedParameters(settings, '15.0 (Palisade 0.1.0)', new Map([['datestyle', 'German, DMY'], ['client_encoding', 'unicode']]), 'u', true);
    expect(params).toEqual([
      ['application_name', ''], ['client_encoding', 'UTF8'], ['DateStyle', 'German, DMY'], ['default_transaction_read_only', 'off'], ['in_hot_standby', 'off'],
      ['integer_datetimes', 'on'], ['IntervalStyle', 'postgres'], ['is_superuser', 'on'], ['server_encoding', 'UTF8'], ['server_version', '15.0 (Palisade 0.1.0)'],
      ['session_authorization', 'u'], ['standard_conforming_strings', 'on'], ['TimeZone', 'Europe/Paris'],
    ]);
    rmSync(dir, { recursive: true });
  });

  it('[PM6][A3] on the Unix socket SSLRequest is answered N even with ssl = on, and hostssl does not match', async () => {
    const certs = makeCerts();
    const s = await start({ hba: 'hostssl all all 127.0.0.1/32 trust\nlocal all alice trust\n', certs });
    const c = await RawClient.connect({ path: `${s.socketDir}/.s.PGSQL.${s.port}` });
    const req = Buffer.alloc(8);
    req.writeInt32BE(8, 0);
    req.writeInt32BE(80877103, 4);
    c.write(req);
    expect(await c.byte()).toBe('N');
    c.write(startupPacket({ user: 'alice', database: 'postgres' }));
    expect((await c.until('Z')).at(-1)!.type).toBe('Z');
    c.end();
    expect(await query(s)).toEqual({ code: '28000', message: 'no pg_hba.conf entry for host "127.0.0.1", user "alice", database "postgres", no encryption' });
    rmSync(certs.dir, { recursive: true });
  });
});
