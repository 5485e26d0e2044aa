import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { X509Certificate } from 'node:crypto';
import { isPgError } from '@palisade/common';
import { scramVerifier, parseScramVerifier, md5Verifier, passwordType, encryptPassword, verifyScramPlainPassword } from '../src/verifier.ts';
import { saslprepDetailed } from '../src/saslprep.ts';
import { ScramServer } from '../src/scram.ts';
import { tlsServerEndPointHash, certificateSignatureAlgorithmOid } from '../src/channel-binding.ts';
import { md5Salt, md5ClientResponse, checkMd5Response, checkPlainPassword, choosePasswordExchange } from '../src/md5.ts';

const require = createRequire(import.meta.url);
const sasl = require('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[], stream?: unknown): { mechanism: string; response: string; clientNonce: string };
  continueSession(session: object, password: string, serverData: string, stream?: unknown): Promise<void>;
  finalizeSession(session: object, serverData: string): void;
};

interface VerifierCase { user: string; password: string; encryption: string; rolpassword: string }
const verifiers = JSON.parse(readFileSync(new URL('./fixtures/verifiers-pg15.json', import.meta.url), 'utf8')) as VerifierCase[];
const scramFixture = JSON.parse(readFileSync(new URL('./fixtures/scram-pg15.json', import.meta.url), 'utf8')) as { certPem: string };
const certDer = new X509Certificate(scramFixture.certPem).raw;
const mockNonce = new Uint8Array(32).fill(9);

describe('verifiers against PostgreSQL 15', () => {
  for (const c of verifiers) {
    it(`[A25][A26][A29][A30] ${c.user} (${c.encryption})`, () => {
      const stored = c.rolpassword;
      if (c.password.startsWith('md5') || c.password.startsWith('SCRAM-SHA-256$')) {
        // Already hashed values are stored verbatim; malformed ones are hashed like any password.
        expect(encryptPassword(c.password, c.user, c.encryption as 'md5')!.startsWith(passwordType(c.password) === 'plaintext' ? 'SCRAM' : c.password)).toBe(true);
        expect(stored === c.password).toBe(passwordType(c.password) !== 'plaintext');
        if (stored === c.password) return;
      }
      if (stored.startsWith('md5')) {
        expect(md5Verifier(c.password, c.user)).toBe(stored);
        expect(encryptPassword(c.password, c.user, 'md5')).toBe(stored);
        return;
      }
      const parsed = parseScramVerifier(stored)!;
      expect(parsed.iterations).toBe(4096);
      expect(scramVerifier(c.password, { salt: parsed.salt, iterations: parsed.iterations })).toBe(stored);
      expect(verifyScramPlainPassword(parsed, c.password)).toBe(true);
    });
  }
});

describe('SASLprep', () => {
  it('[A30] maps non-ASCII spaces, drops B.1 characters, applies NFKC', () => {
    expect(Buffer.from(saslprepDetailed('a\u00A0b\u00ADc').bytes).toString()).toBe('a bc');
    expect(Buffer.from(saslprepDetailed('\u2168').bytes).toString()).toBe('IX');
    expect(saslprepDetailed('plain').outcome).toBe('ascii');
  });

  it('[A30] prohibited, unassigned or badly mixed bidi input and invalid UTF-8 are used as raw bytes', () => {
    expect(saslprepDetailed('x\u0221y').outcome).toBe('prohibited');
    expect(saslprepDetailed('x\uE000y').outcome).toBe('prohibited');
    expect(saslprepDetailed('\u05D0a\u05D1').outcome).toBe('prohibited');
    expect(saslprepDetailed('\u05D0\u05D1').outcome).toBe('normalized');
    expect(saslprepDetailed('\u00AD').outcome).toBe('prohibited');
    const bad = new Uint8Array([0x61, 0xc3, 0x28]);
    expect(saslprepDetailed(bad)).toEqual({ bytes: bad, outcome: 'invalid-utf8' });
  });
});

describe('password forms', () => {
  it('[A25] already hashed passwords are recognised; MD5 hex must be lowercase and complete', () => {
    expect(passwordType('md5' + 'a'.repeat(32))).toBe('md5');
    expect(passwordType('md5' + 'A'.repeat(32))).toBe('plaintext');
    expect(passwordType('md5' + 'a'.repeat(31))).toBe('plaintext');
    expect(passwordType(scramVerifier('x'))).toBe('scram-sha-256');
    expect(passwordType('SCRAM-SHA-256$0:AAAA$' + 'A'.repeat(43) + '=:' + 'A'.repeat(43) + '=')).toBe('plaintext');
    expect(encryptPassword('', 'u')).toBeNull();
  });

  it('[A29] scramVerifier uses 16 random salt bytes and the requested iterations', () => {
    const a = parseScramVerifier(scramVerifier('pw', { iterations: 10 }))!;
    const b = parseScramVerifier(scramVerifier('pw', { iterations: 10 }))!;
    expect(a.salt.length).toBe(16);
    expect(a.iterations).toBe(10);
    expect(Buffer.from(a.salt).equals(Buffer.from(b.salt))).toBe(false);
  });
});

