// Stored password forms: SCRAM-SHA-256 secrets (computing, parsing, verifying a plain password
// against one), MD5 hashes, and recognising a value that is already hashed so that it is stored
// verbatim (A25). Entry points: scramVerifier, parseScramVerifier, md5Verifier, passwordType, encryptPassword.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { assert } from '@palisade/common';
import { saslprep } from './saslprep.ts';

/** Default and limits of SCRAM iteration counts (PostgreSQL 15 uses 4096). */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
export const SCRAM_ITERATIONS_MAX = 2_147_483_647;
/** Bytes of a generated salt. */
export const SCRAM_SALT_LENGTH_BYTES = 16;
/** Bytes of StoredKey / ServerKey (SHA-256). */
export const SCRAM_KEY_LENGTH_BYTES = 32;

/** A parsed SCRAM-SHA-256 secret. */
export interface ScramSecret {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

/** How a stored password is kept. */
export type PasswordType = 'plaintext' | 'md5' | 'scram-sha-256';

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 decoding; null if the text is not canonical base64. */
export function decodeBase64(text: string): Uint8Array | null {
  if (!B64.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** HMAC-SHA-256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}

/** SHA-256. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, iterations) (A30). */
export function scramSaltedPassword(password: string | Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  assert(Number.isInteger(iterations) && iterations >= 1 && iterations <= SCRAM_ITERATIONS_MAX, 'SCRAM iteration count out of range');
  return new Uint8Array(pbkdf2Sync(saslprep(password), salt, iterations, SCRAM_KEY_LENGTH_BYTES, 'sha256'));
}

/** StoredKey and ServerKey for a salted password (A30). */
export function scramKeys(saltedPassword: Uint8Array): { clientKey: Uint8Array; storedKey: Uint8Array; serverKey: Uint8Array } {
  const clientKey = hmacSha256(saltedPassword, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmacSha256(saltedPassword, 'Server Key') };
}

/** Formats a secret as `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (A29). */
export function formatScramVerifier(s: ScramSecret): string {
  return `SCRAM-SHA-256$${s.iterations}:${b64(s.salt)}$${b64(s.storedKey)}:${b64(s.serverKey)}`;
}

/**
 * Computes the SCRAM-SHA-256 secret PostgreSQL stores for a password (SCRAM1). The salt is 16
 * random bytes unless given; the same password, salt and iterations always give the same text.
 */
export function scramVerifier(password: string | Uint8Array, options: { iterations?: number; salt?: Uint8Array } = {}): string {
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  const salt = options.salt ?? new Uint8Array(randomBytes(SCRAM_SALT_LENGTH_BYTES));
  assert(salt.length > 0, 'SCRAM salt must not be empty');
  const { storedKey, serverKey } = scramKeys(scramSaltedPassword(password, salt, iterations));
  return formatScramVerifier({ iterations, salt, storedKey, serverKey });
}

/** Parses a SCRAM-SHA-256 secret; null if the text is not a valid one (it is then a plain password, SCRAM2). */
export function parseScramVerifier(text: string): ScramSecret | null {
  const m = /^SCRAM-SHA-256\$([^:$]*):([^$]*)\$([^:]*):(.*)$/s.exec(text);
  if (!m) return null;
  if (!/^\d+$/.test(m[1]!)) return null;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > SCRAM_ITERATIONS_MAX) return null;
  const salt = decodeBase64(m[2]!);
  const storedKey = decodeBase64(m[3]!);
  const serverKey = decodeBase64(m[4]!);
  if (!salt || salt.length === 0 || !storedKey || !serverKey) return null;
  if (storedKey.length !== SCRAM_KEY_LENGTH_BYTES || serverKey.length !== SCRAM_KEY_LENGTH_BYTES) return null;
  return { iterations, salt, storedKey, serverKey };
}

/** `"md5" + hex(md5(password ‖ user))` (A26). */
export function md5Verifier(password: string | Uint8Array, user: string): string {
  return 'md5' + createHash('md5').update(password).update(user).digest('hex');
}

/** Classifies a stored or supplied password as PostgreSQL's get_password_type does (SCRAM2). */
export function passwordType(text: string): PasswordType {
  if (/^md5[0-9a-f]{32}$/.test(text)) return 'md5';
  if (parseScramVerifier(text) !== null) return 'scram-sha-256';
  return 'plaintext';
}

/**
 * The value to store for a password given in CREATE/ALTER ROLE (A25): an already hashed value
 * verbatim, otherwise hashed with `encryption`. An empty password stores nothing (null).
 */
export function encryptPassword(password: string, user: string, encryption: 'scram-sha-256' | 'md5' = 'scram-sha-256', options: { iterations?: number; salt?: Uint8Array } = {}): string | null {
  if (password === '') return null;
  if (passwordType(password) !== 'plaintext') return password;
  return encryption === 'md5' ? md5Verifier(password, user) : scramVerifier(password, options);
}

/** Constant-time equality of two byte strings (false when lengths differ). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Checks a cleartext password against a SCRAM secret (pg_hba `password` with a SCRAM-stored role). */
export function verifyScramPlainPassword(secret: ScramSecret, password: string | Uint8Array): boolean {
  const { serverKey } = scramKeys(scramSaltedPassword(password, secret.salt, secret.iterations));
  return constantTimeEqual(serverKey, secret.serverKey);
}
