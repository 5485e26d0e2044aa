// The engine's view of the built-in catalogs: pg_type, pg_proc, pg_operator and pg_cast rows from
// the bootstrap contents, indexed for name resolution. Entry point: builtinCatalog().

import { bootstrapRows } from '../catalog/bootstrap.ts';

/** A pg_type row, reduced to what analysis needs. */
export interface CatType {
  oid: number;
  name: string;
  category: string;
  preferred: boolean;
  len: number;
  /** Element type of an array type (typelem where typsubscript is array_subscript_handler), else 0. */
  elem: number;
  array: number;
  typtype: string;
  typmodin: string;
}

/** A pg_proc row. */
export interface CatProc {
  oid: number;
  name: string;
  kind: string;
  argTypes: number[];
  retType: number;
  retSet: boolean;
  strict: boolean;
  /** Element type of a VARIADIC last argument, else 0. */
  variadic: number;
  volatile: string;
  src: string;
}

/** A pg_operator row. */
export interface CatOperator {
  oid: number;
  name: string;
  kind: string;
  left: number;
  right: number;
  result: number;
  proc: number;
  negate: number;
}

/** A pg_cast row. */
export interface CatCast {
  source: number;
  target: number;
  func: number;
  context: 'i' | 'a' | 'e';
  method: 'f' | 'i' | 'b';
}

/** Well-known type OIDs. */
export const T = {
  bool: 16, bytea: 17, char: 18, name: 19, int8: 20, int2: 21, int4: 23, regproc: 24, text: 25, oid: 26,
  json: 114, float4: 700, float8: 701, unknown: 705, bpchar: 1042, varchar: 1043, date: 1082, time: 1083,
  timestamp: 1114, timestamptz: 1184, interval: 1186, timetz: 1266, numeric: 1700, uuid: 2950, jsonb: 3802,
  record: 2249, cstring: 2275, any: 2276, anyarray: 2277, void: 2278, anyelement: 2283, anynonarray: 2776,
  anyenum: 3500, anyrange: 3831, anycompatible: 5077, anycompatiblearray: 5078, anycompatiblenonarray: 5079,
  anycompatiblerange: 5080, anymultirange: 4537, anycompatiblemultirange: 4538, int4array: 1007, textarray: 1009,
  regtype: 2206, regclass: 2205,
} as const;

export class Catalog {
  readonly types = new Map<number, CatType>();
  readonly typesByName = new Map<string, CatType>();
  readonly procs = new Map<number, CatProc>();
  readonly procsByName = new Map<string, CatProc[]>();
  readonly operatorsByName = new Map<string, CatOperator[]>();
  readonly operators = new Map<number, CatOperator>();
  readonly casts = new Map<string, CatCast>();

  constructor() {
    for (const r of bootstrapRows('pg_type')) {
      const t: CatType = {
        oid: Number(r.oid), name: r.typname!, category: r.typcategory!, preferred: r.typispreferred === 't',
        len: Number(r.typlen), elem: r.typsubscript === '6179' /* array_subscript_handler */ ? Number(r.typelem) : 0,
        array: Number(r.typarray), typtype: r.typtype!, typmodin: r.typmodin!,
      };
      this.types.set(t.oid, t);
      this.typesByName.set(t.name, t);
    }
    for (const r of bootstrapRows('pg_proc')) {
      const p: CatProc = {
        oid: Number(r.oid), name: r.proname!, kind: r.prokind!,
        argTypes: r.proargtypes ? r.proargtypes.split(' ').filter((s) => s !== '').map(Number) : [],
        retType: Number(r.prorettype), retSet: r.proretset === 't', strict: r.proisstrict === 't',
        variadic: Number(r.provariadic), volatile: r.provolatile!, src: r.prosrc!,
      };
      this.procs.set(p.oid, p);
      let list = this.procsByName.get(p.name);
      if (!list) this.procsByName.set(p.name, (list = []));
      list.push(p);
    }
    for (const r of bootstrapRows('pg_operator')) {
      const o: CatOperator = {
        oid: Number(r.oid), name: r.oprname!, kind: r.oprkind!, left: Number(r.oprleft), right: Number(r.oprright),
        result: Number(r.oprresult), proc: Number(r.oprcode), negate: Number(r.oprnegate),
      };
      this.operators.set(o.oid, o);
      let list = this.operatorsByName.get(o.name);
      if (!list) this.operatorsByName.set(o.name, (list = []));
      list.push(o);
    }
    for (const r of bootstrapRows('pg_cast')) {
      const c: CatCast = {
        source: Number(r.castsource), target: Number(r.casttarget), func: Number(r.castfunc),
        context: r.castcontext as CatCast['context'], method: r.castmethod as CatCast['method'],
      };
      this.casts.set(`${c.source},${c.target}`, c);
    }
  }

  type(oid: number): CatType | undefined {
    return this.types.get(oid);
  }

  cast(source: number, target: number): CatCast | undefined {
    return this.casts.get(`${source},${target}`);
  }
}

let instance: Catalog | undefined;

/** The built-in catalog, built once per process from the bootstrap rows. */
export function builtinCatalog(): Catalog {
  instance ??= new Catalog();
  return instance;
}

const SQL_NAMES: Record<string, string> = {
  int2: 'smallint', int4: 'integer', int8: 'bigint', float4: 'real', float8: 'double precision', bool: 'boolean',
  varchar: 'character varying', bpchar: 'character', timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone', time: 'time without time zone', timetz: 'time with time zone',
  varbit: 'bit varying', char: '"char"', any: '"any"',
};

/** PostgreSQL's format_type_be: the SQL name of a type as it appears in messages. */
export function formatType(oid: number, typmod = -1): string {
  const cat = builtinCatalog();
  const t = cat.type(oid);
  if (!t) return `${oid}`;
  if (t.elem !== 0 && t.name.startsWith('_')) return `${formatType(t.elem, typmod)}[]`;
  const base = SQL_NAMES[t.name] ?? t.name;
  if (typmod < 0) return base;
  if (t.name === 'varchar' || t.name === 'bpchar') return `${base}(${typmod - 4})`;
  if (t.name === 'numeric') {
    const v = typmod - 4;
    return `numeric(${(v >> 16) & 0xffff},${((v & 0x7ff) ^ 1024) - 1024})`;
  }
  return base;
}
