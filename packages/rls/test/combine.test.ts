// The decision table of rowSecurityQuals, one row per command shape, with the quals and checks
// written out as SQL text in PostgreSQL's order (ordering and de-duplication included).

import { beforeAll, describe, expect, it } from 'vitest';
import { oid } from '@palisade/common';
import {
  applicablePolicies, deparseExpression, ensureParser, policyFromSql, PUBLIC_ROLE, rowSecurityQuals,
  type Policy, type RlsRelation, type RowSecurityQuals, type RowSecurityQualsInput,
} from '../src/index.ts';

const OWNER = oid(16390);
const ALICE = oid(16391);
const BOB = oid(16392);
const STAFF = oid(16393);
const T: RlsRelation = { id: oid(16400), name: 't', ownerId: OWNER, rowSecurity: true, forceRowSecurity: false, isSystemCatalog: false };
const hasPrivsOfRole = (user: typeof ALICE, role: typeof ALICE): boolean => user === role || (user === ALICE && role === STAFF);

let policies: Policy[] = [];

function summary(result: RowSecurityQuals): { quals: string[]; checks: string[] } {
  return {
    quals: result.securityQuals.map(deparseExpression),
    checks: result.withCheckOptions.map((o) => `${o.kind}${o.policyName === undefined ? '' : `:${o.policyName}`} ${deparseExpression(o.qual)}`),
  };
}

function run(over: Partial<RowSecurityQualsInput>): { quals: string[]; checks: string[] } {
  return summary(rowSecurityQuals({
    relation: T, policies, userId: ALICE, hasPrivsOfRole, command: 'select', isResultRelation: true, needsSelectRights: false, ...over,
  }));
}

beforeAll(async () => {
  await ensureParser();
  const p = (spec: Omit<Parameters<typeof policyFromSql>[0], 'relationId'>): Policy => policyFromSql({ relationId: T.id, ...spec });
  policies = [
    p({ name: 'r_x', permissive: false, using: 'x = 1' }),
    p({ name: 'p_all', using: 'a = 1', withCheck: 'a < 10' }),
    p({ name: 'p_sel', command: 'select', using: 'b = 2' }),
    p({ name: 'p_upd', command: 'update', using: 'c = 3' }),
    p({ name: 'p_ins', command: 'insert', withCheck: 'd = 4' }),
    p({ name: 'p_del', command: 'delete', using: 'e = 5' }),
    p({ name: 'r_a', permissive: false, command: 'update', using: 'y = 1', withCheck: 'y = 2' }),
    p({ name: 'p_bob', roles: [BOB], using: 'f = 6' }),
  ];
});

const SELECT_OR = '((b = 2) OR (a = 1))';
const UPDATE_OR = '((c = 3) OR (a = 1))';
const UPDATE_CHECK_OR = '((c = 3) OR (a < 10))';

