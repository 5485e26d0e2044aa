// ldapAuthenticate against a real OpenLDAP slapd (see slapd.ts): both of PostgreSQL's modes,
// ldap://, ldaps:// and StartTLS, several servers, and every failure's client error and log text.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHbaLines, type HbaLine } from '../src/hba.ts';
import { tokenizeAuthFile } from '../src/config-file.ts';
import { ldapAuthenticate, type LdapAuthOptions, type LdapAuthResult } from '../src/ldap-auth.ts';
import { LdapConnection, LdapResultCode } from '../src/ldap-client.ts';
import { memoryReader } from './memory-reader.ts';
import { READER_DN, READER_PASSWORD, startSlapd, SUFFIX, USERS, type Slapd } from './slapd.ts';

let slapd: Slapd;
beforeAll(async () => {
  slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.stop();
});

async function rule(options: string): Promise<HbaLine> {
  const lines = await tokenizeAuthFile(memoryReader({ '/p/pg_hba.conf': `host all all all ldap ${options}\n` }), '/p/pg_hba.conf');
  const r = parseHbaLines(lines)[0]!;
  if (!r.line) throw new Error(r.error ?? 'no line');
  return r.line;
}

const fast: LdapAuthOptions = { connectTimeoutMs: 2_000, operationTimeoutMs: 5_000 };

async function auth(options: string, user: string, password: string, extra: LdapAuthOptions = {}): Promise<LdapAuthResult> {
  return ldapAuthenticate(await rule(options), user, password, { ...fast, ...extra });
}

/** The failure as [SQLSTATE, client message, log line, log detail]. */
function failure(r: LdapAuthResult): [string, string, string, string | undefined] {
  if (r.ok) throw new Error(`expected a failure, got success as ${r.identity}`);
  return [r.clientError.code, r.clientError.message, r.logDetail, r.logDiagnostics];
}

const ALICE_DN = `uid=alice,ou=people,${SUFFIX}`;
const ldapFailed = (user: string) => ['28000', `LDAP authentication failed for user "${user}"`] as const;

