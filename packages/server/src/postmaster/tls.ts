// TLS for SSLRequest: the secure context from ssl_cert_file / ssl_key_file / ssl_ca_file, with
// PostgreSQL's refusal of a private key file others can read (PM6), the protocol bounds
// (ssl_min_protocol_version, default TLSv1.2) and the tls-server-end-point hash for SCRAM
// channel binding. Entry point: loadTls.

import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureVersion } from 'node:tls';
import { statSync } from 'node:fs';
import { PgError, SqlState, type FileSystem } from '@palisade/common';
import { tlsServerEndPointHash } from '@palisade/auth';
import type { ServerSettings } from './settings.ts';

export interface TlsState {
  readonly context: SecureContext;
  /** Channel-binding data of the server certificate. */
  readonly certificateHash: Uint8Array;
  /** ssl_ca_file was given: client certificates are requested and verified against it. */
  readonly rootStoreLoaded: boolean;
  readonly minVersion: SecureVersion;
}

const decoder = new TextDecoder();

async function readPem(fs: FileSystem, path: string, what: string): Promise<string> {
  try {
    return decoder.decode(await fs.readFile(path));
  } catch (e) {
    throw new PgError(SqlState.CONFIG_FILE_ERROR, `could not load ${what} file "${path}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : String(e)}`, { severity: 'FATAL', cause: e });
  }
}

/**
 * PM6: the key file may be u=rw (0600) or less when owned by the server's user, u=rw,g=r (0640)
 * or less when owned by root — PostgreSQL's check_ssl_key_file_permissions.
 */
export function checkKeyFilePermissions(path: string): void {
  const st = statSync(path);
  if (!st.isFile()) throw new PgError(SqlState.CONFIG_FILE_ERROR, `private key file "${path}" is not a regular file`, { severity: 'FATAL' });
  const euid = process.geteuid?.() ?? st.uid;
  if (st.uid !== euid && st.uid !== 0) throw new PgError(SqlState.CONFIG_FILE_ERROR, `private key file "${path}" must be owned by the database user or root`, { severity: 'FATAL' });
  const forbidden = st.uid === euid && euid !== 0 ? 0o077 : 0o037;
  if ((st.mode & forbidden) !== 0) {
    throw new PgError(SqlState.CONFIG_FILE_ERROR, `private key file "${path}" has group or world access`, {
      severity: 'FATAL',
      detail: 'File must have permissions u=rw (0600) or less if owned by the database user, or permissions u=rw,g=r (0640) or less if owned by root.',
    });
  }
}

/** Builds the TLS state, or throws FATAL F0000 with PostgreSQL's message. */
export async function loadTls(fs: FileSystem, s: ServerSettings): Promise<TlsState> {
  const cert = await readPem(fs, s.sslCertFile, 'server certificate');
  checkKeyFilePermissions(s.sslKeyFile);
  const key = await readPem(fs, s.sslKeyFile, 'private key');
  const ca = s.sslCaFile === '' ? undefined : await readPem(fs, s.sslCaFile, 'root certificate');
  const minVersion = s.sslMinProtocolVersion as SecureVersion;
  let context: SecureContext;
  let certificateHash: Uint8Array;
  try {
    context = createSecureContext({
      cert, key, minVersion, ...(ca ? { ca } : {}),
      ...(s.sslMaxProtocolVersion !== '' ? { maxVersion: s.sslMaxProtocolVersion as SecureVersion } : {}),
    });
    const x509 = new X509Certificate(cert);
    certificateHash = tlsServerEndPointHash(new Uint8Array(x509.raw));
  } catch (e) {
    if (e instanceof PgError) throw e;
    throw new PgError(SqlState.CONFIG_FILE_ERROR, `could not load server certificate file "${s.sslCertFile}": ${(e as Error).message}`, { severity: 'FATAL', cause: e });
  }
  return { context, certificateHash, rootStoreLoaded: ca !== undefined, minVersion };
}
