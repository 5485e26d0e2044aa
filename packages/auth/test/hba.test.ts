import { describe, expect, it } from 'vitest';
import { loadHba, hbaFileRules, hbaErrorToPgError, type HbaLine } from '../src/hba.ts';
import { matchHba, matchHbaAsync, type HbaConnection, type RoleMembershipOracle } from '../src/hba-match.ts';
import { loadIdent, checkUsermap, type IdentLine } from '../src/ident.ts';
import { tokenizeAuthFile, CONFIG_NESTING_DEPTH_MAX } from '../src/config-file.ts';
import { memoryReader } from './memory-reader.ts';

const DIR = '/etc/palisade';
const HBA = `${DIR}/pg_hba.conf`;

async function rules(conf: string, extra: Record<string, string> = {}): Promise<HbaLine[]> {
  const r = await loadHba(memoryReader({ [HBA]: conf, ...extra }), HBA);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return [...r.rules];
}

const members: Record<string, string[]> = { alice: ['admins', 'staff'], bob: ['staff'], postgres: [] };
const roles: RoleMembershipOracle = { isMemberOf: (u, r) => (members[u] ?? []).includes(r) };
const conn = (over: Partial<HbaConnection> = {}): HbaConnection => ({
  type: 'host', ssl: false, gssEnc: false, address: '10.1.2.3', database: 'app', user: 'alice', replication: false, ...over,
});
const lineOf = (r: HbaLine | null) => r?.lineNumber ?? null;

