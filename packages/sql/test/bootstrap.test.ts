import { describe, expect, it } from 'vitest';
import { bootstrapCatalog, bootstrapCatalogs, bootstrapIndexes, bootstrapRows } from '../src/catalog/bootstrap.ts';

describe('bootstrap catalog contents (PostgreSQL 15 OIDs)', () => {
  it('has every system catalog with its OID and sharedness', () => {
    expect(bootstrapCatalogs.length).toBe(64);
    expect(bootstrapCatalog('pg_class')).toMatchObject({ oid: 1259, bootstrap: true, shared: false, rowtypeOid: 83 });
    expect(bootstrapCatalog('pg_authid')).toMatchObject({ oid: 1260, shared: true });
    expect(bootstrapCatalog('pg_type').columns.map((c) => c.name).slice(0, 4)).toEqual(['oid', 'typname', 'typnamespace', 'typowner']);
  });

  it('built-in types and functions keep PostgreSQL 15 OIDs', () => {
    const types = new Map(bootstrapRows('pg_type').map((t) => [t.typname, t]));
    expect(['bool', 'int8', 'int4', 'text', 'numeric', 'timestamptz', 'jsonb', 'uuid'].map((n) => Number(types.get(n)?.oid))).toEqual([16, 20, 23, 25, 1700, 1184, 3802, 2950]);
    // regproc columns hold function OIDs, as pg_type stores them.
    expect(types.get('int4')).toMatchObject({ typinput: '42', typoutput: '43', typarray: '1007' });
    const procs = bootstrapRows('pg_proc');
    expect(procs.find((p) => p.oid === '42')).toMatchObject({ proname: 'int4in', prosrc: 'int4in' });
    expect(procs.length).toBeGreaterThan(3000);
    expect(procs.find((p) => p.proname === 'int4eq')).toMatchObject({ oid: '65', prosrc: 'int4eq', proargtypes: '23 23', prorettype: '16' });
  });

  it('declares the catalog indexes', () => {
    expect(bootstrapIndexes.find((i) => i.name === 'pg_class_oid_index')).toMatchObject({ oid: 2662, table: 'pg_class', unique: true, method: 'btree' });
  });
});
