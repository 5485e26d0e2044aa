import { describe, expect, it } from 'vitest';
import { hbaFileRules, parseHbaLines, type HbaLine } from '../src/hba.ts';
import { tokenizeAuthFile } from '../src/config-file.ts';
import { ldapPlan, checkLdapUserName, ldapSearchFilter, ldapBindDn, ldapSearchResultMessage } from '../src/ldap.ts';
import { parseLdapUrl } from '../src/ldap-url.ts';
import { memoryReader } from './memory-reader.ts';

async function line(text: string): Promise<HbaLine> {
  const lines = await tokenizeAuthFile(memoryReader({ '/p/pg_hba.conf': text + '\n' }), '/p/pg_hba.conf');
  const r = parseHbaLines(lines)[0]!;
  if (!r.line) throw new Error(r.error ?? 'no line');
  return r.line;
}

describe('LDAP plan', () => {
  it('[A8] simple bind: DN is prefix ‖ user ‖ suffix; several servers; default port by scheme', async () => {
    const r = ldapPlan(await line('host all all all ldap ldapserver="a.example b.example" ldapprefix="cn=" ldapsuffix=",dc=example"'));
    expect(r.ok && r.plan.serverUris).toEqual(['ldap://a.example:389', 'ldap://b.example:389']);
    expect(r.ok && r.plan.mode).toBe('simple-bind');
    expect(r.ok && ldapBindDn(r.plan, 'alice')).toBe('cn=alice,dc=example');
  });

  it('[A8] search+bind: filter from attribute (uid by default) or from ldapsearchfilter with $username', async () => {
    const a = ldapPlan(await line('host all all all ldap ldapurl="ldaps://h/dc=x?cn?sub"'));
    expect(a.ok && [a.plan.serverUris, a.plan.mode, a.plan.scope, ldapSearchFilter(a.plan, 'bob')]).toEqual([['ldaps://h:636'], 'search-bind', 2, '(cn=bob)']);
    const b = ldapPlan(await line('host all all all ldap ldapserver=h ldapbasedn=dc=x'));
    expect(b.ok && ldapSearchFilter(b.plan, 'bob')).toBe('(uid=bob)');
    const c = ldapPlan(await line('host all all all ldap ldapserver=h ldapbasedn=dc=x ldapsearchfilter="(|(uid=$username)(mail=$username@x))"'));
    expect(c.ok && ldapSearchFilter(c.plan, 'bob')).toBe('(|(uid=bob)(mail=bob@x))');
  });

  it('[A8] user names that would need filter escaping are refused; records without a server or with a bad scheme are unusable', async () => {
    expect(checkLdapUserName('bob')).toBeNull();
    expect(checkLdapUserName('b*b')).toBe('invalid character in user name for LDAP authentication');
    expect(ldapPlan(await line('host all all all ldap ldapurl="ldap:///dc=x"'))).toEqual({ ok: false, logMessage: 'LDAP server not specified' });
    expect(ldapPlan(await line('host all all all ldap ldapserver=h ldapprefix=a ldapscheme=foo'))).toEqual({ ok: false, logMessage: 'invalid ldapscheme value: "foo"' });
    expect(ldapSearchResultMessage('bob', '(uid=bob)', 'h', 2)).toEqual({ message: 'LDAP user "bob" is not unique', detail: 'LDAP search for filter "(uid=bob)" on server "h" returned 2 entries.' });
    expect(ldapSearchResultMessage('bob', '(uid=bob)', 'h', 0)!.message).toBe('LDAP user "bob" does not exist');
  });

  it('[A9] LDAP URLs: defaults, decoding and OpenLDAP error words', () => {
    expect(parseLdapUrl('ldap://h:1234/dc=a%20b?cn,mail?one?(x=1)')).toEqual({ ok: true, url: { scheme: 'ldap', host: 'h', port: 1234, baseDn: 'dc=a b', attributes: ['cn', 'mail'], scope: 1, filter: '(x=1)' } });
    expect(parseLdapUrl('http://h/')).toEqual({ ok: false, reason: 'Time limit exceeded' });
    expect(parseLdapUrl('ldap://h/x??bogus')).toEqual({ ok: false, reason: 'Strong(er) authentication required' });
  });

  it('[A9] ldap options appear in pg_hba_file_rules in PostgreSQL\'s order', async () => {
    const rows = await hbaFileRules(memoryReader({ '/p/pg_hba.conf': 'host all all all ldap ldapserver=h ldapbasedn=dc=x ldapbindpasswd=s3cret\n' }), '/p/pg_hba.conf');
    expect(rows[0]!.options).toEqual(['ldapserver=h', 'ldapbasedn=dc=x', 'ldapbindpasswd=s3cret', 'ldapscope=2']);
  });
});
