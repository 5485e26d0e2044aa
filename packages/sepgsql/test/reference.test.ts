// Differential proof: thousands of generated (scontext, tcontext, class) queries against the test
// policy, answered by our engine and by libsepol (test/oracle/sepol-oracle.c), must agree exactly:
// context validity, allowed/auditallow/auditdeny, and the computed label of new objects.

import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Policy } from '../src/policy.ts';
import { askOracle, compilePolicy, pick, prng } from './helpers.ts';

const USERS = ['system_u', 'unconfined_u', 'sepgsql_regtest_u'];
const ROLES = ['object_r', 'system_r', 'unconfined_r', 'sepgsql_dba_r'];
const RANGES = [
  's0', 's0-s0:c0.c1023', 's0:c1,c3', 's1:c0.c5', 's0-s2:c0.c1023', 's2:c0.c1023', 's0-s0:c0.c15', 's0:c2.c5-s1:c2.c8',
  's0:c0.c255', 'SystemLow-SystemHigh:c0.c1023', 's0:cat_one', 's1-s0', 's0:c16', 's1:c0,c2,c4',
];

interface Fixture {
  path: string;
  policy: Policy;
  all: string[];
  valid: string[];
  subjects: string[];
}

function fixture(path: string): Fixture {
  const policy = Policy.load(fs.readFileSync(path), path);
  const types = [...policy.db.types.filter((t) => !t.attribute).map((t) => t.name), 'sepgsql_tbl_t', 'sepgsql_table_type'];
  const all: string[] = [];
  for (const u of USERS) for (const r of ROLES) for (const t of types) for (const m of RANGES) all.push(`${u}:${r}:${t}:${m}`);
  const valid = all.filter((c) => {
    const s = policy.contextFromString(c);
    return s !== undefined && policy.isValidContext(s);
  });
  const subjects = valid.filter((c) => !c.split(':')[1]!.startsWith('object_r'));
  return { path, policy, all, valid, subjects };
}

function engineAv(p: Policy, s: string, t: string, cls: string): string {
  const sc = p.contextFromString(s)!;
  const tc = p.contextFromString(t)!;
  const c = p.db.classByName.get(cls)!;
  const avd = p.computeAv(sc, tc, c.value);
  return `${avd.allowed.toString(16)} ${avd.auditallow.toString(16)} ${avd.auditdeny.toString(16)}`;
}

function engineSid(p: Policy, op: 'create' | 'member' | 'change', s: string, t: string, cls: string): string {
  const r = p.computeSid(p.contextFromString(s)!, p.contextFromString(t)!, p.db.classByName.get(cls)!.value, op === 'create' ? 'transition' : op);
  return r.valid ? `ok ${p.contextToString(r.context)}` : 'err compute';
}

describe('reference decisions (libsepol oracle)', () => {
  let f: Fixture;
  beforeAll(() => {
    f = fixture(compilePolicy('sepgsql-regtest.conf'));
  });

  it('[SE7] context validity agrees with libsepol for every generated context', () => {
    const answers = askOracle(f.path, f.all.map((c) => `valid ${c}`));
    const ours = f.all.map((c) => {
      const s = f.policy.contextFromString(c);
      return s !== undefined && f.policy.isValidContext(s) ? 'ok' : 'err';
    });
    expect(ours).toEqual(answers);
    expect(f.valid.length).toBeGreaterThan(100);
  });

  for (const boolSetting of [{}, { sepgsql_regression_test_mode: true }, { sepgsql_regression_test_mode: true, sepgsql_enable_users_ddl: false }]) {
    it(`[SE8] [S3] allowed/auditallow/auditdeny agree with libsepol under booleans ${JSON.stringify(boolSetting)}`, () => {
      const rand = prng(0x5e9 + Object.keys(boolSetting).length);
      const classes = f.policy.db.classes.map((c) => c.name);
      const queries: string[] = [];
      const boolQueries = Object.entries(boolSetting).map(([k, v]) => `bool ${k} ${v ? 1 : 0}`);
      for (let i = 0; i < 4000; i++) {
        // Bias towards the interesting pairs: regression domains against database objects.
        const s = pick(rand, f.subjects);
        const t = rand() < 0.8 ? pick(rand, f.valid) : pick(rand, f.subjects);
        queries.push(`av ${s} ${t} ${pick(rand, classes)}`);
      }
      const policy = Policy.load(fs.readFileSync(f.path), f.path);
      for (const [k, v] of Object.entries(boolSetting)) policy.setBoolean(k, v);
      const answers = askOracle(f.path, [...boolQueries, ...queries]).slice(boolQueries.length);
      const ours = queries.map((q) => {
        const [, s, t, c] = q.split(' ');
        return engineAv(policy, s!, t!, c!);
      });
      const theirs = answers.map((a) => a.split(' ').slice(1, 4).join(' '));
      const mismatches = queries.map((q, i) => [q, ours[i], theirs[i]]).filter(([, a, b]) => a !== b);
      expect(mismatches.slice(0, 10)).toEqual([]);
      // The sample must exercise both outcomes.
      expect(ours.filter((o) => o.startsWith('0 ')).length).toBeGreaterThan(100);
      expect(ours.filter((o) => !o.startsWith('0 ')).length).toBeGreaterThan(100);
    });
  }

  it('[SE10] computed labels (type/role/range transitions, defaults) agree with libsepol', () => {
    const rand = prng(0xc0ffee);
    const classes = f.policy.db.classes.map((c) => c.name);
    const queries: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const op = pick(rand, ['create', 'create', 'member', 'change'] as const);
      const s = pick(rand, f.subjects);
      const t = pick(rand, f.valid);
      const cls = rand() < 0.3 ? 'process' : pick(rand, classes);
      queries.push(`${op} ${s} ${t} ${cls}`);
    }
    const answers = askOracle(f.path, queries);
    const ours = queries.map((q) => {
      const [op, s, t, c] = q.split(' ');
      return engineSid(f.policy, op as 'create', s!, t!, c!);
    });
    const mismatches = queries.map((q, i) => [q, ours[i], answers[i]]).filter(([, a, b]) => a !== b);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
