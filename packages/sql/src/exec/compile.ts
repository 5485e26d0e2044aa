// Expression compilation: an analyzed Expr becomes a JavaScript closure once per plan; rows are
// then evaluated without looking at the tree again. Entry point: compileExpr.

import { PgError, SqlState, featureNotSupported } from '@palisade/common';
import type { Datum, PgArray } from '../types/datum.ts';
import { typeByOid } from '../types/registry.ts';
import { castFunction } from '../types/casts.ts';
import { implementationFor } from '../functions/builtins.ts';
import { T } from '../analyze/catalog.ts';
import type { Expr, Query } from '../analyze/nodes.ts';
import { exprKey } from '../analyze/analyze.ts';
import { PAUSE, type ExecContext, type Row } from './context.ts';

export type Compiled = (row: Row, ec: ExecContext) => Datum;

/** Runs a sub-query to completion, synchronously (its pauses are skipped). */
export type SubqueryRunner = (ec: ExecContext) => Iterable<Row | typeof PAUSE>;

export interface CompileOptions {
  /** Plans a sub-query (the planner supplies this, keeping the layers apart). */
  planSubquery(q: Query): SubqueryRunner;
  /** In a post-aggregation context: structural keys of the GROUP BY expressions, in output order. */
  groupKeys?: string[];
  /** Index of the first aggregate value in a post-aggregation row. */
  aggOffset?: number;
  /** Index of the first set-returning function value in a row from ProjectSet. */
  srfOffset?: number;
}

function typeImpl(oid: number) {
  const impl = typeByOid(oid);
  if (!impl) throw featureNotSupported(`type ${oid}`);
  return impl;
}

