// End-to-end authentication with real clients (node-postgres, postgres.js, psql) against a
// postmaster on 127.0.0.1 and a temp Unix socket, with TLS from a generated CA.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import postgres from 'postgres';
import { readFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { acquireExclusive, makeCerts, startTestServer, type Certs, type TestServer } from './support/harness.ts';
import { PASSWORDS } from './support/engine-double.ts';

const run = promisify(execFile);

const HBA = `# test rules
local   all        carol                       trust
local   all        all                         scram-sha-256
host    rejected   all        127.0.0.1/32     reject
hostssl all        certuser   127.0.0.1/32     cert
host    all        bob        127.0.0.1/32     md5
host    all        alice      127.0.0.1/32     md5
host    all        pwuser,dave 127.0.0.1/32    password
hostssl sslonly    all        127.0.0.1/32     scram-sha-256
host    all        +staff     127.0.0.1/32     scram-sha-256
host    postgres,app,restricted all 127.0.0.1/32 scram-sha-256
`;

let server: TestServer;
let certs: Certs;

let releaseExclusive: (() => void) | undefined;
beforeAll(async () => {
  // Not while the timing test measures: this file's clients (psql, TLS) load the machine.
  releaseExclusive = await acquireExclusive();
  certs = makeCerts();
  server = await startTestServer({ hba: HBA, certs, settings: { log_connections: 'on', log_disconnections: 'on' } });
});
afterAll(async () => {
  releaseExclusive?.();
  await server?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

async function pgConnect(o: { user: string; password?: string; database?: string; ssl?: pg.ClientConfig['ssl']; host?: string }): Promise<{ ok: true; user: string } | { ok: false; code: string; message: string; severity: string }> {
  const client = new pg.Client({ host: o.host ?? '127.0.0.1', port: server.port, user: o.user, database: o.database ?? 'postgres', ...(o.password !== undefined ? { password: o.password } : {}), ...(o.ssl ? { ssl: o.ssl } : {}) });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query('SELECT current_user');
    await client.end();
    return { ok: true, user: r.rows[0].current_user as string };
  } catch (e) {
    const err = e as { code: string; message: string; severity: string };
    await client.end().catch(() => undefined);
    return { ok: false, code: err.code, message: err.message, severity: err.severity };
  }
}

describe('authentication with node-postgres', () => {
  it('[AUTHN3][A31] scram-sha-256: right password connects, wrong password is 28P01', async () => {
    expect(await pgConnect({ user: 'alice', password: PASSWORDS.alice })).toEqual({ ok: true, user: 'alice' });
    expect(await pgConnect({ user: 'alice', password: 'wrong' })).toEqual({ ok: false, code: '28P01', severity: 'FATAL', message: 'password authentication failed for user "alice"' });
  });

  it('[AUTHN4][A17][A18] missing role, NULL password and expired password fail exactly like a wrong password', async () => {
    for (const user of ['nosuchrole', 'carol']) {
      expect(await pgConnect({ user, password: 'whatever' })).toEqual({ ok: false, code: '28P01', severity: 'FATAL', message: `password authentication failed for user "${user}"` });
    }
    expect(await pgConnect({ user: 'dave', password: PASSWORDS.dave })).toEqual({ ok: false, code: '28P01', severity: 'FATAL', message: 'password authentication failed for user "dave"' });
    const log = server.logs.join('\n');
    expect(log).toContain('DETAIL:  Role "nosuchrole" does not exist.');
    expect(log).toContain('User "carol" has no password assigned.');
    expect(log).toContain('User "dave" has an expired password.');
    expect(log).toContain('Connection matched pg_hba.conf line 11: "host    postgres,app,restricted all 127.0.0.1/32 scram-sha-256"');
  });

  it('[AUTHN5][A27][A28] md5 record: MD5 exchange for an MD5 secret, SCRAM for a SCRAM secret', async () => {
    expect(await pgConnect({ user: 'bob', password: PASSWORDS.bob })).toEqual({ ok: true, user: 'bob' });
    expect(await pgConnect({ user: 'bob', password: 'nope' })).toMatchObject({ ok: false, code: '28P01', message: 'password authentication failed for user "bob"' });
    expect(await pgConnect({ user: 'alice', password: PASSWORDS.alice })).toEqual({ ok: true, user: 'alice' });
  });

  it('[AUTHN6][A28] password (cleartext) record verifies against the stored SCRAM secret; expired VALID UNTIL fails', async () => {
    expect(await pgConnect({ user: 'dave', password: 'x' })).toMatchObject({ ok: false, code: '28P01' });
    expect(await pgConnect({ user: 'pwuser', password: 'x' })).toMatchObject({ ok: false, code: '28P01', message: 'password authentication failed for user "pwuser"' });
  });

  it('[AUTHN1][A15] reject record and no matching record: 28000 with PostgreSQL\'s wording', async () => {
    expect(await pgConnect({ user: 'alice', password: PASSWORDS.alice, database: 'rejected' })).toEqual({
      ok: false, code: '28000', severity: 'FATAL', message: 'pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "rejected", no encryption',
    });
    expect(await pgConnect({ user: 'alice', password: PASSWORDS.alice, database: 'rejected', ssl: { rejectUnauthorized: false } })).toMatchObject({
      ok: false, code: '28000', message: 'pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "rejected", SSL encryption',
    });
    expect(await pgConnect({ user: 'noconnect', password: PASSWORDS.noconnect, database: 'other' }).then(async (plain) => [plain, await pgConnect({ user: 'su', password: PASSWORDS.su, database: 'other' })])).toEqual([
      { ok: false, code: '28000', severity: 'FATAL', message: 'no pg_hba.conf entry for host "127.0.0.1", user "noconnect", database "other", no encryption' },
      { ok: false, code: '28000', severity: 'FATAL', message: 'no pg_hba.conf entry for host "127.0.0.1", user "su", database "other", no encryption' },
    ]);
  });

  it('[AUTHN7][A19] NOLOGIN and CONNECTION LIMIT are checked after authentication', async () => {
    expect(await pgConnect({ user: 'nologin', password: PASSWORDS.nologin })).toEqual({ ok: false, code: '28000', severity: 'FATAL', message: 'role "nologin" is not permitted to log in' });
    const first = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'limited', password: PASSWORDS.limited, database: 'postgres' });
    await first.connect();
    expect(await pgConnect({ user: 'limited', password: PASSWORDS.limited })).toEqual({ ok: false, code: '53300', severity: 'FATAL', message: 'too many connections for role "limited"' });
    await first.end();
  });

  it('[AUTHN8][A20] database checks after authentication: 3D000 and 42501 with DETAIL', async () => {
    expect(await pgConnect({ user: 'alice', password: PASSWORDS.alice, database: 'nodb' })).toEqual({ ok: false, code: '3D000', severity: 'FATAL', message: 'database "nodb" does not exist' });
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'noconnect', password: PASSWORDS.noconnect, database: 'restricted' });
    const err = await client.connect().then(() => null, (e: unknown) => e as { code: string; message: string; detail: string });
    expect(err).toMatchObject({ code: '42501', message: 'permission denied for database "restricted"', detail: 'User does not have CONNECT privilege.' });
  });

  it('[AUTHN1][A5] +role membership selects the record', async () => {
    const log = server.logs.length;
    expect(await pgConnect({ user: 'alice', password: PASSWORDS.alice })).toEqual({ ok: true, user: 'alice' });
    expect(server.logs.slice(log).join('\n')).toContain('method=md5');
  });

  it('[AUTHN9] ParameterStatus, BackendKeyData and ReadyForQuery follow AuthenticationOk', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'alice', password: PASSWORDS.alice, database: 'app', application_name: 'tester' });
    await client.connect();
    const params = (client as unknown as { connection: unknown; processID: number; secretKey: number; _parameters?: unknown });
    expect(params.processID).toBeGreaterThan(0);
    const r = await client.query('SELECT 1');
    expect(r.rows).toEqual([{ '?column?': 1 }]);
    await client.end();
  });
});

