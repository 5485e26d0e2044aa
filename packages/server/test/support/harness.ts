// Test harness: temp data directories (0700), TLS material generated with openssl (a CA, a
// server certificate for 127.0.0.1/localhost, a client certificate signed by the CA and a
// self-signed impostor), free ports, and a postmaster on 127.0.0.1 plus a temp Unix socket.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostmaster, type EngineBackend, type Postmaster } from '../../src/index.ts';
import { TestEngine } from './engine-double.ts';

export interface Certs {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Self-signed certificate with the same CN as clientCert (not signed by the CA). */
  rogueCert: string;
  rogueKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** Generates EC P-256 keys and certificates: CA, server (SAN 127.0.0.1, localhost), client CN=`clientCn`, and a rogue. */
export function makeCerts(clientCn = 'certuser'): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-certs-'));
  const key = (name: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', name], dir);
  key('ca.key');
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=Palisade Test CA', '-out', 'ca.crt'], dir);
  key('server.key');
  openssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'server.ext', '-out', 'server.crt'], dir);
  key('client.key');
  openssl(['req', '-new', '-key', 'client.key', '-subj', `/O=Palisade Tests/CN=${clientCn}`, '-out', 'client.csr'], dir);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-out', 'client.crt'], dir);
  key('rogue.key');
  openssl(['req', '-x509', '-new', '-key', 'rogue.key', '-sha256', '-days', '2', '-subj', `/CN=${clientCn}`, '-out', 'rogue.crt'], dir);
  for (const k of ['ca.key', 'server.key', 'client.key', 'rogue.key']) chmodSync(join(dir, k), 0o600);
  const p = (n: string) => join(dir, n);
  return {
    dir, caCert: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key'),
    rogueCert: p('rogue.crt'), rogueKey: p('rogue.key'),
  };
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A fresh data directory (0700) with the given pg_hba.conf (and optional postgresql.conf). */
export function makeDataDir(hba: string, conf = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-data-'));
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'pg_hba.conf'), hba, { mode: 0o600 });
  if (conf !== '') writeFileSync(join(dir, 'postgresql.conf'), conf, { mode: 0o600 });
  return dir;
}

export interface TestServer {
  pm: Postmaster;
  port: number;
  socketDir: string;
  dataDir: string;
  engine: EngineBackend;
  logs: string[];
  certs: Certs | undefined;
  /** Stops the server (fast) and removes its directories. */
  close(): Promise<void>;
}

/** Starts a postmaster on 127.0.0.1 and a temp Unix socket, with the test engine. */
export async function startTestServer(o: { hba: string; settings?: Record<string, string | number | boolean>; certs?: Certs; engine?: EngineBackend; conf?: string }): Promise<TestServer> {
  const dataDir = makeDataDir(o.hba, o.conf);
  const socketDir = mkdtempSync(join(tmpdir(), 'palisade-sock-'));
  const logs: string[] = [];
  const engine = o.engine ?? new TestEngine();
  const tls: Record<string, string> = o.certs ? { ssl: 'on', ssl_cert_file: o.certs.serverCert, ssl_key_file: o.certs.serverKey, ssl_ca_file: o.certs.caCert } : {};
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const pm = await startPostmaster({
        dataDir, engine, log: (line) => logs.push(line),
        settings: { listen_addresses: '127.0.0.1', port, unix_socket_directories: socketDir, 'palisade.auth_failure_throttle': 'off', 'palisade.connection_rate_limit': 0, ...tls, ...o.settings },
      });
      return {
        pm, port, socketDir, dataDir, engine, logs, certs: o.certs,
        async close() {
          await pm.stop('fast');
          rmSync(dataDir, { recursive: true, force: true });
          rmSync(socketDir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      lastError = e;
      if (!String((e as Error).message).includes('could not create listen socket')) throw e;
    }
  }
  throw lastError;
}

const EXCLUSIVE_LOCK_DIR = join(tmpdir(), 'palisade-server-tests-exclusive.lock');
const EXCLUSIVE_LOCK_STALE_MS = 90_000;

/**
 * Runs `fn` while no other test file of this package holds the same lock: the timing test must not
 * share the machine's two cores with the fuzzer or an initdb. A lock whose holder is gone is broken.
 */
export async function withExclusive<T>(fn: () => Promise<T>): Promise<T> {
  const release = await acquireExclusive();
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Takes the lock of {@link withExclusive} until the returned function is called (for a whole test file). */
export async function acquireExclusive(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(EXCLUSIVE_LOCK_DIR);
      writeFileSync(join(EXCLUSIVE_LOCK_DIR, 'pid'), String(process.pid));
      return () => rmSync(EXCLUSIVE_LOCK_DIR, { recursive: true, force: true });
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(EXCLUSIVE_LOCK_DIR, 'pid'), 'utf8'));
      } catch {
        // Being created right now: wait.
      }
      // Broken when its holder is gone, or held longer than any test file runs (a file that died without releasing it).
      let ageMs = 0;
      try {
        ageMs = Date.now() - statSync(EXCLUSIVE_LOCK_DIR).mtimeMs;
      } catch {
        // Released meanwhile.
      }
      if ((holder > 0 && !alive(holder)) || ageMs > EXCLUSIVE_LOCK_STALE_MS) rmSync(EXCLUSIVE_LOCK_DIR, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
