// Casts against PostgreSQL 15: `SELECT ($1::text)::source::target::text` captured by
// scripts/gen-type-fixtures.mjs, replayed through castFunction.

import { describe, expect, it } from 'vitest';
import { castFunction } from '../src/types/casts.ts';
import { typeByName } from '../src/types/registry.ts';
import { ctxFor, expected, load, observe } from './fixtures/types/helpers.ts';

interface CastCase { from: string; to: string; input: string; out?: string; error?: { code: string; message: string } }

/** 'numeric(5,2)' → the type and its typmod; SQL's char means character(1). */
function parseType(spec: string): { oid: number; typmod: number } {
  const m = /^(\w+)(?:\(([^)]*)\))?$/.exec(spec)!;
  const name = m[1] === 'char' ? 'bpchar' : m[1]!;
  const mods = m[1] === 'char' ? ['1'] : m[2]?.split(',');
  const impl = typeByName(name)!;
  return { oid: impl.oid, typmod: mods ? impl.typmodIn!(mods) : -1 };
}

describe('types: casts', () => {
  const fx = load<{ cases: CastCase[] }>('casts.json');
  it(`[TYP15] ${fx.cases.length} casts give PostgreSQL's results, rounding and errors`, () => {
    const ctx = ctxFor();
    const text = typeByName('text')!.oid;
    const mismatches: unknown[] = [];
    for (const c of fx.cases) {
      const got = observe(() => {
        const from = parseType(c.from);
        const to = parseType(c.to);
        const v0 = castFunction(text, from.oid)!(c.input, from.typmod, ctx);
        const cast = castFunction(from.oid, to.oid);
        if (!cast) return { out: `no cast ${c.from} -> ${c.to}` };
        const v1 = cast(v0, to.typmod, ctx);
        return { out: castFunction(to.oid, text)!(v1, -1, ctx) as string };
      }, false);
      const want = expected(c, false, false);
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ from: c.from, to: c.to, input: c.input, got, want });
    }
    expect(mismatches).toEqual([]);
  });
});
