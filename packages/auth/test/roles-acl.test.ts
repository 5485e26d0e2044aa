import { describe, expect, it } from 'vitest';
import { isPgError, type Oid } from '@palisade/common';
import { RoleGraph, defaultRoleAttributes, checkCreateRoleAttributes, usablePassword } from '../src/roles.ts';
import {
  ACL_PUBLIC, Privilege as P, aclDefault, allPrivileges, privilegeLetters, formatAclItem, formatAcl, parseAclItem, hasPrivilege,
  columnPrivileges, privilegesFromNames, permissionDenied, mustBeOwner,
} from '../src/acl.ts';
import { executeGrant, setDefaultAcl, defaultAclForNewObject } from '../src/grant.ts';

const id = (n: number) => n as Oid;
function graph() {
  const g = new RoleGraph();
  g.addRole(id(10), 'postgres', { superuser: true });
  for (const [i, n] of ['alice', 'bob', 'carol', 'admins', 'staff', 'noinh'].entries()) g.addRole(id(100 + i), n);
  g.role(id(105))!.attributes.inherit = false;
  return g;
}
const [SU, ALICE, BOB, CAROL, ADMINS, STAFF, NOINH] = [10, 100, 101, 102, 103, 104, 105].map(id) as [Oid, Oid, Oid, Oid, Oid, Oid, Oid];

function pgErr(fn: () => unknown): { code: string; message: string } {
  try { fn(); } catch (err) { if (isPgError(err)) return { code: err.code, message: err.message }; throw err; }
  throw new Error('no error');
}

describe('role attributes', () => {
  it('[A34] defaults: NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOLOGIN NOREPLICATION NOBYPASSRLS, no limit, no password', () => {
    expect(defaultRoleAttributes()).toEqual({
      superuser: false, inherit: true, createRole: false, createDb: false, canLogin: false, replication: false,
      bypassRls: false, connectionLimit: -1, password: null, validUntilMs: null,
    });
    expect(defaultRoleAttributes({ login: true }).canLogin).toBe(true);
  });

  it('[A35] only superusers create superusers, replication and bypassrls roles; others need CREATEROLE', () => {
    const plain = defaultRoleAttributes();
    const creator = { ...plain, createRole: true };
    expect(pgErr(() => checkCreateRoleAttributes(creator, { superuser: true }))).toEqual({ code: '42501', message: 'must be superuser to create superusers' });
    expect(pgErr(() => checkCreateRoleAttributes(creator, { replication: true })).message).toBe('must be superuser to create replication users');
    expect(pgErr(() => checkCreateRoleAttributes(creator, { bypassRls: true })).message).toBe('must be superuser to create bypassrls users');
    expect(pgErr(() => checkCreateRoleAttributes(plain, {})).message).toBe('permission denied to create role');
    expect(() => checkCreateRoleAttributes(creator, { createDb: true })).not.toThrow();
  });

  it('[A36][A17] VALID UNTIL and NULL passwords make the secret unusable, with the log reason', () => {
    const g = graph();
    expect(usablePassword(undefined, 0)).toEqual({ secret: null, reason: 'role-does-not-exist' });
    expect(usablePassword(g.role(ALICE), 0)).toEqual({ secret: null, reason: 'no-password' });
    g.role(ALICE)!.attributes.password = 'md5' + '0'.repeat(32);
    g.role(ALICE)!.attributes.validUntilMs = 1000;
    expect(usablePassword(g.role(ALICE), 2000).reason).toBe('password-expired');
    expect(usablePassword(g.role(ALICE), 500).secret).toBe('md5' + '0'.repeat(32));
  });
});

