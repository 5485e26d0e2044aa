#!/usr/bin/env node
// Fails when a package breaks the layer rule (see scripts/layers.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayers } from './layers.mjs';

const violations = checkLayers(join(dirname(fileURLToPath(import.meta.url)), '..'));
for (const v of violations) console.error(v);
console.log(violations.length === 0 ? 'layer rule: ok' : `layer rule: ${violations.length} violation(s)`);
process.exit(violations.length === 0 ? 0 : 1);