const table: Array<[string, Partial<RowSecurityQualsInput>, { quals: string[]; checks: string[] }]> = [
  ['[R6][R10] SELECT: restrictive USINGs, then the OR of permissive USINGs (ALL counts for SELECT)',
    { command: 'select', isResultRelation: false, needsSelectRights: true },
    { quals: ['(x = 1)', SELECT_OR], checks: [] }],
  ['[R10] SELECT FOR UPDATE: UPDATE USING first, then SELECT USING, each qual once',
    { command: 'select', isResultRelation: false, forUpdateOrShare: true, needsSelectRights: true },
    { quals: ['(y = 1)', '(x = 1)', UPDATE_OR, SELECT_OR], checks: [] }],
  ['[R8][R10] UPDATE without reading columns: UPDATE USING filter; WITH CHECK, or USING where a policy has none',
    { command: 'update' },
    { quals: ['(y = 1)', '(x = 1)', UPDATE_OR], checks: [`update-check ${UPDATE_CHECK_OR}`, 'update-check:r_a (y = 2)', 'update-check:r_x (x = 1)'] }],
  ['[R11] UPDATE … WHERE: SELECT USING also filters, and checks the new row as an error',
    { command: 'update', needsSelectRights: true },
    { quals: ['(y = 1)', '(x = 1)', UPDATE_OR, SELECT_OR], checks: [`update-check ${UPDATE_CHECK_OR}`, 'update-check:r_a (y = 2)', 'update-check:r_x (x = 1)', `update-check ${SELECT_OR}`] }],
  ['[R10] DELETE: DELETE USING filter only',
    { command: 'delete' },
    { quals: ['(x = 1)', '((e = 5) OR (a = 1))'], checks: [] }],
  ['[R11] DELETE … WHERE: SELECT USING also filters',
    { command: 'delete', needsSelectRights: true },
    { quals: ['(x = 1)', '((e = 5) OR (a = 1))', SELECT_OR], checks: [] }],
  ['[R7][R10] INSERT: INSERT WITH CHECK, restrictive ones named',
    { command: 'insert' },
    { quals: [], checks: ['insert-check ((d = 4) OR (a < 10))', 'insert-check:r_x (x = 1)'] }],
  ['[R11] INSERT … RETURNING: SELECT USING on the new row as an error',
    { command: 'insert', needsSelectRights: true },
    { quals: [], checks: ['insert-check ((d = 4) OR (a < 10))', 'insert-check:r_x (x = 1)', `insert-check ${SELECT_OR}`] }],
  ['[R12] INSERT … ON CONFLICT DO NOTHING without a target: INSERT WITH CHECK only',
    { command: 'insert', onConflict: 'nothing' },
    { quals: [], checks: ['insert-check ((d = 4) OR (a < 10))', 'insert-check:r_x (x = 1)'] }],
  ['[R12] INSERT … ON CONFLICT (…) DO NOTHING: the arbiter adds SELECT USING on the proposed row',
    { command: 'insert', onConflict: 'nothing-with-arbiter' },
    { quals: [], checks: ['insert-check ((d = 4) OR (a < 10))', 'insert-check:r_x (x = 1)', `insert-check ${SELECT_OR}`] }],
  ['[R12] INSERT … ON CONFLICT DO UPDATE: existing row against UPDATE and SELECT USING, new row against UPDATE WITH CHECK and SELECT USING',
    { command: 'insert', onConflict: 'update' },
    { quals: [], checks: [
      'insert-check ((d = 4) OR (a < 10))', 'insert-check:r_x (x = 1)', `insert-check ${SELECT_OR}`,
      `conflict-update-check ${UPDATE_OR}`, 'conflict-update-check:r_a (y = 1)', 'conflict-update-check:r_x (x = 1)', `conflict-update-check ${SELECT_OR}`,
      `update-check ${UPDATE_CHECK_OR}`, 'update-check:r_a (y = 2)', 'update-check:r_x (x = 1)', `update-check ${SELECT_OR}`,
    ] }],
  ['[R13] MERGE: SELECT USING filters the target; each action\'s checks by kind',
    { command: 'merge', needsSelectRights: true },
    { quals: ['(x = 1)', SELECT_OR], checks: [
      `merge-update-check ${UPDATE_OR}`, 'merge-update-check:r_a (y = 1)', 'merge-update-check:r_x (x = 1)',
      `update-check ${UPDATE_CHECK_OR}`, 'update-check:r_a (y = 2)', 'update-check:r_x (x = 1)', `update-check ${SELECT_OR}`,
      'merge-delete-check ((e = 5) OR (a = 1))', 'merge-delete-check:r_x (x = 1)',
      'insert-check ((d = 4) OR (a < 10))', 'insert-check:r_x (x = 1)',
    ] }],
  ['[R14] a relation that is not the target gets only its SELECT policies',
    { command: 'update', isResultRelation: false, needsSelectRights: true },
    { quals: ['(x = 1)', SELECT_OR], checks: [] }],
  ['[R5] a policy for another role does not apply; one for a role the user has the privileges of does',
    { command: 'select', userId: BOB, isResultRelation: false },
    { quals: ['(x = 1)', '((b = 2) OR (f = 6) OR (a = 1))'], checks: [] }],
];

