// Policy DDL validation. Expected errors were observed on PostgreSQL 15 with the same
// statements (the order of checks included: the first error PostgreSQL reports is ours).

import { beforeAll, describe, expect, it } from 'vitest';
import { isPgError, oid } from '@palisade/common';
import {
  applyPolicyDdl, ensureParser, parseStatement, policyFromSql, PUBLIC_ROLE, deparseExpression,
  type Policy, type PolicyDdlContext, type RlsRelation, type RoleId, type RoleSpecification,
} from '../src/index.ts';

const OWNER = oid(16390);
const ALICE = oid(16391);
const BOB = oid(16392);
const SESSION = oid(16393);
const T: RlsRelation = { id: oid(16400), name: 't', ownerId: OWNER, rowSecurity: false, forceRowSecurity: false, isSystemCatalog: false };

function resolveRole(spec: RoleSpecification): RoleId | undefined {
  switch (spec.kind) {
    case 'current_user': case 'current_role': return OWNER;
    case 'session_user': return SESSION;
    case 'name': return ({ alice: ALICE, bob: BOB } as Record<string, RoleId>)[spec.name];
  }
}

let existing: Policy[] = [];

function ctx(over: Partial<PolicyDdlContext> = {}): PolicyDdlContext {
  return {
    relation: T, policies: existing, userId: OWNER, resolveRole,
    isOwner: (user, relation) => user === relation.ownerId,
    ...over,
  };
}

function errorOf(sql: string, over: Partial<PolicyDdlContext> = {}): { code: string; message: string; detail?: string; hint?: string } {
  try {
    applyPolicyDdl(parseStatement(sql), ctx(over));
  } catch (e) {
    if (!isPgError(e)) throw e;
    return { code: e.code, message: e.message, ...(e.detail === undefined ? {} : { detail: e.detail }), ...(e.hint === undefined ? {} : { hint: e.hint }) };
  }
  throw new Error(`no error from: ${sql}`);
}

beforeAll(async () => {
  await ensureParser();
  existing = [
    policyFromSql({ name: 'p1', relationId: T.id, using: 'a > 0' }),
    policyFromSql({ name: 'p_sel', relationId: T.id, command: 'select', using: 'true' }),
    policyFromSql({ name: 'p_ins', relationId: T.id, command: 'insert', withCheck: 'true' }),
  ];
});

