#!/usr/bin/env node
// Packs every publishable package and reports what would be wrong with it on the registry.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPack, publishablePackages } from './packs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let count = 0;
for (const dir of publishablePackages(root)) {
  const problems = await checkPack(dir);
  for (const p of problems) console.error(p);
  count += problems.length;
}
console.log(count === 0 ? 'packs: ok' : `packs: ${count} problem(s)`);
process.exit(count === 0 ? 0 : 1);
