// The layer rule of ARCHITECTURE.md: a package imports only the packages below it, only through
// their exports map, declares every import in package.json, and never reaches into another
// package's files by a relative path. Used by scripts/check-layers.mjs and its test.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, dirname, sep } from 'node:path';

/** Which @palisade packages each package may import (its own name is always allowed). */
export const allowedImports = {
  common: [],
  bufmgr: ['common'],
  wal: ['common'],
  mvcc: ['common', 'wal'],
  access: ['common', 'bufmgr', 'wal', 'mvcc'],
  rls: ['common'],
  auth: ['common'],
  sepgsql: ['common'],
  protocol: ['common'],
  sql: ['common', 'bufmgr', 'wal', 'mvcc', 'access', 'rls', 'auth'],
  server: ['common', 'bufmgr', 'wal', 'mvcc', 'access', 'rls', 'auth', 'sepgsql', 'sql', 'protocol'],
};

const builtins = new Set(builtinModules);
const importPattern = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function listTs(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...listTs(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Returns the list of violations (strings) for the workspace at `root`. */
export function checkLayers(root) {
  const violations = [];
  const packagesDir = join(root, 'packages');
  const pkgs = existsSync(packagesDir) ? readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json'))) : [];
  const manifests = new Map(pkgs.map((d) => [d, JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8'))]));

  for (const dir of pkgs) {
    const manifest = manifests.get(dir);
    const pkgRoot = join(packagesDir, dir);
    if (manifest.name !== `@palisade/${dir}`) violations.push(`packages/${dir}: package name must be @palisade/${dir}, found ${manifest.name}`);
    const allowed = allowedImports[dir];
    if (!allowed) {
      violations.push(`packages/${dir}: not a package of ARCHITECTURE.md (add it to the layer table in scripts/layers.mjs)`);
      continue;
    }
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    for (const dep of declared) {
      const m = /^@palisade\/(.+)$/.exec(dep);
      if (m && !allowed.includes(m[1])) violations.push(`packages/${dir}/package.json: depends on ${dep}, which is not below it in the layer table`);
    }
    for (const file of listTs(join(pkgRoot, 'src'))) {
      const rel = relative(root, file);
      const source = stripComments(readFileSync(file, 'utf8'));
      for (const match of source.matchAll(importPattern)) {
        const spec = match[1] ?? match[2];
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!(target + sep).startsWith(pkgRoot + sep)) violations.push(`${rel}: relative import '${spec}' leaves the package (import it as @palisade/<name>)`);
          continue;
        }
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const pal = /^@palisade\/([^/]+)(\/.*)?$/.exec(spec);
        if (pal) {
          const [, name, subpath] = pal;
          if (name === dir) {
            violations.push(`${rel}: imports its own package '${spec}' (use a relative import)`);
            continue;
          }
          if (!allowed.includes(name)) {
            violations.push(`${rel}: imports ${spec}, but packages/${dir} may import only ${allowed.length ? allowed.map((a) => '@palisade/' + a).join(', ') : 'no other Palisade package'}`);
            continue;
          }
          const exportsMap = manifests.get(name)?.exports ?? {};
          if (!Object.prototype.hasOwnProperty.call(exportsMap, subpath ? `.${subpath}` : '.')) violations.push(`${rel}: '${spec}' is not in the exports map of @palisade/${name}`);
          if (!declared.has(`@palisade/${name}`)) violations.push(`${rel}: imports @palisade/${name} without declaring it in package.json dependencies`);
          continue;
        }
        const bare = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!declared.has(bare)) violations.push(`${rel}: imports '${spec}' without declaring '${bare}' in package.json dependencies`);
      }
    }
  }
  return violations;
}
