// What `pnpm pack` makes of each package must be publishable: built JS and types, README and
// LICENSE, no tests or sources, an exports map without the workspace-only source condition,
// and no complaint from publint. Used by scripts/check-packs.mjs and its test.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

function targets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField];
  if (exportsField === null || typeof exportsField !== 'object') return [];
  return Object.values(exportsField).flatMap(targets);
}

/** Packs one package and returns its problems (an empty list when it is fine). */
export async function checkPack(pkgDir, pnpm = 'pnpm') {
  const problems = [];
  const work = mkdtempSync(join(tmpdir(), 'palisade-pack-'));
  try {
    const out = execFileSync(pnpm, ['pack', '--pack-destination', work, '--json'], { cwd: pkgDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const info = JSON.parse(out.slice(out.indexOf('{')));
    const files = new Set(info.files.map((f) => f.path));
    for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
      if (!files.has(required)) problems.push(`${info.name}: the tarball lacks ${required}`);
    }
    for (const f of files) {
      if (/^(src|test|bench|examples|scripts)\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f)) problems.push(`${info.name}: the tarball contains ${f}`);
    }
    const unpacked = join(work, 'unpacked');
    execFileSync('mkdir', ['-p', unpacked]);
    execFileSync('tar', ['-xzf', info.filename, '-C', unpacked, '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
    if (JSON.stringify(manifest.exports ?? {}).includes('@palisade/source')) problems.push(`${info.name}: the published exports map still has the "@palisade/source" condition`);
    for (const t of targets(manifest.exports)) {
      if (t.includes('*')) continue;
      if (!existsSync(join(unpacked, t))) problems.push(`${info.name}: exports target ${t} is not in the tarball`);
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
        if (String(spec).startsWith('workspace:')) problems.push(`${info.name}: ${field}.${dep} is still "${spec}"`);
      }
    }
    const { messages, pkg } = await publint({ pkgDir: unpacked, pack: false, level: 'warning', strict: true });
    for (const m of messages) problems.push(`${info.name}: publint ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
  } catch (e) {
    problems.push(`${pkgDir}: packing failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return problems;
}

/** Every publishable (non-private) package under packages/. */
export function publishablePackages(root) {
  const dir = join(root, 'packages');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((d) => join(dir, d))
    .filter((d) => existsSync(join(d, 'package.json')) && !JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).private);
}
