// Aggregate functions: count, sum, avg, min, max, bool_and, bool_or, every, array_agg,
// string_agg — chosen by name and resolved argument types, with PostgreSQL's result types
// (sum(int4) is bigint, sum(int8) and avg(integer) numeric, …). Entry point: aggregateFor.

import { featureNotSupported } from '@palisade/common';
import type { Datum, PgArray } from '../types/datum.ts';
import { Numeric } from '../types/numeric.ts';
import { typeByOid } from '../types/registry.ts';
import { T } from '../analyze/catalog.ts';
import { floatCompare } from './builtins.ts';

/** One aggregate's transition machinery. States are opaque to the executor. */
export interface AggImpl {
  /** Strict aggregates skip rows whose argument is NULL. */
  strict: boolean;
  init(): unknown;
  step(state: unknown, args: Datum[]): unknown;
  final(state: unknown): Datum;
}

function numericOf(v: Datum, t: number): Numeric {
  if (v instanceof Numeric) return v;
  if (t === T.int8) return Numeric.fromBigInt(v as bigint);
  return Numeric.fromInt(v as number);
}

export function aggregateFor(name: string, argTypes: number[], retType: number, star: boolean): AggImpl {
  const t = argTypes[0] ?? 0;
  switch (name) {
    case 'count':
      return star || argTypes.length === 0
        ? { strict: false, init: () => 0n, step: (s) => (s as bigint) + 1n, final: (s) => s as bigint }
        : { strict: true, init: () => 0n, step: (s) => (s as bigint) + 1n, final: (s) => s as bigint };
    case 'sum':
      if (t === T.int2 || t === T.int4) {
        return { strict: true, init: () => null, step: (s, a) => ((s as bigint | null) ?? 0n) + BigInt(a[0] as number), final: (s) => s as bigint | null };
      }
      if (t === T.int8 || t === T.numeric) {
        return { strict: true, init: () => null, step: (s, a) => Numeric.add((s as Numeric | null) ?? Numeric.ZERO, numericOf(a[0]!, t)), final: (s) => s as Numeric | null };
      }
      if (t === T.float8 || t === T.float4) {
        // sum(real) adds with float4pl: every partial sum is rounded to single precision.
        const round = t === T.float4 ? Math.fround : (x: number) => x;
        return { strict: true, init: () => null, step: (s, a) => round(((s as number | null) ?? 0) + (a[0] as number)), final: (s) => s as number | null };
      }
      if (t === T.interval) break;
      break;
    case 'avg':
      if (t === T.int2 || t === T.int4 || t === T.int8 || t === T.numeric) {
        return {
          strict: true,
          init: () => ({ sum: Numeric.ZERO, n: 0n }),
          step: (s, a) => {
            const st = s as { sum: Numeric; n: bigint };
            return { sum: Numeric.add(st.sum, numericOf(a[0]!, t)), n: st.n + 1n };
          },
          final: (s) => {
            const st = s as { sum: Numeric; n: bigint };
            return st.n === 0n ? null : Numeric.div(st.sum, Numeric.fromBigInt(st.n));
          },
        };
      }
      if (t === T.float8 || t === T.float4) {
        return {
          strict: true,
          init: () => ({ sum: 0, n: 0 }),
          step: (s, a) => ({ sum: (s as { sum: number }).sum + (a[0] as number), n: (s as { n: number }).n + 1 }),
          final: (s) => ((s as { n: number }).n === 0 ? null : (s as { sum: number }).sum / (s as { n: number }).n),
        };
      }
      break;
    case 'min':
    case 'max': {
      const impl = typeByOid(t);
      const cmp = t === T.float8 || t === T.float4 ? (a: Datum, b: Datum) => floatCompare(a as number, b as number) : impl?.compare;
      if (!cmp) break;
      const sign = name === 'min' ? -1 : 1;
      // Like numeric_larger / text_smaller …: on a tie the new value wins (1.0 vs 1.00 shows it).
      return { strict: true, init: () => null, step: (s, a) => (s === null || cmp(a[0]!, s as Datum) * sign >= 0 ? a[0]! : s), final: (s) => s as Datum };
    }
    case 'bool_and':
    case 'every':
      return { strict: true, init: () => null, step: (s, a) => (s === null ? a[0]! : (s as boolean) && (a[0] as boolean)), final: (s) => s as Datum };
    case 'bool_or':
      return { strict: true, init: () => null, step: (s, a) => (s === null ? a[0]! : (s as boolean) || (a[0] as boolean)), final: (s) => s as Datum };
    case 'array_agg':
      if (typeByOid(t)?.name.startsWith('_')) break;
      return {
        strict: false,
        init: () => null,
        step: (s, a) => {
          const list = (s as Datum[] | null) ?? [];
          list.push(a[0]!);
          return list;
        },
        final: (s) => (s === null ? null : ({ elementType: t, dims: [(s as Datum[]).length], lowerBounds: [1], values: s as Datum[] } satisfies PgArray)),
      };
    case 'string_agg':
      if (t !== T.text) break;
      return {
        strict: false,
        init: () => null,
        step: (s, a) => {
          if (a[0] === null) return s;
          if (s === null) return { text: a[0] as string };
          const st = s as { text: string };
          st.text += ((a[1] as string | null) ?? '') + (a[0] as string);
          return st;
        },
        final: (s) => (s === null ? null : (s as { text: string }).text),
      };
  }
  void retType;
  throw featureNotSupported(`aggregate ${name}(${argTypes.map((x) => typeByOid(x)?.name ?? x).join(', ')})`);
}

/** Names of the aggregates implemented here. */
export const AGGREGATE_NAMES = new Set(['count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'array_agg', 'string_agg']);
