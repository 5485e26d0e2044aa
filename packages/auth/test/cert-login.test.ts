import { describe, expect, it } from 'vitest';
import type { Oid } from '@palisade/common';
import { parseHbaLines, type HbaLine } from '../src/hba.ts';
import { tokenizeAuthFile } from '../src/config-file.ts';
import { parseIdentLine } from '../src/ident.ts';
import { checkClientCertRequired, certCheckNeeded, checkCertAuth } from '../src/cert-auth.ts';
import { RoleGraph, checkRoleLogin } from '../src/roles.ts';
import { memoryReader } from './memory-reader.ts';

async function lines(text: string, file = '/p/pg_hba.conf') {
  return tokenizeAuthFile(memoryReader({ [file]: text }), file);
}
async function hba(text: string): Promise<HbaLine> {
  return parseHbaLines(await lines(text + '\n'))[0]!.line!;
}
const roles = { isMemberOf: () => false };

describe('client certificates', () => {
  it('[A23] clientcert needs a root store and a valid certificate before any method runs', async () => {
    const line = await hba('hostssl all all all scram-sha-256 clientcert=verify-ca');
    expect(checkClientCertRequired(line, { rootStoreLoaded: false, peer: { cn: 'a' } })).toMatchObject({ code: 'F0000', message: 'client certificates can only be checked if a root certificate store is available' });
    expect(checkClientCertRequired(line, { rootStoreLoaded: true, peer: null })).toMatchObject({ code: '28000', message: 'connection requires a valid client certificate' });
    expect(checkClientCertRequired(line, { rootStoreLoaded: true, peer: { cn: 'a' } })).toBeNull();
    expect(checkClientCertRequired(await hba('hostssl all all all md5'), { rootStoreLoaded: false, peer: null })).toBeNull();
    expect(certCheckNeeded(line)).toBe(false);
  });

  it('[A23] verify-full compares the CN (or DN) with the user, through the map if given', async () => {
    const full = await hba('hostssl all all all scram-sha-256 clientcert=verify-full');
    expect(certCheckNeeded(full)).toBe(true);
    expect(checkCertAuth(full, { cn: 'alice', dn: 'CN=alice' }, 'alice', [], roles).ok).toBe(true);
    expect(checkCertAuth(full, { cn: 'bob', dn: 'CN=bob' }, 'alice', [], roles)).toEqual({
      ok: false, logMessages: ['provided user name (alice) and authenticated user name (bob) do not match', 'certificate validation (clientcert=verify-full) failed for user "alice": CN mismatch'],
    });
    const dn = await hba('hostssl all all all cert clientname=DN map=certs');
    const ident = (await lines('certs "CN=bob,O=Example" alice\n', '/p/pg_ident.conf')).map(parseIdentLine).map((r) => r.line!);
    expect(checkCertAuth(dn, { cn: 'bob', dn: 'CN=bob,O=Example' }, 'alice', ident, roles)).toEqual({ ok: true, logMessages: [], authenticatedIdentity: 'CN=bob,O=Example' });
    expect(checkCertAuth(dn, { cn: 'bob' }, 'alice', ident, roles).logMessages).toEqual(['certificate authentication failed for user "alice": client certificate contains no user name']);
  });
});

describe('role checks after authentication', () => {
  it('[A19][A21] missing role, NOLOGIN, connection limit (not for superusers), replication', () => {
    const g = new RoleGraph();
    g.addRole(10 as Oid, 'postgres', { superuser: true, canLogin: true, connectionLimit: 0 });
    g.addRole(11 as Oid, 'app', { canLogin: true, connectionLimit: 2 });
    g.addRole(12 as Oid, 'group');
    expect(checkRoleLogin(undefined, 'ghost')).toMatchObject({ code: '28000', message: 'role "ghost" does not exist' });
    expect(checkRoleLogin(g.role(12 as Oid), 'group')).toMatchObject({ code: '28000', message: 'role "group" is not permitted to log in' });
    expect(checkRoleLogin(g.role(11 as Oid), 'app', { connectionsOfRole: 2 })).toMatchObject({ code: '53300', message: 'too many connections for role "app"' });
    expect(checkRoleLogin(g.role(11 as Oid), 'app', { connectionsOfRole: 1 })).toBeNull();
    expect(checkRoleLogin(g.role(10 as Oid), 'postgres', { connectionsOfRole: 5 })).toBeNull();
    expect(checkRoleLogin(g.role(11 as Oid), 'app', { replication: true })).toMatchObject({ code: '42501', message: 'permission denied to start WAL sender' });
  });
});
