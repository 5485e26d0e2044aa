// The SCRAM server against PostgreSQL 15's answers to the same client messages
// (test/fixtures/capture-scram-pg15.mjs): every protocol error's SQLSTATE, message and detail,
// successful exchanges, and the mock salt for a role that does not exist.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash, createHmac, pbkdf2Sync, X509Certificate } from 'node:crypto';
import { isPgError } from '@palisade/common';
import { ScramServer } from '../src/scram.ts';
import { scramVerifier } from '../src/verifier.ts';
import { tlsServerEndPointHash } from '../src/channel-binding.ts';

interface Case {
  name: string; user: string; ssl: boolean; mechanism: string; first: string; mechanisms: string[];
  serverFirst?: string; serverFinal?: string; error?: { code: string; message: string; detail?: string; severity: string };
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/scram-pg15.json', import.meta.url), 'utf8')) as { mockNonceHex: string; certPem: string; cases: Case[] };
const mockNonce = Buffer.from(fixture.mockNonceHex, 'hex');
const certDer = new X509Certificate(fixture.certPem).raw;
const certificateHash = tlsServerEndPointHash(certDer);
const attrs = (t: string) => Object.fromEntries(t.split(',').map((kv) => [kv[0], kv.slice(2)]));
const fakeProof = Buffer.alloc(32, 7).toString('base64');
const plusBinding = Buffer.concat([Buffer.from('p=tls-server-end-point,,'), certificateHash]).toString('base64');

function clientFinal(password: string, cbind: string, bare: string) {
  return (serverFirst: string) => {
    const a = attrs(serverFirst);
    const salted = pbkdf2Sync(password, Buffer.from(a.s!, 'base64'), Number(a.i), 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const without = `c=${cbind},r=${a.r}`;
    const sig = createHmac('sha256', storedKey).update(`${bare},${serverFirst},${without}`).digest();
    return `${without},p=${Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64')}`;
  };
}

// The client-final messages the capture sent, by case name.
const FINALS: Record<string, (serverFirst: string) => string> = {
  'success plain': clientFinal('pencil', 'biws', 'n=,r=abcdef'),
  'success y flag without ssl': clientFinal('pencil', 'eSws', 'n=,r=abcdef'),
  'success plus': clientFinal('pencil', plusBinding, 'n=,r=abcdef'),
  'success plain over ssl': clientFinal('pencil', 'biws', 'n=,r=abcdef'),
  'wrong password': clientFinal('wrong', 'biws', 'n=,r=abcdef'),
  'unknown user mock': clientFinal('pencil', 'biws', 'n=,r=abcdef'),
  'nonce mismatch': () => `c=biws,r=abcWRONG,p=${fakeProof}`,
  'cbind mismatch plain': (sf) => `c=eSws,r=${attrs(sf).r},p=${fakeProof}`,
  'malformed proof': (sf) => `c=biws,r=${attrs(sf).r},p=abc`,
  'garbage after proof': (sf) => `c=biws,r=${attrs(sf).r},p=${fakeProof},x=1`,
  'extension before proof': (sf) => `c=biws,r=${attrs(sf).r},x=1,p=${fakeProof}`,
  'final missing c': (sf) => `r=${attrs(sf).r},p=${fakeProof}`,
  'plus wrong binding': (sf) => `c=biws,r=${attrs(sf).r},p=${fakeProof}`,
};

const verifier = scramVerifier('pencil', { salt: Buffer.from('0A6QXMKZ0TXN5p/Bmn8acQ==', 'base64') });

function run(c: Case): { serverFirst?: string; serverFinal?: string; error?: Record<string, unknown>; mechanisms: string[] } {
  const server = new ScramServer({
    user: c.user, verifier: c.user === 'scram_user' ? verifier : null, unavailableReason: 'role-does-not-exist',
    mockNonce, channelBinding: c.ssl ? { certificateHash } : null,
  });
  const out: { serverFirst?: string; serverFinal?: string; error?: Record<string, unknown>; mechanisms: string[] } = { mechanisms: server.mechanisms() };
  try {
    const first = server.handleInitial(c.mechanism, c.first);
    out.serverFirst = first.serverMessage;
    const final = FINALS[c.name];
    if (!final) return out;
    const result = server.handleFinal(final(first.serverMessage));
    if (!result.done) throw new Error('exchange did not finish');
    if (result.ok) out.serverFinal = result.serverFinal!;
    else out.error = { severity: result.clientError!.severity, code: result.clientError!.code, message: result.clientError!.message };
  } catch (err) {
    if (!isPgError(err)) throw err;
    out.error = { severity: err.severity, code: err.code, message: err.message, ...(err.detail ? { detail: err.detail } : {}) };
  }
  return out;
}

describe('SCRAM exchange against PostgreSQL 15', () => {
  for (const c of fixture.cases) {
    it(`[A31][A32][A33] ${c.name}`, () => {
      const got = run(c);
      expect(got.mechanisms).toEqual(c.mechanisms);
      expect(got.error).toEqual(c.error);
      if (c.serverFinal) expect(got.serverFinal).toMatch(/^v=[A-Za-z0-9+/]{43}=$/);
      if (c.serverFirst && !c.error) {
        const mine = attrs(got.serverFirst!);
        const theirs = attrs(c.serverFirst);
        expect([mine.s, mine.i, mine.r!.length]).toEqual([theirs.s, theirs.i, theirs.r!.length]);
      }
    });
  }

  it('[A18] the mock salt for a missing role equals PostgreSQL\'s: SHA-256(user ‖ nonce) truncated to 16 bytes', () => {
    const pgCase = fixture.cases.find((c) => c.name === 'unknown user mock')!;
    const got = run(pgCase);
    expect(attrs(got.serverFirst!).s).toBe(attrs(pgCase.serverFirst!).s);
    expect(attrs(got.serverFirst!).i).toBe('4096');
  });
});