describe('CREATE POLICY', () => {
  it('[R8] creates a policy with PostgreSQL defaults: FOR ALL, PERMISSIVE, TO PUBLIC', () => {
    const result = applyPolicyDdl(parseStatement('CREATE POLICY p2 ON t USING (a > 1)'), ctx());
    const created = result.policies.find((p) => p.name === 'p2')!;
    expect(created).toMatchObject({ command: 'all', permissive: true, roles: [PUBLIC_ROLE], relationId: T.id });
    expect(deparseExpression(created.using!)).toBe('(a > 1)');
    expect(created.withCheck).toBeUndefined();
    expect(result.policies).toHaveLength(existing.length + 1);
    expect(result.notices).toEqual([]);
  });

  it('[R8] records AS RESTRICTIVE, the command and resolved roles (CURRENT_USER, SESSION_USER, names)', () => {
    const result = applyPolicyDdl(parseStatement(
      'CREATE POLICY p2 ON t AS RESTRICTIVE FOR UPDATE TO alice, current_user, session_user USING (a > 1) WITH CHECK (a < 9)'), ctx());
    const created = result.policies.at(-1)!;
    expect(created).toMatchObject({ name: 'p2', command: 'update', permissive: false, roles: [ALICE, OWNER, SESSION] });
    expect(deparseExpression(created.withCheck!)).toBe('(a < 9)');
  });

  it('[R8] PUBLIC among other roles wins, with PostgreSQL\'s WARNING', () => {
    const result = applyPolicyDdl(parseStatement('CREATE POLICY p2 ON t TO alice, public USING (true)'), ctx());
    expect(result.policies.at(-1)!.roles).toEqual([PUBLIC_ROLE]);
    expect(result.notices.map((n) => [n.severity, n.code, n.message, n.hint])).toEqual([
      ['WARNING', '22023', 'ignoring specified roles other than PUBLIC', 'All roles are members of the PUBLIC role.'],
    ]);
  });

  const cases: Array<[string, string, string, string, Partial<PolicyDdlContext>?]> = [
    ['[R8] refuses WITH CHECK on a SELECT policy', 'CREATE POLICY x ON t FOR SELECT USING (a > 0) WITH CHECK (a > 0)', '42601', 'WITH CHECK cannot be applied to SELECT or DELETE'],
    ['[R8] refuses WITH CHECK on a DELETE policy', 'CREATE POLICY x ON t FOR DELETE WITH CHECK (a > 0)', '42601', 'WITH CHECK cannot be applied to SELECT or DELETE'],
    ['[R8] refuses USING on an INSERT policy', 'CREATE POLICY x ON t FOR INSERT USING (a > 0) WITH CHECK (a > 0)', '42601', 'only WITH CHECK expression allowed for INSERT'],
    ['[R8] refuses a duplicate name', 'CREATE POLICY p1 ON t USING (a > 0)', '42710', 'policy "p1" for table "t" already exists'],
    ['[R8] checks the expression before the duplicate name', 'CREATE POLICY p1 ON t USING (count(*) > 0)', '42803', 'aggregate functions are not allowed in policy expressions'],
    ['[R8] checks the command before the roles', 'CREATE POLICY x ON t FOR INSERT TO nosuchrole USING (count(*) > 0)', '42601', 'only WITH CHECK expression allowed for INSERT'],
    ['[R8] refuses an unknown role', 'CREATE POLICY x ON t TO nosuchrole USING (true)', '42704', 'role "nosuchrole" does not exist'],
    ['[R8] resolves roles before checking ownership', 'CREATE POLICY x ON t TO nosuchrole USING (true)', '42704', 'role "nosuchrole" does not exist', { userId: ALICE }],
    ['[R8] only the owner may create a policy', 'CREATE POLICY x ON t USING (true)', '42501', 'must be owner of table t', { userId: ALICE }],
    ['[R8] ownership is checked before the expression', 'CREATE POLICY p1 ON t USING (count(*) > 0)', '42501', 'must be owner of table t', { userId: ALICE }],
    ['[RLS20] refuses aggregates', 'CREATE POLICY x ON t USING (count(*) > 0)', '42803', 'aggregate functions are not allowed in policy expressions'],
    ['[RLS20] refuses DISTINCT aggregates in WITH CHECK', 'CREATE POLICY x ON t WITH CHECK (count(DISTINCT a) > 0)', '42803', 'aggregate functions are not allowed in policy expressions'],
    ['[RLS20] refuses a qualified aggregate', 'CREATE POLICY x ON t USING (pg_catalog.count(*) > 0)', '42803', 'aggregate functions are not allowed in policy expressions'],
    ['[RLS20] refuses window functions', 'CREATE POLICY x ON t USING (sum(a) OVER () > 0)', '42P20', 'window functions are not allowed in policy expressions'],
    ['[RLS20] reports the first offending call in expression order', 'CREATE POLICY x ON t USING (a > 0 AND row_number() OVER () > 1)', '42P20', 'window functions are not allowed in policy expressions'],
    ['[RLS20] a window function needs OVER', 'CREATE POLICY x ON t USING (row_number() > 0)', '42809', 'window function row_number requires an OVER clause'],
    ['[RLS20] refuses set-returning functions', 'CREATE POLICY x ON t USING (generate_series(1, a) > 0)', '0A000', 'set-returning functions are not allowed in policy expressions'],
    ['[RLS20] refuses set-returning functions in WITH CHECK', 'CREATE POLICY x ON t WITH CHECK (a > 0 AND unnest(ARRAY[1]) > 0)', '0A000', 'set-returning functions are not allowed in policy expressions'],
    ['[RLS20] refuses GROUPING', 'CREATE POLICY x ON t USING (grouping(a) > 0)', '42803', 'grouping operations are not allowed in policy expressions'],
    ['[RLS20] refuses parameters', 'CREATE POLICY x ON t USING ($1 > 0)', '42P02', 'there is no parameter $1'],
    ['[R1] refuses views', 'CREATE POLICY x ON t USING (true)', '42809', '"t" is not a table', { relation: { ...T, kind: 'view' } }],
    ['[R1] refuses foreign tables', 'CREATE POLICY x ON t USING (true)', '42809', '"t" is not a table', { relation: { ...T, kind: 'foreign-table' } }],
    ['[R1] refuses materialized views', 'CREATE POLICY x ON t USING (true)', '42809', '"t" is not a table', { relation: { ...T, kind: 'materialized-view' } }],
    ['[R1] refuses system catalogs', 'CREATE POLICY x ON t USING (true)', '42501', 'permission denied: "t" is a system catalog', { relation: { ...T, isSystemCatalog: true } }],
    ['[R8] names a view in the ownership error', 'CREATE POLICY x ON t USING (true)', '42501', 'must be owner of view t', { relation: { ...T, kind: 'view' }, userId: ALICE }],
  ];
  for (const [name, sql, code, message, over] of cases) {
    it(name, () => {
      expect(errorOf(sql, over)).toEqual({ code, message });
    });
  }

  it('[RLS20] allows aggregates, windows and set-returning functions inside sub-selects', () => {
    const result = applyPolicyDdl(parseStatement(
      'CREATE POLICY x ON t USING ((SELECT sum(a) FROM t) > 0 AND a = ANY (ARRAY(SELECT generate_series(1, 3))) AND a IN (SELECT count(*) FROM u))'), ctx());
    expect(result.policies.map((p) => p.name)).toContain('x');
  });

  it('[R1] accepts partitioned tables', () => {
    const result = applyPolicyDdl(parseStatement('CREATE POLICY x ON t USING (true)'), ctx({ relation: { ...T, kind: 'partitioned-table' } }));
    expect(result.policies.at(-1)!.name).toBe('x');
  });

  it('[RLS20] takes function kinds from the catalog callback', () => {
    expect(errorOf('CREATE POLICY x ON t USING (my_agg(a) > 0)', { functionKind: (n) => (n.at(-1) === 'my_agg' ? 'aggregate' : undefined) }))
      .toEqual({ code: '42803', message: 'aggregate functions are not allowed in policy expressions' });
    expect(applyPolicyDdl(parseStatement('CREATE POLICY x ON t USING (myschema.count(a) > 0)'), ctx()).policies.at(-1)!.name).toBe('x');
  });
});