export function compileExpr(e: Expr, opts: CompileOptions): Compiled {
  if (opts.groupKeys && e.kind !== 'const') {
    const k = opts.groupKeys.indexOf(exprKey(e));
    if (k >= 0) return (r) => r[k]!;
  }
  const sub = (x: Expr) => compileExpr(x, opts);
  switch (e.kind) {
    case 'const': {
      const v = e.value;
      return () => v;
    }
    case 'param': {
      const i = e.index;
      return (_r, ec) => ec.params[i] ?? null;
    }
    case 'var': {
      const i = e.index;
      if (e.levelsUp === 0) return (r) => r[i]!;
      if (e.levelsUp === -1) return (r) => r[0]!;
      if (e.levelsUp === -2) return (_r, ec) => ec.sublinkValue;
      const up = e.levelsUp;
      return (_r, ec) => ec.outer[ec.outer.length - up]![i]!;
    }
    case 'aggref': {
      if (opts.aggOffset === undefined) throw new Error('aggregate outside of an aggregation context');
      const i = opts.aggOffset + e.index;
      return (r) => r[i]!;
    }
    case 'srf': {
      if (opts.srfOffset === undefined) throw new Error('set-returning function outside of ProjectSet');
      const i = opts.srfOffset + e.index;
      return (r) => r[i]!;
    }
    case 'call': {
      const args = e.args.map(sub);
      const fn = implementationFor(e.proc.src, e.proc.name, e.args.map((a) => a.type), e.type);
      const strict = e.proc.strict;
      const n = args.length;
      if (n === 1) {
        const a0 = args[0]!;
        return (r, ec) => {
          const v = a0(r, ec);
          if (v === null && strict) return null;
          return fn([v], ec.fn);
        };
      }
      if (n === 2) {
        const a0 = args[0]!;
        const a1 = args[1]!;
        return (r, ec) => {
          const x = a0(r, ec);
          if (x === null && strict) return null;
          const y = a1(r, ec);
          if (y === null && strict) return null;
          return fn([x, y], ec.fn);
        };
      }
      return (r, ec) => {
        const vals = new Array<Datum>(n);
        for (let i = 0; i < n; i++) {
          const v = args[i]!(r, ec);
          if (v === null && strict) return null;
          vals[i] = v;
        }
        return fn(vals, ec.fn);
      };
    }
    case 'coerce':
      return compileCoerce(e, sub(e.arg), opts);
    case 'bool': {
      const args = e.args.map(sub);
      if (e.op === 'not') {
        const a = args[0]!;
        return (r, ec) => {
          const v = a(r, ec);
          return v === null ? null : !v;
        };
      }
      const isAnd = e.op === 'and';
      return (r, ec) => {
        let sawNull = false;
        for (const a of args) {
          const v = a(r, ec);
          if (v === null) sawNull = true;
          else if (v === !isAnd) return !isAnd;
        }
        return sawNull ? null : isAnd;
      };
    }
    case 'case': {
      const whens = e.whens.map((w) => ({ cond: sub(w.cond), result: sub(w.result) }));
      const otherwise = sub(e.otherwise);
      return (r, ec) => {
        for (const w of whens) if (w.cond(r, ec) === true) return w.result(r, ec);
        return otherwise(r, ec);
      };
    }
    case 'coalesce': {
      const args = e.args.map(sub);
      return (r, ec) => {
        for (const a of args) {
          const v = a(r, ec);
          if (v !== null) return v;
        }
        return null;
      };
    }
    case 'minmax': {
      const args = e.args.map(sub);
      const cmp = typeImpl(e.type).compare!;
      const sign = e.op === 'greatest' ? 1 : -1;
      return (r, ec) => {
        let best: Datum = null;
        for (const a of args) {
          const v = a(r, ec);
          if (v !== null && (best === null || cmp(v, best) * sign > 0)) best = v;
        }
        return best;
      };
    }
    case 'nullif': {
      const l = sub(e.left);
      const rr = sub(e.right);
      const eq = implementationFor(e.eq.src, e.eq.name, [e.left.type, e.right.type], T.bool);
      return (r, ec) => {
        const a = l(r, ec);
        const b = rr(r, ec);
        if (a !== null && b !== null && eq([a, b], ec.fn) === true) return null;
        return a;
      };
    }
    case 'nulltest': {
      const a = sub(e.arg);
      const isNull = e.isNull;
      return (r, ec) => (a(r, ec) === null) === isNull;
    }
    case 'booltest': {
      const a = sub(e.arg);
      const t = e.test;
      return (r, ec) => {
        const v = a(r, ec);
        switch (t) {
          case 'IS_TRUE': return v === true;
          case 'IS_NOT_TRUE': return v !== true;
          case 'IS_FALSE': return v === false;
          case 'IS_NOT_FALSE': return v !== false;
          case 'IS_UNKNOWN': return v === null;
          default: return v !== null;
        }
      };
    }
    case 'distinct': {
      const l = sub(e.left);
      const rr = sub(e.right);
      const eq = implementationFor(e.eq.src, e.eq.name, [e.left.type, e.right.type], T.bool);
      const not = e.not;
      return (r, ec) => {
        const a = l(r, ec);
        const b = rr(r, ec);
        let distinct: boolean;
        if (a === null || b === null) distinct = (a === null) !== (b === null);
        else distinct = eq([a, b], ec.fn) !== true;
        return not ? !distinct : distinct;
      };
    }
    case 'anyop': {
      const l = sub(e.left);
      const rr = sub(e.right);
      const elemType = typeImpl(e.right.type) && e.left.type;
      const op = implementationFor(e.op.src, e.op.name, [elemType, typeElemOf(e.right.type)], T.bool);
      const useOr = e.useOr;
      const strict = e.op.strict;
      return (r, ec) => {
        const a = l(r, ec);
        const arr = rr(r, ec) as PgArray | null;
        if (arr === null) return null;
        if (arr.values.length === 0) return !useOr;
        if (a === null && strict) return null;
        let sawNull = false;
        for (const v of arr.values) {
          const res = v === null && strict ? null : op([a, v], ec.fn);
          if (res === null) sawNull = true;
          else if (res === useOr) return useOr;
        }
        return sawNull ? null : !useOr;
      };
    }
    case 'array': {
      const elems = e.elems.map(sub);
      const et = typeElemOf(e.type);
      const n = elems.length;
      return (r, ec) => ({ elementType: et, dims: n ? [n] : [], lowerBounds: n ? [1] : [], values: elems.map((x) => x(r, ec)) }) satisfies PgArray;
    }
    case 'subscript': {
      const a = sub(e.arg);
      const idx = sub(e.index);
      return (r, ec) => {
        const arr = a(r, ec) as PgArray | null;
        const i = idx(r, ec) as number | null;
        if (arr === null || i === null || arr.dims.length !== 1) return null;
        const k = i - arr.lowerBounds[0]!;
        return k >= 0 && k < arr.dims[0]! ? arr.values[k]! : null;
      };
    }
    case 'settingfn': {
      const args = e.args.map(sub);
      const name = e.name;
      return (r, ec) => {
        const v = args.map((a) => a(r, ec));
        if (name === 'set_config_by_name') {
          if (v[0] === null) throw new PgError(SqlState.NULL_VALUE_NOT_ALLOWED, 'SET requires parameter name');
          return ec.fn.setSetting(v[0] as string, (v[1] as string | null) ?? '', v[2] === true);
        }
        if (v[0] === null || (v.length > 1 && v[1] === null)) return null;
        return ec.fn.getSetting(v[0] as string, v[1] === true);
      };
    }
    case 'sessionfn': {
      switch (e.name) {
        case 'current_user':
        case 'session_user':
          return (_r, ec) => ec.fn.user;
        case 'current_database':
          return (_r, ec) => ec.fn.database;
        case 'current_schema':
          return () => 'public';
        case 'current_timestamp':
          return (_r, ec) => ec.fn.transactionStartUs;
        case 'localtimestamp': {
          const ts = typeImpl(T.timestamp);
          const tz = typeImpl(T.timestamptz);
          return (_r, ec) => ts.input(tz.output(ec.fn.transactionStartUs, ec.fn.io).replace(/[+-]\d\d(:\d\d)?$/, ''), -1, ec.fn.io);
        }
        case 'current_date': {
          const d = typeImpl(T.date);
          const tz = typeImpl(T.timestamptz);
          return (_r, ec) => d.input(tz.output(ec.fn.transactionStartUs, ec.fn.io).slice(0, 10), -1, ec.fn.io);
        }
      }
      throw featureNotSupported(e.name);
    }
    case 'sublink':
      return compileSublink(e, opts);
  }
}

