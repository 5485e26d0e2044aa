// Compares the engine with libsepol on Debian's reference policy (selinux-policy-default):
//   tsx --conditions=@palisade/source packages/sepgsql/test/refpolicy-compare.ts [policy] [queries]
// Not part of the unit suite (the package is not among the test machine's system packages); it
// prints the load time, the agreement counts and the first disagreements, and exits 1 on any.

import * as fs from 'node:fs';
import { Policy } from '../src/policy.ts';
import { askOracle, pick, prng } from './helpers.ts';

const path = process.argv[2] ?? '/etc/selinux/default/policy/policy.33';
const count = Number(process.argv[3] ?? 20000);
const t0 = performance.now();
const policy = Policy.load(fs.readFileSync(path), path);
const loadMs = performance.now() - t0;
const db = policy.db;
console.log(`loaded ${path}: version ${db.version}, ${db.types.length} types, ${db.avtab.length} avtab entries, ${db.condList.length} conditionals, handle_unknown=${db.handleUnknown}, ${loadMs.toFixed(0)} ms`);

const rand = prng(2026);
const types = db.types.filter((t) => !t.attribute);
const ranges = ['s0', 's0-s0:c0.c1023', 's0:c1,c3', 's0:c0.c255'];
const subjects: string[] = [];
const objects: string[] = [];
// Subjects: every user with each of its roles and types that role may use (sampled).
for (const u of db.users) {
  for (const rbit of u.roles) {
    const r = db.roles[rbit]!;
    if (r.name === 'object_r') continue;
    const roleTypes = r.types.toArray();
    for (let i = 0; i < 40 && roleTypes.length > 0; i++) {
      const c = `${u.name}:${r.name}:${types.find((t) => t.value === pick(rand, roleTypes) + 1)?.name ?? 'unlabeled_t'}:${pick(rand, ranges)}`;
      const sc = policy.contextFromString(c);
      if (sc && policy.isValidContext(sc)) subjects.push(c);
    }
  }
}
for (const name of ['unconfined_t', 'sysadm_t', 'staff_t', 'user_t', 'postgresql_t']) {
  for (const c of [`unconfined_u:unconfined_r:${name}:s0-s0:c0.c1023`, `staff_u:staff_r:${name}:s0`, `user_u:user_r:${name}:s0`, `sysadm_u:sysadm_r:${name}:s0`]) {
    const sc = policy.contextFromString(c);
    if (sc && policy.isValidContext(sc)) subjects.push(c);
  }
}
// Objects: half database object types, half any type.
const dbTypes = types.filter((t) => /sepgsql|postgresql/.test(t.name));
for (let i = 0; i < 400; i++) objects.push(`system_u:object_r:${pick(rand, dbTypes).name}:${pick(rand, ranges)}`);
for (let i = 0; i < 400; i++) objects.push(`system_u:object_r:${pick(rand, types).name}:${pick(rand, ranges)}`);
// Bias towards the database classes and the domains that use them.
const dbClasses = [...db.classByName.keys()].filter((n) => n.startsWith('db_') || n === 'process');
const allClasses = db.classes.map((c) => c.name);
// Half the queries come from allow rules (attribute members picked at random), so that many
// decisions allow something; the other half are random pairs.
const members = new Map<number, number[]>();
db.typeAttrMap.forEach((attrs, i) => {
  if (db.types[i]!.attribute) return;
  for (const a of attrs) {
    const l = members.get(a);
    if (l) l.push(i);
    else members.set(a, [i]);
  }
});
const subjectFor = (typeIndex: number): string | undefined => {
  for (const u of db.users) {
    for (const rbit of u.roles) {
      const r = db.roles[rbit]!;
      if (r.name === 'object_r' || !r.types.has(typeIndex)) continue;
      const c = `${u.name}:${r.name}:${db.types[typeIndex]!.name}:${pick(rand, ranges)}`;
      const sc = policy.contextFromString(c);
      if (sc && policy.isValidContext(sc)) return c;
    }
  }
  return undefined;
};
const allows = db.avtab.filter((e) => e.specified === 1 || e.specified === 16);
const queries: string[] = [];
for (let i = 0; i < count; i++) {
  let s = pick(rand, subjects);
  let t = rand() < 0.8 ? pick(rand, objects) : pick(rand, subjects);
  let cls = rand() < 0.7 ? pick(rand, dbClasses) : pick(rand, allClasses);
  if (i % 2 === 0) {
    const e = pick(rand, allows);
    const st = subjectFor(pick(rand, members.get(e.sourceType - 1) ?? [e.sourceType - 1]));
    if (st !== undefined) {
      s = st;
      t = `system_u:object_r:${db.types[pick(rand, members.get(e.targetType - 1) ?? [e.targetType - 1])]!.name}:${pick(rand, ranges)}`;
      cls = db.classes[e.targetClass - 1]!.name;
    }
  }
  queries.push(`${i % 4 === 3 ? 'create' : 'av'} ${s} ${t} ${cls}`);
}
// Flip about half of the booleans, in both engines, so that conditional rules are exercised both ways.
const boolQueries: string[] = [];
for (const b of db.bools) {
  if (rand() < 0.5) {
    policy.setBoolean(b.name, !b.state);
    boolQueries.push(`bool ${b.name} ${b.state ? 0 : 1}`);
  }
}
const t1 = performance.now();
const answers = askOracle(path, [...boolQueries, ...queries]).slice(boolQueries.length);
const oracleMs = performance.now() - t1;
let agree = 0;
let allowedNonZero = 0;
const bad: string[] = [];
const t2 = performance.now();
queries.forEach((q, i) => {
  const [op, s, t, c] = q.split(' ') as [string, string, string, string];
  const sc = policy.contextFromString(s)!;
  const tc = policy.contextFromString(t)!;
  const cls = db.classByName.get(c)!.value;
  let ours: string;
  let theirs = answers[i]!;
  if (op === 'av') {
    const d = policy.computeAv(sc, tc, cls);
    if (d.allowed !== 0) allowedNonZero++;
    ours = `ok ${d.allowed.toString(16)} ${d.auditallow.toString(16)} ${d.auditdeny.toString(16)}`;
    theirs = theirs.split(' ').slice(0, 4).join(' ');
  } else {
    const r = policy.computeSid(sc, tc, cls, 'transition');
    ours = r.valid ? `ok ${policy.contextToString(r.context)}` : 'err compute';
  }
  if (ours === theirs) agree++;
  else if (bad.length < 10) bad.push(`${q}\n  ours:    ${ours}\n  libsepol: ${theirs}`);
});
const engineMs = performance.now() - t2;
console.log(`${agree}/${queries.length} agree (${allowedNonZero} av queries with some permission allowed); subjects ${subjects.length}, objects ${objects.length}, ${boolQueries.length} booleans flipped`);
console.log(`engine ${(engineMs / queries.length * 1000).toFixed(1)} µs/query uncached, libsepol oracle ${(oracleMs / queries.length * 1000).toFixed(1)} µs/query incl. process I/O`);
for (const b of bad) console.log(b);
process.exit(agree === queries.length ? 0 : 1);
