// Replays PostgreSQL 15's observed behaviour (test/fixtures/pg15-semantics.json, captured by
// scripts/capture-pg15-fixture.mjs) against the quals and checks this package produces,
// evaluated on the same rows by a tiny evaluator. No server is needed.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { oid } from '@palisade/common';
import {
  ensureParser, policyFromSql, PUBLIC_ROLE, rowSecurityQuals, withCheckViolationError,
  type Policy, type PolicyCommand, type RlsRelation, type RoleId, type RowSecurityQuals, type WithCheckOptionKind,
} from '../src/index.ts';
import { passes, type Row, type Value } from './helpers/evaluate.ts';

interface ScenarioPolicy {
  name: string; command?: PolicyCommand; permissive?: boolean; roles?: string[]; using?: string; withCheck?: string;
}
interface Scenario { name: string; force: boolean; policies: ScenarioPolicy[] }
type Op =
  | { type: 'select'; forUpdate?: boolean }
  | { type: 'update'; set: Row; needsSelect: boolean }
  | { type: 'delete'; needsSelect: boolean }
  | { type: 'insert'; row: Value[]; needsSelect: boolean; onConflict?: 'nothing' | 'nothing-with-arbiter' | 'update'; set?: Row }
  | { type: 'merge'; sourceId: number; matched: { action: 'update'; set: Row } | { action: 'delete' }; notMatched?: { row: Value[] } };
interface Statement { id: string; sql: string; op: Op }
interface Spec { columns: string[]; rows: Value[][]; roles: string[]; scenarios: Scenario[]; statements: Statement[] }
interface Outcome { ids?: number[]; count?: number; error: { code: string; message: string } | null }
interface Result extends Outcome { scenario: string; role: string; statement: string }

const fixtures = new URL('./fixtures/', import.meta.url);
const spec = JSON.parse(readFileSync(new URL('rls-scenarios.json', fixtures), 'utf8')) as Spec;
const observed = (JSON.parse(readFileSync(new URL('pg15-semantics.json', fixtures), 'utf8')) as { results: Result[] }).results;

const ROLE_IDS: Record<string, RoleId> = {
  alice: oid(16401), bob: oid(16402), carol: oid(16403), dave: oid(16404), erin: oid(16405), managers: oid(16406),
};
const ROLE_NAMES = new Map(Object.entries(ROLE_IDS).map(([name, id]) => [id, name]));
const hasPrivsOfRole = (user: RoleId, role: RoleId): boolean =>
  user === role || (user === ROLE_IDS['bob'] && role === ROLE_IDS['managers']);

const toRow = (values: Value[]): Row => Object.fromEntries(spec.columns.map((c, i) => [c, values[i] ?? null]));
const rows = spec.rows.map(toRow);
const uniqueViolation = { code: '23505', message: 'duplicate key value violates unique constraint "docs_pkey"' };

class StatementError extends Error {
  constructor(readonly outcome: { code: string; message: string }) {
    super(outcome.message);
  }
}

function check(quals: RowSecurityQuals, kind: WithCheckOptionKind, row: Row, currentUser: string): void {
  for (const option of quals.withCheckOptions) {
    if (option.kind !== kind || passes(option.qual, { row, currentUser })) continue;
    const error = withCheckViolationError(option);
    throw new StatementError({ code: error.code, message: error.message });
  }
}