describe('rowSecurityQuals decision table', () => {
  for (const [name, over, expected] of table) {
    it(name, () => {
      expect(run(over)).toEqual(expected);
    });
  }

  it('[R2] with no policies: a false qual for reads and a false check for writes', () => {
    const none = { policies: [] as Policy[] };
    expect(run({ ...none, command: 'select', isResultRelation: false })).toEqual({ quals: ['false'], checks: [] });
    expect(run({ ...none, command: 'update' })).toEqual({ quals: ['false'], checks: ['update-check false'] });
    expect(run({ ...none, command: 'insert' })).toEqual({ quals: [], checks: ['insert-check false'] });
    expect(run({ ...none, command: 'delete' })).toEqual({ quals: ['false'], checks: [] });
  });

  it('[R6] restrictive policies alone allow nothing', () => {
    const restrictiveOnly = policies.filter((p) => !p.permissive);
    expect(run({ policies: restrictiveOnly, command: 'select', isResultRelation: false })).toEqual({ quals: ['false'], checks: [] });
    expect(run({ policies: restrictiveOnly, command: 'insert' })).toEqual({ quals: [], checks: ['insert-check false'] });
  });

  it('[R6] a permissive policy without a USING clause grants no reads', () => {
    const insertOnly = policies.filter((p) => p.name === 'p_ins' || p.name === 'r_x');
    expect(run({ policies: insertOnly, command: 'insert' })).toEqual({ quals: [], checks: ['insert-check (d = 4)', 'insert-check:r_x (x = 1)'] });
  });

  it('[R3] the enable inputs bypass for superusers, BYPASSRLS and the owner, and report why', () => {
    const base = { relation: T, policies, hasPrivsOfRole, command: 'select' as const, isResultRelation: false, needsSelectRights: true };
    const enable = { isSuperuser: false, hasBypassRls: false, rowSecurityGuc: true };
    const superuser = rowSecurityQuals({ ...base, userId: ALICE, enable: { ...enable, isSuperuser: true } });
    expect([superuser.status, superuser.bypassReason, superuser.securityQuals, superuser.hasRowSecurity]).toEqual(['none-env', 'superuser', [], true]);
    expect(rowSecurityQuals({ ...base, userId: ALICE, enable: { ...enable, hasBypassRls: true } }).bypassReason).toBe('bypassrls');
    expect(rowSecurityQuals({ ...base, userId: OWNER, enable }).bypassReason).toBe('owner');
    const applied = rowSecurityQuals({ ...base, userId: ALICE, enable });
    expect([applied.status, applied.securityQuals.length]).toEqual(['enabled', 2]);
    const disabled = rowSecurityQuals({ ...base, relation: { ...T, rowSecurity: false }, userId: ALICE, enable });
    expect([disabled.status, disabled.hasRowSecurity, disabled.securityQuals]).toEqual(['none', false, []]);
  });

  it('[R1] relations other than tables never get quals', () => {
    const view = rowSecurityQuals({ relation: { ...T, kind: 'view' }, policies, userId: ALICE, hasPrivsOfRole, command: 'select', isResultRelation: false, needsSelectRights: true });
    expect([view.status, view.securityQuals]).toEqual(['none', []]);
  });

  it('[R17] reports sub-selects in the applied policies', () => {
    const withSubLink = [...policies, policyFromSql({ name: 'p_sub', relationId: T.id, command: 'select', using: 'a IN (SELECT a FROM u)' })];
    expect(rowSecurityQuals({ relation: T, policies: withSubLink, userId: ALICE, hasPrivsOfRole, command: 'select', isResultRelation: false, needsSelectRights: true }).hasSubLinks).toBe(true);
    expect(rowSecurityQuals({ relation: T, policies: withSubLink, userId: ALICE, hasPrivsOfRole, command: 'delete', isResultRelation: true, needsSelectRights: false }).hasSubLinks).toBe(false);
  });

  it('[R6] returns fresh copies: changing a qual does not change the policy', () => {
    const result = rowSecurityQuals({ relation: T, policies, userId: ALICE, hasPrivsOfRole, command: 'select', isResultRelation: false, needsSelectRights: true });
    (result.securityQuals[0] as { A_Expr: { kind: string } }).A_Expr.kind = 'AEXPR_DISTINCT';
    expect(deparseExpression(policies[0]!.using!)).toBe('(x = 1)');
  });

  it('[R6] a restrictive clause equal to the permissive OR is not added twice (list_append_unique)', () => {
    const made = [
      policyFromSql({ name: 'pz', relationId: T.id, using: 'a = 1' }),
      policyFromSql({ name: 'py', relationId: T.id, using: 'b = 2' }),
      policyFromSql({ name: 'r', relationId: T.id, permissive: false, using: '(a = 1) OR (b = 2)' }),
    ];
    expect(run({ policies: made, command: 'select', isResultRelation: false })).toEqual({ quals: ['((a = 1) OR (b = 2))'], checks: [] });
    expect(run({ policies: made, command: 'insert' }).checks).toEqual(['insert-check ((a = 1) OR (b = 2))', 'insert-check:r ((a = 1) OR (b = 2))']);
  });

  it('[R5][R6] ORs permissive policies in the order EXPLAIN shows on PostgreSQL 15, whatever the creation order', () => {
    // CREATE POLICY pb … (a = 2); pa … (a = 1); pc FOR SELECT … (a = 3): EXPLAIN shows ((a = 3) OR (a = 2) OR (a = 1)).
    const made = [['pb', 'a = 2'], ['pa', 'a = 1'], ['pc', 'a = 3']].map(([name, using]) =>
      policyFromSql({ name: name!, relationId: T.id, using: using!, ...(name === 'pc' ? { command: 'select' as const } : {}) }));
    expect(run({ policies: made, command: 'select', isResultRelation: false })).toEqual({ quals: ['((a = 3) OR (a = 2) OR (a = 1))'], checks: [] });
  });

  it('[R5] orders permissive policies by descending name and restrictive ones by ascending name', () => {
    const applicable = applicablePolicies(policies, 'update', ALICE, hasPrivsOfRole);
    expect(applicable.permissive.map((p) => p.name)).toEqual(['p_upd', 'p_all']);
    expect(applicable.restrictive.map((p) => p.name)).toEqual(['r_a', 'r_x']);
    expect(applicablePolicies(policies, 'select', BOB, hasPrivsOfRole).permissive.map((p) => p.name)).toEqual(['p_sel', 'p_bob', 'p_all']);
    expect(applicablePolicies([{ ...policies[1]!, roles: [PUBLIC_ROLE] }], 'insert', BOB, hasPrivsOfRole).permissive).toHaveLength(1);
  });
});