describe('membership', () => {
  it('[P13] cycles are refused with 0LP01, including a role granted to itself', () => {
    const g = graph();
    g.grantMembership(ADMINS, ALICE, { grantorId: SU });
    g.grantMembership(STAFF, ADMINS, { grantorId: SU });
    expect(pgErr(() => g.grantMembership(ALICE, STAFF, { grantorId: SU }))).toEqual({ code: '0LP01', message: 'role "alice" is a member of role "staff"' });
    expect(pgErr(() => g.grantMembership(ALICE, ALICE, { grantorId: SU })).message).toBe('role "alice" is a member of role "alice"');
  });

  it('[P13] granting requires the admin option (or CREATEROLE); ADMIN is not held on oneself', () => {
    const g = graph();
    expect(pgErr(() => g.grantMembership(ADMINS, BOB, { grantorId: ALICE }))).toEqual({ code: '42501', message: 'must have admin option on role "admins"' });
    g.grantMembership(ADMINS, ALICE, { grantorId: SU, admin: true });
    expect(g.grantMembership(ADMINS, BOB, { grantorId: ALICE })).toEqual([]);
    expect(g.isAdminOfRole(BOB, ADMINS)).toBe(false);
    expect(g.isAdminOfRole(ALICE, ALICE)).toBe(false);
    expect(g.isAdminOfRole(ALICE, ALICE, { sessionUserId: ALICE })).toBe(true);
    expect(g.grantMembership(ADMINS, BOB, { grantorId: ALICE })[0]!.message).toBe('role "bob" is already a member of role "admins"');
    expect(g.revokeMembership(STAFF, BOB, { grantorId: SU })[0]!.message).toBe('role "bob" is not a member of role "staff"');
    const su = graph();
    expect(pgErr(() => su.grantMembership(SU, ALICE, { grantorId: BOB })).message).toBe('must be superuser to alter superusers');
  });

  it('[P13] messages of a PostgreSQL 15 session (GRANT role / REVOKE role)', () => {
    const g = graph();
    g.addRole(id(300), 'pg_database_owner');
    expect(g.grantMembership(ADMINS, BOB, { grantorId: SU })).toEqual([]);
    expect(pgErr(() => g.grantMembership(BOB, ADMINS, { grantorId: SU })).message).toBe('role "bob" is a member of role "admins"');
    const notice = g.grantMembership(ADMINS, BOB, { grantorId: SU })[0]!;
    expect([notice.severity, notice.code, notice.message]).toEqual(['NOTICE', '00000', 'role "bob" is already a member of role "admins"']);
    expect(g.grantMembership(ADMINS, BOB, { grantorId: SU, admin: true })).toEqual([]);
    const warning = g.revokeMembership(STAFF, BOB, { grantorId: SU })[0]!;
    expect([warning.severity, warning.code, warning.message]).toEqual(['WARNING', '01000', 'role "bob" is not a member of role "staff"']);
    expect(pgErr(() => g.grantMembership(id(300), CAROL, { grantorId: SU }))).toEqual({ code: '0LP01', message: 'role "pg_database_owner" cannot have explicit members' });
    expect(pgErr(() => g.grantMembership(CAROL, id(300), { grantorId: SU }))).toEqual({ code: '0LP01', message: 'role "pg_database_owner" cannot be a member of any role' });
    expect(g.grantMembership(ADMINS, CAROL, { grantorId: BOB })).toEqual([]);
    expect(g.revokeMembership(ADMINS, BOB, { grantorId: SU, adminOptionOnly: true })).toEqual([]);
    expect(pgErr(() => g.grantMembership(ADMINS, ALICE, { grantorId: BOB })).message).toBe('must have admin option on role "admins"');
  });

  it('[P14][A37] privileges are inherited only through INHERIT roles; SET ROLE needs any membership chain', () => {
    const g = graph();
    g.grantMembership(NOINH, ALICE, { grantorId: SU });
    g.grantMembership(STAFF, NOINH, { grantorId: SU });
    g.grantMembership(ADMINS, ALICE, { grantorId: SU });
    expect(g.hasPrivsOfRole(ALICE, NOINH)).toBe(true);
    expect(g.hasPrivsOfRole(ALICE, STAFF)).toBe(false);
    expect(g.isMemberOfRole(ALICE, STAFF)).toBe(true);
    expect(g.canSetRole(ALICE, STAFF)).toBe(true);
    expect(g.canSetRole(BOB, STAFF)).toBe(false);
    expect(g.rolesIsMemberOf(ALICE, 'privs')).toEqual([ALICE, ADMINS, NOINH]);
    expect(g.rolesIsMemberOf(ALICE, 'members')).toEqual([ALICE, ADMINS, NOINH, STAFF]);
  });

  it('[A5] superuser is a member of everything for privileges, but not for pg_hba +role', () => {
    const g = graph();
    expect(g.isMemberOfRole(SU, STAFF)).toBe(true);
    expect(g.hasPrivsOfRole(SU, STAFF)).toBe(true);
    expect(g.hbaOracle().isMemberOf('postgres', 'staff')).toBe(false);
    g.grantMembership(STAFF, BOB, { grantorId: SU });
    expect(g.hbaOracle().isMemberOf('bob', 'staff')).toBe(true);
    expect(g.hbaOracle().isMemberOf('ghost', 'staff')).toBe(false);
  });
});

