// Cost of rowSecurityQuals for a table with 1, 10 and 100 policies (SELECT and UPDATE … WHERE),
// against a baseline measured in the same run: deep-copying one policy's parse tree, the least
// work any implementation must do per policy. Prints medians and their ratio to the baseline.

import { Bench } from 'tinybench';
import { oid } from '@palisade/common';
import { cloneNode, ensureParser, policyFromSql, rowSecurityQuals, type Policy, type RoleId } from '@palisade/rls';

await ensureParser();

const relation = { id: oid(16400), name: 'docs', ownerId: oid(16390), rowSecurity: true, forceRowSecurity: false, isSystemCatalog: false };
const user = oid(16391);
const hasPrivsOfRole = (u: RoleId, r: RoleId): boolean => u === r;
const COMMANDS = ['all', 'select', 'update', 'insert', 'delete'] as const;

function policies(count: number): Policy[] {
  return Array.from({ length: count }, (_, i) => policyFromSql({
    name: `p${String(i).padStart(3, '0')}`,
    relationId: relation.id,
    command: COMMANDS[i % COMMANDS.length]!,
    permissive: i % 4 !== 3,
    ...(COMMANDS[i % COMMANDS.length] === 'insert' ? {} : { using: `tenant = ${i} AND (owner = current_user OR level <= ${i % 5})` }),
    ...(i % 5 === 2 || i % 5 === 3 ? { withCheck: `level < ${i + 10}` } : {}),
  }));
}

const sets = new Map([1, 10, 100].map((n) => [n, policies(n)]));
const oneTree = sets.get(1)![0]!.using!;

const bench = new Bench({ time: 500, warmup: true, warmupTime: 200 });
bench.add('baseline: clone one policy tree', () => {
  cloneNode(oneTree);
});
for (const [count, set] of sets) {
  const label = `${count} ${count === 1 ? 'policy' : 'policies'}`;
  bench.add(`SELECT, ${label}`, () => {
    rowSecurityQuals({ relation, policies: set, userId: user, hasPrivsOfRole, command: 'select', isResultRelation: false, needsSelectRights: true });
  });
  bench.add(`UPDATE … WHERE, ${label}`, () => {
    rowSecurityQuals({ relation, policies: set, userId: user, hasPrivsOfRole, command: 'update', isResultRelation: true, needsSelectRights: true });
  });
}
await bench.run();

const median = (name: string): number => {
  const result = bench.getTask(name)?.result;
  return result?.state === 'completed' ? result.latency.p50 : Number.NaN;
};
const base = median('baseline: clone one policy tree');
console.table(bench.tasks.map((t) => ({
  task: t.name,
  'median µs': (median(t.name) * 1000).toFixed(2),
  'x baseline': (median(t.name) / base).toFixed(1),
})));
