// A protocol fuzzer against a running postmaster (SESS4, PM11, PR1–PR9): random bytes, mutated
// start-up packets and messages, truncated packets, huge length words, garbage after SSLRequest
// and slow-loris start-ups, for a bounded time, while another client keeps running queries.
// The server must never crash, must keep serving, and must not keep fuzz connections around.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { rmSync } from 'node:fs';
import { makeCerts, startTestServer, withExclusive, type Certs, type TestServer } from './support/harness.ts';
import { RawClient, message, msg, startupPacket } from './support/raw-client.ts';

const FUZZ_DURATION_MS = 8_000;
const FUZZ_CONCURRENCY = 6;
const SEED = Number(process.env.PALISADE_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let server: TestServer;
let certs: Certs;
beforeAll(async () => {
  certs = makeCerts();
  server = await startTestServer({
    hba: 'host all alice 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n', certs,
    settings: { authentication_timeout: 1, max_connections: 40, 'palisade.connection_rate_limit': 0 },
  });
});
afterAll(async () => {
  await server?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

function mutate(rand: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits && out.length > 0; i++) {
    const at = Math.floor(rand() * out.length);
    const kind = rand();
    if (kind < 0.5) out[at] = Math.floor(rand() * 256);
    else if (kind < 0.75) out.writeUInt8(0xff, at);
    else if (at + 4 <= out.length) out.writeInt32BE(Math.floor(rand() * 2 ** 31) * (rand() < 0.5 ? 1 : -1), at);
  }
  return rand() < 0.3 ? out.subarray(0, Math.floor(rand() * out.length)) : out;
}

const VALID_MESSAGES = [
  msg.query('SELECT 1'), msg.parse('s', 'SELECT $1'), msg.bind('', 's'), msg.describePortal(''), msg.execute(''), msg.sync(), msg.flush(),
  message('D', Buffer.from('Sx\0')), message('C', Buffer.from('Pp\0')), message('F', Buffer.alloc(10)), message('d', Buffer.from('copy')),
  message('p', Buffer.from('pw\0')),
];

async function oneCase(rand: () => number): Promise<void> {
  const c = await RawClient.connect({ port: server.port });
  const pick = rand();
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  try {
    if (pick < 0.15) {
      c.write(bytes(Math.floor(rand() * 64)));
    } else if (pick < 0.3) {
      c.write(mutate(rand, startupPacket({ user: 'alice', database: 'postgres', application_name: 'fuzz' })));
    } else if (pick < 0.4) {
      // Huge or negative length words, for the start-up packet and for a message.
      const huge = Buffer.alloc(8);
      huge.writeInt32BE(rand() < 0.5 ? 0x7fffffff : -5, 0);
      huge.writeInt32BE(196608, 4);
      c.write(huge);
    } else if (pick < 0.5) {
      // Slow loris: the start-up packet a byte at a time, slower than authentication_timeout allows.
      const p = startupPacket({ user: 'alice', database: 'postgres' });
      for (let i = 0; i < p.length && !c.closed; i++) {
        c.write(p.subarray(i, i + 1));
        await new Promise((r) => setTimeout(r, 150));
      }
    } else if (pick < 0.6) {
      // SSLRequest, then garbage instead of a TLS handshake.
      const ssl = Buffer.alloc(8);
      ssl.writeInt32BE(8, 0);
      ssl.writeInt32BE(80877103, 4);
      c.write(ssl);
      await c.byte();
      c.write(bytes(1 + Math.floor(rand() * 300)));
    } else if (pick < 0.7) {
      // A SCRAM start-up followed by malformed SASL messages.
      c.write(startupPacket({ user: 'bob', database: 'postgres' }));
      await c.next();
      c.write(mutate(rand, message('p', Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), Buffer.from([0, 0, 0, 12]), Buffer.from('n,,n=,r=abcd')]))));
    } else {
      // A real session, then mutated, truncated and oversized messages.
      c.write(startupPacket({ user: 'alice', database: 'postgres' }));
      await c.until('Z');
      for (let i = 0; i < 1 + Math.floor(rand() * 8) && !c.closed; i++) {
        const base = VALID_MESSAGES[Math.floor(rand() * VALID_MESSAGES.length)]!;
        const r = rand();
        if (r < 0.6) c.write(mutate(rand, base));
        else if (r < 0.8) c.write(base);
        else {
          const big = Buffer.alloc(5);
          big.write('Q', 0, 'latin1');
          big.writeInt32BE(0x3ffffff0 + Math.floor(rand() * 100), 1);
          c.write(big);
        }
      }
    }
    await Promise.race([c.closedByServer(), new Promise((r) => setTimeout(r, 50 + rand() * 300))]);
  } finally {
    c.end();
  }
}

describe('protocol fuzzer', () => {
  it(`[SESS4][PM11][PR9] random and mutated input for ${FUZZ_DURATION_MS / 1000} s: the server never crashes and keeps serving (seed ${SEED})`, () => withExclusive(async () => {
    const worker = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'alice', database: 'postgres' });
    await worker.connect();
    const deadline = Date.now() + FUZZ_DURATION_MS;
    let queries = 0;
    const working = (async () => {
      while (Date.now() < deadline) {
        const r = await worker.query('SELECT 1');
        expect(r.rows).toEqual([{ '?column?': 1 }]);
        queries++;
        await new Promise((r2) => setTimeout(r2, 10));
      }
    })();
    let cases = 0;
    const fuzzers = Array.from({ length: FUZZ_CONCURRENCY }, async (_, k) => {
      const rand = prng(SEED + k);
      while (Date.now() < deadline) {
        await oneCase(rand);
        cases++;
      }
    });
    await Promise.all([working, ...fuzzers]);
    await worker.end();
    console.log(`fuzz seed ${SEED}: ${cases} cases, ${queries} queries by the working client`);
    expect(cases).toBeGreaterThan(50);
    expect(queries).toBeGreaterThan(20);
    // Still serving a fresh client, and fuzz connections are gone within authentication_timeout.
    const fresh = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'alice', database: 'postgres' });
    await fresh.connect();
    expect((await fresh.query('SELECT 1')).rows).toEqual([{ '?column?': 1 }]);
    await fresh.end();
    for (let i = 0; i < 40 && server.pm.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(server.pm.connectionCount).toBe(0);
    expect(server.logs.filter((l) => / backend \d+ failed:|XX000/.test(l))).toEqual([]);
  }));
});