describe('ALTER POLICY', () => {
  it('[R8] replaces only what is given', () => {
    const result = applyPolicyDdl(parseStatement('ALTER POLICY p1 ON t TO bob WITH CHECK (a < 5)'), ctx());
    const altered = result.policies.find((p) => p.name === 'p1')!;
    expect(altered.roles).toEqual([BOB]);
    expect(deparseExpression(altered.using!)).toBe('(a > 0)');
    expect(deparseExpression(altered.withCheck!)).toBe('(a < 5)');
    expect(result.policies).toHaveLength(existing.length);
  });

  it('[R8] does not modify the input policy set', () => {
    applyPolicyDdl(parseStatement('ALTER POLICY p1 ON t USING (false)'), ctx());
    expect(deparseExpression(existing[0]!.using!)).toBe('(a > 0)');
  });

  const cases: Array<[string, string, string, string, Partial<PolicyDdlContext>?]> = [
    ['[R8] refuses a missing policy', 'ALTER POLICY nope ON t USING (true)', '42704', 'policy "nope" for table "t" does not exist'],
    ['[R8] checks the expression before looking the policy up', 'ALTER POLICY nope ON t USING (count(*) > 0)', '42803', 'aggregate functions are not allowed in policy expressions'],
    ['[R8] resolves roles first', 'ALTER POLICY p1 ON t TO nosuchrole', '42704', 'role "nosuchrole" does not exist'],
    ['[R8] refuses WITH CHECK on a SELECT policy', 'ALTER POLICY p_sel ON t WITH CHECK (true)', '42601', 'only USING expression allowed for SELECT, DELETE'],
    ['[R8] refuses USING on an INSERT policy', 'ALTER POLICY p_ins ON t USING (true)', '42601', 'only WITH CHECK expression allowed for INSERT'],
    ['[R8] only the owner may alter a policy', 'ALTER POLICY nope ON t USING (true)', '42501', 'must be owner of table t', { userId: ALICE }],
  ];
  for (const [name, sql, code, message, over] of cases) {
    it(name, () => {
      expect(errorOf(sql, over)).toEqual({ code, message });
    });
  }
});

