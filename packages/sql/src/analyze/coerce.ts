// Type coercion as parse_coerce.c defines it: coercion pathways from pg_cast (implicit,
// assignment, explicit contexts), unknown literals typed by their consumer, polymorphic
// argument types, and the common type of CASE / UNION / VALUES / COALESCE / IN branches.
// Entry points: coerceTo, canCoerce, selectCommonType, resolvePolymorphic.

import { PgError, SqlState, featureNotSupported } from '@palisade/common';
import { typeByOid } from '../types/registry.ts';
import { builtinCatalog, formatType, T, type CatProc } from './catalog.ts';
import type { Expr } from './nodes.ts';
import type { ErrorPositioner } from './positions.ts';

export const enum Ctx {
  Implicit = 0,
  Assignment = 1,
  Explicit = 2,
}

const POLY = new Set<number>([
  T.anyelement, T.anyarray, T.anynonarray, T.anyenum, T.anyrange, T.anycompatible, T.anycompatiblearray,
  T.anycompatiblenonarray, T.anycompatiblerange, T.anymultirange, T.anycompatiblemultirange,
]);

const OIDVECTOR = 30;
const INT2VECTOR = 22;

export function isPolymorphic(oid: number): boolean {
  return POLY.has(oid);
}

export function typeCategory(oid: number): string {
  return builtinCatalog().type(oid)?.category ?? 'X';
}

export function isPreferred(category: string, oid: number): boolean {
  const t = builtinCatalog().type(oid);
  return t !== undefined && t.category === category && t.preferred;
}

export function arrayElem(oid: number): number {
  return builtinCatalog().type(oid)?.elem ?? 0;
}

export function arrayOf(oid: number): number {
  return builtinCatalog().type(oid)?.array ?? 0;
}

export type Pathway =
  | { how: 'relabel' }
  | { how: 'io' }
  | { how: 'func'; proc: CatProc }
  | { how: 'array'; elem: Pathway }
  | null;

/** find_coercion_pathway: how a value of `source` becomes `target` in a context, or null. */
export function findPathway(target: number, source: number, ctx: Ctx): Pathway {
  if (target === source) return { how: 'relabel' };
  const cat = builtinCatalog();
  const c = cat.cast(source, target);
  if (c) {
    const allowed = c.context === 'i' || (c.context === 'a' && ctx >= Ctx.Assignment) || (c.context === 'e' && ctx >= Ctx.Explicit);
    if (!allowed) return null;
    if (c.method === 'b') return { how: 'relabel' };
    if (c.method === 'i') return { how: 'io' };
    return { how: 'func', proc: cat.procs.get(c.func)! };
  }
  // oidvector and int2vector have elements but are not arrays for coercion purposes.
  const te = target === OIDVECTOR || target === INT2VECTOR ? 0 : arrayElem(target);
  const se = source === OIDVECTOR || source === INT2VECTOR ? 0 : arrayElem(source);
  if (te !== 0 && se !== 0 && target !== T.anyarray) {
    const elem = findPathway(te, se, ctx);
    if (elem) return { how: 'array', elem };
    return null;
  }
  if (ctx >= Ctx.Assignment && typeCategory(target) === 'S') return { how: 'io' };
  if (ctx >= Ctx.Explicit && typeCategory(source) === 'S') return { how: 'io' };
  return null;
}

/** can_coerce_type for a list of inputs (polymorphic targets are checked for consistency). */
export function canCoerce(inputs: number[], targets: number[], ctx: Ctx): boolean {
  let hasPoly = false;
  for (let i = 0; i < inputs.length; i++) {
    const src = inputs[i]!;
    const dst = targets[i]!;
    if (src === dst) continue;
    if (dst === T.any) continue;
    if (isPolymorphic(dst)) {
      hasPoly = true;
      continue;
    }
    if (src === T.unknown) continue;
    if (dst === T.record && builtinCatalog().type(src)?.typtype === 'c') continue;
    if (findPathway(dst, src, ctx) === null) return false;
  }
  if (hasPoly && resolvePolymorphic(targets, inputs, T.void) === null) return false;
  return true;
}

/**
 * check/enforce_generic_type_consistency: the actual types of polymorphic arguments and the
 * result, or null when the arguments are inconsistent.
 */
