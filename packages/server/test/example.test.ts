// The embedded-server example runs: node-postgres authenticates with SCRAM and gets `SELECT 1`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { exampleEngine } from '../examples/embedded-server.ts';
import { startTestServer, type TestServer } from './support/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ hba: 'host app app 127.0.0.1/32 scram-sha-256\n', engine: exampleEngine });
});
afterAll(async () => {
  await server?.close();
});

describe('examples/embedded-server.ts', () => {
  it('[AUTHN3][SESS1] an EngineBackend of 40 lines is enough for a real client', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'app', password: 'app-password', database: 'app' });
    await client.connect();
    expect((await client.query('SELECT 1')).rows).toEqual([{ '?column?': 1 }]);
    await expect(client.query('SELECT 2')).rejects.toMatchObject({ code: '0A000', message: 'this example only answers SELECT 1' });
    await client.end();
  });
});