describe('ALTER POLICY … RENAME and DROP POLICY', () => {
  it('[R8] renames a policy', () => {
    const result = applyPolicyDdl(parseStatement('ALTER POLICY p1 ON t RENAME TO p9'), ctx());
    expect(result.policies.map((p) => p.name)).toEqual(['p9', 'p_sel', 'p_ins']);
  });

  it('[R8] drops a policy', () => {
    const result = applyPolicyDdl(parseStatement('DROP POLICY p1 ON t'), ctx());
    expect(result.policies.map((p) => p.name)).toEqual(['p_sel', 'p_ins']);
  });

  it('[R8] DROP POLICY IF EXISTS on a missing policy is a NOTICE', () => {
    const result = applyPolicyDdl(parseStatement('DROP POLICY IF EXISTS nope ON t'), ctx());
    expect(result.policies).toHaveLength(existing.length);
    expect(result.notices.map((n) => [n.severity, n.code, n.message])).toEqual([
      ['NOTICE', '00000', 'policy "nope" for relation "t" does not exist, skipping'],
    ]);
  });

  const cases: Array<[string, string, string, string, Partial<PolicyDdlContext>?]> = [
    ['[R8] refuses to rename onto an existing name', 'ALTER POLICY p1 ON t RENAME TO p_sel', '42710', 'policy "p_sel" for table "t" already exists'],
    ['[R8] refuses to rename a missing policy', 'ALTER POLICY nope ON t RENAME TO zz', '42704', 'policy "nope" for table "t" does not exist'],
    ['[R8] only the owner may rename', 'ALTER POLICY p1 ON t RENAME TO zz', '42501', 'must be owner of table t', { userId: ALICE }],
    ['[R8] refuses to drop a missing policy', 'DROP POLICY nope ON t', '42704', 'policy "nope" for table "t" does not exist'],
    ['[R8] a missing policy is reported before ownership on DROP', 'DROP POLICY nope ON t', '42704', 'policy "nope" for table "t" does not exist', { userId: ALICE }],
    ['[R8] only the owner may drop (PostgreSQL says "relation" here)', 'DROP POLICY p1 ON t', '42501', 'must be owner of relation t', { userId: ALICE }],
  ];
  for (const [name, sql, code, message, over] of cases) {
    it(name, () => {
      expect(errorOf(sql, over)).toEqual({ code, message });
    });
  }
});

describe('ALTER TABLE … ROW LEVEL SECURITY', () => {
  it('[R1] ENABLE and FORCE set relrowsecurity and relforcerowsecurity; DISABLE and NO FORCE clear them', () => {
    const on = applyPolicyDdl(parseStatement('ALTER TABLE t ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY'), ctx()).relation;
    expect([on.rowSecurity, on.forceRowSecurity]).toEqual([true, true]);
    const off = applyPolicyDdl(parseStatement('ALTER TABLE t DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY'), ctx({ relation: on })).relation;
    expect([off.rowSecurity, off.forceRowSecurity]).toEqual([false, false]);
  });

  const cases: Array<[string, string, object, Partial<PolicyDdlContext>]> = [
    ['[R8] only the owner may enable RLS', 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      { code: '42501', message: 'must be owner of table t' }, { userId: ALICE }],
    ['[R8] only the owner may force RLS', 'ALTER TABLE t FORCE ROW LEVEL SECURITY',
      { code: '42501', message: 'must be owner of table t' }, { userId: ALICE }],
    ['[R1] ownership of a view is checked before its kind', 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      { code: '42501', message: 'must be owner of view t' }, { userId: ALICE, relation: { ...T, kind: 'view' } }],
    ['[R1] refuses views', 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      { code: '42809', message: 'ALTER action ENABLE ROW SECURITY cannot be performed on relation "t"', detail: 'This operation is not supported for views.' }, { relation: { ...T, kind: 'view' } }],
    ['[R1] refuses sequences', 'ALTER TABLE t DISABLE ROW LEVEL SECURITY',
      { code: '42809', message: 'ALTER action DISABLE ROW SECURITY cannot be performed on relation "t"', detail: 'This operation is not supported for sequences.' }, { relation: { ...T, kind: 'sequence' } }],
    ['[R1] refuses materialized views', 'ALTER TABLE t FORCE ROW LEVEL SECURITY',
      { code: '42809', message: 'ALTER action FORCE ROW SECURITY cannot be performed on relation "t"', detail: 'This operation is not supported for materialized views.' }, { relation: { ...T, kind: 'materialized-view' } }],
    ['[R1] refuses indexes', 'ALTER TABLE t NO FORCE ROW LEVEL SECURITY',
      { code: '42809', message: 'ALTER action NO FORCE ROW SECURITY cannot be performed on relation "t"', detail: 'This operation is not supported for indexes.' }, { relation: { ...T, kind: 'index' } }],
    ['[R1] refuses foreign tables', 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      { code: '42809', message: 'ALTER action ENABLE ROW SECURITY cannot be performed on relation "t"', detail: 'This operation is not supported for foreign tables.' }, { relation: { ...T, kind: 'foreign-table' } }],
    ['[R1] refuses system catalogs', 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      { code: '42501', message: 'permission denied: "t" is a system catalog' }, { relation: { ...T, isSystemCatalog: true } }],
    ['[R1] sends composite types to ALTER TYPE', 'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      { code: '42809', message: '"t" is a composite type', hint: 'Use ALTER TYPE instead.' }, { relation: { ...T, kind: 'composite-type' } }],
  ];
  for (const [name, sql, expected, over] of cases) {
    it(name, () => {
      expect(errorOf(sql, over)).toEqual(expected);
    });
  }
});