export function resolvePolymorphic(declared: number[], actual: number[], ret: number): { args: number[]; ret: number } | null {
  let elem = 0;
  let compatTypes: number[] = [];
  let anyUnknownOnly = false;
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i]!;
    const a = actual[i]!;
    if (d === T.anyelement || d === T.anynonarray || d === T.anyenum) {
      if (a === T.unknown) { anyUnknownOnly = true; continue; }
      if (d === T.anynonarray && arrayElem(a) !== 0) return null;
      if (d === T.anyenum && builtinCatalog().type(a)?.typtype !== 'e') return null;
      if (elem !== 0 && elem !== a) return null;
      elem = a;
    } else if (d === T.anyarray) {
      if (a === T.unknown) continue;
      const e = arrayElem(a);
      if (e === 0) return null;
      if (elem !== 0 && elem !== e) return null;
      elem = e;
    } else if (d === T.anycompatible || d === T.anycompatiblenonarray) {
      if (a === T.unknown) continue;
      if (d === T.anycompatiblenonarray && arrayElem(a) !== 0) return null;
      compatTypes.push(a);
    } else if (d === T.anycompatiblearray) {
      if (a === T.unknown) continue;
      const e = arrayElem(a);
      if (e === 0) return null;
      compatTypes.push(e);
    } else if (isPolymorphic(d)) {
      return null;
    }
  }
  let compat = 0;
  if (compatTypes.length > 0) {
    compat = compatTypes[0]!;
    const cat = typeCategory(compat);
    let pref = isPreferred(cat, compat);
    for (const t of compatTypes.slice(1)) {
      if (t === compat) continue;
      if (typeCategory(t) !== cat) return null;
      if (!pref && canCoerce([compat], [t], Ctx.Implicit) && !canCoerce([t], [compat], Ctx.Implicit)) {
        compat = t;
        pref = isPreferred(cat, t);
      }
    }
    for (const t of compatTypes) if (!canCoerce([t], [compat], Ctx.Implicit)) return null;
  } else if (declared.some((d) => d === T.anycompatible || d === T.anycompatiblearray || d === T.anycompatiblenonarray)) {
    compat = T.text;
  }
  if (elem === 0 && declared.some((d) => d === T.anyelement || d === T.anyarray || d === T.anynonarray || d === T.anyenum)) {
    // All polymorphic arguments are unknown literals: PostgreSQL takes them as text.
    if (anyUnknownOnly && !declared.includes(T.anyarray)) elem = T.text;
    else if (declared.includes(T.anyarray) && ret !== T.void) return null;
    else elem = T.text;
  }
  const map = (d: number): number => {
    if (d === T.anyelement || d === T.anynonarray || d === T.anyenum) return elem;
    if (d === T.anyarray) return arrayOf(elem);
    if (d === T.anycompatible || d === T.anycompatiblenonarray) return compat;
    if (d === T.anycompatiblearray) return arrayOf(compat);
    return d;
  };
  const args = declared.map(map);
  if (args.some((a) => a === 0)) return null;
  const r = map(ret);
  if (r === 0) return null;
  return { args, ret: r };
}

function typeImpl(oid: number) {
  const impl = typeByOid(oid);
  if (!impl) throw featureNotSupported(`type ${formatType(oid)}`);
  return impl;
}

/**
 * coerce_type + coerce_type_typmod: converts `expr` to `target`; unknown literals are read by the
 * target type's input function now, as PostgreSQL does, with the literal's position on error.
 */
export function coerceTo(expr: Expr, target: number, typmod: number, ctx: Ctx, pos: ErrorPositioner, what = 'coerce'): Expr {
  const src = expr.type;
  if (src === target && (typmod < 0 || typmod === expr.typmod)) return expr;
  if (target === T.any || isPolymorphic(target)) return expr;
  if (src === T.unknown && expr.kind === 'const') {
    const impl = typeImpl(target);
    let value = expr.value;
    if (value !== null) {
      try {
        // PostgreSQL reads the literal without the typmod (except interval), then applies it as a length coercion.
        value = impl.input(value as string, target === T.interval ? typmod : -1, pos.io);
        if (typmod >= 0 && impl.applyTypmod && target !== T.interval) value = impl.applyTypmod(value, typmod, ctx === Ctx.Explicit);
      } catch (e) {
        throw pos.wrap(e, expr.location);
      }
    }
    return { kind: 'const', type: target, typmod, value, location: expr.location };
  }
  if (src === T.unknown) {
    // An untyped parameter or expression: read its text with the target's input function.
    return applyTypmod({ kind: 'coerce', arg: expr, how: 'io', type: target, typmod: -1, explicit: ctx === Ctx.Explicit, location: -1 }, typmod, ctx);
  }
  if (src === target) return applyTypmod(expr, typmod, ctx);
  const path = findPathway(target, src, ctx);
  if (path === null) {
    throw pos.error(
      new PgError(SqlState.CANNOT_COERCE, `cannot cast type ${formatType(src)} to ${formatType(target)}`),
      exprLocation(expr),
    );
  }
  let out = buildCoercion(expr, path, target, ctx);
  out = applyTypmod(out, typmod, ctx);
  void what;
  return out;
}

