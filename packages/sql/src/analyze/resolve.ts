// Operator and function resolution as parse_oper.c and parse_func.c do it: exact match, then
// the candidates whose arguments the inputs can be implicitly coerced to, narrowed by exact
// matches, preferred types, the category of unknown literals and the type of the known inputs.
// Entry points: resolveOperator, resolveFunction.

import { PgError, SqlState } from '@palisade/common';
import { builtinCatalog, formatType, T, type CatOperator, type CatProc } from './catalog.ts';
import { canCoerce, Ctx, isPreferred, resolvePolymorphic, typeCategory } from './coerce.ts';

interface Candidate<X> {
  item: X;
  args: number[];
}

/** func_select_candidate: the one best candidate, or undefined when ambiguous. */
function selectCandidate<X>(inputs: number[], cands: Candidate<X>[]): Candidate<X>[] {
  const n = inputs.length;
  const unknowns = inputs.filter((t) => t === T.unknown).length;
  const keepMax = (score: (c: Candidate<X>) => number): Candidate<X>[] => {
    let best = -1;
    let out: Candidate<X>[] = [];
    for (const c of cands) {
      const s = score(c);
      if (s > best) { best = s; out = [c]; } else if (s === best) out.push(c);
    }
    return out;
  };
  cands = keepMax((c) => c.args.filter((a, i) => inputs[i] !== T.unknown && a === inputs[i]).length);
  if (cands.length === 1) return cands;
  const slotCat = inputs.map((t) => typeCategory(t));
  cands = keepMax((c) => c.args.filter((a, i) => inputs[i] !== T.unknown && (a === inputs[i] || isPreferred(slotCat[i]!, a))).length);
  if (cands.length === 1) return cands;
  if (unknowns === 0) return cands;
  let resolved = true;
  const cat: string[] = [];
  const hasPref: boolean[] = [];
  for (let i = 0; i < n && resolved; i++) {
    if (inputs[i] !== T.unknown) continue;
    let conflict = false;
    let sc = '';
    let sp = false;
    for (const c of cands) {
      const ct = c.args[i]!;
      const cc = typeCategory(ct);
      const cp = isPreferred(cc, ct);
      if (sc === '') { sc = cc; sp = cp; } else if (cc === sc) sp ||= cp;
      else if (cc === 'S') { sc = cc; sp = cp; } else conflict = true;
    }
    if (conflict && sc !== 'S') resolved = false;
    cat[i] = sc;
    hasPref[i] = sp;
  }
  if (resolved) {
    const kept = cands.filter((c) => {
      for (let i = 0; i < n; i++) {
        if (inputs[i] !== T.unknown) continue;
        const ct = c.args[i]!;
        const cc = typeCategory(ct);
        if (cc !== cat[i]) return false;
        if (hasPref[i] && !isPreferred(cc, ct)) return false;
      }
      return true;
    });
    if (kept.length > 0) cands = kept;
    if (cands.length === 1) return cands;
  }
  if (unknowns < n) {
    const known = inputs.filter((t) => t !== T.unknown);
    if (known.every((t) => t === known[0])) {
      const assumed = inputs.map((t) => (t === T.unknown ? known[0]! : t));
      const ok = cands.filter((c) => canCoerce(assumed, c.args, Ctx.Implicit));
      if (ok.length === 1) return ok;
    }
  }
  return cands;
}

/** Result of a resolution: the chosen item, its declared argument types after polymorphism, and result type. */
export interface Resolved<X> {
  item: X;
  argTypes: number[];
  retType: number;
}

function finish<X>(item: X, declared: number[], inputs: number[], ret: number): Resolved<X> | null {
  const r = resolvePolymorphic(declared, inputs, ret);
  if (!r) return null;
  return { item, argTypes: r.args, retType: r.ret };
}

