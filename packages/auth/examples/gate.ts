// A tiny authentication gate: reads pg_hba.conf through an in-memory reader, picks the record
// for an incoming connection, runs a SCRAM-SHA-256 exchange against the role's stored secret
// (the client side computed in-process), and slows down a failing client.
// Run: npx tsx --conditions=@palisade/source examples/gate.ts

import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { oid } from '@palisade/common';
import {
  AuthFailureThrottle, RoleGraph, ScramServer, loadHba, matchHba, scramVerifier, usablePassword, type ConfigReader,
} from '@palisade/auth';

const files: Record<string, string> = {
  '/srv/pg/pg_hba.conf': [
    '# TYPE  DATABASE  USER      ADDRESS        METHOD',
    'local   all       postgres                 trust',
    'host    all       @admins   10.0.0.0/8     reject',
    'host    app       all       10.0.0.0/8     scram-sha-256',
  ].join('\n') + '\n',
  '/srv/pg/admins': 'mallory\n',
};
const reader: ConfigReader = {
  readFile: async (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(path), { code: 'ENOENT' });
    return new TextEncoder().encode(text);
  },
  readdir: async () => [],
  exists: async (path) => path in files,
};

// What a client library does with the server-first message.
function clientFinal(password: string, clientFirstBare: string, serverFirst: string): string {
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.r}`;
  const signature = createHmac('sha256', storedKey).update(`${clientFirstBare},${serverFirst},${withoutProof}`).digest();
  return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64')}`;
}

/** Runs the example and returns what it prints. */
export async function main(): Promise<string[]> {
  const out: string[] = [];
  const roles = new RoleGraph();
  roles.addRole(oid(10), 'postgres', { superuser: true, canLogin: true });
  roles.addRole(oid(16384), 'staff');
  roles.addRole(oid(16385), 'alice', { canLogin: true, password: scramVerifier('correct horse', { iterations: 4096 }) });
  roles.grantMembership(oid(16384), oid(16385), { grantorId: oid(10) });

  const loaded = await loadHba(reader, '/srv/pg/pg_hba.conf');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  const throttle = new AuthFailureThrottle({ baseDelayMs: 200 }, () => 0);
  const mockNonce = createHash('sha256').update('cluster secret').digest();

  for (const attempt of [{ user: 'alice', password: 'correct horse' }, { user: 'alice', password: 'wrong' }, { user: 'ghost', password: 'x' }]) {
    const conn = { type: 'host' as const, ssl: false, gssEnc: false, address: '10.1.2.3', database: 'app', user: attempt.user, replication: false };
    const rule = matchHba(loaded.rules, conn, roles.hbaOracle());
    if (!rule || rule.method !== 'scram-sha-256') {
      out.push(`${attempt.user}: no pg_hba.conf entry`);
      continue;
    }
    const { secret, reason } = usablePassword(roles.roleByName(attempt.user), Date.now());
    const server = new ScramServer({ user: attempt.user, verifier: secret, ...(reason ? { unavailableReason: reason } : {}), mockNonce, channelBinding: null });
    const first = server.handleInitial(server.mechanisms()[0]!, 'n,,n=,r=fyko+d2lbbFgONRv9qkxdawL');
    const result = server.handleFinal(clientFinal(attempt.password, 'n=,r=fyko+d2lbbFgONRv9qkxdawL', first.serverMessage));
    if (!result.done) throw new Error('exchange did not finish');
    if (result.ok) {
      throttle.recordSuccess(conn.address, attempt.user);
      out.push(`${attempt.user}: authenticated by line ${rule.lineNumber} (${result.serverFinal!.slice(0, 2)}…)`);
    } else {
      throttle.recordFailure(conn.address, attempt.user);
      out.push(`${attempt.user}: ${result.clientError!.code} ${result.clientError!.message} [log: ${result.logDetail}]`);
    }
  }
  out.push(`next attempt from 10.1.2.3 waits ${throttle.delayMs('10.1.2.3', 'alice')} ms`);
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const line of await main()) console.log(line);
}
