// Unit tests of the type registry, typmods, the reg* resolver and the Datum shapes — the
// contract other parts of the engine build on.

import { describe, expect, it } from 'vitest';
import { bootstrapRows } from '../src/catalog/bootstrap.ts';
import { castFunction } from '../src/types/casts.ts';
import { defaultIoContext, type PgArray } from '../src/types/datum.ts';
import { DT_NOBEGIN, DT_NOEND } from '../src/types/datetime.ts';
import { Jsonb } from '../src/types/jsonb.ts';
import { NUMERIC_NAN, NUMERIC_NEG, Numeric } from '../src/types/numeric.ts';
import { registeredTypeOids, typeByName, typeByOid } from '../src/types/registry.ts';

const ctx = defaultIoContext;

function pgError(f: () => unknown): { code: string; message: string; detail?: string } {
  try {
    f();
  } catch (e) {
    const err = e as { code: string; message: string; detail?: string };
    return { code: err.code, message: err.message, ...(err.detail !== undefined && { detail: err.detail }) };
  }
  throw new Error('expected an error');
}

describe('types: registry', () => {
  it('[TYP2] registers every listed type and its array type under the pg_type OIDs', () => {
    const names = ['bool', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'varchar', 'bpchar', 'name', 'char', 'bytea',
      'oid', 'regproc', 'regprocedure', 'regoper', 'regoperator', 'regclass', 'regtype', 'regrole', 'regnamespace', 'regconfig',
      'regdictionary', 'xid', 'cid', 'uuid', 'json', 'jsonb', 'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'unknown', 'cstring'];
    const rows = new Map(bootstrapRows('pg_type').map((r) => [r.typname!, r]));
    for (const name of names) {
      const row = rows.get(name)!;
      expect(typeByOid(Number(row.oid))?.name, name).toBe(name);
      if (row.typarray !== '0') expect(typeByOid(Number(row.typarray))?.name, `${name}[]`).toBe(`_${name}`);
    }
    expect(registeredTypeOids().length).toBeGreaterThanOrEqual(names.length * 2 - 2);
    expect(typeByOid(999_999)).toBeUndefined();
  });

  it('[TYP2] Datum shapes: int8 is bigint, date infinity is ±Infinity, timestamps use DT_NOBEGIN/DT_NOEND', () => {
    expect(typeByName('int8')!.input('42', -1, ctx)).toBe(42n);
    expect(typeByName('date')!.input('infinity', -1, ctx)).toBe(Infinity);
    expect(typeByName('date')!.input('2000-01-02', -1, ctx)).toBe(1);
    expect(typeByName('timestamp')!.input('-infinity', -1, ctx)).toBe(DT_NOBEGIN);
    expect(typeByName('timestamptz')!.input('infinity', -1, ctx)).toBe(DT_NOEND);
    expect(typeByName('timetz')!.input('01:00+02', -1, ctx)).toEqual({ timeUs: 3_600_000_000n, zoneSec: -7200 });
    expect(typeByName('interval')!.input('1 mon 2 days 3 us', -1, ctx)).toEqual({ months: 1, days: 2, micros: 3n });
    const arr = typeByName('_int4')!.input('[0:1]={1,NULL}', -1, ctx) as PgArray;
    expect(arr).toEqual({ elementType: 23, dims: [2], lowerBounds: [0], values: [1, null] });
    expect(typeByName('jsonb')!.input('{"b":1,"a":2,"a":3}', -1, ctx)).toBeInstanceOf(Jsonb);
  });
});

describe('types: typmods', () => {
  it('[TYP7] varchar(n): input and assignment fail, explicit casts truncate, trailing spaces may be cut', () => {
    const vc = typeByName('varchar')!;
    const t = vc.typmodIn!(['3']);
    expect(vc.typmodOut!(t)).toBe('(3)');
    expect(pgError(() => vc.input('abcd', t, ctx))).toEqual({ code: '22001', message: 'value too long for type character varying(3)' });
    expect(pgError(() => vc.applyTypmod!('abcd', t, false)).code).toBe('22001');
    expect(vc.applyTypmod!('abcd', t, true)).toBe('abc');
    expect(vc.input('ab    ', t, ctx)).toBe('ab ');
    expect(pgError(() => vc.typmodIn!(['0']))).toEqual({ code: '22023', message: 'length for type varchar must be at least 1' });
  });

  it('[TYP7] bpchar(n) pads to n characters', () => {
    const bp = typeByName('bpchar')!;
    expect(bp.input('é', bp.typmodIn!(['3']), ctx)).toBe('é  ');
  });

  it('[TYP6] numeric(p,s) typmod text, rounding and overflow DETAIL', () => {
    const n = typeByName('numeric')!;
    const t = n.typmodIn!(['5', '2']);
    expect(n.typmodOut!(t)).toBe('(5,2)');
    expect(String(n.input('123.455', t, ctx))).toBe('123.46');
    expect(pgError(() => n.input('1000', t, ctx))).toEqual({
      code: '22003', message: 'numeric field overflow', detail: 'A field with precision 5, scale 2 must round to an absolute value less than 10^3.',
    });
    expect(pgError(() => n.typmodIn!(['1001']))).toEqual({ code: '22023', message: 'NUMERIC precision 1001 must be between 1 and 1000' });
  });

  it('[TYP12] timestamp(p) and interval(p) round fractional seconds', () => {
    const ts = typeByName('timestamp')!;
    expect(ts.output(ts.input('2000-01-01 00:00:00.125', ts.typmodIn!(['2']), ctx), ctx)).toBe('2000-01-01 00:00:00.13');
    expect(ts.typmodOut!(2)).toBe('(2) without time zone');
    const iv = typeByName('interval')!;
    expect(iv.output(iv.input('1.26 seconds', iv.typmodIn!(['1']), ctx), ctx)).toBe('00:00:01.3');
  });
});

describe('types: numeric representation', () => {
  it('[TYP6] exposes NumericVar fields: sign, base-10000 digits, weight, dscale', () => {
    const n = Numeric.parse('-12345.678');
    expect(n.sign).toBe(NUMERIC_NEG);
    expect(n.digits).toEqual([1, 2345, 6780]);
    expect(n.weight).toBe(1);
    expect(n.dscale).toBe(3);
    expect(Numeric.parse('NaN').sign).toBe(NUMERIC_NAN);
    expect(Array.from(Numeric.parse('-Infinity').send())).toEqual([0, 0, 0, 0, 0xf0, 0, 0, 0x20]);
  });

  it('[TYP6] division by zero is 22012 and sqrt of a negative number 2201F', () => {
    expect(pgError(() => Numeric.div(Numeric.ONE, Numeric.ZERO))).toEqual({ code: '22012', message: 'division by zero' });
    expect(pgError(() => Numeric.parse('-1').sqrt())).toEqual({ code: '2201F', message: 'cannot take square root of a negative number' });
  });
});

describe('types: reg* types', () => {
  it('[TYP10] read OIDs without a resolver and names through one; print names the resolver knows', () => {
    const rc = typeByName('regclass')!;
    expect(rc.input('1259', -1, ctx)).toBe(1259);
    expect(rc.output(0, ctx)).toBe('-');
    expect(pgError(() => rc.input('pg_class', -1, ctx))).toEqual({ code: '42P01', message: 'relation "pg_class" does not exist' });
    const withCatalog = {
      ...ctx,
      regResolver: { lookup: (_k: string, n: string) => (n === 'pg_class' ? 1259 : undefined), name: (_k: string, o: number) => (o === 1259 ? 'pg_class' : undefined) },
    };
    expect(rc.input('pg_class', -1, withCatalog)).toBe(1259);
    expect(rc.output(1259, withCatalog)).toBe('pg_class');
    expect(rc.output(424242, withCatalog)).toBe('424242');
  });
});

describe('types: casts', () => {
  it('[TYP15] int8 → int4 overflow, float → int rounds half to even, numeric → int half away from zero', () => {
    expect(pgError(() => castFunction(20, 23)!(2n ** 40n, -1, ctx))).toEqual({ code: '22003', message: 'integer out of range' });
    expect(castFunction(701, 23)!(2.5, -1, ctx)).toBe(2);
    expect(castFunction(701, 23)!(3.5, -1, ctx)).toBe(4);
    expect(castFunction(1700, 23)!(Numeric.parse('2.5'), -1, ctx)).toBe(3);
    expect(castFunction(1700, 23)!(Numeric.parse('-2.5'), -1, ctx)).toBe(-3);
    expect(castFunction(16, 25)!(true, -1, ctx)).toBe('true');
    expect(castFunction(2950, 17)).toBeUndefined();
  });
});