function typeElemOf(arrayType: number): number {
  const impl = typeByOid(arrayType);
  if (!impl) return 0;
  // The catalog knows the element; avoid importing it here by asking the array's name.
  return elemByArrayName(impl.name);
}

function elemByArrayName(name: string): number {
  if (!name.startsWith('_')) return 0;
  return typeByName(name.slice(1));
}

import { typeByName as typeImplByName } from '../types/registry.ts';
function typeByName(n: string): number {
  return typeImplByName(n)?.oid ?? 0;
}

function compileCoerce(e: Expr & { kind: 'coerce' }, arg: (r: Row, ec: ExecContext) => Datum, opts: CompileOptions): (r: Row, ec: ExecContext) => Datum {
  const target = typeImpl(e.type);
  const typmod = e.typmod;
  const explicit = e.explicit;
  const withTypmod = (v: Datum): Datum => (v !== null && typmod >= 0 && target.applyTypmod ? target.applyTypmod(v, typmod, explicit) : v);
  switch (e.how) {
    case 'relabel':
      return (r, ec) => withTypmod(arg(r, ec));
    case 'io': {
      const src = typeImpl(e.arg.type);
      return (r, ec) => {
        const v = arg(r, ec);
        if (v === null) return null;
        return target.input(src.output(v, ec.fn.io), typmod, ec.fn.io);
      };
    }
    case 'func': {
      // The type system's casts first (they know every conversion's rounding and range rules).
      const cast = castFunction(e.arg.type, e.type);
      if (cast) {
        return (r, ec) => {
          const v = arg(r, ec);
          if (v === null) return null;
          return withTypmod(cast(v, -1, ec.fn.io));
        };
      }
      const proc = e.proc!;
      const fn = implementationFor(proc.src, proc.name, [e.arg.type], e.type);
      return (r, ec) => {
        const v = arg(r, ec);
        if (v === null) return null;
        return withTypmod(fn([v], ec.fn));
      };
    }
    case 'array': {
      const elem = compileExpr(e.elem!, opts);
      const et = typeElemOf(e.type);
      return (r, ec) => {
        const v = arg(r, ec) as PgArray | null;
        if (v === null) return null;
        return { ...v, elementType: et, values: v.values.map((x) => (x === null ? null : elem([x], ec))) } satisfies PgArray;
      };
    }
  }
}

function compileSublink(e: Expr & { kind: 'sublink' }, opts: CompileOptions): (r: Row, ec: ExecContext) => Datum {
  const run = opts.planSubquery(e.query);
  const withRows = <X>(r: Row, ec: ExecContext, f: (rows: Iterable<Row | typeof PAUSE>) => X): X => {
    ec.outer.push(r);
    try {
      return f(run(ec));
    } finally {
      ec.outer.pop();
    }
  };
  switch (e.linkType) {
    case 'exists':
      return (r, ec) => withRows(r, ec, (rows) => {
        for (const x of rows) if (x !== PAUSE) return true;
        return false;
      });
    case 'expr':
      return (r, ec) => withRows(r, ec, (rows) => {
        let value: Datum = null;
        let seen = false;
        for (const x of rows) {
          if (x === PAUSE) continue;
          if (seen) throw new PgError(SqlState.CARDINALITY_VIOLATION, 'more than one row returned by a subquery used as an expression');
          seen = true;
          value = x[0]!;
        }
        return value;
      });
    case 'array': {
      const et = typeElemOf(e.type);
      return (r, ec) => withRows(r, ec, (rows) => {
        const values: Datum[] = [];
        for (const x of rows) if (x !== PAUSE) values.push(x[0]!);
        return { elementType: et, dims: values.length ? [values.length] : [], lowerBounds: values.length ? [1] : [], values } satisfies PgArray;
      });
    }
    case 'any':
    case 'all': {
      const test = compileExpr(e.test!, opts);
      const useOr = e.linkType === 'any';
      return (r, ec) => {
        // The test's left side reads the current row; evaluate it with the outer row stack as it was.
        let sawNull = false;
        ec.outer.push(r);
        try {
          for (const x of run(ec)) {
            if (x === PAUSE) continue;
            const saved = ec.sublinkValue;
            ec.sublinkValue = x[0]!;
            ec.outer.pop();
            let res: Datum;
            try {
              res = test(r, ec);
            } finally {
              ec.outer.push(r);
              ec.sublinkValue = saved;
            }
            if (res === null) sawNull = true;
            else if (res === useOr) return useOr;
          }
        } finally {
          ec.outer.pop();
        }
        return sawNull ? null : !useOr;
      };
    }
  }
}