describe('matching', () => {
  it('[A10] first matching line decides; no match is an implicit reject', async () => {
    const r = await rules('host app alice 10.0.0.0/8 reject\nhost all all 0.0.0.0/0 scram-sha-256\n');
    expect(lineOf(matchHba(r, conn(), roles))).toBe(1);
    expect(matchHba(r, conn(), roles)!.method).toBe('reject');
    expect(lineOf(matchHba(r, conn({ user: 'bob' }), roles))).toBe(2);
    expect(matchHba(r, conn({ type: 'local', address: undefined }), roles)).toBeNull();
  });

  it('[A3] connection types: local, host, hostssl, hostnossl, hostgssenc, hostnogssenc', async () => {
    const r = await rules('local all all trust\nhostssl all all all cert\nhostnossl all all all md5\nhostgssenc all all all password\nhostnogssenc all all all reject\n');
    expect(matchHba(r, conn({ type: 'local' }), roles)!.connType).toBe('local');
    expect(matchHba(r, conn({ ssl: true }), roles)!.connType).toBe('hostssl');
    expect(matchHba(r, conn({ ssl: false }), roles)!.connType).toBe('hostnossl');
    const gss = await rules('hostgssenc all all all password\nhostnogssenc all all all reject\n');
    expect(matchHba(gss, conn({ gssEnc: true }), roles)!.method).toBe('password');
    expect(matchHba(gss, conn({ gssEnc: false }), roles)!.method).toBe('reject');
    expect(matchHba(gss, conn({ type: 'local' }), roles)).toBeNull();
  });

  it('[A4] database keywords: all excludes physical replication, sameuser, samerole/samegroup, replication', async () => {
    const r = await rules('host sameuser all all trust\nhost samerole all all md5\nhost replication all all password\nhost all all all reject\n');
    expect(lineOf(matchHba(r, conn({ database: 'alice' }), roles))).toBe(1);
    expect(lineOf(matchHba(r, conn({ database: 'staff' }), roles))).toBe(2);
    expect(lineOf(matchHba(r, conn({ database: 'replication' }), roles))).toBe(4);
    expect(lineOf(matchHba(r, conn({ database: 'anything', replication: true }), roles))).toBe(3);
    const onlyAll = await rules('host all all all trust\n');
    expect(matchHba(onlyAll, conn({ replication: true }), roles)).toBeNull();
    const groupKeyword = await rules('host samegroup all all trust\n');
    expect(lineOf(matchHba(groupKeyword, conn({ database: 'admins' }), roles))).toBe(1);
  });

  it('[A2] a quoted keyword matches only the literal name', async () => {
    const r = await rules('host "all" "sameuser" all trust\n');
    expect(matchHba(r, conn(), roles)).toBeNull();
    expect(lineOf(matchHba(r, conn({ database: 'all', user: 'sameuser' }), roles))).toBe(1);
  });

  it('[A5] +role matches members through the oracle; a quoted +name is a literal user', async () => {
    const r = await rules('host all +admins all trust\nhost all "+staff" all md5\n');
    expect(lineOf(matchHba(r, conn({ user: 'alice' }), roles))).toBe(1);
    expect(matchHba(r, conn({ user: 'bob' }), roles)).toBeNull();
    expect(matchHba(r, conn({ user: 'postgres' }), roles)).toBeNull();
    expect(lineOf(matchHba(r, conn({ user: '+staff' }), roles))).toBe(2);
  });

  it('[A4][A5] /regex in database and user columns, comma lists and @file lists', async () => {
    const r = await rules('host /^app_,reports /^(alice|carol)$ all trust\nhost @dbs.txt @users.txt all md5\n', {
      [`${DIR}/dbs.txt`]: 'billing\n', [`${DIR}/users.txt`]: 'bob, dave\n',
    });
    expect(lineOf(matchHba(r, conn({ database: 'app_x' }), roles))).toBe(1);
    expect(lineOf(matchHba(r, conn({ database: 'reports' }), roles))).toBe(1);
    expect(matchHba(r, conn({ database: 'app' }), roles)).toBeNull();
    expect(lineOf(matchHba(r, conn({ database: 'billing', user: 'dave' }), roles))).toBe(2);
  });

  it('[A6] CIDR and netmask ranges; families never cross', async () => {
    const r = await rules('host all all 192.168.0.0 255.255.0.0 trust\nhost all all 2001:db8::/32 md5\nhost all all 127.0.0.1/32 password\n');
    expect(lineOf(matchHba(r, conn({ address: '192.168.7.9' }), roles))).toBe(1);
    expect(lineOf(matchHba(r, conn({ address: '2001:db8:1::5' }), roles))).toBe(2);
    expect(lineOf(matchHba(r, conn({ address: '127.0.0.1' }), roles))).toBe(3);
    expect(matchHba(r, conn({ address: '::ffff:127.0.0.1' }), roles)).toBeNull();
    expect(matchHba(r, conn({ address: 'not-an-ip' }), roles)).toBeNull();
  });

  it('[A6] samehost and samenet use the server interfaces', async () => {
    const r = await rules('host all all samehost trust\nhost all all samenet md5\n');
    const env = { interfaces: [{ address: '10.1.2.1', netmask: '255.255.255.0' }] };
    expect(lineOf(matchHba(r, conn({ address: '10.1.2.1' }), roles, undefined, env))).toBe(1);
    expect(lineOf(matchHba(r, conn({ address: '10.1.2.99' }), roles, undefined, env))).toBe(2);
    expect(matchHba(r, conn({ address: '10.1.3.1' }), roles, undefined, env)).toBeNull();
  });

  it('[A6] host names need a matching reverse lookup and a forward lookup that includes the client', async () => {
    const r = await rules('host all all .Example.COM trust\nhost all all db.example.org md5\n');
    const calls: string[] = [];
    const resolver = {
      reverse: (ip: string) => { calls.push(`r:${ip}`); return ({ '10.0.0.1': 'app.example.com', '10.0.0.2': 'db.example.org', '10.0.0.3': 'evil.example.com' } as Record<string, string>)[ip] ?? null; },
      forward: (name: string) => { calls.push(`f:${name}`); return ({ 'app.example.com': ['10.0.0.1'], 'db.example.org': ['10.0.0.2'], 'evil.example.com': ['6.6.6.6'] } as Record<string, string[]>)[name] ?? []; },
    };
    expect(lineOf(matchHba(r, conn({ address: '10.0.0.1' }), roles, resolver))).toBe(1);
    expect(lineOf(matchHba(r, conn({ address: '10.0.0.2' }), roles, resolver))).toBe(2);
    expect(matchHba(r, conn({ address: '10.0.0.3' }), roles, resolver)).toBeNull();
    expect(matchHba(r, conn({ address: '10.0.0.1' }), roles)).toBeNull();
    calls.length = 0;
    matchHba(r, conn({ address: '10.0.0.9' }), roles, resolver);
    expect(calls).toEqual(['r:10.0.0.9']);
    const asyncResolver = { reverse: async (ip: string) => resolver.reverse(ip), forward: async (n: string) => resolver.forward(n) };
    expect(lineOf(await matchHbaAsync(r, conn({ address: '10.0.0.1' }), roles, asyncResolver))).toBe(1);
    const failing = { reverse: async () => { throw new Error('SERVFAIL'); }, forward: async () => [] };
    expect(await matchHbaAsync(r, conn({ address: '10.0.0.1' }), roles, failing)).toBeNull();
  });
});

