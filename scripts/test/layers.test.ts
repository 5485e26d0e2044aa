import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { checkLayers } from '../layers.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A throw-away workspace with the given packages: name → { deps, files }. */
function workspace(pkgs: Record<string, { deps?: Record<string, string>; files: Record<string, string> }>): string {
  const root = mkdtempSync(join(tmpdir(), 'palisade-layers-'));
  made.push(root);
  for (const [name, { deps = {}, files }] of Object.entries(pkgs)) {
    const dir = join(root, 'packages', name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@palisade/${name}`, exports: { '.': './src/index.ts' }, dependencies: deps }));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'src', file), text);
  }
  return root;
}

describe('layer rule (ARCHITECTURE.md: imports point down the table only)', () => {
  it('passes on this repository', () => {
    expect(checkLayers(repoRoot)).toEqual([]);
  });

  it('accepts an import of a lower package through its exports map', () => {
    const root = workspace({
      common: { files: { 'index.ts': 'export const x = 1;\n' } },
      wal: { deps: { '@palisade/common': 'workspace:^' }, files: { 'index.ts': "import { x } from '@palisade/common';\nexport const y = x;\n" } },
    });
    expect(checkLayers(root)).toEqual([]);
  });

  it('fails when a package imports one above it', () => {
    const root = workspace({
      common: { files: { 'index.ts': 'export const x = 1;\n' } },
      wal: { deps: { '@palisade/common': 'workspace:^' }, files: { 'index.ts': 'export const y = 2;\n' } },
      bufmgr: {
        deps: { '@palisade/common': 'workspace:^', '@palisade/wal': 'workspace:^' },
        files: { 'index.ts': "import { y } from '@palisade/wal';\nexport const z = y;\n" },
      },
    });
    const violations = checkLayers(root);
    expect(violations.some((v: string) => v.includes('packages/bufmgr/src/index.ts: imports @palisade/wal'))).toBe(true);
    expect(violations.some((v: string) => v.includes('packages/bufmgr/package.json: depends on @palisade/wal'))).toBe(true);
  });

  it("fails when a package reaches into another package's files", () => {
    const root = workspace({
      common: { files: { 'index.ts': 'export const x = 1;\n', 'secret.ts': 'export const s = 1;\n' } },
      rls: { deps: { '@palisade/common': 'workspace:^' }, files: { 'index.ts': "import { s } from '../../common/src/secret.ts';\nimport { x } from '@palisade/common/src/secret.ts';\nexport const t = s + x;\n" } },
    });
    const violations = checkLayers(root);
    expect(violations).toContainEqual(expect.stringContaining("relative import '../../common/src/secret.ts' leaves the package"));
    expect(violations).toContainEqual(expect.stringContaining("'@palisade/common/src/secret.ts' is not in the exports map"));
  });

  it('fails on an undeclared third-party or Palisade import', () => {
    const root = workspace({
      common: { files: { 'index.ts': "import leftPad from 'left-pad';\nexport const x = leftPad;\n" } },
      auth: { files: { 'index.ts': "export { x } from '@palisade/common';\n" } },
    });
    const violations = checkLayers(root);
    expect(violations).toContainEqual(expect.stringContaining("imports 'left-pad' without declaring"));
    expect(violations).toContainEqual(expect.stringContaining('imports @palisade/common without declaring it'));
  });
});
