// Unit tests of type resolution: operator and function selection, coercion pathways, common types.

import { describe, expect, it } from 'vitest';
import { T, formatType } from '../src/analyze/catalog.ts';
import { canCoerce, Ctx, findPathway, selectCommonType } from '../src/analyze/coerce.ts';
import { ErrorPositioner } from '../src/analyze/positions.ts';
import { resolveFunction, resolveOperator } from '../src/analyze/resolve.ts';

const pos = new ErrorPositioner('');

describe('operator resolution', () => {
  it('[ENG6] integer + numeric resolves to numeric + numeric through the implicit cast', () => {
    const r = resolveOperator('+', T.int4, T.numeric);
    expect(r.argTypes).toEqual([T.numeric, T.numeric]);
    expect(r.retType).toBe(T.numeric);
  });

  it('[ENG6] an unknown literal takes the other side\'s type (binary_oper_exact)', () => {
    expect(resolveOperator('+', T.unknown, T.int4).argTypes).toEqual([T.int4, T.int4]);
  });

  it('[ENG6] unknown + unknown is ambiguous (42725) and integer + text does not exist (42883)', () => {
    expect(() => resolveOperator('+', T.unknown, T.unknown)).toThrow('operator is not unique: unknown + unknown');
    expect(() => resolveOperator('+', T.int4, T.text)).toThrow('operator does not exist: integer + text');
  });

  it('[ENG6] ^ on integers is double precision (preferred type of the numeric category)', () => {
    expect(resolveOperator('^', T.int4, T.int4).retType).toBe(T.float8);
  });

  it('[ENG6] || with an unknown and an integer picks textanycat', () => {
    const r = resolveOperator('||', T.unknown, T.int4);
    expect(r.retType).toBe(T.text);
  });
});

describe('function resolution', () => {
  it('[ENG6] length(unknown) prefers the string category (text)', () => {
    const r = resolveFunction('length', [T.unknown], true);
    expect(r.kind === 'function' && r.resolved.argTypes).toEqual([T.text]);
  });

  it('[ENG6] a type name with one argument is a function-style cast', () => {
    expect(resolveFunction('int4', [T.unknown], true)).toEqual({ kind: 'coercion', target: T.int4 });
  });

  it('[ENG6] polymorphic functions resolve their result from the arguments', () => {
    const r = resolveFunction('array_length', [T.int4array, T.int4], false);
    expect(r.kind === 'function' && r.resolved.retType).toBe(T.int4);
  });

  it('[ENG6] unknown functions are 42883 with PostgreSQL\'s hint', () => {
    expect(() => resolveFunction('nosuch', [T.int4], false)).toThrow('function nosuch(integer) does not exist');
  });
});

describe('coercion', () => {
  it('[ENG6] pg_cast contexts: int8 → int4 is assignment-only, int4 → int8 implicit', () => {
    expect(findPathway(T.int4, T.int8, Ctx.Implicit)).toBeNull();
    expect(findPathway(T.int4, T.int8, Ctx.Assignment)).not.toBeNull();
    expect(canCoerce([T.int4], [T.int8], Ctx.Implicit)).toBe(true);
  });

  it('[ENG6] anything becomes text by I/O conversion in assignment context, but not implicitly', () => {
    expect(findPathway(T.text, T.int4, Ctx.Assignment)).toEqual({ how: 'io' });
    expect(findPathway(T.text, T.int4, Ctx.Implicit)).toBeNull();
  });

  it('[ENG6] common types: integer and numeric → numeric; unknowns → text; categories must agree (42804)', () => {
    expect(selectCommonType([{ type: T.int4, location: -1 }, { type: T.numeric, location: -1 }], 'CASE', pos)).toBe(T.numeric);
    expect(selectCommonType([{ type: T.unknown, location: -1 }, { type: T.unknown, location: -1 }], 'CASE', pos)).toBe(T.text);
    expect(() => selectCommonType([{ type: T.int4, location: -1 }, { type: T.text, location: -1 }], 'UNION', pos)).toThrow('UNION types integer and text cannot be matched');
  });

  it('[ENG6] format_type names types as PostgreSQL prints them', () => {
    expect([formatType(T.int4), formatType(T.float8), formatType(T.varchar, 14), formatType(T.int4array)]).toEqual(['integer', 'double precision', 'character varying(10)', 'integer[]']);
  });

  it('[ENG6] byte offsets become 1-based character positions', () => {
    expect(new ErrorPositioner("SELECT 'é' + x").charPosition(14)).toBe(14);
  });
});
