import { describe, expect, it } from 'vitest';
import { auditEvent, auditRecord, auditedPermissions, formatAuditMessage } from '../src/audit.ts';
import { SEPG_CLASS, permissionBits } from '../src/classes.ts';

describe('audit records', () => {
  it('[SE20] [S40] formats the line exactly as contrib/sepgsql', () => {
    const r = auditRecord(
      false, true, 'unconfined_u:unconfined_r:sepgsql_regtest_superuser_t:s0', 'unconfined_u:object_r:sepgsql_table_t:s0',
      SEPG_CLASS.db_table, permissionBits('db_table', ['select']), 'public.t1',
    );
    expect(r.message).toBe(
      'SELinux: allowed { select } scontext=unconfined_u:unconfined_r:sepgsql_regtest_superuser_t:s0 tcontext=unconfined_u:object_r:sepgsql_table_t:s0 tclass=db_table name="public.t1" permissive=0',
    );
    const d = auditRecord(true, false, 's', 't', SEPG_CLASS.db_column, permissionBits('db_column', ['select', 'update']), undefined);
    expect(d.message).toBe('SELinux: denied { select update } scontext=s tcontext=t tclass=db_column permissive=1');
    expect(formatAuditMessage({ ...d })).toBe(d.message);
    expect(auditEvent(r)).toEqual({
      event: 'selinux_avc', result: 'allowed', permissions: ['select'], scontext: r.scontext, tcontext: r.tcontext,
      tclass: 'db_table', name: 'public.t1', permissive: false,
    });
  });

  it('[SE21] [S41] audits denied ∩ auditdeny or required ∩ auditallow; debug_audit audits everything', () => {
    const required = 0b111;
    expect(auditedPermissions(required, 0, 0, 0xffffffff, false)).toBe(0);
    expect(auditedPermissions(required, 0, 0b010, 0xffffffff, false)).toBe(0b010);
    expect(auditedPermissions(required, 0b100, 0, 0xffffffff, false)).toBe(0b100);
    expect(auditedPermissions(required, 0b100, 0, ~0b100 >>> 0, false)).toBe(0);
    expect(auditedPermissions(required, 0, 0, 0, true)).toBe(0b111);
    expect(auditedPermissions(required, 0b100, 0, 0, true)).toBe(0b100);
  });
});
