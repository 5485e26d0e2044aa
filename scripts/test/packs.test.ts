import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { checkPack, publishablePackages } from '../packs.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packages: string[] = publishablePackages(repoRoot);

describe('published packages (pnpm pack + publint)', () => {
  it('finds the packages', () => {
    expect(packages.map((p) => basename(p))).toContain('common');
  });

  for (const dir of packages) {
    it(`@palisade/${basename(dir)} packs with built JS, types, README and LICENSE and no tests`, async () => {
      expect(existsSync(join(dir, 'dist', 'index.js')), `build ${dir} first (nx run-many -t build)`).toBe(true);
      expect(await checkPack(dir)).toEqual([]);
    }, 120_000);
  }
});

describe('changesets', () => {
  it('`changeset status` runs on the workspace', () => {
    const out = execFileSync(join(repoRoot, 'node_modules', '.bin', 'changeset'), ['status'], { cwd: repoRoot, encoding: 'utf8' });
    expect(out).toMatch(/packages to be bumped|NO packages to be bumped/i);
  });
});
