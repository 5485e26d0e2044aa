#!/usr/bin/env node
// Runs every bench/*.bench.ts of the package in the current directory (tinybench files),
// one at a time, against the TypeScript sources of the workspace.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(process.cwd(), 'bench');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort() : [];
if (files.length === 0) {
  console.log(`no benchmarks in ${dir}`);
  process.exit(0);
}
let failed = 0;
for (const f of files) {
  console.log(`\n## ${f}`);
  const r = spawnSync('tsx', ['--conditions=@palisade/source', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
