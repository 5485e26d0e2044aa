import * as fs from 'node:fs';
import { NodeFileSystem, isPgError } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { SEPG_CLASS, allPermissionBits, permissionBits } from '../src/classes.ts';
import { UserspacePolicyProvider } from '../src/userspace-provider.ts';
import { compilePolicy } from './helpers.ts';

const nodeFs = new NodeFileSystem({ root: '/' });
const USER = 'unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0';
const DBA = 'unconfined_u:sepgsql_dba_r:sepgsql_regtest_dba_t:s0';

async function regtest(enforcing = true): Promise<UserspacePolicyProvider> {
  return UserspacePolicyProvider.fromFile(nodeFs, compilePolicy('sepgsql-regtest.conf'), { enforcing });
}

async function unknownPolicy(mode: 'deny' | 'allow' | 'reject'): Promise<UserspacePolicyProvider> {
  const path = compilePolicy('sepgsql-unknown.cil', { edit: (s) => s.replace('(handleunknown deny)', `(handleunknown ${mode})`), tag: mode });
  return UserspacePolicyProvider.fromFile(nodeFs, path);
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(isPgError(e)).toBe(true);
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('userspace policy provider', () => {
  it('[SE9] [S2] translates the policy\'s permission values to internal bits by name', async () => {
    const p = await regtest();
    const d = await p.computeAccess(USER, 'system_u:object_r:sepgsql_ro_table_t:s0', SEPG_CLASS.db_table);
    expect(d.allowed).toBe(permissionBits('db_table', ['getattr', 'select', 'lock']));
    const c = await p.computeAccess(USER, 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_column);
    expect(c.allowed).toBe(allPermissionBits('db_column'));
    // The identity constraint (u1 == u2 or t1 == superuser) takes drop and relabelto away.
    const t = await p.computeAccess(USER, 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_table);
    expect(t.allowed).toBe((allPermissionBits('db_table') & ~permissionBits('db_table', ['drop', 'relabelto'])) >>> 0);
  });

  it('[SE9] [S3] a class the policy lacks is denied under deny_unknown and always audited on deny', async () => {
    const p = await unknownPolicy('deny');
    const d = await p.computeAccess('system_u:system_r:client_t', 'system_u:object_r:table_t', SEPG_CLASS.db_blob);
    expect(d).toEqual({ allowed: 0, auditallow: 0, auditdeny: 0xffffffff, permissive: false });
    const t = await p.computeAccess('system_u:system_r:client_t', 'system_u:object_r:table_t', SEPG_CLASS.db_table);
    const truncate = permissionBits('db_table', ['truncate']);
    expect(t.allowed).toBe(permissionBits('db_table', ['getattr', 'select', 'insert']));
    expect(t.auditdeny & truncate).toBe(truncate);
    expect(t.auditallow).toBe(permissionBits('db_table', ['insert']));
    expect((await p.status()).denyUnknown).toBe(true);
  });

  it('[SE9] [S3] under allow_unknown missing classes and permissions are allowed', async () => {
    const p = await unknownPolicy('allow');
    const d = await p.computeAccess('system_u:system_r:client_t', 'system_u:object_r:table_t', SEPG_CLASS.db_blob);
    expect(d.allowed).toBe(0xffffffff);
    const t = await p.computeAccess('system_u:system_r:client_t', 'system_u:object_r:table_t', SEPG_CLASS.db_table);
    expect(t.allowed).toBe(permissionBits('db_table', ['getattr', 'select', 'insert', 'truncate']));
    expect((await p.status()).denyUnknown).toBe(false);
  });

  it('[SE9] [S3] a reject_unknown policy that lacks SE-PostgreSQL classes is refused at load', async () => {
    const err = await errorOf(unknownPolicy('reject'));
    expect(err.code).toBe('F0000');
    expect(err.message).toContain('rejects unknown classes and permissions but lacks');
    expect(err.message).toContain('db_blob');
    expect(err.message).toContain('db_table:truncate');
  });

  it('[SE10] name-based type transitions label objects by name (hand-derived: libsepol has no name query)', async () => {
    const p = await regtest();
    expect(await p.computeCreate(USER, 'system_u:object_r:sepgsql_db_t:s0', SEPG_CLASS.db_schema, 'pg_temp')).toBe('unconfined_u:object_r:sepgsql_temp_schema_t:s0');
    expect(await p.computeCreate(USER, 'system_u:object_r:sepgsql_db_t:s0', SEPG_CLASS.db_schema, 'public')).toBe('unconfined_u:object_r:sepgsql_schema_t:s0');
    expect(await p.computeCreate(USER, 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_column, 'password')).toBe('unconfined_u:object_r:sepgsql_secret_table_t:s0');
    expect(await p.computeCreate(DBA, 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_column, 'password')).toBe('unconfined_u:object_r:sepgsql_table_t:s0');
    expect(await p.computeCreate(DBA, 'system_u:object_r:sepgsql_ro_table_t:s0', SEPG_CLASS.db_column, 'ctid')).toBe('unconfined_u:object_r:sepgsql_sysobj_t:s0');
    const cil = await unknownPolicy('deny');
    expect(await cil.computeCreate('system_u:system_r:client_t', 'system_u:object_r:table_t', SEPG_CLASS.db_table, 'audit_log')).toBe('system_u:object_r:unlabeled_t');
  });

  it('[SE10] [S18] a trusted procedure switches domain and role; an impossible domain fails only when enforcing', async () => {
    const p = await regtest();
    expect(await p.computeCreate(USER + '-s0:c0.c10', 'system_u:object_r:sepgsql_regtest_trusted_proc_exec_t:s0', SEPG_CLASS.process)).toBe(
      'unconfined_u:sepgsql_dba_r:sepgsql_regtest_dba_t:s0-s0:c0.c10',
    );
    const nosuch = 'system_u:object_r:sepgsql_nosuch_trusted_proc_exec_t:s0';
    const err = await errorOf(p.computeCreate(USER, nosuch, SEPG_CLASS.process));
    expect(err.code).toBe('XX000');
    expect(err.message).toBe(`SELinux could not compute a new context: scontext=${USER} tcontext=${nosuch} tclass=process: Permission denied`);
    p.setEnforcing(false);
    expect(await p.computeCreate(USER, nosuch, SEPG_CLASS.process)).toBe('unconfined_u:unconfined_r:sepgsql_regtest_nosuch_t:s0');
  });

  it('[SE9] an invalid subject context is an internal error naming the call', async () => {
    const p = await regtest();
    const err = await errorOf(p.computeAccess('nobody_u:r:t:s0', 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_table));
    expect(err.code).toBe('XX000');
    expect(err.message).toMatch(/^SELinux could not compute av_decision: scontext=nobody_u:r:t:s0 .* tclass=db_table: Invalid argument$/);
  });

  it('[SE11] booleans, enforcing switches and reloads move the seqno', async () => {
    const p = await regtest();
    const s0 = (await p.status()).seqno;
    const before = await p.computeAccess('unconfined_u:unconfined_r:unconfined_t:s0', 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_table);
    p.setBoolean('sepgsql_regression_test_mode', true);
    const after = await p.computeAccess('unconfined_u:unconfined_r:unconfined_t:s0', 'system_u:object_r:sepgsql_table_t:s0', SEPG_CLASS.db_table);
    expect(before.allowed).toBe(0);
    expect(after.allowed).toBe((allPermissionBits('db_table') & ~permissionBits('db_table', ['drop', 'relabelto'])) >>> 0);
    const s1 = (await p.status()).seqno;
    expect(s1).toBeGreaterThan(s0);
    p.setBoolean('sepgsql_regression_test_mode', true);
    expect((await p.status()).seqno).toBe(s1);
    p.setEnforcing(false);
    expect((await p.status()).enforcing).toBe(false);
    await p.reload(nodeFs, compilePolicy('sepgsql-regtest.conf'));
    expect((await p.status()).seqno).toBe(s1 + 2);
    expect(() => p.setBoolean('no_such_boolean', true)).toThrow(/boolean "no_such_boolean" does not exist/);
  });

  it('[SE12] [S12] validates contexts against the policy and knows the unlabeled context', async () => {
    const p = await regtest();
    expect(await p.checkContext('system_u:object_r:sepgsql_table_t:s0')).toBe(true);
    expect(await p.checkContext('system_u:object_r:sepgsql_table_t')).toBe(false);
    expect(await p.checkContext('sepgsql_regtest_u:unconfined_r:sepgsql_regtest_user_t:s0-s0:c0.c16')).toBe(false);
    expect(await p.checkContext('unconfined_u:unconfined_r:sepgsql_regtest_nosuch_t:s0')).toBe(false);
    expect(await p.unlabeledContext()).toBe('system_u:object_r:unlabeled_t:s0');
  });

  it('[SE6] a missing or unreadable policy file names the file', async () => {
    const err = await errorOf(UserspacePolicyProvider.fromFile(nodeFs, '/nonexistent/policy.33'));
    expect(err.code).toBe('F0000');
    expect(err.message).toBe('SELinux: could not read policy file "/nonexistent/policy.33": ENOENT');
    expect(fs.existsSync('/nonexistent/policy.33')).toBe(false);
  });
});