function buildCoercion(expr: Expr, path: NonNullable<Pathway>, target: number, ctx: Ctx): Expr {
  const explicit = ctx === Ctx.Explicit;
  if (path.how === 'array') {
    const elemVar: Expr = { kind: 'var', levelsUp: -1, index: 0, type: arrayElem(expr.type), typmod: -1, name: '' };
    const elem = buildCoercion(elemVar, path.elem!, arrayElem(target), ctx);
    return { kind: 'coerce', arg: expr, how: 'array', elem, type: target, typmod: -1, explicit, location: -1 };
  }
  if (path.how === 'func') {
    return { kind: 'coerce', arg: expr, how: 'func', proc: path.proc, type: target, typmod: -1, explicit, location: -1 };
  }
  return { kind: 'coerce', arg: expr, how: path.how, type: target, typmod: expr.typmod === -1 || path.how === 'io' ? -1 : expr.typmod, explicit, location: -1 };
}

function applyTypmod(expr: Expr, typmod: number, ctx: Ctx): Expr {
  if (typmod < 0 || typmod === expr.typmod) return expr;
  const impl = typeByOid(expr.type);
  if (!impl?.applyTypmod) return { ...expr, typmod } as Expr;
  return { kind: 'coerce', arg: expr, how: 'relabel', type: expr.type, typmod, explicit: ctx === Ctx.Explicit, location: -1 };
}

/** The location of an expression for error positions (first known location in the tree). */
export function exprLocation(e: Expr): number {
  switch (e.kind) {
    case 'const':
      return e.location;
    case 'call': {
      // An operator's location is its symbol; PostgreSQL reports the leftmost of it and its left argument.
      const first = e.args[0] ? exprLocation(e.args[0]) : -1;
      return first >= 0 && (first < e.location || e.location < 0) ? first : e.location;
    }
    case 'var':
      return e.location ?? -1;
    case 'coerce':
      return e.location >= 0 ? e.location : exprLocation(e.arg);
    default:
      return -1;
  }
}

/**
 * select_common_type: the type that the branches of `context` (CASE, UNION, VALUES, COALESCE,
 * IN, GREATEST, LEAST, ARRAY) are coerced to, with PostgreSQL's 42804 when categories differ.
 */
export function selectCommonType(exprs: Array<{ type: number; location: number }>, context: string, pos: ErrorPositioner): number {
  const first = exprs[0]!;
  let ptype = first.type;
  if (ptype !== T.unknown && exprs.every((e) => e.type === ptype)) return ptype;
  let pcat = typeCategory(ptype);
  let ppref = isPreferred(pcat, ptype);
  for (const e of exprs.slice(1)) {
    const ntype = e.type;
    if (ntype === T.unknown || ntype === ptype) continue;
    const ncat = typeCategory(ntype);
    const npref = isPreferred(ncat, ntype);
    if (ptype === T.unknown) {
      ptype = ntype; pcat = ncat; ppref = npref;
    } else if (ncat !== pcat) {
      throw pos.error(new PgError(SqlState.DATATYPE_MISMATCH, `${context} types ${formatType(ptype)} and ${formatType(ntype)} cannot be matched`), e.location);
    } else if (!ppref && canCoerce([ptype], [ntype], Ctx.Implicit) && !canCoerce([ntype], [ptype], Ctx.Implicit)) {
      ptype = ntype; pcat = ncat; ppref = npref;
    }
  }
  return ptype === T.unknown ? T.text : ptype;
}

/** coerce_to_common_type: 42846 `%s could not convert type %s to %s` when there is no implicit path. */
export function coerceToCommon(expr: Expr, target: number, context: string, pos: ErrorPositioner): Expr {
  if (expr.type === target) return expr;
  if (expr.type !== T.unknown && !canCoerce([expr.type], [target], Ctx.Implicit)) {
    throw pos.error(new PgError(SqlState.CANNOT_COERCE, `${context} could not convert type ${formatType(expr.type)} to ${formatType(target)}`), exprLocation(expr));
  }
  return coerceTo(expr, target, -1, Ctx.Implicit, pos);
}
