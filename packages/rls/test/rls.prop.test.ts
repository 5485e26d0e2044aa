// Properties of the combination, checked by evaluating the produced quals on random rows:
// permissive policies only ever widen access, restrictive ones only narrow it, and the result
// does not depend on the order the policies are given in. Plus the deparser round trip.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { oid } from '@palisade/common';
import {
  deparseExpression, ensureParser, nodesEqual, parseExpression, policyFromSql, PUBLIC_ROLE, rowSecurityQuals,
  type Policy, type PolicyCommand, type RlsCommand, type RoleId,
} from '../src/index.ts';
import { passes, type Row } from './helpers/evaluate.ts';

const ALICE = oid(16391);
const BOB = oid(16392);
const RELATION = { id: oid(16400), name: 't', ownerId: oid(16390), rowSecurity: true, forceRowSecurity: false, isSystemCatalog: false };
const hasPrivsOfRole = (user: RoleId, role: RoleId): boolean => user === role;
const NAMES = new Map<RoleId, string>([[ALICE, 'alice'], [BOB, 'bob']]);

const value = fc.oneof(fc.constantFrom('0', '1', '2', '3', 'NULL'));
const column = fc.constantFrom('a', 'b');
const atom = fc.oneof(
  fc.tuple(column, fc.constantFrom('=', '<>', '<', '>', '<=', '>='), value).map(([c, op, v]) => `${c} ${op} ${v}`),
  fc.tuple(column, fc.constantFrom('IS NULL', 'IS NOT NULL')).map(([c, t]) => `${c} ${t}`),
  fc.constantFrom('owner = current_user', "owner <> 'alice'", 'true', 'false', 'NULL::boolean'),
);
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('expr'), fc.constantFrom('AND', 'OR'), tie('expr')).map(([l, op, r]) => `(${l}) ${op} (${r})`),
    tie('expr').map((e) => `NOT (${e})`),
  ),
}));

interface PolicySpec {
  command: PolicyCommand; permissive: boolean; role: 'public' | 'alice' | 'bob'; using: string | undefined; withCheck: string | undefined;
}
const policySpec: fc.Arbitrary<PolicySpec> = fc.record({
  command: fc.constantFrom<PolicyCommand>('all', 'select', 'insert', 'update', 'delete'),
  permissive: fc.boolean(),
  role: fc.constantFrom<'public' | 'alice' | 'bob'>('public', 'alice', 'bob'),
  using: fc.option(expr, { nil: undefined }),
  withCheck: fc.option(expr, { nil: undefined }),
}).map((p) => ({
  ...p,
  using: p.command === 'insert' ? undefined : p.using,
  withCheck: p.command === 'select' || p.command === 'delete' ? undefined : p.withCheck,
}));

const row: fc.Arbitrary<Row> = fc.record({
  a: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  b: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  owner: fc.constantFrom('alice', 'bob', null),
});

function toPolicies(specs: PolicySpec[], prefix: string): Policy[] {
  return specs.map((s, i) => policyFromSql({
    name: `${prefix}${String(i).padStart(2, '0')}`, relationId: RELATION.id, command: s.command, permissive: s.permissive,
    roles: [s.role === 'public' ? PUBLIC_ROLE : s.role === 'alice' ? ALICE : BOB],
    ...(s.using === undefined ? {} : { using: s.using }), ...(s.withCheck === undefined ? {} : { withCheck: s.withCheck }),
  }));
}

/** Which rows the user may read (security quals) and which new rows it may write (checks) for a command. */
function access(policies: Policy[], userId: RoleId, command: RlsCommand, needsSelectRights: boolean, rows: Row[]): { read: boolean[]; write: boolean[] } {
  const quals = rowSecurityQuals({ relation: RELATION, policies, userId, hasPrivsOfRole, command, isResultRelation: true, needsSelectRights });
  const currentUser = NAMES.get(userId)!;
  return {
    read: rows.map((r) => quals.securityQuals.every((q) => passes(q, { row: r, currentUser }))),
    write: rows.map((r) => quals.withCheckOptions.every((o) => passes(o.qual, { row: r, currentUser }))),
  };
}

const scenario = fc.record({
  base: fc.array(policySpec, { maxLength: 5 }),
  extra: policySpec,
  rows: fc.array(row, { minLength: 1, maxLength: 8 }),
  user: fc.constantFrom(ALICE, BOB),
  command: fc.constantFrom<RlsCommand>('select', 'insert', 'update', 'delete'),
  needsSelectRights: fc.boolean(),
});

describe('combination properties', () => {
  beforeAll(async () => {
    await ensureParser();
  });

  it('[R6] adding a permissive policy never hides a visible row nor rejects an accepted one', () => {
    fc.assert(fc.property(scenario, (s) => {
      const before = access(toPolicies(s.base, 'b'), s.user, s.command, s.needsSelectRights, s.rows);
      const after = access([...toPolicies(s.base, 'b'), ...toPolicies([{ ...s.extra, permissive: true }], 'x')], s.user, s.command, s.needsSelectRights, s.rows);
      s.rows.forEach((_, i) => {
        if (before.read[i]) expect(after.read[i]).toBe(true);
        if (before.write[i]) expect(after.write[i]).toBe(true);
      });
    }), { numRuns: 100 });
  });

  it('[R6] adding a restrictive policy never reveals a hidden row nor accepts a rejected one', () => {
    fc.assert(fc.property(scenario, (s) => {
      const before = access(toPolicies(s.base, 'b'), s.user, s.command, s.needsSelectRights, s.rows);
      const after = access([...toPolicies(s.base, 'b'), ...toPolicies([{ ...s.extra, permissive: false }], 'x')], s.user, s.command, s.needsSelectRights, s.rows);
      s.rows.forEach((_, i) => {
        if (!before.read[i]) expect(after.read[i]).toBe(false);
        if (!before.write[i]) expect(after.write[i]).toBe(false);
      });
    }), { numRuns: 100 });
  });

  it('[R5][R6] the quals do not depend on the order the policies are given in', () => {
    fc.assert(fc.property(fc.array(policySpec, { maxLength: 6 }), fc.constantFrom<RlsCommand>('select', 'insert', 'update', 'delete', 'merge'), (specs, command) => {
      const policies = toPolicies(specs, 'p');
      const input = { relation: RELATION, userId: ALICE, hasPrivsOfRole, command, isResultRelation: true, needsSelectRights: true };
      const forward = rowSecurityQuals({ ...input, policies });
      const backward = rowSecurityQuals({ ...input, policies: [...policies].reverse() });
      expect(nodesEqual(forward.securityQuals, backward.securityQuals)).toBe(true);
      expect(nodesEqual(forward.withCheckOptions, backward.withCheckOptions)).toBe(true);
    }), { numRuns: 100 });
  });

  it('[R2] with no applicable permissive policy nothing is readable or writable', () => {
    fc.assert(fc.property(fc.array(policySpec, { maxLength: 4 }), fc.array(row, { minLength: 1, maxLength: 5 }), (specs, rows) => {
      const restrictive = toPolicies(specs.map((p) => ({ ...p, permissive: false })), 'r');
      const result = access(restrictive, ALICE, 'update', true, rows);
      expect(result.read.some(Boolean) || result.write.some(Boolean)).toBe(false);
    }), { numRuns: 80 });
  });

  it('[RLS21] deparse then parse gives back the same tree', () => {
    fc.assert(fc.property(expr, (sql) => {
      const tree = parseExpression(sql);
      expect(nodesEqual(parseExpression(deparseExpression(tree)), tree)).toBe(true);
    }), { numRuns: 200 });
  });
});
