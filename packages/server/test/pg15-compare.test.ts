// Side by side with PostgreSQL 15 (pgcluster): the same pg_hba.conf and roles, the same
// connection attempts through node-postgres; SQLSTATE, severity, message and DETAIL must be
// identical, and so must the reason PostgreSQL writes to its log (A15–A20, A28).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type RunningCluster } from '@palisade/pgcluster';
import { startTestServer, withExclusive, type TestServer } from './support/harness.ts';
import { PASSWORDS } from './support/engine-double.ts';

const HBA = `local   all        postgres                     trust
host    rejected   all        127.0.0.1/32      reject
host    all        bob        127.0.0.1/32      md5
host    all        pwuser,dave 127.0.0.1/32     password
host    postgres,app,restricted,nodb all 127.0.0.1/32 scram-sha-256
`;

const SETUP = [
  `CREATE ROLE alice LOGIN PASSWORD '${PASSWORDS.alice}'`,
  `SET password_encryption = 'md5'`,
  `CREATE ROLE bob LOGIN PASSWORD '${PASSWORDS.bob}'`,
  `RESET password_encryption`,
  `CREATE ROLE carol LOGIN`,
  `CREATE ROLE dave LOGIN PASSWORD '${PASSWORDS.dave}' VALID UNTIL '2001-01-01 00:00:00+00'`,
  `CREATE ROLE nologin NOLOGIN PASSWORD '${PASSWORDS.nologin}'`,
  `CREATE ROLE noconnect LOGIN PASSWORD '${PASSWORDS.noconnect}'`,
  `CREATE DATABASE app`,
  `CREATE DATABASE restricted`,
  `REVOKE CONNECT ON DATABASE restricted FROM PUBLIC`,
];

const CASES: Array<{ name: string; user: string; password: string; database: string }> = [
  { name: 'scram, right password', user: 'alice', password: PASSWORDS.alice, database: 'postgres' },
  { name: 'scram, wrong password', user: 'alice', password: 'wrong', database: 'postgres' },
  { name: 'scram, missing role', user: 'nosuchrole', password: 'x', database: 'postgres' },
  { name: 'scram, NULL password', user: 'carol', password: 'x', database: 'app' },
  { name: 'md5 secret, right password', user: 'bob', password: PASSWORDS.bob, database: 'postgres' },
  { name: 'md5 secret, wrong password', user: 'bob', password: 'wrong', database: 'postgres' },
  { name: 'password, expired', user: 'dave', password: PASSWORDS.dave, database: 'postgres' },
  { name: 'password, missing role', user: 'pwuser', password: 'x', database: 'postgres' },
  { name: 'reject record', user: 'alice', password: PASSWORDS.alice, database: 'rejected' },
  { name: 'no record', user: 'alice', password: PASSWORDS.alice, database: 'other' },
  { name: 'NOLOGIN', user: 'nologin', password: PASSWORDS.nologin, database: 'postgres' },
  { name: 'missing database', user: 'alice', password: PASSWORDS.alice, database: 'nodb' },
  { name: 'no CONNECT privilege', user: 'noconnect', password: PASSWORDS.noconnect, database: 'restricted' },
];

let cluster: RunningCluster;
let server: TestServer;

beforeAll(async () => {
  // initdb and PostgreSQL's start-up are heavy: not while the timing test measures.
  [cluster, server] = await withExclusive(() => Promise.all([startPostgres({ hba: HBA }), startTestServer({ hba: HBA })]));
  const admin = new pg.Client({ host: cluster.socketDir, port: cluster.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  for (const sql of SETUP) await admin.query(sql);
  await admin.end();
});
afterAll(async () => {
  await Promise.all([cluster?.stop(), server?.close()]);
});

async function attempt(port: number, c: (typeof CASES)[number]): Promise<unknown> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: c.user, password: c.password, database: c.database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query('SELECT 1');
    await client.end();
    return { ok: r.rowCount };
  } catch (e) {
    const err = e as { code?: string; severity?: string; message: string; detail?: string };
    return { code: err.code, severity: err.severity, message: err.message, detail: err.detail };
  }
}

describe('the same connection attempts against PostgreSQL 15 and Palisade', () => {
  it('[AUTHN1][AUTHN3][AUTHN4][AUTHN5][AUTHN7][AUTHN8][A15][A16][A17][A19][A20][A28] give identical results on the wire', async () => {
    const pgResults: unknown[] = [];
    const ourResults: unknown[] = [];
    for (const c of CASES) {
      pgResults.push({ case: c.name, result: await attempt(cluster.port, c) });
      ourResults.push({ case: c.name, result: await attempt(server.port, c) });
    }
    expect(pgResults[0]).toEqual({ case: 'scram, right password', result: { ok: 1 } });
    expect(ourResults).toEqual(pgResults);
  });

  it('[AUTHN4][A17] the failure reason reaches the server log as PostgreSQL writes it', async () => {
    const pgLog = await cluster.log();
    const ours = server.logs.join('\n');
    for (const text of [
      'DETAIL:  Role "nosuchrole" does not exist.',
      'DETAIL:  User "carol" has no password assigned.',
      'DETAIL:  User "dave" has an expired password.',
      '\tConnection matched pg_hba.conf line 5: "host    postgres,app,restricted,nodb all 127.0.0.1/32 scram-sha-256"',
      'FATAL:  password authentication failed for user "pwuser"',
    ]) {
      expect([pgLog.includes(text), ours.includes(text)]).toEqual([true, true]);
    }
  });
});