function fakeTlsStream() {
  return { getPeerCertificate: () => ({ raw: certDer }) };
}

async function pgClientExchange(opts: { password: string; verifier: string | null; tls: boolean; user?: string }) {
  const certificateHash = opts.tls ? tlsServerEndPointHash(certDer) : undefined;
  const server = new ScramServer({ user: opts.user ?? 'alice', verifier: opts.verifier, mockNonce, channelBinding: opts.tls ? { certificateHash: certificateHash! } : null });
  const stream = opts.tls ? fakeTlsStream() : undefined;
  const session = sasl.startSession(server.mechanisms(), stream);
  const first = server.handleInitial(session.mechanism, session.response);
  await sasl.continueSession(session, opts.password, first.serverMessage, stream);
  const result = server.handleFinal((session as unknown as { response: string }).response);
  if (!result.done) throw new Error('not done');
  if (result.ok) sasl.finalizeSession(session, result.serverFinal!);
  return { mechanism: session.mechanism, result };
}

describe('SCRAM with the node-postgres client', () => {
  const verifier = scramVerifier('s3cret p\u00E4ss', { iterations: 4096 });

  it('[A31] completes without TLS (SCRAM-SHA-256) and the client accepts the server signature', async () => {
    const { mechanism, result } = await pgClientExchange({ password: 's3cret p\u00E4ss', verifier, tls: false });
    expect(mechanism).toBe('SCRAM-SHA-256');
    expect(result).toMatchObject({ done: true, ok: true, logDetail: null });
  });

  it('[A32] completes with channel binding over TLS (SCRAM-SHA-256-PLUS, tls-server-end-point)', async () => {
    const { mechanism, result } = await pgClientExchange({ password: 's3cret p\u00E4ss', verifier, tls: true });
    expect(mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(result.ok).toBe(true);
  });

  it('[A16][A17] a wrong password fails with the uniform 28P01 message; the reason goes only to the log', async () => {
    const { result } = await pgClientExchange({ password: 'wrong', verifier, tls: true });
    expect(result.ok).toBe(false);
    expect(result.clientError!.code).toBe('28P01');
    expect(result.clientError!.message).toBe('password authentication failed for user "alice"');
    expect(result.logDetail).toBe('Password does not match for user "alice".');
  });

  it('[A17][A18] a missing role runs a full mock exchange and fails exactly like a wrong password', async () => {
    const { result } = await pgClientExchange({ password: 'anything', verifier: null, tls: false, user: 'ghost' });
    expect(result.clientError!.message).toBe('password authentication failed for user "ghost"');
    expect(result.logDetail).toBe('User "ghost" has no password assigned.');
    const s1 = new ScramServer({ user: 'ghost', verifier: null, mockNonce, channelBinding: null });
    const s2 = new ScramServer({ user: 'ghost', verifier: null, mockNonce, channelBinding: null });
    const salt = (s: ScramServer) => s.handleInitial('SCRAM-SHA-256', 'n,,n=,r=abc').serverMessage.split(',')[1];
    expect(salt(s1)).toBe(salt(s2));
  });

  it('[A17] an MD5-stored role cannot use SCRAM: the log says so, the client sees the uniform error', async () => {
    const { result } = await pgClientExchange({ password: 'pw', verifier: md5Verifier('pw', 'alice'), tls: false });
    expect(result.logDetail).toBe('User "alice" does not have a valid SCRAM secret.');
    expect(result.clientError!.code).toBe('28P01');
  });

  it('[A17] no message and no log detail ever contains the password', async () => {
    const password = 'hunter2-secret';
    const { result } = await pgClientExchange({ password, verifier, tls: false });
    expect(JSON.stringify({ ...result, clientError: result.clientError?.message })).not.toContain(password);
  });

  it('[A31] protocol misuse is an assertion, a second initial message is refused', () => {
    const server = new ScramServer({ user: 'a', verifier, mockNonce, channelBinding: null });
    server.handleInitial('SCRAM-SHA-256', 'n,,n=,r=abc');
    expect(() => server.handleInitial('SCRAM-SHA-256', 'n,,n=,r=abc')).toThrow(/called twice/);
  });

  it('[A31] without an initial response the server asks for it with an empty challenge', () => {
    const server = new ScramServer({ user: 'a', verifier, mockNonce, channelBinding: null });
    expect(server.handleInitial('SCRAM-SHA-256', null)).toEqual({ done: false, serverMessage: '' });
    const next = server.handleFinal('n,,n=,r=abc');
    expect(next.done).toBe(false);
  });
});

describe('channel binding hash', () => {
  it('[A32] tls-server-end-point uses the certificate signature hash (SHA-256 for MD5/SHA-1)', () => {
    expect(certificateSignatureAlgorithmOid(certDer)).toBe('1.2.840.113549.1.1.11');
    const sha256 = tlsServerEndPointHash(certDer);
    expect(sha256.length).toBe(32);
    expect(tlsServerEndPointHash(certDer, 'sha1WithRSAEncryption')).toEqual(sha256);
    expect(tlsServerEndPointHash(certDer, 'sha384WithRSAEncryption').length).toBe(48);
    expect(() => tlsServerEndPointHash(certDer, 'ED25519')).toThrow('could not find digest for NID UNDEF');
  });
});

describe('MD5 and cleartext', () => {
  it('[A27] the MD5 exchange: 4-byte salt, md5(md5(password‖user)‖salt)', () => {
    const stored = md5Verifier('pw', 'bob');
    const salt = md5Salt();
    expect(salt.length).toBe(4);
    expect(checkMd5Response('bob', stored, salt, md5ClientResponse('pw', 'bob', salt))).toEqual({ done: true, ok: true, logDetail: null });
    const bad = checkMd5Response('bob', stored, salt, md5ClientResponse('nope', 'bob', salt));
    expect([bad.ok, bad.clientError!.code, bad.logDetail]).toEqual([false, '28P01', 'Password does not match for user "bob".']);
    expect(checkMd5Response('bob', scramVerifier('pw'), salt, 'md5x').logDetail).toBe('User "bob" has a password that cannot be used with MD5 authentication.');
    expect(checkMd5Response('bob', null, salt, 'md5x', 'password-expired').logDetail).toBe('User "bob" has an expired password.');
  });

  it('[A28] cleartext passwords verify against either stored form', () => {
    expect(checkPlainPassword('bob', scramVerifier('pw', { iterations: 16 }), 'pw').ok).toBe(true);
    expect(checkPlainPassword('bob', md5Verifier('pw', 'bob'), 'pw').ok).toBe(true);
    expect(checkPlainPassword('bob', md5Verifier('pw', 'bob'), 'px').ok).toBe(false);
    expect(checkPlainPassword('bob', null, 'pw', 'role-does-not-exist').logDetail).toBe('Role "bob" does not exist.');
  });

  it('[A28][A18] pg_hba md5 uses MD5 only for MD5-stored roles; missing roles follow password_encryption', () => {
    expect(choosePasswordExchange('md5', md5Verifier('a', 'b'))).toBe('md5');
    expect(choosePasswordExchange('md5', scramVerifier('a', { iterations: 16 }))).toBe('scram-sha-256');
    expect(choosePasswordExchange('scram-sha-256', md5Verifier('a', 'b'))).toBe('scram-sha-256');
    expect(choosePasswordExchange('md5', null, 'md5')).toBe('md5');
    expect(choosePasswordExchange('md5', null)).toBe('scram-sha-256');
  });

  it('[A31] errors are PgErrors with FATAL severity', () => {
    const server = new ScramServer({ user: 'a', verifier: null, mockNonce, channelBinding: null });
    try {
      server.handleInitial('SCRAM-SHA-256', 'q');
      expect.unreachable();
    } catch (err) {
      expect(isPgError(err) && [err.code, err.severity]).toEqual(['08P01', 'FATAL']);
    }
  });
});

describe('SCRAM message bytes', () => {
  it('[A31] the proof is checked over the exact bytes sent, also with a non-ASCII SCRAM user name', async () => {
    const { createHash, createHmac, pbkdf2Sync } = await import('node:crypto');
    const verifier = scramVerifier('pw', { iterations: 16 });
    for (const asString of [true, false]) {
      const server = new ScramServer({ user: 'alice', verifier, mockNonce, channelBinding: null });
      const bare = 'n=\u00E5lice,r=abc';
      const first = server.handleInitial('SCRAM-SHA-256', asString ? `n,,${bare}` : Buffer.from(`n,,${bare}`, 'utf8')).serverMessage;
      const a = Object.fromEntries(first.split(',').map((kv) => [kv[0], kv.slice(2)]));
      const salted = pbkdf2Sync('pw', Buffer.from(a.s!, 'base64'), Number(a.i), 32, 'sha256');
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const without = `c=biws,r=${a.r}`;
      const sig = createHmac('sha256', storedKey).update(Buffer.from(`${bare},${first},${without}`, 'utf8')).digest();
      const final = `${without},p=${Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64')}`;
      const result = server.handleFinal(asString ? final : Buffer.from(final));
      expect(result.done && result.ok).toBe(true);
    }
  });
});