describe('loading', () => {
  it('[A11] a file with errors yields every error and no rules, so the caller keeps its old rules', async () => {
    const r = await loadHba(memoryReader({ [HBA]: 'local all all trust\nhost all all 1.2.3.4/40 md5\nbogus\n' }), HBA);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.lineNumber, e.message])).toEqual([
      [2, 'invalid CIDR mask in address "1.2.3.4/40"'],
      [3, 'invalid connection type "bogus"'],
    ]);
    const pg = hbaErrorToPgError(r.errors[0]!);
    expect(pg.code).toBe('F0000');
    expect(pg.where).toBe(`line 2 of configuration file "${HBA}"`);
  });

  it('[A11] an empty file or an unreadable file is an error', async () => {
    const empty = await loadHba(memoryReader({ [HBA]: '# nothing\n' }), HBA);
    expect(empty.ok ? [] : empty.errors.map((e) => e.message)).toEqual([`configuration file "${HBA}" contains no entries`]);
    const missing = await loadHba(memoryReader({}), HBA);
    expect(missing.ok ? [] : missing.errors.map((e) => e.message)).toEqual([`could not open configuration file "${HBA}": No such file or directory`]);
  });

  it('[A8] methods Palisade does not implement parse but are refused at load', async () => {
    const conf = 'host all all all gss\nhost all all all ldap ldapserver=h ldapprefix=cn=\nhost all all all ident\n';
    const rows = await hbaFileRules(memoryReader({ [HBA]: conf }), HBA);
    expect(rows.map((r) => r.error)).toEqual([null, null, null]);
    const r = await loadHba(memoryReader({ [HBA]: conf }), HBA);
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      'authentication method "gss" is not supported by Palisade',
      'authentication method "ldap" is not supported by Palisade',
      'authentication method "ident" is not supported by Palisade',
    ]);
  });

  it('[A3] hostssl without SSL is a warning, the rule stays', async () => {
    const r = await loadHba(memoryReader({ [HBA]: 'hostssl all all all scram-sha-256\n' }), HBA, { sslEnabled: false });
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => [w.message, w.hint])).toEqual([['hostssl record cannot match because SSL is disabled', 'Set ssl = on in postgresql.conf.']]);
  });

  it('[A8] ident on local becomes peer (and is then unsupported)', async () => {
    const rows = await hbaFileRules(memoryReader({ [HBA]: 'local all all ident map=m\n' }), HBA);
    expect(rows[0]).toMatchObject({ auth_method: 'peer', options: ['map=m'] });
  });
});

