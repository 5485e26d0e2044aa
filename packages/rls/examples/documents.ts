// A documents table where everyone reads public documents and their own, and only edits their
// own: the policies are created from SQL, then the quals an engine would attach are printed.
// Run: npx tsx --conditions=@palisade/source examples/documents.ts

import { oid } from '@palisade/common';
import {
  applyPolicyDdl, describeEffectivePolicies, deparseExpression, ensureParser, parseStatement, rowSecurityQuals,
  withCheckViolationError, type Policy, type RlsRelation, type RoleId,
} from '@palisade/rls';

const OWNER = oid(16384);
const ALICE = oid(16385);
const roles: Record<string, RoleId> = { app_owner: OWNER, alice: ALICE };

/** Runs the example and returns what it prints. */
export async function main(): Promise<string[]> {
  await ensureParser();
  const out: string[] = [];
  let relation: RlsRelation = { id: oid(16400), name: 'documents', ownerId: OWNER, rowSecurity: false, forceRowSecurity: false, isSystemCatalog: false };
  let policies: Policy[] = [];
  const run = (sql: string): void => {
    const result = applyPolicyDdl(parseStatement(sql), {
      relation, policies, userId: OWNER,
      isOwner: (user, rel) => user === rel.ownerId,
      resolveRole: (spec) => (spec.kind === 'name' ? roles[spec.name] : OWNER),
    });
    relation = result.relation;
    policies = result.policies;
  };
  run('ALTER TABLE documents ENABLE ROW LEVEL SECURITY');
  run("CREATE POLICY read_public ON documents FOR SELECT USING (visibility = 'public')");
  run('CREATE POLICY own ON documents USING (author = current_user)');
  run("CREATE POLICY not_archived ON documents AS RESTRICTIVE FOR UPDATE USING (NOT archived) WITH CHECK (title <> '')");

  const hasPrivsOfRole = (user: RoleId, role: RoleId): boolean => user === role;
  const enable = { isSuperuser: false, hasBypassRls: false, rowSecurityGuc: true };
  const select = rowSecurityQuals({ relation, policies, userId: ALICE, hasPrivsOfRole, command: 'select', isResultRelation: false, needsSelectRights: true, enable });
  out.push(`SELECT filter: ${select.securityQuals.map(deparseExpression).join(' AND ')}`);

  const update = rowSecurityQuals({ relation, policies, userId: ALICE, hasPrivsOfRole, command: 'update', isResultRelation: true, needsSelectRights: false, enable });
  out.push(`UPDATE filter: ${update.securityQuals.map(deparseExpression).join(' AND ')}`);
  for (const check of update.withCheckOptions) out.push(`UPDATE check (${check.kind}): ${deparseExpression(check.qual)}`);
  out.push(`error if the last check fails: ${withCheckViolationError(update.withCheckOptions.at(-1)!).message}`);

  const owner = rowSecurityQuals({ relation, policies, userId: OWNER, hasPrivsOfRole, command: 'select', isResultRelation: false, needsSelectRights: true, enable });
  out.push(`table owner: ${owner.status} (${owner.bypassReason})`);

  const effective = describeEffectivePolicies({ relation, policies, role: ALICE, hasPrivsOfRole, command: 'update' });
  out.push(`pg_rls_effective('documents', 'alice', 'update'): USING ${effective.using} WITH CHECK ${effective.withCheck}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await main()) console.log(line);
}
