import * as fs from 'node:fs';
import { isPgError } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { Policy } from '../src/policy.ts';
import { readPolicy } from '../src/reader.ts';
import { askOracle, compilePolicy, pick, prng } from './helpers.ts';

const REGTEST = 'sepgsql-regtest.conf';

function load(path: string): Policy {
  return Policy.load(fs.readFileSync(path), path);
}

describe('binary policy reader', () => {
  it('[SE5] reads the test policy into the expected model', () => {
    const p = load(compilePolicy(REGTEST));
    const db = p.db;
    expect(db.version).toBe(33);
    expect(db.mls).toBe(true);
    expect(db.handleUnknown).toBe('deny');
    expect(db.policyCaps.has(1)).toBe(true); // open_perms
    expect(db.permissiveMap.has(db.typeByName.get('sepgsql_regtest_permissive_t')!.value)).toBe(true);
    expect(db.types[db.typeByName.get('sepgsql_regtest_var_t')!.value - 1]!.bounds).toBe(db.typeByName.get('sepgsql_regtest_superuser_t')!.value);
    expect(db.typeByName.get('sepgsql_tbl_t')).toBe(db.typeByName.get('sepgsql_table_t'));
    expect(db.typeByName.get('sepgsql_table_type')!.attribute).toBe(true);
    expect(db.classByName.get('db_table')!.permissions.get('truncate')).toBe(12);
    expect(db.classByName.get('db_table')!.commonName).toBe('database');
    expect(db.classByName.get('db_table')!.validatetrans.length).toBe(1);
    expect(db.classByName.get('db_procedure')!.defaultRange).toBe(7);
    expect(p.getBoolean('sepgsql_regression_test_mode')).toBe(false);
    expect(p.getBoolean('sepgsql_enable_users_ddl')).toBe(true);
    expect(db.sensitivities.map((s) => s.name)).toEqual(['s0', 's1', 's2']);
    expect(p.sensitivityValue('SystemHigh')).toBe(3);
    expect(p.categoryValue('cat_one')).toBe(2);
    expect(db.categories.length).toBe(1024);
    expect(db.condList.length).toBe(3);
    expect(db.filenameTransitions.length).toBeGreaterThan(0);
    expect(db.rangeTransitions.length).toBe(1);
    expect(p.contextToString(p.initialContext()!)).toBe('system_u:object_r:unlabeled_t:s0');
  });

  it('[SE5] reads every policy version 20-33 that checkpolicy writes, and each agrees with libsepol', () => {
    for (let v = 20; v <= 33; v++) {
      const path = compilePolicy(REGTEST, { version: v });
      const p = load(path);
      expect(p.db.version).toBe(v);
      const rand = prng(v);
      const types = p.db.types.filter((t) => !t.attribute).map((t) => t.name);
      const subj = ['sepgsql_regtest_user_t', 'sepgsql_regtest_superuser_t', 'sepgsql_regtest_pool_t', 'sepgsql_regtest_var_t', 'unconfined_t'];
      const queries: string[] = [];
      for (let i = 0; i < 100; i++) {
        const s = `unconfined_u:unconfined_r:${pick(rand, subj)}:${pick(rand, ['s0', 's0-s0:c0.c1023', 's0:c1,c3'])}`;
        const t = `system_u:object_r:${pick(rand, types)}:${pick(rand, ['s0', 's0:c0.c255', 's1:c2'])}`;
        queries.push(`av ${s} ${t} ${pick(rand, p.db.classes.map((c) => c.name))}`);
        queries.push(`create ${s} ${t} ${pick(rand, ['process', 'db_table', 'db_column', 'db_procedure', 'db_schema'])}`);
      }
      const answers = askOracle(path, queries);
      queries.forEach((q, i) => {
        const [op, s, t, c] = q.split(' ') as [string, string, string, string];
        const sc = p.contextFromString(s)!;
        const tc = p.contextFromString(t)!;
        const cls = p.db.classByName.get(c)!.value;
        let ours: string;
        if (op === 'av') {
          const d = p.computeAv(sc, tc, cls);
          ours = `ok ${d.allowed.toString(16)} ${d.auditallow.toString(16)} ${d.auditdeny.toString(16)}`;
          expect(ours, `v${v} ${q}`).toBe(answers[i]!.split(' ').slice(0, 4).join(' '));
        } else {
          const r = p.computeSid(sc, tc, cls, 'transition');
          ours = r.valid ? `ok ${p.contextToString(r.context)}` : 'err compute';
          expect(ours, `v${v} ${q}`).toBe(answers[i]);
        }
      });
    }
  });

  it('[SE5] reads handle_unknown from secilc output (deny, allow, reject) and a non-MLS policy', () => {
    for (const mode of ['deny', 'allow', 'reject'] as const) {
      const path = compilePolicy('sepgsql-unknown.cil', { edit: (s) => s.replace('(handleunknown deny)', `(handleunknown ${mode})`), tag: mode });
      const db = readPolicy(fs.readFileSync(path), path);
      expect(db.handleUnknown).toBe(mode);
      expect(db.mls).toBe(false);
      expect(db.classByName.has('db_blob')).toBe(false);
    }
  });

  it('[SE6] a truncated policy is a clear error naming the file and offset, never a crash', () => {
    const path = compilePolicy(REGTEST);
    const bytes = fs.readFileSync(path);
    const rand = prng(42);
    const cuts = new Set<number>();
    for (let i = 0; i < 64; i++) cuts.add(i);
    for (let i = 0; i < 300; i++) cuts.add(Math.floor(rand() * bytes.length));
    for (const cut of cuts) {
      let err: unknown;
      try {
        readPolicy(bytes.subarray(0, cut), 'cut.bin');
      } catch (e) {
        err = e;
      }
      expect(isPgError(err), `cut at ${cut}`).toBe(true);
      expect((err as { code: string }).code).toBe('XX001');
      expect((err as Error).message).toMatch(/^SELinux: policy file "cut\.bin" is invalid at offset \d+: /);
    }
  });

  it('[SE6] random corruption either parses or fails with a PgError', () => {
    const bytes = fs.readFileSync(compilePolicy(REGTEST));
    const rand = prng(7);
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const copy = Uint8Array.from(bytes);
      for (let k = 0; k < 4; k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      try {
        // A corrupt policy that still parses must not crash the engine either.
        const p = new Policy(readPolicy(copy, 'flip.bin'));
        const s = p.contextFromString('unconfined_u:unconfined_r:sepgsql_regtest_user_t:s0');
        const t = p.contextFromString('system_u:object_r:sepgsql_table_t:s0');
        if (s && t && p.isValidContext(s) && p.isValidContext(t)) {
          for (const c of p.db.classes) {
            p.computeAv(s, t, c.value);
            p.computeSid(s, t, c.value, 'transition', 'x');
          }
        }
      } catch (e) {
        failures++;
        expect(isPgError(e), String(e)).toBe(true);
      }
    }
    expect(failures).toBeGreaterThan(0);
  });

  it('[SE6] wrong magic, unknown versions and Xen policies are rejected with their reason', () => {
    const bytes = fs.readFileSync(compilePolicy(REGTEST));
    const magic = Uint8Array.from(bytes);
    magic[0] = 0;
    expect(() => readPolicy(magic, 'm.bin')).toThrow(/is not the SELinux kernel policy magic/);
    for (const v of [19, 34]) {
      const copy = Uint8Array.from(bytes);
      new DataView(copy.buffer).setUint32(16, v, true);
      let err: unknown;
      try {
        readPolicy(copy, 'v.bin');
      } catch (e) {
        err = e;
      }
      expect((err as { code: string }).code).toBe('0A000');
      expect((err as Error).message).toContain(`policy version ${v}`);
    }
    const xen = Uint8Array.from(bytes);
    xen.set(new TextEncoder().encode('XenFlask'), 8);
    expect(() => readPolicy(xen, 'x.bin')).toThrow(/Xen policy format/);
  });
});