describe('ACL items', () => {
  const g = graph();
  g.addRole(id(200), 'we"ird name');
  const names = { nameOf: (i: Oid) => g.nameOf(i), idOf: (n: string) => g.idOf(n) };

  it('[P1] text form: letters in order, * after grantable privileges, empty grantee for PUBLIC, quoted names', () => {
    expect(formatAclItem({ grantee: ALICE, grantor: BOB, privs: P.SELECT | P.INSERT, grantOptions: P.SELECT }, names)).toBe('alice=ar*/bob');
    expect(formatAclItem({ grantee: ACL_PUBLIC, grantor: BOB, privs: P.USAGE, grantOptions: 0 }, names)).toBe('=U/bob');
    expect(formatAclItem({ grantee: id(200), grantor: id(999), privs: P.CONNECT, grantOptions: 0 }, names)).toBe('"we""ird name"=c/999');
    expect(formatAcl([{ grantee: id(200), grantor: BOB, privs: P.SELECT, grantOptions: 0 }], names)).toBe('{"\\"we\\"\\"ird name\\"=r/bob"}');
  });

  it('[P1] parse round-trips and reports PostgreSQL\'s errors', () => {
    for (const text of ['alice=ar*/bob', '=U/bob', '"we""ird name"=arwdDxt/alice', 'bob=X*/postgres']) {
      expect(formatAclItem(parseAclItem(text, names, SU), names)).toBe(text);
    }
    expect(parseAclItem('group staff=r', names, SU)).toEqual({ grantee: STAFF, grantor: SU, privs: P.SELECT, grantOptions: 0 });
    expect(pgErr(() => parseAclItem('alice=q/bob', names, SU))).toEqual({ code: '22P02', message: 'invalid mode character: must be one of "arwdDxtXUCTcsA"' });
    expect(pgErr(() => parseAclItem('ghost=r/bob', names, SU))).toEqual({ code: '42704', message: 'role "ghost" does not exist' });
    expect(pgErr(() => parseAclItem('alice=r/', names, SU)).message).toBe('a name must follow the "/" sign');
    expect(pgErr(() => parseAclItem('alice', names, SU)).message).toBe('missing "=" sign');
    expect(pgErr(() => parseAclItem('alice=r/bob x', names, SU)).message).toBe('extra garbage at the end of the ACL specification');
  });

  it('[P2] ALL per object type', () => {
    const all = (t: Parameters<typeof allPrivileges>[0]) => privilegeLetters(allPrivileges(t));
    expect([all('table'), all('column'), all('sequence'), all('database'), all('schema'), all('function'), all('procedure'), all('language'),
      all('type'), all('domain'), all('foreign-data wrapper'), all('foreign server'), all('large object'), all('tablespace'), all('parameter')])
      .toEqual(['arwdDxt', 'arwx', 'rwU', 'CTc', 'UC', 'X', 'X', 'U', 'U', 'U', 'U', 'U', 'rw', 'C', 'sA']);
    expect(pgErr(() => privilegesFromNames('schema', ['select']))).toEqual({ code: '0LP01', message: 'invalid privilege type SELECT for schema' });
    expect(pgErr(() => privilegesFromNames('table', ['frob']))).toEqual({ code: '42601', message: 'unrecognized privilege type "frob"' });
    expect(privilegesFromNames('table', ['rule'])).toBe(0);
  });

  it('[P3] built-in defaults: PUBLIC gets Tc on databases, X on functions, U on languages and types; owner gets all', () => {
    const f = (t: Parameters<typeof aclDefault>[0]) => aclDefault(t, ALICE).map((i) => formatAclItem(i, names));
    expect(f('database')).toEqual(['=Tc/alice', 'alice=CTc/alice']);
    expect(f('function')).toEqual(['=X/alice', 'alice=X/alice']);
    expect(f('language')).toEqual(['=U/alice', 'alice=U/alice']);
    expect(f('domain')).toEqual(['=U/alice', 'alice=U/alice']);
    expect(f('table')).toEqual(['alice=arwdDxt/alice']);
    expect(f('schema')).toEqual(['alice=UC/alice']);
    expect(f('column')).toEqual([]);
  });
});