function simulate(scenario: Scenario, policies: Policy[], roleName: string, op: Op): Outcome {
  const relation: RlsRelation = {
    id: oid(16500), name: 'docs', ownerId: ROLE_IDS['erin']!, rowSecurity: true,
    forceRowSecurity: scenario.force, isSystemCatalog: false,
  };
  const userId = ROLE_IDS[roleName]!;
  const base = {
    relation, policies, userId, hasPrivsOfRole,
    enable: { isSuperuser: false, hasBypassRls: roleName === 'dave', rowSecurityGuc: true },
  };
  const currentUser = ROLE_NAMES.get(userId)!;
  const visible = (quals: RowSecurityQuals): Row[] =>
    rows.filter((row) => quals.securityQuals.every((q) => passes(q, { row, currentUser })));
  try {
    switch (op.type) {
      case 'select': {
        const quals = rowSecurityQuals({ ...base, command: 'select', isResultRelation: false, needsSelectRights: true, forUpdateOrShare: op.forUpdate === true });
        return { ids: visible(quals).map((r) => r['id'] as number), error: null };
      }
      case 'update': {
        const quals = rowSecurityQuals({ ...base, command: 'update', isResultRelation: true, needsSelectRights: op.needsSelect });
        let count = 0;
        for (const row of visible(quals)) {
          check(quals, 'update-check', { ...row, ...op.set }, currentUser);
          count++;
        }
        return { count, error: null };
      }
      case 'delete': {
        const quals = rowSecurityQuals({ ...base, command: 'delete', isResultRelation: true, needsSelectRights: op.needsSelect });
        return { count: visible(quals).length, error: null };
      }
      case 'insert': {
        const quals = rowSecurityQuals({
          ...base, command: 'insert', isResultRelation: true, needsSelectRights: op.needsSelect,
          ...(op.onConflict === undefined ? {} : { onConflict: op.onConflict }),
        });
        const proposed = toRow(op.row);
        check(quals, 'insert-check', proposed, currentUser);
        const existing = rows.find((r) => r['id'] === proposed['id']);
        if (existing === undefined) return { count: 1, error: null };
        if (op.onConflict === undefined) throw new StatementError(uniqueViolation);
        if (op.onConflict !== 'update') return { count: 0, error: null };
        check(quals, 'conflict-update-check', existing, currentUser);
        check(quals, 'update-check', { ...existing, ...op.set }, currentUser);
        return { count: 1, error: null };
      }
      case 'merge': {
        const quals = rowSecurityQuals({ ...base, command: 'merge', isResultRelation: true, needsSelectRights: true });
        const matched = visible(quals).find((r) => r['id'] === op.sourceId);
        if (matched !== undefined) {
          if (op.matched.action === 'update') {
            check(quals, 'merge-update-check', matched, currentUser);
            check(quals, 'update-check', { ...matched, ...op.matched.set }, currentUser);
          } else {
            check(quals, 'merge-delete-check', matched, currentUser);
          }
          return { count: 1, error: null };
        }
        if (op.notMatched === undefined) return { count: 0, error: null };
        const proposed = toRow(op.notMatched.row);
        check(quals, 'insert-check', proposed, currentUser);
        if (rows.some((r) => r['id'] === proposed['id'])) throw new StatementError(uniqueViolation);
        return { count: 1, error: null };
      }
    }
  } catch (e) {
    if (e instanceof StatementError) return { error: e.outcome };
    throw e;
  }
}

function policiesOf(scenario: Scenario): Policy[] {
  return scenario.policies.map((p) => policyFromSql({
    name: p.name,
    relationId: oid(16500),
    ...(p.command === undefined ? {} : { command: p.command }),
    ...(p.permissive === undefined ? {} : { permissive: p.permissive }),
    roles: (p.roles ?? ['public']).map((r) => (r === 'public' ? PUBLIC_ROLE : ROLE_IDS[r]!)),
    ...(p.using === undefined ? {} : { using: p.using }),
    ...(p.withCheck === undefined ? {} : { withCheck: p.withCheck }),
  }));
}

const RULES: Record<string, string> = {
  'default-deny': '[R2][R3]',
  'own-rows': '[R5][R8][R10]',
  'per-command': '[R5][R10][R11]',
  'restrictive': '[R6][R7]',
  'roles': '[R3][R5][R6]',
  'upsert-merge': '[R12][R13]',
  'hidden-from-select': '[R11][R12][R13]',
};

describe('the quals agree with PostgreSQL 15 on the captured scenarios', () => {
  beforeAll(async () => {
    await ensureParser();
  });

  it('has a fixture outcome for every scenario, role and statement', () => {
    expect(observed.length).toBe(spec.scenarios.length * spec.roles.length * spec.statements.length);
  });

  for (const scenario of spec.scenarios) {
    it(`${RULES[scenario.name] ?? ''} scenario "${scenario.name}": visible rows, counts and errors match`, () => {
      const policies = policiesOf(scenario);
      const mismatches: string[] = [];
      let compared = 0;
      for (const result of observed.filter((r) => r.scenario === scenario.name)) {
        const stmt = spec.statements.find((s) => s.id === result.statement)!;
        const mine = simulate(scenario, policies, result.role, stmt.op);
        const theirs: Outcome = result.error === null
          ? { ...(result.ids === undefined ? {} : { ids: result.ids }), ...(result.count === undefined ? {} : { count: result.count }), error: null }
          : { error: result.error };
        compared++;
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          mismatches.push(`${result.role} ${stmt.sql}: expected ${JSON.stringify(theirs)}, got ${JSON.stringify(mine)}`);
        }
      }
      expect(compared).toBe(spec.roles.length * spec.statements.length);
      expect(mismatches).toEqual([]);
    });
  }
});