describe('rowSecurityQuals across commands, roles and bypasses', () => {
  type Who = 'superuser' | 'bypassrls' | 'owner' | 'owner under FORCE' | 'user with policies' | 'user without policies';
  const whos: Who[] = ['superuser', 'bypassrls', 'owner', 'owner under FORCE', 'user with policies', 'user without policies'];
  const shapes: Array<[string, Partial<RowSecurityQualsInput>, { quals: boolean; checks: boolean }]> = [
    ['SELECT', { command: 'select', isResultRelation: false, needsSelectRights: true }, { quals: true, checks: false }],
    ['SELECT FOR UPDATE', { command: 'select', isResultRelation: false, forUpdateOrShare: true }, { quals: true, checks: false }],
    ['INSERT', { command: 'insert' }, { quals: false, checks: true }],
    ['INSERT … ON CONFLICT DO UPDATE', { command: 'insert', onConflict: 'update' }, { quals: false, checks: true }],
    ['UPDATE', { command: 'update', needsSelectRights: true }, { quals: true, checks: true }],
    ['DELETE', { command: 'delete' }, { quals: true, checks: false }],
    ['MERGE', { command: 'merge', needsSelectRights: true }, { quals: true, checks: true }],
  ];
  const CAROL = oid(16394);
  for (const who of whos) {
    for (const [shape, over, enabledHas] of shapes) {
      const bypass: Record<Who, string | null> = {
        'superuser': 'superuser', 'bypassrls': 'bypassrls', 'owner': 'owner', 'owner under FORCE': null,
        'user with policies': null, 'user without policies': null,
      };
      it(`[R2][R3][R10] ${shape} as ${who}`, () => {
        const result = rowSecurityQuals({
          relation: { ...T, forceRowSecurity: who === 'owner under FORCE' },
          policies: who === 'user without policies' ? [] : policies,
          userId: who.startsWith('owner') ? OWNER : who === 'user with policies' ? ALICE : CAROL,
          hasPrivsOfRole, isResultRelation: true, needsSelectRights: false, command: 'select',
          enable: { isSuperuser: who === 'superuser', hasBypassRls: who === 'bypassrls', rowSecurityGuc: true },
          ...over,
        });
        const reason = bypass[who];
        expect([result.status, result.bypassReason, result.hasRowSecurity]).toEqual([reason === null ? 'enabled' : 'none-env', reason, true]);
        expect(result.securityQuals.length > 0).toBe(reason === null && enabledHas.quals);
        expect(result.withCheckOptions.length > 0).toBe(reason === null && enabledHas.checks);
        if (who === 'user without policies') {
          expect([...result.securityQuals, ...result.withCheckOptions.map((o) => o.qual)].map(deparseExpression).every((t) => t === 'false')).toBe(true);
        }
      });
    }
  }
});