describe('privilege checks', () => {
  it('[P5] effective privileges: direct ∪ PUBLIC ∪ inherited roles; superuser holds all', () => {
    const g = graph();
    g.grantMembership(STAFF, BOB, { grantorId: SU });
    const acl = [
      { grantee: ALICE, grantor: CAROL, privs: P.SELECT, grantOptions: 0 },
      { grantee: ACL_PUBLIC, grantor: CAROL, privs: P.INSERT, grantOptions: 0 },
      { grantee: STAFF, grantor: CAROL, privs: P.UPDATE, grantOptions: 0 },
    ];
    expect(hasPrivilege(acl, 'table', CAROL, ALICE, P.SELECT | P.INSERT, g)).toBe(true);
    expect(hasPrivilege(acl, 'table', CAROL, ALICE, P.UPDATE, g)).toBe(false);
    expect(hasPrivilege(acl, 'table', CAROL, BOB, P.UPDATE | P.INSERT, g)).toBe(true);
    expect(hasPrivilege(acl, 'table', CAROL, SU, P.TRUNCATE, g)).toBe(true);
    expect(hasPrivilege(null, 'table', CAROL, CAROL, P.TRUNCATE, g)).toBe(true);
    expect(hasPrivilege(null, 'function', CAROL, BOB, P.EXECUTE, g)).toBe(true);
  });

  it('[P6] a column is accessible through a table-level or a column-level grant', () => {
    const g = graph();
    const table = [{ grantee: ALICE, grantor: CAROL, privs: P.SELECT, grantOptions: 0 }];
    const column = [{ grantee: ALICE, grantor: CAROL, privs: P.UPDATE, grantOptions: 0 }, { grantee: BOB, grantor: CAROL, privs: P.SELECT, grantOptions: 0 }];
    expect(columnPrivileges(table, column, CAROL, ALICE, P.SELECT | P.UPDATE, g)).toBe(P.SELECT | P.UPDATE);
    expect(columnPrivileges(table, column, CAROL, BOB, P.SELECT | P.UPDATE, g)).toBe(P.SELECT);
    expect(columnPrivileges(table, null, CAROL, BOB, P.SELECT, g)).toBe(0);
  });

  it('[P11] error texts', () => {
    expect(permissionDenied('table', 't').message).toBe('permission denied for table t');
    expect(permissionDenied('column', 't', 'c').message).toBe('permission denied for column "c" of relation "t"');
    expect(mustBeOwner('table', 't')).toMatchObject({ code: '42501', message: 'must be owner of table t' });
  });

  it('[P8] grant options can only be granted to roles; granting back to one\'s own grantor is refused', () => {
    const g = graph();
    expect(pgErr(() => executeGrant({ isGrant: true, objectType: 'table', objectName: 't', acl: null, owner: CAROL, privileges: P.SELECT, grantees: [ACL_PUBLIC], grantOption: true, currentUser: CAROL }, g)))
      .toEqual({ code: '0LP01', message: 'grant options can only be granted to roles' });
    let acl = executeGrant({ isGrant: true, objectType: 'table', objectName: 't', acl: null, owner: CAROL, privileges: P.SELECT, grantees: [ALICE], grantOption: true, currentUser: CAROL }, g).acl;
    acl = executeGrant({ isGrant: true, objectType: 'table', objectName: 't', acl, owner: CAROL, privileges: P.SELECT, grantees: [BOB], grantOption: true, currentUser: ALICE }, g).acl;
    expect(pgErr(() => executeGrant({ isGrant: true, objectType: 'table', objectName: 't', acl, owner: CAROL, privileges: P.SELECT, grantees: [ALICE], grantOption: true, currentUser: BOB }, g)))
      .toEqual({ code: '0LP01', message: 'grant options cannot be granted back to your own grantor' });
  });

  it('[P15] default privileges affect only objects created by the role; per-schema entries add to global ones', () => {
    const g = graph();
    const glob = setDefaultAcl(null, { role: ALICE, schema: null, objectType: 'tables', isGrant: true, privileges: P.SELECT, grantees: [BOB], grantOption: false }, g)!;
    const sch = setDefaultAcl(null, { role: ALICE, schema: id(500), objectType: 'tables', isGrant: true, privileges: P.INSERT, grantees: [BOB], grantOption: false }, g)!;
    const revokeInSchema = setDefaultAcl(sch, { role: ALICE, schema: id(500), objectType: 'tables', isGrant: false, privileges: P.SELECT, grantees: [BOB], grantOption: false }, g);
    expect(revokeInSchema!.acl).toEqual(sch.acl);
    const entries = [glob, revokeInSchema!];
    const names = { nameOf: (i: Oid) => g.nameOf(i), idOf: (n: string) => g.idOf(n) };
    expect(defaultAclForNewObject(entries, 'tables', ALICE, id(500), g)!.map((i) => formatAclItem(i, names))).toEqual(['alice=arwdDxt/alice', 'bob=ar/alice']);
    expect(defaultAclForNewObject(entries, 'tables', BOB, id(500), g)).toBeNull();
    expect(setDefaultAcl(glob, { role: ALICE, schema: null, objectType: 'tables', isGrant: false, privileges: P.SELECT, grantees: [BOB], grantOption: false }, g)).toBeNull();
  });
});