describe('TLS', () => {
  it('[PM6][AUTHN3][A31][A32] postgres.js connects with SCRAM-SHA-256-PLUS (tls-server-end-point) over TLS', async () => {
    const sql = postgres({ host: '127.0.0.1', port: server.port, user: 'su', pass: PASSWORDS.su, database: 'sslonly', ssl: { ca: readFileSync(certs.caCert), servername: 'localhost' }, max: 1, onnotice: () => undefined });
    // sslonly is not a database: authentication succeeds (PLUS), then the database check fails.
    const err = await sql`SELECT 1`.then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: '3D000', message: 'database "sslonly" does not exist' });
    await sql.end();
    expect(server.logs.join('\n')).toMatch(/connection authenticated: identity="su" method=scram-sha-256 \(.*pg_hba.conf:9\)/);
  });

  it('[AUTHN3][A31] psql with channel_binding=require connects over TLS; wrong password is 28P01', async () => {
    const env = { ...process.env, PGPASSWORD: PASSWORDS.alice, PGSSLMODE: 'verify-ca', PGSSLROOTCERT: certs.caCert, PGCHANNELBINDING: 'require', PGCONNECT_TIMEOUT: '10' };
    const ok = await run('psql', ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'su', '-d', 'postgres', '-At', '-c', 'SELECT current_user'], { env: { ...env, PGPASSWORD: PASSWORDS.su } });
    expect(ok.stdout.trim()).toBe('su');
    const bad = await run('psql', ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'su', '-d', 'postgres', '-At', '-c', 'SELECT 1'], { env: { ...env, PGPASSWORD: 'wrong' } }).then(() => null, (e: { stderr: string }) => e.stderr);
    expect(bad).toContain('FATAL:  password authentication failed for user "su"');
  });

  it('[AUTHN11][A23] cert: a client certificate signed by the CA with CN = user connects; a self-signed one does not', async () => {
    const ca = readFileSync(certs.caCert);
    expect(await pgConnect({ user: 'certuser', ssl: { ca, servername: 'localhost', cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } })).toEqual({ ok: true, user: 'certuser' });
    expect(await pgConnect({ user: 'certuser', ssl: { ca, servername: 'localhost', cert: readFileSync(certs.rogueCert), key: readFileSync(certs.rogueKey) } })).toEqual({
      ok: false, code: '28000', severity: 'FATAL', message: 'connection requires a valid client certificate',
    });
    expect(await pgConnect({ user: 'certuser', ssl: { ca, servername: 'localhost' } })).toMatchObject({ ok: false, code: '28000', message: 'connection requires a valid client certificate' });
  });
});

