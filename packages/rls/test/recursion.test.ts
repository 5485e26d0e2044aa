import { beforeAll, describe, expect, it } from 'vitest';
import { AssertionError, isPgError, oid } from '@palisade/common';
import { ensureParser, parseExpression, policyFromSql, policyRecursionGuard, referencedRelations, rowSecurityQuals } from '../src/index.ts';

const A = oid(16400);
const B = oid(16401);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isPgError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('policyRecursionGuard', () => {
  it('[R17] a policy reaching its own relation is 42P17', () => {
    const guard = policyRecursionGuard();
    expect(codeOf(() => guard.within(A, 'a', () => guard.within(A, 'a', () => 1))))
      .toBe('42P17 infinite recursion detected in policy for relation "a"');
  });

  it('[R17] mutual recursion through another table is caught at the relation seen twice', () => {
    const guard = policyRecursionGuard();
    expect(codeOf(() => guard.within(A, 'a', () => guard.within(B, 'b', () => guard.within(A, 'a', () => 1)))))
      .toBe('42P17 infinite recursion detected in policy for relation "a"');
    expect(guard.active()).toEqual([]);
  });

  it('[R17] the same relation in sibling branches is not recursion', () => {
    const guard = policyRecursionGuard();
    const result = guard.within(A, 'a', () => guard.within(B, 'b', () => 1) + guard.within(B, 'b', () => 2));
    expect(result).toBe(3);
    expect(guard.active()).toEqual([]);
  });

  it('[R17] bounds the expansion depth with 54001', () => {
    const guard = policyRecursionGuard(2);
    guard.enter(oid(17000), 'x');
    guard.enter(oid(17001), 'y');
    expect(codeOf(() => guard.enter(oid(17002), 'z'))).toBe('54001 stack depth limit exceeded');
  });

  it('[R17] leaving out of order is a bug, not a user error', () => {
    const guard = policyRecursionGuard();
    guard.enter(A, 'a');
    guard.enter(B, 'b');
    expect(() => guard.leave(A)).toThrow(AssertionError);
  });
});

describe('expanding policies that reference other tables', () => {
  // rec1 ↔ rec2 reference each other; rec3 references itself; plain references rec4, which has none.
  // PostgreSQL 15 reports rec1, rec2 and rec3 respectively when each is queried.
  const tables = new Map<string, { id: ReturnType<typeof oid>; using: string }>([
    ['rec1', { id: oid(16501), using: 'x = (SELECT a FROM rec2 WHERE b = y)' }],
    ['rec2', { id: oid(16502), using: 'a = (SELECT x FROM rec1 WHERE y = b)' }],
    ['rec3', { id: oid(16503), using: 'x IN (SELECT x FROM rec3)' }],
    ['plain', { id: oid(16504), using: 'x IN (SELECT x FROM rec4) AND y IN (SELECT y FROM rec4)' }],
    ['rec4', { id: oid(16505), using: 'true' }],
  ]);

  function expand(name: string, guard = policyRecursionGuard()): string[] {
    const table = tables.get(name)!;
    const relation = { id: table.id, name, ownerId: oid(10), rowSecurity: true, forceRowSecurity: false, isSystemCatalog: false };
    const policies = [policyFromSql({ name: 'p', relationId: table.id, using: table.using })];
    return guard.within(table.id, name, () => {
      const quals = rowSecurityQuals({ relation, policies, userId: oid(16400), hasPrivsOfRole: () => false, command: 'select', isResultRelation: false, needsSelectRights: true });
      return [name, ...quals.securityQuals.flatMap((q) => referencedRelations(q).flatMap((r) => expand(r.name, guard)))];
    });
  }

  beforeAll(async () => {
    await ensureParser();
  });

  it('[R17] mutual and self recursion are 42P17 naming the relation met again', () => {
    expect(codeOf(() => expand('rec1'))).toBe('42P17 infinite recursion detected in policy for relation "rec1"');
    expect(codeOf(() => expand('rec2'))).toBe('42P17 infinite recursion detected in policy for relation "rec2"');
    expect(codeOf(() => expand('rec3'))).toBe('42P17 infinite recursion detected in policy for relation "rec3"');
  });

  it('[R17] a relation referenced twice without a cycle expands normally', () => {
    expect(expand('plain')).toEqual(['plain', 'rec4']);
  });

  it('[R17] referencedRelations lists each relation of the sub-selects once, with its schema', () => {
    expect(referencedRelations(parseExpression('a IN (SELECT a FROM s.u JOIN v ON u.k = v.k) OR EXISTS (SELECT 1 FROM v)')))
      .toEqual([{ schema: 's', name: 'u' }, { name: 'v' }]);
  });
});
