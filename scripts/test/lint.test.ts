import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('linter', () => {
  it('Biome reports no errors in sources, tests, benchmarks and scripts', () => {
    const r = spawnSync(join(repoRoot, 'node_modules', '.bin', 'biome'), ['lint', '--diagnostic-level=error', '--max-diagnostics=50'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);
});
