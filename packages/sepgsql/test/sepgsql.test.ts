import { NodeFileSystem, isPgError } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/audit.ts';
import { Sepgsql, type SepgsqlMode } from '../src/sepgsql.ts';
import { UserspacePolicyProvider } from '../src/userspace-provider.ts';
import { compilePolicy } from './helpers.ts';

const USER = 'unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0';
const SUPER = 'unconfined_u:unconfined_r:sepgsql_regtest_superuser_t:s0';
const PERMISSIVE = 'unconfined_u:unconfined_r:sepgsql_regtest_permissive_t:s0';
const RO = 'system_u:object_r:sepgsql_ro_table_t:s0';
const SECRET = 'system_u:object_r:sepgsql_secret_table_t:s0';
const UNLABELED = 'system_u:object_r:unlabeled_t:s0';

async function engine(mode: SepgsqlMode = 'default', debugAudit = false) {
  const provider = await UserspacePolicyProvider.fromFile(new NodeFileSystem({ root: '/' }), compilePolicy('sepgsql-regtest.conf'));
  const logs: AuditRecord[] = [];
  const se = new Sepgsql({ provider, mode, debugAudit, audit: (r) => logs.push(r) });
  return { provider, se, logs };
}

describe('checkPermission', () => {
  it('[SE22] [S8] a violation in enforcing mode throws 42501 and is audited', async () => {
    const { se, logs } = await engine();
    let err: unknown;
    try {
      await se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['insert'], auditName: 'public.ro', abortOnViolation: true });
    } catch (e) {
      err = e;
    }
    expect(isPgError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('42501');
    expect((err as Error).message).toBe('SELinux: security policy violation');
    expect(logs.map((l) => l.message)).toEqual([
      `SELinux: denied { insert } scontext=${USER} tcontext=${RO} tclass=db_table name="public.ro" permissive=0`,
    ]);
    expect(await se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['insert'], auditName: 'public.ro', abortOnViolation: false })).toBe(false);
    expect(logs.length).toBe(2);
  });

  it('[SE21] [S41] dontaudit silences a denial; auditallow logs an allowed access; NOAUDIT logs nothing', async () => {
    const { se, logs } = await engine();
    expect(await se.checkPermission({ scontext: USER, tcontext: SECRET, tclass: 'db_table', required: ['select'], auditName: 'public.secret', abortOnViolation: false })).toBe(false);
    expect(logs).toEqual([]);
    expect(await se.checkPermission({ scontext: SUPER, tcontext: SECRET, tclass: 'db_table', required: ['select', 'lock'], auditName: 'public.secret', abortOnViolation: true })).toBe(true);
    expect(logs.map((l) => l.message)).toEqual([
      `SELinux: allowed { select } scontext=${SUPER} tcontext=${SECRET} tclass=db_table name="public.secret" permissive=0`,
    ]);
    await se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['insert'], auditName: null, abortOnViolation: false });
    expect(logs.length).toBe(1);
  });

  it('[SE21] [S6] with debug_audit every decision is logged', async () => {
    const { se, logs } = await engine('default', true);
    await se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_column', required: ['select'], auditName: 'column a of table ro', abortOnViolation: true });
    expect(logs[0]!.message).toBe(`SELinux: allowed { select } scontext=${USER} tcontext=${RO} tclass=db_column name="column a of table ro" permissive=0`);
  });

  it('[SE23] [S7] in permissive mode a denial is logged once, then allowed from the cache', async () => {
    const { se, logs } = await engine('permissive');
    for (let i = 0; i < 3; i++) {
      expect(await se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['update'], auditName: 'public.ro', abortOnViolation: true })).toBe(true);
    }
    expect(logs.map((l) => l.message)).toEqual([
      `SELinux: denied { update } scontext=${USER} tcontext=${RO} tclass=db_table name="public.ro" permissive=1`,
    ]);
  });

  it('[SE23] [S7] a permissive domain is not enforced even when the system enforces', async () => {
    const { se, logs } = await engine('default');
    for (let i = 0; i < 2; i++) {
      expect(await se.checkPermission({ scontext: PERMISSIVE, tcontext: SECRET, tclass: 'db_table', required: ['select'], auditName: 'public.secret', abortOnViolation: true })).toBe(true);
    }
    expect(logs.map((l) => l.message)).toEqual([
      `SELinux: denied { select } scontext=${PERMISSIVE} tcontext=${SECRET} tclass=db_table name="public.secret" permissive=1`,
    ]);
  });

  it('[SE24] [S5] INTERNAL mode audits nothing and enforces nothing; DISABLED checks nothing; kernel permissive is permissive', async () => {
    const internal = await engine('internal');
    expect(await internal.se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['insert'], auditName: 'x', abortOnViolation: true })).toBe(true);
    expect(internal.logs).toEqual([]);
    const disabled = await engine('disabled');
    expect(await disabled.se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['insert'], auditName: 'x', abortOnViolation: true })).toBe(true);
    expect(disabled.se.avc.size).toBe(0);
    const def = await engine('default');
    def.provider.setEnforcing(false);
    expect(await def.se.enforcing()).toBe(false);
    expect(await def.se.checkPermission({ scontext: USER, tcontext: RO, tclass: 'db_table', required: ['insert'], auditName: 'x', abortOnViolation: true })).toBe(true);
    expect(def.logs[0]!.permissive).toBe(true);
  });

  it('[SE18] [S12] [S39] objects without a valid label are checked and logged as unlabeled', async () => {
    const { se, logs } = await engine();
    expect(await se.checkPermission({ scontext: USER, tcontext: undefined, tclass: 'db_table', required: ['select'], auditName: 'public.t', abortOnViolation: false })).toBe(false);
    expect(await se.checkPermission({ scontext: USER, tcontext: 'system_u:object_r:no_such_t:s0', tclass: 'db_table', required: ['select'], auditName: 'public.u', abortOnViolation: false })).toBe(false);
    expect(logs.map((l) => l.tcontext)).toEqual([UNLABELED, UNLABELED]);
    expect(await se.unlabeledContext()).toBe(UNLABELED);
  });

  it('[SE17] [S38] a boolean change is seen by the next check (the cache is flushed)', async () => {
    const { se, provider } = await engine();
    const unconfined = 'unconfined_u:unconfined_r:unconfined_t:s0';
    const table = 'system_u:object_r:sepgsql_table_t:s0';
    const req = { scontext: unconfined, tcontext: table, tclass: 'db_table' as const, required: ['insert'], auditName: null, abortOnViolation: false };
    expect(await se.checkPermission(req)).toBe(false);
    provider.setBoolean('sepgsql_regression_test_mode', true);
    expect(await se.checkPermission(req)).toBe(true);
    expect(se.avc.stats.resets).toBe(2);
  });

  it('[SE19] [S18] trusted procedures: the transition label is computed once and cached', async () => {
    const { se } = await engine();
    const trusted = 'system_u:object_r:sepgsql_regtest_trusted_proc_exec_t:s0';
    expect(await se.trustedProcedureLabel(USER, trusted)).toBe('unconfined_u:sepgsql_dba_r:sepgsql_regtest_dba_t:s0');
    expect(await se.trustedProcedureLabel(USER, 'system_u:object_r:sepgsql_proc_exec_t:s0')).toBeUndefined();
    const misses = se.avc.stats.misses;
    expect(await se.trustedProcedureLabel(USER, trusted)).toBe('unconfined_u:sepgsql_dba_r:sepgsql_regtest_dba_t:s0');
    expect(se.avc.stats.misses).toBe(misses);
  });

  it('[SE25] [S11] [S28] SECURITY LABEL validation and new-object labels', async () => {
    const { se } = await engine();
    await expect(se.validateLabel('system_u:object_r:sepgsql_table_t:s0')).resolves.toBeUndefined();
    for (const bad of ['invalid', 'system_u:object_r:no_such_t:s0', 'system_u:object_r:sepgsql_table_t']) {
      await expect(se.validateLabel(bad)).rejects.toMatchObject({ code: '42602', message: `SELinux: invalid security label: "${bad}"` });
    }
    expect(await se.computeCreate(USER, 'system_u:object_r:sepgsql_schema_t:s0', 'db_table', 't1')).toBe('unconfined_u:object_r:sepgsql_table_t:s0');
    expect(await se.computeCreate(USER, undefined, 'db_schema', 'x')).toBe('unconfined_u:object_r:unlabeled_t:s0');
  });
});
