import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoServer } from '../examples/echo-server.ts';
import { parseBackend } from './helpers.ts';

let stop: () => Promise<void>;
let port = 0;
beforeAll(async () => {
  const s = await startEchoServer();
  port = s.port;
  stop = () => new Promise((resolve) => s.server.close(() => resolve()));
});
afterAll(async () => stop());

describe('the README example: an echo server that real clients talk to', () => {
  it('[PR10] node-postgres connects, queries and disconnects', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'alice', database: 'x' });
    await client.connect();
    const r = await client.query('SELECT $$hello$$');
    expect(r.rows).toEqual([{ echo: 'SELECT $$hello$$' }]);
    expect(r.command).toBe('SELECT');
    await client.end();
  });

  it('[PR3] node-postgres with sslmode prefer falls back after an SSL refusal', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'alice', ssl: false });
    await client.connect();
    expect((await client.query('x')).rows[0].echo).toBe('x');
    await client.end();
  });

  it('[PR1] a hostile startup length closes that connection with a FATAL error; others carry on', async () => {
    const bytes = await new Promise<Buffer>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff)));
      const chunks: Buffer[] = [];
      s.on('data', (c) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks)));
    });
    expect(parseBackend(bytes)[0]).toMatchObject({ name: 'error', severity: 'FATAL', code: '08P01', message: 'invalid length of startup packet' });
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'bob' });
    await client.connect();
    expect((await client.query('still here')).rows[0].echo).toBe('still here');
    await client.end();
  });
});
