import { describe, expect, it } from 'vitest';
import { checkAccessExample } from '../examples/check-access.ts';
import { compilePolicy } from './helpers.ts';

describe('the README example', () => {
  it('[SE22] [SE10] labels a table, allows select, refuses drop with 42501 and audits it', async () => {
    const out = await checkAccessExample(
      compilePolicy('sepgsql-regtest.conf'),
      'unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0',
      'system_u:object_r:sepgsql_schema_t:s0',
      'system_u:object_r:sepgsql_ro_table_t:s0',
    );
    expect(out).toEqual([
      'new table label: unconfined_u:object_r:sepgsql_table_t:s0',
      'select allowed: true',
      'LOG:  SELinux: denied { drop } scontext=unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0 tcontext=system_u:object_r:sepgsql_ro_table_t:s0 tclass=db_table name="public.t2" permissive=0',
      'ERROR:  SELinux: security policy violation (SQLSTATE 42501)',
    ]);
  });
});
