// jsonb operators and functions against PostgreSQL 15 (fixtures: jsonb-ops.json, captured as
// `SELECT (<operator or function call>)::text`).

import { describe, expect, it } from 'vitest';
import type { Datum } from '../src/types/datum.ts';
import { Jsonb } from '../src/types/jsonb.ts';
import * as ops from '../src/types/jsonb-ops.ts';
import { typeByName } from '../src/types/registry.ts';
import { ctxFor, expected, load, observe } from './fixtures/types/helpers.ts';

type Arg = string | number | string[] | [string | null, string | null];
interface OpCase { fn: string; args: Arg[]; out?: string | null; error?: { code: string; message: string } }

/** A result as `::text` prints it. */
function sqlText(v: Datum | Jsonb | boolean | number | string | null): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

const ctx = ctxFor();
const J = (s: Arg) => Jsonb.parse(s as string);

function sqlValue([type, text]: [string | null, string | null]): { value: Datum; typeOid: number } {
  if (type === null || text === null) return { value: null, typeOid: 25 };
  const impl = typeByName(type)!;
  return { value: impl.input(text, -1, ctx), typeOid: impl.oid };
}

function evaluate(c: OpCase): string | null {
  const [a, b, x] = c.args;
  switch (c.fn) {
    case '->': return sqlText(ops.jsonbGet(J(a!), b as string | number));
    case '->>': return sqlText(ops.jsonbGetText(J(a!), b as string | number));
    case '-': return sqlText(ops.jsonbDelete(J(a!), b as string | number));
    case '?': return sqlText(ops.jsonbExists(J(a!), b as string));
    case '?|': return sqlText(ops.jsonbExistsAny(J(a!), b as string[]));
    case '?&': return sqlText(ops.jsonbExistsAll(J(a!), b as string[]));
    case '#>': return sqlText(ops.jsonbGetPath(J(a!), b as string[]));
    case '#>>': return sqlText(ops.jsonbGetPathText(J(a!), b as string[]));
    case '@>': return sqlText(ops.jsonbContains(J(a!), J(b!)));
    case '||': return sqlText(ops.jsonbConcat(J(a!), J(b!)));
    case 'jsonb_set': return sqlText(ops.jsonbSet(J(a!), b as string[], J(x!)));
    case 'jsonb_set_nocreate': return sqlText(ops.jsonbSet(J(a!), b as string[], J(x!), false));
    case 'jsonb_typeof': return ops.jsonbTypeof(J(a!));
    case 'jsonb_array_length': return String(ops.jsonbArrayLength(J(a!)));
    case 'jsonb_pretty': return ops.jsonbPretty(J(a!));
    case 'jsonb_strip_nulls': return sqlText(ops.jsonbStripNulls(J(a!)));
    case 'jsonb_build_object': return sqlText(ops.jsonbBuildObject((c.args as Array<[string | null, string | null]>).map(sqlValue), ctx));
    case 'jsonb_build_array': return sqlText(ops.jsonbBuildArray((c.args as Array<[string | null, string | null]>).map(sqlValue), ctx));
  }
  throw new Error(`unknown ${c.fn}`);
}

describe('types: jsonb operators and functions', () => {
  const fx = load<{ cases: OpCase[] }>('jsonb-ops.json');
  it(`[TYP17] ${fx.cases.length} jsonb operator and function calls give PostgreSQL's results and errors`, () => {
    const mismatches: unknown[] = [];
    for (const c of fx.cases) {
      const got = observe(() => ({ out: evaluate(c) as string }), false);
      const want = expected({ ...c, out: c.out ?? undefined }, false, false);
      if (c.out === null) want.out = null;
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ fn: c.fn, args: c.args, got, want });
    }
    expect(mismatches.slice(0, 25)).toEqual([]);
  });
});
