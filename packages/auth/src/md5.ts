// The MD5 challenge-response exchange (A27), cleartext password checks against either stored
// form (A28), and the choice between MD5 and SCRAM for pg_hba `md5` (A28).
// Entry points: md5Salt, md5ExpectedResponse, checkMd5Response, checkPlainPassword, choosePasswordExchange.

import { createHash, randomBytes } from 'node:crypto';
import { assert } from '@palisade/common';
import { failure, logDetails, unavailableDetail, type AuthOutcome, type UnavailableReason } from './auth-result.ts';
import { constantTimeEqual, md5Verifier, parseScramVerifier, passwordType, verifyScramPlainPassword } from './verifier.ts';

/** Four random bytes for AuthenticationMD5Password. */
export function md5Salt(): Uint8Array {
  return new Uint8Array(randomBytes(4));
}

/** What the client must answer: `"md5" + hex(md5(hex-part-of-stored ‖ salt))`. */
export function md5ExpectedResponse(storedMd5: string, salt: Uint8Array): string {
  assert(passwordType(storedMd5) === 'md5', 'not an MD5 password');
  assert(salt.length === 4, 'MD5 salt must be 4 bytes');
  return 'md5' + createHash('md5').update(storedMd5.slice(3)).update(salt).digest('hex');
}

/** The client side of the MD5 exchange (for tests and tools). */
export function md5ClientResponse(password: string, user: string, salt: Uint8Array): string {
  return md5ExpectedResponse(md5Verifier(password, user), salt);
}

/**
 * Checks a PasswordMessage answering an MD5 challenge. `stored` is the role's secret, or null
 * (with `reason`) when the role has none; the client never learns which (A17).
 */
export function checkMd5Response(user: string, stored: string | null, salt: Uint8Array, response: string, reason: UnavailableReason = 'no-password'): AuthOutcome {
  if (stored === null) return failure(user, unavailableDetail(user, reason));
  if (passwordType(stored) !== 'md5') return failure(user, logDetails.notMd5(user));
  const expected = Buffer.from(md5ExpectedResponse(stored, salt));
  const got = Buffer.from(response);
  if (!constantTimeEqual(expected, got)) return failure(user, logDetails.passwordMismatch(user));
  return { done: true, ok: true, logDetail: null };
}

/** Checks a cleartext password (pg_hba `password`, or LDAP-less tools) against either stored form (A28). */
export function checkPlainPassword(user: string, stored: string | null, password: string, reason: UnavailableReason = 'no-password'): AuthOutcome {
  if (stored === null) return failure(user, unavailableDetail(user, reason));
  const type = passwordType(stored);
  let ok = false;
  if (type === 'scram-sha-256') ok = verifyScramPlainPassword(parseScramVerifier(stored)!, password);
  else if (type === 'md5') ok = constantTimeEqual(Buffer.from(md5Verifier(password, user)), Buffer.from(stored));
  if (!ok) return failure(user, logDetails.passwordMismatch(user));
  return { done: true, ok: true, logDetail: null };
}

/**
 * Which exchange a password method runs (A18, A28): pg_hba `md5` uses MD5 only if the stored
 * secret is MD5; `scram-sha-256` always uses SCRAM. Without a secret the choice follows
 * `password_encryption`, so a probe cannot tell missing roles from real ones.
 */
export function choosePasswordExchange(method: 'md5' | 'scram-sha-256', stored: string | null, passwordEncryption: 'scram-sha-256' | 'md5' = 'scram-sha-256'): 'md5' | 'scram-sha-256' {
  if (method === 'scram-sha-256') return 'scram-sha-256';
  const type = stored === null ? passwordEncryption : passwordType(stored);
  return type === 'md5' ? 'md5' : 'scram-sha-256';
}