describe('include directives', () => {
  it('[A1] include, include_if_exists (missing: logged, skipped) and include_dir (*.conf in name order), relative to the including file', async () => {
    const logs: string[] = [];
    const reader = memoryReader({
      [HBA]: 'include conf.d/first.conf\ninclude_if_exists missing.conf\ninclude_dir conf.d/more\nhost all all all reject\n',
      [`${DIR}/conf.d/first.conf`]: 'local all all trust\n',
      [`${DIR}/conf.d/more/20-b.conf`]: 'host all bob all md5\n',
      [`${DIR}/conf.d/more/10-a.conf`]: 'host all alice all scram-sha-256\ninclude ../sub.conf\n',
      [`${DIR}/conf.d/more/notes.txt`]: 'bogus line\n',
      [`${DIR}/conf.d/more/.hidden.conf`]: 'bogus line\n',
      [`${DIR}/conf.d/sub.conf`]: 'host all carol all password\n',
    });
    const r = await loadHba(reader, HBA, { log: (m) => logs.push(m.message) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rules.map((l) => [l.file.slice(DIR.length + 1), l.lineNumber, l.method])).toEqual([
      ['conf.d/first.conf', 1, 'trust'],
      ['conf.d/more/10-a.conf', 1, 'scram-sha-256'],
      ['conf.d/sub.conf', 1, 'password'],
      ['conf.d/more/20-b.conf', 1, 'md5'],
      ['pg_hba.conf', 4, 'reject'],
    ]);
    expect(logs).toEqual([`skipping missing authentication file "${DIR}/missing.conf"`]);
  });

  it('[A1] a missing include is an error on the including line', async () => {
    const r = await loadHba(memoryReader({ [HBA]: 'local all all trust\ninclude nope.conf\n' }), HBA);
    expect(r.ok ? [] : r.errors.map((e) => [e.lineNumber, e.message])).toEqual([[2, `could not open file "${DIR}/nope.conf": No such file or directory`]]);
  });

  it('[A1] include nesting is bounded', async () => {
    const r = await loadHba(memoryReader({ [HBA]: 'include pg_hba.conf\n' }), HBA);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.errors[0]!.message).toBe(`could not open file "${HBA}": maximum nesting depth exceeded`);
    expect(CONFIG_NESTING_DEPTH_MAX).toBe(10);
  });

  it('[A2] a trailing backslash continues the line; the record keeps its first line number', async () => {
    const lines = await tokenizeAuthFile(memoryReader({ [HBA]: 'local \\\n all \\\r\n all trust\nlocal x y z\n' }), HBA);
    expect(lines.map((l) => [l.lineNumber, l.fields.map((f) => f.map((t) => t.text).join(','))])).toEqual([
      [1, ['local', 'all', 'all', 'trust']],
      [4, ['local', 'x', 'y', 'z']],
    ]);
  });
});

describe('pg_ident.conf', () => {
  async function maps(conf: string): Promise<IdentLine[]> {
    const r = await loadIdent(memoryReader({ [`${DIR}/pg_ident.conf`]: conf }), `${DIR}/pg_ident.conf`);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return [...r.lines];
  }

  it('[A12] a connection is allowed if some line of the map matches', async () => {
    const m = await maps('office bob  bob\noffice robert bob\nother ann bob\n');
    expect(checkUsermap(m, 'office', 'bob', 'robert', roles).ok).toBe(true);
    expect(checkUsermap(m, 'office', 'bob', 'ann', roles)).toEqual({ ok: false, logMessage: 'no match in usermap "office" for user "bob" authenticated as "ann"' });
  });

  it('[A13] regex system user with \\1 substitution; missing capture group is an error', async () => {
    const m = await maps('kerb /^(.*)@EXAMPLE\\.COM$ \\1\nkerb /^admin-.*$ pre_\\1\n');
    expect(checkUsermap(m, 'kerb', 'alice', 'alice@EXAMPLE.COM', roles).ok).toBe(true);
    expect(checkUsermap(m, 'kerb', 'alice', 'alice@OTHER.COM', roles).ok).toBe(false);
    expect(checkUsermap(m, 'kerb', 'x', 'admin-x', roles)).toEqual({
      ok: false, logMessage: 'regular expression "^admin-.*$" has no subexpressions as requested by backreference in "pre_\\1"',
    });
  });

  it('[A13] database user may be all, +role or /regex', async () => {
    const m = await maps('m root all\nm ops +admins\nm svc /^app_\n');
    expect(checkUsermap(m, 'm', 'anyone', 'root', roles).ok).toBe(true);
    expect(checkUsermap(m, 'm', 'alice', 'ops', roles).ok).toBe(true);
    expect(checkUsermap(m, 'm', 'bob', 'ops', roles).ok).toBe(false);
    expect(checkUsermap(m, 'm', 'app_1', 'svc', roles).ok).toBe(true);
    expect(checkUsermap(m, 'm', 'web', 'svc', roles).ok).toBe(false);
  });

  it('[A14] without a map the names must be equal (optionally case-insensitive)', () => {
    expect(checkUsermap([], undefined, 'bob', 'bob', roles).ok).toBe(true);
    expect(checkUsermap([], undefined, 'bob', 'Bob', roles)).toEqual({ ok: false, logMessage: 'provided user name (bob) and authenticated user name (Bob) do not match' });
    expect(checkUsermap([], undefined, 'bob', 'Bob', roles, true).ok).toBe(true);
  });

  it('[A12] parse errors make the load fail', async () => {
    const r = await loadIdent(memoryReader({ [`${DIR}/pg_ident.conf`]: 'm a\n' }), `${DIR}/pg_ident.conf`);
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual(['missing entry at end of line']);
  });
});

