// tls-server-end-point channel binding (RFC 5929): the hash of the server certificate with the
// hash function of its signature algorithm, SHA-256 for MD5 and SHA-1 (A32).
// Entry points: tlsServerEndPointHash, certificateSignatureAlgorithmOid.

import { createHash } from 'node:crypto';
import { PgError, SqlState } from '@palisade/common';

// Signature algorithm OID → digest used for the binding.
const DIGEST_BY_OID: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
};

// Signature algorithms that name no separate digest (RSASSA-PSS, Ed25519, Ed448): OpenSSL reports NID_undef.
const NO_DIGEST = new Set(['1.2.840.113549.1.1.10', '1.3.101.112', '1.3.101.113']);

const NAME_TO_OID: Record<string, string> = {
  md5withrsaencryption: '1.2.840.113549.1.1.4', sha1withrsaencryption: '1.2.840.113549.1.1.5',
  sha224withrsaencryption: '1.2.840.113549.1.1.14', sha256withrsaencryption: '1.2.840.113549.1.1.11',
  sha384withrsaencryption: '1.2.840.113549.1.1.12', sha512withrsaencryption: '1.2.840.113549.1.1.13',
  'ecdsa-with-sha1': '1.2.840.10045.4.1', 'ecdsa-with-sha224': '1.2.840.10045.4.3.1', 'ecdsa-with-sha256': '1.2.840.10045.4.3.2',
  'ecdsa-with-sha384': '1.2.840.10045.4.3.3', 'ecdsa-with-sha512': '1.2.840.10045.4.3.4',
  'rsassa-pss': '1.2.840.113549.1.1.10', ed25519: '1.3.101.112', ed448: '1.3.101.113',
};

function certError(message: string): PgError {
  return new PgError(SqlState.INTERNAL_ERROR, message);
}

/** Reads a DER length at `i`; returns [length, index after the length]. */
function derLength(der: Uint8Array, i: number): [number, number] {
  const first = der[i];
  if (first === undefined) throw certError('could not determine server certificate signature algorithm');
  if (first < 0x80) return [first, i + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4 || i + 1 + n > der.length) throw certError('could not determine server certificate signature algorithm');
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + der[i + 1 + k]!;
  return [len, i + 1 + n];
}

/** The signatureAlgorithm OID of a DER X.509 certificate (dotted form). */
export function certificateSignatureAlgorithmOid(der: Uint8Array): string {
  const bad = () => certError('could not determine server certificate signature algorithm');
  if (der[0] !== 0x30) throw bad();
  let [, i] = derLength(der, 1);
  if (der[i] !== 0x30) throw bad();
  const [tbsLen, tbsStart] = derLength(der, i + 1);
  i = tbsStart + tbsLen;
  if (der[i] !== 0x30) throw bad();
  [, i] = derLength(der, i + 1);
  if (der[i] !== 0x06) throw bad();
  const [oidLen, oidStart] = derLength(der, i + 1);
  if (oidLen < 1 || oidStart + oidLen > der.length) throw bad();
  const bytes = der.subarray(oidStart, oidStart + oidLen);
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (let k = 1; k < bytes.length; k++) {
    value = value * 128 + (bytes[k]! & 0x7f);
    if (bytes[k]! < 0x80) { parts.push(value); value = 0; }
  }
  return parts.join('.');
}

/**
 * The tls-server-end-point binding data for a server certificate (DER). The signature algorithm
 * is read from the certificate unless given (as an OID or an OpenSSL name).
 */
export function tlsServerEndPointHash(certDer: Uint8Array, signatureAlgorithm?: string): Uint8Array {
  let oid = signatureAlgorithm ?? certificateSignatureAlgorithmOid(certDer);
  if (!/^\d+(\.\d+)+$/.test(oid)) oid = NAME_TO_OID[oid.toLowerCase()] ?? oid;
  if (NO_DIGEST.has(oid)) throw certError('could not find digest for NID UNDEF');
  const digest = DIGEST_BY_OID[oid];
  if (!digest) throw certError('could not determine server certificate signature algorithm');
  return new Uint8Array(createHash(digest).update(certDer).digest());
}
