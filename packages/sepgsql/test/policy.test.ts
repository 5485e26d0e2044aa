import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Policy } from '../src/policy.ts';
import { compilePolicy } from './helpers.ts';

function regtest(): Policy {
  const path = compilePolicy('sepgsql-regtest.conf');
  return Policy.load(fs.readFileSync(path), path);
}

describe('decision engine details', () => {
  it('[SE8] validatetrans constraints see the old, new and task contexts (u1 == u2 or t3 == superuser)', () => {
    const p = regtest();
    const c = (s: string) => p.contextFromString(s)!;
    const table = p.db.classByName.get('db_table')!.value;
    const old = c('system_u:object_r:sepgsql_table_t:s0');
    const same = c('system_u:object_r:sepgsql_ro_table_t:s0');
    const other = c('unconfined_u:object_r:sepgsql_ro_table_t:s0');
    expect(p.validateTransition(old, same, c('unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0'), table)).toBe(true);
    expect(p.validateTransition(old, other, c('unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0'), table)).toBe(false);
    expect(p.validateTransition(old, other, c('unconfined_u:unconfined_r:sepgsql_regtest_superuser_t:s0'), table)).toBe(true);
  });

  it('[SE8] [S7] the permissive flag is the source type\'s permissive-map bit', () => {
    const p = regtest();
    const t = p.contextFromString('system_u:object_r:sepgsql_table_t:s0')!;
    const cls = p.db.classByName.get('db_table')!.value;
    expect(p.computeAv(p.contextFromString('unconfined_u:unconfined_r:sepgsql_regtest_permissive_t:s0')!, t, cls).permissive).toBe(true);
    expect(p.computeAv(p.contextFromString('unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0')!, t, cls).permissive).toBe(false);
  });

  it('[SE10] type_member and type_change rules apply to their own kind only', () => {
    const p = regtest();
    const c = (s: string) => p.contextFromString(s)!;
    const table = p.db.classByName.get('db_table')!.value;
    const foo = c('unconfined_u:unconfined_r:sepgsql_regtest_foo_t:s0');
    const schema = c('system_u:object_r:sepgsql_schema_t:s0');
    expect(p.contextToString(p.computeSid(foo, schema, table, 'member').context)).toBe('system_u:object_r:sepgsql_regtest_foo_table_t:s0');
    expect(p.contextToString(p.computeSid(foo, schema, table, 'transition').context)).toBe('unconfined_u:object_r:sepgsql_table_t:s0');
    const v = c('unconfined_u:unconfined_r:sepgsql_regtest_var_t:s0');
    const tbl = c('system_u:object_r:sepgsql_table_t:s0');
    expect(p.contextToString(p.computeSid(v, tbl, table, 'change').context)).toBe('unconfined_u:object_r:sepgsql_regtest_var_table_t:s0');
  });

  it('[SE11] conditionals follow their boolean expression (and, not, xor)', () => {
    const p = regtest();
    const c = (s: string) => p.contextFromString(s)!;
    const schemaCls = p.db.classByName.get('db_schema')!.value;
    const foo = c('unconfined_u:unconfined_r:sepgsql_regtest_foo_t:s0');
    const schema = c('system_u:object_r:sepgsql_schema_t:s0');
    const create = 1 << (p.db.classByName.get('db_schema')!.permissions.get('create')! - 1);
    const allowed = () => (p.computeAv(foo, schema, schemaCls).allowed & create) !== 0;
    // users_ddl ^ regression_test_mode
    expect(allowed()).toBe(true);
    p.setBoolean('sepgsql_regression_test_mode', true);
    expect(allowed()).toBe(false);
    p.setBoolean('sepgsql_enable_users_ddl', false);
    expect(allowed()).toBe(true);
    expect(p.boolSeqno).toBe(2);
  });
});
