// The type registry: every supported built-in type and its array type, registered under
// PostgreSQL 15's pg_type OIDs. Implementations are found through the bootstrap rows —
// pg_type.typinput names a pg_proc row whose prosrc (int4in, numeric_in, …) selects ours —
// so a type is registered under exactly the OID PostgreSQL gives it. Entry point: typeByOid.

import { bootstrapRows } from '../catalog/bootstrap.ts';
import type { TypeImpl } from './datum.ts';
import { makeArrayType } from './array.ts';
import { jsonType, jsonbType } from './jsonb.ts';
import { numericType } from './numeric-type.ts';
import {
  boolType, bpcharType, byteaType, charType, cidType, cstringType, float4Type, float8Type, int2Type, int4Type, int8Type,
  nameType, oidType, regTypes, textType, unknownType, uuidType, varcharType, xidType,
} from './scalar.ts';
import { dateType, intervalType, timeType, timestampType, timestamptzType, timetzType } from './datetime.ts';

/** Our implementations by the prosrc of PostgreSQL's type input function. */
const byInputProc: Record<string, TypeImpl> = {
  boolin: boolType, int2in: int2Type, int4in: int4Type, int8in: int8Type, float4in: float4Type, float8in: float8Type,
  numeric_in: numericType, textin: textType, varcharin: varcharType, bpcharin: bpcharType, namein: nameType,
  charin: charType, byteain: byteaType, oidin: oidType, uuid_in: uuidType, json_in: jsonType, jsonb_in: jsonbType,
  xidin: xidType, cidin: cidType, unknownin: unknownType, cstring_in: cstringType,
  regprocin: regTypes[0]!, regprocedurein: regTypes[1]!, regoperin: regTypes[2]!, regoperatorin: regTypes[3]!,
  regclassin: regTypes[4]!, regtypein: regTypes[5]!, regrolein: regTypes[6]!, regnamespacein: regTypes[7]!,
  regconfigin: regTypes[8]!, regdictionaryin: regTypes[9]!,
  date_in: dateType, time_in: timeType, timetz_in: timetzType, timestamp_in: timestampType,
  timestamptz_in: timestamptzType, interval_in: intervalType,
};

let registry: Map<number, TypeImpl> | undefined;
let byName: Map<string, TypeImpl> | undefined;

function build(): Map<number, TypeImpl> {
  const procs = new Map(bootstrapRows('pg_proc').map((p) => [p.oid!, p.prosrc!]));
  const types = bootstrapRows('pg_type');
  const map = new Map<number, TypeImpl>();
  for (const t of types) {
    const impl = byInputProc[procs.get(t.typinput!) ?? ''];
    if (!impl) continue;
    // An impl is registered only under its own OID (e.g. xid8 has its own input function).
    if (impl.oid !== Number(t.oid)) continue;
    map.set(impl.oid, impl);
  }
  for (const t of types) {
    if (procs.get(t.typinput!) !== 'array_in') continue;
    const elem = map.get(Number(t.typelem));
    if (!elem) continue;
    map.set(Number(t.oid), makeArrayType(elem, Number(t.oid), t.typname!, t.typdelim ?? ','));
  }
  return map;
}

/** The implementation of a built-in type (or array of one) by pg_type OID. */
export function typeByOid(oid: number): TypeImpl | undefined {
  registry ??= build();
  return registry.get(oid);
}

/** The implementation by pg_type.typname (e.g. 'int4', '_int4'). */
export function typeByName(name: string): TypeImpl | undefined {
  registry ??= build();
  byName ??= new Map([...registry.values()].map((t) => [t.name, t]));
  return byName.get(name);
}

/** Every registered type OID, ascending. */
export function registeredTypeOids(): number[] {
  registry ??= build();
  return [...registry.keys()].sort((a, b) => a - b);
}
