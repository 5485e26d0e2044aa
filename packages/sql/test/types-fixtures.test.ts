// Differential tests: every case in test/fixtures/types/*.json was captured from PostgreSQL 15
// by scripts/gen-type-fixtures.mjs (text output, typsend bytes, or the error); our
// implementation must reproduce each one exactly.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { typeByOid } from '../src/types/registry.ts';
import { type IoCase, ctxFor, dir, expected, hex, load, observe } from './fixtures/types/helpers.ts';

/**
 * Documented deviation (README "Types", deviations): zone abbreviations come from Intl, which
 * knows LMT but not other historical ones such as Kolkata's HMT/MMT before 1942.
 */
function isKnownDeviation(c: IoCase): boolean {
  return c.out !== undefined && /\b(HMT|MMT)\b/.test(c.out);
}

const ioFiles = readdirSync(dir).filter((f) => f.endsWith('.json') && !['arrays.json', 'numeric-ops.json', 'casts.json', 'jsonb-ops.json'].includes(f)).sort();

const RULE: Record<string, string> = {
  'bool.json': 'TYP3', 'int2.json': 'TYP4', 'int4.json': 'TYP4', 'int8.json': 'TYP4', 'float4.json': 'TYP5', 'float8.json': 'TYP5',
  'numeric.json': 'TYP6', 'text.json': 'TYP7', 'varchar.json': 'TYP7', 'bpchar.json': 'TYP7', 'name.json': 'TYP7', 'char.json': 'TYP7',
  'bytea.json': 'TYP8', 'uuid.json': 'TYP9', 'oid.json': 'TYP10', 'json.json': 'TYP11', 'jsonb.json': 'TYP11', 'date.json': 'TYP12',
  'timestamp.json': 'TYP12', 'timestamptz.json': 'TYP12', 'time.json': 'TYP12', 'timetz.json': 'TYP12', 'interval.json': 'TYP13',
};

describe('types: text and binary I/O match PostgreSQL 15', () => {
  for (const file of ioFiles) {
    const fx = load<{ type: string; oid: number; cases: IoCase[] }>(file);
    it(`[${RULE[file] ?? 'TYP1'}] ${fx.type}: ${fx.cases.length} inputs give PostgreSQL's output, send bytes and errors`, () => {
      const impl = typeByOid(fx.oid);
      expect(impl, `type ${fx.oid}`).toBeDefined();
      const compareWhere = fx.type === 'json' || fx.type === 'jsonb';
      const mismatches: unknown[] = [];
      for (const c of fx.cases) {
        if (isKnownDeviation(c)) continue;
        const ctx = ctxFor(c.settings);
        const got = observe(() => {
          const v = impl!.input(c.input, c.typmod ?? -1, ctx);
          const bin = impl!.send(v, ctx);
          const out = impl!.output(v, ctx);
          // The bytes must read back to a value with the same output; PostgreSQL's receive
          // rejects a few values its input accepts (a timestamp rounded up to the end of the range).
          const back = observe(() => ({ out: impl!.output(impl!.receive(bin, -1, ctx), ctx) }), false);
          if (back.out !== out && back.error === undefined) return { out, bin: hex(bin), roundTrip: back };
          return { out, bin: hex(bin) };
        }, compareWhere);
        const want = expected(c, compareWhere);
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ input: c.input, typmod: c.typmod, settings: c.settings, got, want });
      }
      expect(mismatches.slice(0, 15)).toEqual([]);
    });
  }
});