/** Looks up a binary (left and right given) or prefix (left null) operator. */
export function resolveOperator(name: string, left: number | null, right: number): Resolved<CatOperator> {
  const cat = builtinCatalog();
  const all = (cat.operatorsByName.get(name) ?? []).filter((o) => (left === null ? o.kind === 'l' : o.kind === 'b'));
  const inputs = left === null ? [right] : [left, right];
  const argsOf = (o: CatOperator) => (left === null ? [o.right] : [o.left, o.right]);
  // binary_oper_exact: an exact match, or one where an unknown side takes the other side's type.
  let l = left;
  let r = right;
  if (left !== null) {
    if (l === T.unknown && r !== T.unknown) l = r;
    else if (r === T.unknown && l !== T.unknown) r = l as number;
  }
  const wants: number[][] = left === null ? [[right]] : [[left, right], [l as number, r]];
  for (const want of wants) {
    const exact = all.find((o) => argsOf(o).every((a, i) => a === want[i]));
    if (exact) {
      const res = finish(exact, argsOf(exact), inputs, exact.result);
      if (res) return res;
    }
  }
  const cands = all.map((o) => ({ item: o, args: argsOf(o) })).filter((c) => canCoerce(inputs, c.args, Ctx.Implicit));
  const shown = left === null ? `${name} ${formatType(right)}` : `${formatType(left)} ${name} ${formatType(right)}`;
  if (cands.length === 0) {
    throw new PgError(SqlState.UNDEFINED_FUNCTION, `operator does not exist: ${shown}`, {
      hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
    });
  }
  const best = cands.length === 1 ? cands : selectCandidate(inputs, cands);
  if (best.length !== 1) {
    throw new PgError(SqlState.AMBIGUOUS_FUNCTION, `operator is not unique: ${shown}`, {
      hint: 'Could not choose a best candidate operator. You might need to add explicit type casts.',
    });
  }
  const o = best[0]!.item;
  const res = finish(o, argsOf(o), inputs, o.result);
  if (!res) throw new PgError(SqlState.UNDEFINED_FUNCTION, `operator does not exist: ${shown}`);
  return res;
}

/** Candidate argument lists of a function for `n` arguments, expanding VARIADIC. */
function procArgs(p: CatProc, n: number): number[] | null {
  if (p.argTypes.length === n && p.variadic === 0) return p.argTypes;
  if (p.variadic !== 0 && n >= p.argTypes.length) {
    const fixed = p.argTypes.slice(0, -1);
    const elem = p.variadic === T.any ? T.any : p.variadic;
    return [...fixed, ...Array.from({ length: n - fixed.length }, () => elem)];
  }
  if (p.argTypes.length === n) return p.argTypes;
  return null;
}

export type FunctionResolution =
  | { kind: 'function'; resolved: Resolved<CatProc> }
  | { kind: 'coercion'; target: number };

/** func_get_detail: a function by name and input types, or a function-style cast. */
export function resolveFunction(name: string, inputs: number[], unknownConstArg: boolean): FunctionResolution {
  const cat = builtinCatalog();
  const procs = (cat.procsByName.get(name) ?? []).filter((p) => p.kind !== 'p');
  const cands: Candidate<CatProc>[] = [];
  for (const p of procs) {
    const args = procArgs(p, inputs.length);
    if (args) cands.push({ item: p, args });
  }
  const exact = cands.find((c) => c.args.every((a, i) => a === inputs[i]));
  if (exact) {
    const r = finish(exact.item, exact.args, inputs, exact.item.retType);
    if (r) return { kind: 'function', resolved: r };
  }
  if (inputs.length === 1) {
    const target = cat.typesByName.get(name);
    if (target && target.typtype !== 'p') {
      if (unknownConstArg) return { kind: 'coercion', target: target.oid };
      if (inputs[0] !== T.unknown) {
        const c = cat.cast(inputs[0]!, target.oid);
        const src = typeCategory(inputs[0]!);
        if ((c && c.method === 'b') || (!c && (src === 'S' || target.category === 'S'))) return { kind: 'coercion', target: target.oid };
      }
    }
  }
  const ok = cands.filter((c) => canCoerce(inputs, c.args, Ctx.Implicit));
  const shown = `${name}(${inputs.map((t) => formatType(t)).join(', ')})`;
  if (ok.length === 0) {
    throw new PgError(SqlState.UNDEFINED_FUNCTION, `function ${shown} does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  }
  const best = ok.length === 1 ? ok : selectCandidate(inputs, ok);
  if (best.length !== 1) {
    throw new PgError(SqlState.AMBIGUOUS_FUNCTION, `function ${shown} is not unique`, {
      hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
    });
  }
  const b = best[0]!;
  const r = finish(b.item, b.args, inputs, b.item.retType);
  if (!r) {
    throw new PgError(SqlState.UNDEFINED_FUNCTION, `function ${shown} does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  }
  return { kind: 'function', resolved: r };
}
