// A standalone use of @palisade/sepgsql: load a compiled SELinux policy in userspace, label a new
// table, check a client's access to it, and see the audit line and the error a violation raises.
//
//   tsx --conditions=@palisade/source examples/check-access.ts /etc/selinux/targeted/policy/policy.33

import { NodeFileSystem, isPgError } from '@palisade/common';
import { Sepgsql, UserspacePolicyProvider } from '@palisade/sepgsql';

/** Runs the example against the policy at `policyPath`; returns what it printed. */
export async function checkAccessExample(policyPath: string, client: string, schemaLabel: string, otherTableLabel: string): Promise<string[]> {
  const out: string[] = [];
  const provider = await UserspacePolicyProvider.fromFile(new NodeFileSystem(), policyPath, { enforcing: true });
  const sepgsql = new Sepgsql({ provider, mode: 'default', audit: (record) => out.push(`LOG:  ${record.message}`) });

  // CREATE TABLE: the new table's label comes from the policy's type_transition rules.
  const tableLabel = await sepgsql.computeCreate(client, schemaLabel, 'db_table', 't1');
  out.push(`new table label: ${tableLabel}`);

  // SELECT on the table: allowed or not, as the policy says; denials are audited.
  const canSelect = await sepgsql.checkPermission({
    scontext: client, tcontext: tableLabel, tclass: 'db_table', required: ['select'], auditName: 'public.t1', abortOnViolation: false,
  });
  out.push(`select allowed: ${canSelect}`);

  // DROP TABLE of someone else's table with abortOnViolation: a violation is ERROR 42501 in enforcing mode.
  try {
    await sepgsql.checkPermission({
      scontext: client, tcontext: otherTableLabel, tclass: 'db_table', required: ['drop'], auditName: 'public.t2', abortOnViolation: true,
    });
    out.push('drop allowed');
  } catch (err) {
    if (!isPgError(err)) throw err;
    out.push(`ERROR:  ${err.message} (SQLSTATE ${err.code})`);
  }
  return out;
}

if (process.argv[1]?.endsWith('check-access.ts') && process.argv[2]) {
  const client = process.argv[3] ?? 'unconfined_u:unconfined_r:unconfined_t:s0';
  const schema = process.argv[4] ?? 'system_u:object_r:sepgsql_schema_t:s0';
  const other = process.argv[5] ?? 'system_u:object_r:sepgsql_ro_table_t:s0';
  for (const line of await checkAccessExample(process.argv[2], client, schema, other)) console.log(line);
}
