// A throw-away OpenLDAP slapd for the LDAP tests: a test CA and server certificate made with
// openssl, a second CA that signed nothing the server holds, an mdb database under
// dc=example,dc=org loaded with slapadd, listening on 127.0.0.1 with ldap:// (StartTLS
// available) and ldaps:// on free ports. Stop it with stop() (by PID).

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';

export interface Slapd {
  readonly ldapPort: number;
  readonly ldapsPort: number;
  /** PEM of the CA that signed the server certificate. */
  readonly caPem: string;
  /** PEM of a CA that signed nothing this server holds. */
  readonly otherCaPem: string;
  /** A port on 127.0.0.1 where nothing listens. */
  readonly closedPort: number;
  stop(): Promise<void>;
}

export const SUFFIX = 'dc=example,dc=org';
export const READER_DN = `cn=reader,${SUFFIX}`;
export const READER_PASSWORD = 'reader-secret';

/** Users: uid → password; `twin` exists twice (ou=people and ou=staff). */
export const USERS = { alice: 'alice-pw', bob: 'b0b pw', twin: 'twin-pw' } as const;

const DATA = `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,${SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=staff,${SUFFIX}
objectClass: organizationalUnit
ou: staff

dn: ${READER_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: ${READER_PASSWORD}

dn: uid=alice,ou=people,${SUFFIX}
objectClass: inetOrgPerson
uid: alice
cn: Alice
sn: A
mail: alice@example.org
userPassword: ${USERS.alice}

dn: uid=bob,ou=people,${SUFFIX}
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: B
mail: bob@example.org
userPassword: ${USERS.bob}

dn: uid=twin,ou=people,${SUFFIX}
objectClass: inetOrgPerson
uid: twin
cn: Twin One
sn: T
userPassword: ${USERS.twin}

dn: uid=twin,ou=staff,${SUFFIX}
objectClass: inetOrgPerson
uid: twin
cn: Twin Two
sn: T
userPassword: ${USERS.twin}
`;

/** A port that was free a moment ago (the listener is closed again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=Palisade test ${name}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => { s.destroy(); resolve(false); });
  });
}

/** Starts slapd; rejects with its output if it does not listen within 15 s. */
export async function startSlapd(): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-slapd-'));
  mkdirSync(join(dir, 'db'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    `pidfile ${join(dir, 'slapd.pid')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCACertificateFile ${join(dir, 'ca.crt')}`,
    `TLSCertificateFile ${join(dir, 'server.crt')}`,
    `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
    'database mdb',
    `suffix "${SUFFIX}"`,
    `rootdn "cn=admin,${SUFFIX}"`,
    'rootpw admin-secret',
    `directory ${join(dir, 'db')}`,
    'maxsize 10485760',
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by * read',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'data.ldif'), DATA);
  execFileSync('slapadd', ['-f', conf, '-l', join(dir, 'data.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });

  const [ldapPort, ldapsPort, closedPort] = [await freePort(), await freePort(), await freePort()];
  // -d 0 keeps slapd in the foreground, so the child's PID is slapd's.
  const child: ChildProcess = spawn('slapd', ['-f', conf, '-h', `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/`, '-d', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { if (output.length < 65536) output += d.toString(); });
  let exited = false;
  child.once('exit', () => { exited = true; });

  const deadline = Date.now() + 15_000;
  while (!(await canConnect(ldapPort)) || !(await canConnect(ldapsPort))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`slapd did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    ldapPort, ldapsPort, closedPort,
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    otherCaPem: readFileSync(join(dir, 'other-ca.crt'), 'utf8'),
    async stop() {
      if (!exited && child.pid !== undefined) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => { if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, 5_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
