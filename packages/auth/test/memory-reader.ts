// A tiny in-memory ConfigReader for tests: files by absolute path, directories implied.
import type { ConfigReader } from '../src/config-file.ts';

export function memoryReader(files: Record<string, string | Uint8Array>): ConfigReader & { files: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(files)) map.set(k, typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const enoent = (path: string) => Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return {
    files: map,
    async readFile(path) {
      const f = map.get(path);
      if (!f) throw enoent(path);
      return f;
    },
    async readdir(path) {
      const prefix = path.endsWith('/') ? path : path + '/';
      const names = new Set<string>();
      for (const k of map.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
      if (names.size === 0) throw enoent(path);
      return [...names].sort();
    },
    async exists(path) {
      return map.has(path);
    },
  };
}