describe('client messages', async () => {
  const { noHbaEntryError, hbaRejectsError, authFailedError, logDetails } = await import('../src/auth-result.ts');
  const c = { type: 'host' as const, address: '10.0.0.5', user: 'bob', database: 'app', replication: false, ssl: true, gssEnc: false };

  it('[A15] no matching record and explicit reject, with the encryption state', () => {
    expect(noHbaEntryError(c)).toMatchObject({ code: '28000', severity: 'FATAL', message: 'no pg_hba.conf entry for host "10.0.0.5", user "bob", database "app", SSL encryption' });
    expect(noHbaEntryError({ ...c, replication: true, ssl: false }).message).toBe('no pg_hba.conf entry for replication connection from host "10.0.0.5", user "bob", no encryption');
    expect(hbaRejectsError({ ...c, type: 'local', ssl: false, gssEnc: true }).message).toBe('pg_hba.conf rejects connection for host "[local]", user "bob", database "app", GSS encryption');
  });

  it('[A16] password methods fail with 28P01, others with 28000 naming the method', () => {
    expect(authFailedError('md5', 'bob')).toMatchObject({ code: '28P01', message: 'password authentication failed for user "bob"' });
    expect(authFailedError('cert', 'bob')).toMatchObject({ code: '28000', message: 'certificate authentication failed for user "bob"' });
    expect(authFailedError('trust', 'bob').message).toBe('"trust" authentication failed for user "bob"');
    expect(authFailedError('peer', 'bob').message).toBe('Peer authentication failed for user "bob"');
    expect(logDetails.connectionMatched(3, 'host all all all md5')).toBe('Connection matched pg_hba.conf line 3: "host all all all md5"');
  });
});

describe('environment', async () => {
  const { systemInterfaces } = await import('../src/hba-match.ts');
  const { identFileMappings } = await import('../src/ident.ts');

  it('[A6] systemInterfaces lists this host\'s addresses with their netmasks (loopback included)', () => {
    expect(systemInterfaces()).toContainEqual({ address: '127.0.0.1', netmask: '255.0.0.0' });
  });

  it('[A11] the views raise 58P01 when the file is missing', async () => {
    await expect(hbaFileRules(memoryReader({}), HBA)).rejects.toMatchObject({ code: '58P01', message: `could not open configuration file "${HBA}": No such file or directory` });
    await expect(identFileMappings(memoryReader({}), `${DIR}/pg_ident.conf`)).rejects.toMatchObject({ code: '58P01' });
  });
});

describe('with the Node file system', async () => {
  const { NodeFileSystem } = await import('@palisade/common');
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');

  it('[A1] NodeFileSystem serves as the reader: includes, @files and include_dir on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-auth-'));
    try {
      mkdirSync(join(dir, 'conf.d'));
      writeFileSync(join(dir, 'pg_hba.conf'), 'include_dir conf.d\nhost all @users all scram-sha-256\n');
      writeFileSync(join(dir, 'conf.d', 'a.conf'), 'local all all trust\n');
      writeFileSync(join(dir, 'conf.d', 'b.txt'), 'ignored\n');
      writeFileSync(join(dir, 'users'), 'alice bob\n');
      const r = await loadHba(new NodeFileSystem({ root: dir }), join(dir, 'pg_hba.conf'));
      expect(r.ok && r.rules.map((l) => [l.method, l.roles.map((t) => t.text)])).toEqual([['trust', ['all']], ['scram-sha-256', ['alice', 'bob']]]);
      const missing = await loadHba(new NodeFileSystem({ root: dir }), join(dir, 'nope.conf'));
      expect(missing.ok ? '' : missing.errors[0]!.message).toBe(`could not open configuration file "${join(dir, 'nope.conf')}": No such file or directory`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