describe('LDAP simple bind against slapd', () => {
  const simple = () => `ldapserver=127.0.0.1 ldapport=${slapd.ldapPort} ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`;

  it('[LDAP3] binds as prefix ‖ user ‖ suffix with the right password', async () => {
    expect(await auth(simple(), 'alice', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
    expect(await auth(simple(), 'bob', USERS.bob)).toEqual({ ok: true, identity: `uid=bob,ou=people,${SUFFIX}` });
  });

  it('[LDAP1][LDAP3] a wrong password or an unknown user is 28000 for the client and "LDAP login failed" in the log', async () => {
    expect(failure(await auth(simple(), 'alice', 'wrong'))).toEqual([
      ...ldapFailed('alice'), `LDAP login failed for user "${ALICE_DN}" on server "127.0.0.1": Invalid credentials`, undefined,
    ]);
    expect(failure(await auth(simple(), 'nobody', 'x'))).toEqual([
      ...ldapFailed('nobody'), `LDAP login failed for user "uid=nobody,ou=people,${SUFFIX}" on server "127.0.0.1": Invalid credentials`, undefined,
    ]);
  });

  it('[LDAP3] filter characters in a user name are only part of the DN: "*" matches nothing', async () => {
    expect(failure(await auth(simple(), '*', USERS.alice))).toEqual([
      ...ldapFailed('*'), `LDAP login failed for user "uid=*,ou=people,${SUFFIX}" on server "127.0.0.1": Invalid credentials`, undefined,
    ]);
  });

  it('[LDAP2] an empty password is refused before any server is contacted', async () => {
    const r = await auth(`ldapserver=127.0.0.1 ldapport=${slapd.closedPort} ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`, 'alice', '');
    expect(failure(r)).toEqual(['28P01', 'empty password returned by client', 'empty password returned by client', undefined]);
    if (!r.ok) expect(r.clientError.severity).toBe('FATAL');
  });

  it('[LDAP1][LDAP5] an unreachable server is "Can\'t contact LDAP server"', async () => {
    const [code, message, log, detail] = failure(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.closedPort} ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`, 'alice', USERS.alice));
    expect([code, message, log]).toEqual([...ldapFailed('alice'), `LDAP login failed for user "${ALICE_DN}" on server "127.0.0.1": Can't contact LDAP server`]);
    expect(detail).toMatch(/^LDAP diagnostics: .*ECONNREFUSED/);
  });

  it('[LDAP1] a record without a usable server fails without contacting anything', async () => {
    expect(failure(await auth(`ldapurl="ldap:///${SUFFIX}"`, 'alice', USERS.alice))).toEqual([...ldapFailed('alice'), 'LDAP server not specified', undefined]);
  });

  it('[LDAP5] the servers of ldapserver are tried in order; the log names ldapserver as written', async () => {
    const two = `ldapserver="127.0.0.9 127.0.0.1" ldapport=${slapd.ldapPort} ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`;
    expect(await auth(two, 'alice', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
    expect(failure(await auth(two, 'alice', 'wrong'))[2]).toBe(`LDAP login failed for user "${ALICE_DN}" on server "127.0.0.9 127.0.0.1": Invalid credentials`);
    const none = `ldapserver="127.0.0.9 127.0.0.1" ldapport=${slapd.closedPort} ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`;
    expect(failure(await auth(none, 'alice', USERS.alice))[2]).toBe(`LDAP login failed for user "${ALICE_DN}" on server "127.0.0.9 127.0.0.1": Can't contact LDAP server`);
  });
});

describe('LDAP search+bind against slapd', () => {
  const base = () => `ldapserver=127.0.0.1 ldapport=${slapd.ldapPort} ldapbasedn="${SUFFIX}"`;

  it('[LDAP4] anonymous search on uid, then bind as the entry found', async () => {
    expect(await auth(base(), 'alice', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
    expect(await auth(base(), 'bob', USERS.bob)).toEqual({ ok: true, identity: `uid=bob,ou=people,${SUFFIX}` });
  });

  it('[LDAP4] search as ldapbinddn / ldapbindpasswd; a wrong bind password is "could not perform initial LDAP bind"', async () => {
    expect(await auth(`${base()} ldapbinddn="${READER_DN}" ldapbindpasswd="${READER_PASSWORD}"`, 'alice', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
    expect(failure(await auth(`${base()} ldapbinddn="${READER_DN}" ldapbindpasswd=wrong`, 'alice', USERS.alice))).toEqual([
      ...ldapFailed('alice'), `could not perform initial LDAP bind for ldapbinddn "${READER_DN}" on server "127.0.0.1": Invalid credentials`, undefined,
    ]);
  });

  it('[LDAP1][LDAP4] a wrong password fails the second bind', async () => {
    expect(failure(await auth(base(), 'alice', 'wrong'))).toEqual([
      ...ldapFailed('alice'), `LDAP login failed for user "${ALICE_DN}" on server "127.0.0.1": Invalid credentials`, undefined,
    ]);
  });

  it('[LDAP4] an unknown user does not exist; a user found twice is not unique', async () => {
    expect(failure(await auth(base(), 'nobody', 'x'))).toEqual([
      ...ldapFailed('nobody'), 'LDAP user "nobody" does not exist', 'LDAP search for filter "(uid=nobody)" on server "127.0.0.1" returned no entries.',
    ]);
    expect(failure(await auth(base(), 'twin', USERS.twin))).toEqual([
      ...ldapFailed('twin'), 'LDAP user "twin" is not unique', 'LDAP search for filter "(uid=twin)" on server "127.0.0.1" returned 2 entries.',
    ]);
  });

  it('[LDAP4] the scope and attribute of an ldapurl narrow the search (one level under ou=people)', async () => {
    const url = `ldapurl="ldap://127.0.0.1:${slapd.ldapPort}/ou=people,${SUFFIX}?uid?one"`;
    expect(await auth(url, 'twin', USERS.twin)).toEqual({ ok: true, identity: `uid=twin,ou=people,${SUFFIX}` });
    const cn = `ldapurl="ldap://127.0.0.1:${slapd.ldapPort}/${SUFFIX}?cn?sub"`;
    expect(await auth(cn, 'Alice', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
  });

  it('[LDAP4][LDAP8] ldapsearchfilter with $username, sent as OpenLDAP encodes it', async () => {
    const f = `${base()} ldapsearchfilter="(&(objectClass=inetOrgPerson)(|(uid=$username)(mail=$username)))"`;
    expect(await auth(f, 'alice@example.org', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
    expect(await auth(f, 'bob', USERS.bob)).toEqual({ ok: true, identity: `uid=bob,ou=people,${SUFFIX}` });
    const sub = `${base()} ldapsearchfilter="(&(mail=$username@*)(!(cn=Bob))(cn=A*e)(createTimestamp>=20000101000000Z)(uid:caseIgnoreMatch:=$username))"`;
    expect(await auth(sub, 'alice', USERS.alice)).toEqual({ ok: true, identity: ALICE_DN });
    expect(failure(await auth(sub, 'bob', USERS.bob))[2]).toBe('LDAP user "bob" does not exist');
  });

  it('[LDAP4] user names with * ( ) \\ / or NUL are refused before any server is contacted', async () => {
    const unreachable = `ldapserver=127.0.0.1 ldapport=${slapd.closedPort} ldapbasedn="${SUFFIX}"`;
    for (const user of ['*', 'alice)(uid=*', 'a\\2a', 'x/y', 'ali\0ce', '(']) {
      expect(failure(await auth(unreachable, user, 'x'))).toEqual([...ldapFailed(user), 'invalid character in user name for LDAP authentication', undefined]);
    }
  });

  it('[LDAP2] an empty password is refused before any server is contacted', async () => {
    const r = await auth(`ldapserver=127.0.0.1 ldapport=${slapd.closedPort} ldapbasedn="${SUFFIX}"`, 'alice', '');
    expect(failure(r)).toEqual(['28P01', 'empty password returned by client', 'empty password returned by client', undefined]);
  });

  it('[LDAP1][LDAP5] an unreachable server fails the initial bind', async () => {
    const [code, message, log] = failure(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.closedPort} ldapbasedn="${SUFFIX}"`, 'alice', USERS.alice));
    expect([code, message, log]).toEqual([...ldapFailed('alice'), 'could not perform initial LDAP bind for ldapbinddn "" on server "127.0.0.1": Can\'t contact LDAP server']);
  });

  it('[LDAP4] search errors: a missing base DN, a malformed filter, more entries than allowed', async () => {
    expect(failure(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.ldapPort} ldapbasedn="dc=nowhere"`, 'alice', USERS.alice))[2])
      .toBe('could not search LDAP for filter "(uid=alice)" on server "127.0.0.1": No such object');
    expect(failure(await auth(`${base()} ldapsearchfilter="(uid=$username"`, 'alice', USERS.alice))[2])
      .toBe('could not search LDAP for filter "(uid=alice" on server "127.0.0.1": Bad search filter');
    expect(failure(await auth(base(), 'twin', USERS.twin, { searchEntriesMax: 1 }))[2])
      .toBe('could not search LDAP for filter "(uid=twin)" on server "127.0.0.1": Size limit exceeded');
  });
});

describe('LDAP over TLS against slapd', () => {
  it('[LDAP6] ldaps (ldapscheme=ldaps or an ldaps:// ldapurl) with the server certificate verified against tlsCa', async () => {
    const ca = { tlsCa: slapd.caPem };
    expect(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.ldapsPort} ldapscheme=ldaps ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`, 'alice', USERS.alice, ca))
      .toEqual({ ok: true, identity: ALICE_DN });
    expect(await auth(`ldapserver=localhost ldapport=${slapd.ldapsPort} ldapscheme=ldaps ldapbasedn="${SUFFIX}"`, 'bob', USERS.bob, ca))
      .toEqual({ ok: true, identity: `uid=bob,ou=people,${SUFFIX}` });
    expect(await auth(`ldapurl="ldaps://127.0.0.1:${slapd.ldapsPort}/${SUFFIX}?uid?sub"`, 'alice', USERS.alice, ca)).toEqual({ ok: true, identity: ALICE_DN });
    expect(failure(await auth(`ldapurl="ldaps://127.0.0.1:${slapd.ldapsPort}/${SUFFIX}?uid?sub"`, 'alice', 'wrong', ca))[2])
      .toBe(`LDAP login failed for user "${ALICE_DN}" on server "127.0.0.1": Invalid credentials`);
  });

  it('[LDAP6] ldaps refuses a server certificate from an untrusted CA (another CA, or the system\'s)', async () => {
    for (const extra of [{ tlsCa: slapd.otherCaPem }, {}]) {
      const [code, message, log, detail] = failure(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.ldapsPort} ldapscheme=ldaps ldapbasedn="${SUFFIX}"`, 'alice', USERS.alice, extra));
      expect([code, message, log]).toEqual([...ldapFailed('alice'), 'could not perform initial LDAP bind for ldapbinddn "" on server "127.0.0.1": Can\'t contact LDAP server']);
      expect(detail).toMatch(/^LDAP diagnostics: .*(certificate|issuer)/);
    }
  });

  it('[LDAP6] StartTLS (ldaptls=1) in both modes, verified against tlsCa', async () => {
    const ca = { tlsCa: slapd.caPem };
    expect(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.ldapPort} ldaptls=1 ldapprefix="uid=" ldapsuffix=",ou=people,${SUFFIX}"`, 'alice', USERS.alice, ca))
      .toEqual({ ok: true, identity: ALICE_DN });
    expect(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.ldapPort} ldaptls=1 ldapbasedn="${SUFFIX}" ldapbinddn="${READER_DN}" ldapbindpasswd="${READER_PASSWORD}"`, 'bob', USERS.bob, ca))
      .toEqual({ ok: true, identity: `uid=bob,ou=people,${SUFFIX}` });
  });

  it('[LDAP6] StartTLS refuses an untrusted server certificate: "could not start LDAP TLS session"', async () => {
    const [code, message, log, detail] = failure(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.ldapPort} ldaptls=1 ldapbasedn="${SUFFIX}"`, 'alice', USERS.alice, { tlsCa: slapd.otherCaPem }));
    expect([code, message, log]).toEqual([...ldapFailed('alice'), 'could not start LDAP TLS session: Connect error']);
    expect(detail).toMatch(/^LDAP diagnostics: .*(certificate|issuer)/);
    expect(failure(await auth(`ldapserver=127.0.0.1 ldapport=${slapd.closedPort} ldaptls=1 ldapbasedn="${SUFFIX}"`, 'alice', USERS.alice))[2])
      .toBe('could not start LDAP TLS session: Can\'t contact LDAP server');
  });

  it('[LDAP6] the connection is encrypted after StartTLS and operations continue over TLS', async () => {
    const conn = await LdapConnection.open([{ host: '127.0.0.1', port: slapd.ldapPort, ldaps: false }], { ...fast, connectTimeoutMs: 2_000, operationTimeoutMs: 5_000, messageSizeMaxBytes: 65536, tlsCa: slapd.caPem });
    try {
      expect(conn.encrypted).toBe(false);
      expect((await conn.startTls()).resultCode).toBe(LdapResultCode.SUCCESS);
      expect(conn.encrypted).toBe(true);
      expect((await conn.bind(ALICE_DN, USERS.alice)).resultCode).toBe(LdapResultCode.SUCCESS);
      const found = await conn.search({ baseDn: SUFFIX, scope: 2, filter: '(objectClass=inetOrgPerson)', attributes: ['1.1'], sizeLimit: 10, timeLimitSeconds: 5 });
      expect([found.result.resultCode, found.entries.length]).toEqual([0, 4]);
    } finally {
      conn.close();
    }
  });
});
