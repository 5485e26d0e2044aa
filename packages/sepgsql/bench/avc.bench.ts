// AVC cost per decision: a cache hit (checkPermission and the raw probe), a miss (the engine
// computes the decision from the compiled test policy), against a plain Map lookup baseline
// measured in the same run. Each task does BATCH decisions; the table reports ns per decision.

import * as fs from 'node:fs';
import { Bench } from 'tinybench';
import { SEPG_CLASS } from '../src/classes.ts';
import { Policy } from '../src/policy.ts';
import { Sepgsql } from '../src/sepgsql.ts';
import { UserspacePolicyProvider } from '../src/userspace-provider.ts';
import { compilePolicy } from '../test/helpers.ts';

const BATCH = 1000;
const policy = Policy.load(fs.readFileSync(compilePolicy('sepgsql-regtest.conf')));
const provider = new UserspacePolicyProvider(policy);
const sepgsql = new Sepgsql({ provider, mode: 'default' });
const subjects = ['user', 'superuser', 'pool', 'foo'].map((d) => `unconfined_u:unconfined_r:sepgsql_regtest_${d}_t:s0`);
const objects = ['table', 'ro_table', 'fixed_table', 'secret_table', 'schema'].map((t) => `system_u:object_r:sepgsql_${t}_t:s0`);
const pairs = subjects.flatMap((s) => objects.map((t) => [s, t] as const));
const key = (s: string, t: string) => `${s}\0${t}\0${SEPG_CLASS.db_table}`;
const baseline = new Map(pairs.map(([s, t]) => [key(s, t), 1]));
for (const [s, t] of pairs) {
  await sepgsql.checkPermission({ scontext: s, tcontext: t, tclass: SEPG_CLASS.db_table, required: 1, auditName: null, abortOnViolation: false });
}

let sink = 0;
const bench = new Bench({ time: 700, warmupTime: 200 });
bench
  .add('Map lookup (baseline)', () => {
    for (let i = 0; i < BATCH; i++) {
      const [s, t] = pairs[i % pairs.length]!;
      sink += baseline.get(key(s, t)) ?? 0;
    }
  })
  .add('AVC hit: probe', () => {
    for (let i = 0; i < BATCH; i++) {
      const [s, t] = pairs[i % pairs.length]!;
      sink += sepgsql.avc.probe(s, t, SEPG_CLASS.db_table)!.allowed & 1;
    }
  })
  .add('AVC hit: checkPermission', async () => {
    for (let i = 0; i < BATCH; i++) {
      const [s, t] = pairs[i % pairs.length]!;
      if (await sepgsql.checkPermission({ scontext: s, tcontext: t, tclass: SEPG_CLASS.db_table, required: 1, auditName: null, abortOnViolation: false })) sink++;
    }
  })
  .add('AVC miss: computeAccess (engine)', () => {
    for (let i = 0; i < BATCH; i++) {
      const [s, t] = pairs[i % pairs.length]!;
      sink += provider.computeAccessNow(s, t, SEPG_CLASS.db_table).allowed & 1;
    }
  });
await bench.run();

const rows = bench.tasks.map((task) => {
  const r = task.result as { latency?: { p50: number; mean: number } };
  return { name: task.name, p50: ((r.latency?.p50 ?? NaN) * 1e6) / BATCH, mean: ((r.latency?.mean ?? NaN) * 1e6) / BATCH };
});
const base = rows[0]!.p50;
console.table(rows.map((r) => ({ task: r.name, 'ns/decision (median)': r.p50.toFixed(1), 'ns/decision (mean)': r.mean.toFixed(1), 'x baseline': (r.p50 / base).toFixed(1) })));
if (sink < 0) console.log(sink);
