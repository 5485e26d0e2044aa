// A17/A18 seen from outside: rejecting a wrong password for an existing role and any password
// for a missing role take the same time (the mock SCRAM exchange does the same work), and
// Palisade's throttling and rate limit (AUTHN10) act on failures and connection bursts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { startTestServer, withExclusive, type TestServer } from './support/harness.ts';
import { RawClient, errorFields, message, startupPacket } from './support/raw-client.ts';

const HBA = 'host all all 127.0.0.1/32 scram-sha-256\n';
const ATTEMPTS_PER_ROLE = 1000;
/**
 * Share of pairs left out of the means: those whose slower attempt is among the slowest —
 * stalls of this shared, loaded machine (a prober filters them out too). Dropping whole pairs
 * keeps both series drawn from the same moments.
 */
const TRIM_SLOWEST_PAIRS = 0.7;
const PAIRS_PER_BLOCK = 50;

const saltedCache = new Map<string, Buffer>();
/**
 * One SCRAM attempt spoken over the raw protocol, as a prober would: PBKDF2 results are cached
 * per salt so that client-side hashing does not drown the server's part in noise.
 */
async function scramProbe(port: number, user: string, password: string): Promise<{ ms: number; code: string | undefined }> {
  const t0 = process.hrtime.bigint();
  const c = await RawClient.connect({ port });
  c.write(startupPacket({ user, database: 'postgres' }));
  const r10 = await c.next();
  expect(r10!.body.readInt32BE(0)).toBe(10);
  const clientNonce = randomBytes(18).toString('base64');
  const clientFirstBare = `n=,r=${clientNonce}`;
  const mech = Buffer.from('SCRAM-SHA-256\0');
  const first = Buffer.from(`n,,${clientFirstBare}`);
  const len = Buffer.alloc(4);
  len.writeInt32BE(first.length);
  c.write(message('p', Buffer.concat([mech, len, first])));
  const r11 = await c.next();
  const serverFirst = r11!.body.subarray(4).toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  const key = `${attrs.s}:${attrs.i}:${password}`;
  let salted = saltedCache.get(key);
  if (!salted) {
    salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
    saltedCache.set(key, salted);
  }
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  c.write(message('p', Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)));
  const answer = await c.next();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  c.end();
  return { ms, code: answer?.type === 'E' ? errorFields(answer.body).C : undefined };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ hba: HBA, settings: { 'palisade.connection_rate_limit': 0 } });
});
afterAll(async () => {
  await server?.close();
});

async function failOnce(port: number, user: string, password: string): Promise<{ ms: number; code: string | undefined; message: string }> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
  client.on('error', () => undefined);
  const t0 = process.hrtime.bigint();
  const err = await client.connect().then(() => undefined, (e: unknown) => e as { code?: string; message: string });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await client.end().catch(() => undefined);
  return { ms, code: err?.code, message: err?.message ?? 'connected' };
}

describe('authentication timing', () => {
  it('[AUTHN4][A18] mean time to reject: existing role with a wrong password vs missing role differ by less than 10%', () => withExclusive(async () => {
    // Warm up both paths (JIT, first connection costs).
    for (let i = 0; i < 20; i++) {
      await scramProbe(server.port, 'alice', 'wrong');
      await scramProbe(server.port, 'ghost', 'wrong');
    }
    const existing: number[] = [];
    const missing: number[] = [];
    // Interleaved and alternating which goes first, so that load on the shared machine and
    // order effects affect both series alike.
    for (let i = 0; i < ATTEMPTS_PER_ROLE; i++) {
      const pair = i % 2 === 0
        ? [await scramProbe(server.port, 'alice', 'wrong'), await scramProbe(server.port, 'ghost', 'wrong')]
        : [await scramProbe(server.port, 'ghost', 'wrong'), await scramProbe(server.port, 'alice', 'wrong')].reverse();
      expect(pair.map((p) => p.code)).toEqual(['28P01', '28P01']);
      existing.push(pair[0]!.ms);
      missing.push(pair[1]!.ms);
    }
    // Ratio of means per block of consecutive pairs, then the median over blocks: a burst of load
    // from other processes spoils a block, not the comparison.
    const blockRatios: number[] = [];
    for (let start = 0; start < ATTEMPTS_PER_ROLE; start += PAIRS_PER_BLOCK) {
      const e = existing.slice(start, start + PAIRS_PER_BLOCK);
      const m = missing.slice(start, start + PAIRS_PER_BLOCK);
      const order = e.map((_, i) => i).sort((i, j) => Math.max(e[i]!, m[i]!) - Math.max(e[j]!, m[j]!));
      const kept = order.slice(0, Math.ceil(order.length * (1 - TRIM_SLOWEST_PAIRS)));
      const mean = (xs: number[]) => kept.reduce((sum, i) => sum + xs[i]!, 0) / kept.length;
      blockRatios.push(mean(m) / mean(e));
    }
    blockRatios.sort((a, b) => a - b);
    const ratio = blockRatios[Math.floor(blockRatios.length / 2)]!;
    console.log(`reject timing: missing/existing ratio of means ${ratio.toFixed(3)} (median of ${blockRatios.length} blocks: ${blockRatios.map((r) => r.toFixed(2)).join(' ')})`);
    expect(Math.abs(ratio - 1)).toBeLessThan(0.1);
  }));
});

describe('throttling', () => {
  it('[AUTHN10][THR2] after a failure the next attempt from that address waits; a wait beyond authentication_timeout drops it silently', async () => {
    const s = await startTestServer({
      hba: HBA, settings: { 'palisade.auth_failure_throttle': 'on', 'palisade.auth_failure_delay': '5s', authentication_timeout: 1, 'palisade.connection_rate_limit': 0 },
    });
    try {
      expect(await failOnce(s.port, 'alice', 'wrong')).toMatchObject({ code: '28P01' });
      const throttled = await failOnce(s.port, 'su', 'anything');
      expect(throttled.code).toBeUndefined();
      expect(throttled.message).toMatch(/Connection terminated unexpectedly|ECONNRESET/);
      expect(s.logs.join('\n')).toContain('FATAL:  canceling authentication due to timeout');
    } finally {
      await s.close();
    }
  });

  it('[AUTHN10][THR4] palisade.connection_rate_limit refuses a burst from one address with 53300', async () => {
    const s = await startTestServer({ hba: HBA, settings: { 'palisade.connection_rate_limit': 1, 'palisade.connection_rate_burst': 2 } });
    try {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await failOnce(s.port, 'alice', 'wrong'));
      expect(results.map((r) => `${r.code} ${r.message}`)).toEqual([
        '28P01 password authentication failed for user "alice"',
        '28P01 password authentication failed for user "alice"',
        '53300 too many connection attempts from host "127.0.0.1"',
      ]);
    } finally {
      await s.close();
    }
  });
});