describe('Unix socket and psql', () => {
  it('[PM3][AUTHN2] psql over the Unix socket: trust record and scram record', async () => {
    const base = ['-h', server.socketDir, '-p', String(server.port), '-d', 'postgres', '-At', '-c', 'SELECT current_user'];
    const trusted = await run('psql', ['-U', 'carol', ...base], { env: { ...process.env, PGPASSWORD: '' } });
    expect(trusted.stdout.trim()).toBe('carol');
    const scram = await run('psql', ['-U', 'alice', ...base], { env: { ...process.env, PGPASSWORD: PASSWORDS.alice } });
    expect(scram.stdout.trim()).toBe('alice');
    const wrong = await run('psql', ['-U', 'alice', ...base], { env: { ...process.env, PGPASSWORD: 'nope' } }).then(() => null, (e: { stderr: string }) => e.stderr);
    expect(wrong).toContain('FATAL:  password authentication failed for user "alice"');
  });

  it('[AUTHN12] log_connections and log_disconnections lines as PostgreSQL words them', () => {
    const log = server.logs.join('\n');
    expect(log).toMatch(/LOG:  connection received: host=127\.0\.0\.1 port=\d+/);
    expect(log).toContain('LOG:  connection received: host=[local]');
    expect(log).toMatch(/LOG:  connection authorized: user=alice database=postgres/);
    expect(log).toMatch(/LOG:  disconnection: session time: \d+:\d\d:\d\d\.\d{3} user=alice database=postgres host=127\.0\.0\.1 port=\d+/);
  });
});
