// The analyzer: libpg-query parse trees of SELECT / VALUES (with FROM over VALUES, subqueries,
// set-returning functions, CTEs and joins) become typed Query trees. Names are resolved, types
// decided by PostgreSQL's rules (coerce.ts, resolve.ts), aggregates collected and grouped
// expressions checked. Entry point: analyzeSelect.

import { PgError, SqlState, featureNotSupported, isPgError } from '@palisade/common';
import { typeByOid } from '../types/registry.ts';
import { AGGREGATE_NAMES } from '../functions/aggregates.ts';
import { builtinCatalog, formatType, T, type CatProc } from './catalog.ts';
import { arrayElem, arrayOf, coerceTo, coerceToCommon, Ctx, exprLocation, selectCommonType } from './coerce.ts';
import type { AggCall, Expr, Query, RangeItem, SelectQuery, SetOpQuery, SortClause, TargetEntry } from './nodes.ts';
import { queryColumns } from './nodes.ts';
import type { ErrorPositioner } from './positions.ts';
import { resolveFunction, resolveOperator } from './resolve.ts';

// libpg-query's JSON parse tree: nodes are { TypeName: fields }.
type Node = Record<string, any>;

interface ScopeEntry {
  alias: string;
  columns: Array<{ name: string; type: number; typmod: number }>;
  offset: number;
}

interface Scope {
  entries: ScopeEntry[];
  parent: Scope | null;
  ctes: Map<string, { query: Query; index: number; owner: Query[]; worktable?: { id: number; columns: Array<{ name: string; type: number; typmod: number }> } }>;
  /** Aggregates collected for this query level, when allowed. */
  aggs: AggCall[] | null;
  aggContext: string;
  /** Set-returning calls collected here when allowed (the select list). */
  srfs?: SelectQuery['srfs'] | null;
}

/** Parameter types: fixed by Parse, or decided from context (0 = not yet known). */
export interface ParamTypes {
  types: number[];
  /** The simple query protocol has no parameters: any $n is 42P02. */
  fixed?: boolean;
}

const kindOf = (n: Node): string => Object.keys(n)[0]!;

export class Analyzer {
  private nextWorktableId = 0;
  constructor(readonly pos: ErrorPositioner, readonly params: ParamTypes) {}

  private err(code: any, message: string, location: number, fields: Record<string, string> = {}): PgError {
    return this.pos.error(new PgError(code, message, fields), location);
  }

  // ---- statements --------------------------------------------------------------------------

  /** A SelectStmt (SELECT, VALUES, set operation) at top level: unknown output columns become text. */
  analyzeSelect(stmt: Node, parent: Scope | null = null, resolveUnknowns = true): Query {
    const ctes = new Map(parent?.ctes ?? []);
    const cteList: Query[] = [];
    if (stmt.withClause) {
      const recursive = !!stmt.withClause.recursive;
      for (const c of stmt.withClause.ctes ?? []) {
        const cte = c.CommonTableExpr;
        const inner: Scope = { entries: [], parent, ctes, aggs: null, aggContext: '' };
        if (kindOf(cte.ctequery) !== 'SelectStmt') throw featureNotSupported('data-modifying statement in WITH');
        const sel = cte.ctequery.SelectStmt;
        let q = recursive && sel.op === 'SETOP_UNION' && refersTo(sel.rarg, cte.ctename)
          ? this.recursiveCte(sel, cte, inner)
          : this.analyzeSelect(sel, inner.parent ? { ...inner } : { ...inner, parent: null }, true);
        if (cte.aliascolnames) q = renameColumns(q, cte.aliascolnames.map((s: Node) => s.String.sval));
        if (ctes.has(cte.ctename) && cteList.some((x, i) => ctes.get(cte.ctename)?.index === i && ctes.get(cte.ctename)?.owner === cteList)) {
          throw this.err(SqlState.DUPLICATE_ALIAS, `WITH query name "${cte.ctename}" specified more than once`, cte.location);
        }
        ctes.set(cte.ctename, { query: q, index: cteList.length, owner: cteList });
        cteList.push(q);
      }
    }
    const scope: Scope = { entries: [], parent, ctes, aggs: null, aggContext: '' };
    let q: Query;
    if (stmt.op && stmt.op !== 'SETOP_NONE') q = this.setOp(stmt, scope, resolveUnknowns);
    else if (stmt.valuesLists) q = this.values(stmt, scope, resolveUnknowns);
    else q = this.simpleSelect(stmt, scope, resolveUnknowns);
    q.ctes = cteList;
    return q;
  }

  /** WITH RECURSIVE name AS (non-recursive term UNION [ALL] recursive term). */
  private recursiveCte(sel: Node, cte: Node, scope: Scope): SetOpQuery {
    if (sel.sortClause || sel.limitCount || sel.limitOffset || sel.withClause) {
      throw featureNotSupported('ORDER BY, LIMIT or WITH in a recursive query');
    }
    const left = this.analyzeSelect(sel.larg, scope, true);
    let columns = queryColumns(left).map((c) => ({ ...c }));
    const names: string[] = (cte.aliascolnames ?? []).map((s: Node) => s.String.sval);
    columns = columns.map((c, i) => ({ ...c, name: names[i] ?? c.name }));
    const id = this.nextWorktableId++;
    const ctes = new Map(scope.ctes);
    ctes.set(cte.ctename, { query: left, index: -1, owner: [], worktable: { id, columns } });
    const right = this.analyzeSelect(sel.rarg, { ...scope, ctes }, false);
    const rc = queryColumns(right);
    if (rc.length !== columns.length) throw this.err(SqlState.SYNTAX_ERROR, 'each UNION query must have the same number of columns', firstTargetLocation(sel.rarg));
    for (let i = 0; i < columns.length; i++) {
      const lt = columns[i]!.type;
      const t = selectCommonType([{ type: lt, location: -1 }, { type: rc[i]!.type, location: targetLocation(right, i) }], 'UNION', this.pos);
      if (t !== lt) {
        throw this.err(SqlState.DATATYPE_MISMATCH, `recursive query "${cte.ctename}" column ${i + 1} has type ${formatType(lt)} in non-recursive term but type ${formatType(t)} overall`, targetLocation(left, i), {
          hint: 'Cast the output of the non-recursive term to the correct type.',
        });
      }
      coerceQueryColumn(right, i, t, 'UNION', this.pos);
    }
    return {
      kind: 'setop', ctes: [], op: 'union', all: !!sel.all, left, right, columns, leftCoerce: [], rightCoerce: [],
      sort: [], limit: null, offset: null, recursiveId: id,
    };
  }

  private values(stmt: Node, scope: Scope, resolveUnknowns: boolean): SelectQuery {
    const item = this.valuesItem(stmt.valuesLists, scope, resolveUnknowns);
    const targets: TargetEntry[] = item.types.map((t, i) => ({
      name: `column${i + 1}`, junk: false, expr: { kind: 'var', levelsUp: 0, index: i, type: t, typmod: item.typmods[i]!, name: `column${i + 1}` },
    }));
    const q = emptySelect();
    q.from = [item];
    q.fromWidths = [item.types.length];
    q.targets = targets;
    const innerScope: Scope = { ...scope, entries: [{ alias: '*VALUES*', columns: targets.map((t) => ({ name: t.name, type: t.expr.type, typmod: t.expr.typmod })), offset: 0 }] };
    this.finishSortLimit(q, stmt, innerScope);
    return q;
  }

  private valuesItem(lists: Node[], scope: Scope, resolveUnknowns: boolean): RangeItem & { kind: 'values' } {
    const rows = lists.map((l) => (l.List.items ?? []).map((n: Node) => this.expr(n, scope)) as Expr[]);
    const width = rows[0]!.length;
    for (const r of rows) {
      if (r.length !== width) throw this.err(SqlState.SYNTAX_ERROR, 'VALUES lists must all be the same length', exprLocation(r[0] ?? rows[0]![0]!));
    }
    const types: number[] = [];
    const typmods: number[] = [];
    for (let c = 0; c < width; c++) {
      const col = rows.map((r) => r[c]!);
      let t = selectCommonType(col.map((e) => ({ type: e.type, location: exprLocation(e) })), 'VALUES', this.pos);
      if (t === T.text && col.every((e) => e.type === T.unknown) && !resolveUnknowns) t = T.unknown;
      for (const r of rows) r[c] = t === T.unknown ? r[c]! : coerceToCommon(r[c]!, t, 'VALUES', this.pos);
      types.push(t);
      const tm = col[0]!.typmod;
      typmods.push(rows.every((r) => r[c]!.typmod === tm) ? tm : -1);
    }
    return { kind: 'values', rows, types, typmods };
  }

  private setOp(stmt: Node, scope: Scope, resolveUnknowns: boolean): SetOpQuery {
    const opName = stmt.op === 'SETOP_UNION' ? 'UNION' : stmt.op === 'SETOP_INTERSECT' ? 'INTERSECT' : 'EXCEPT';
    const leaf = (n: Node) => this.analyzeSelect(n.SelectStmt ?? n, scope, false);
    const left = leaf(stmt.larg);
    const right = leaf(stmt.rarg);
    const lc = queryColumns(left);
    const rc = queryColumns(right);
    if (lc.length !== rc.length) {
      throw this.err(SqlState.SYNTAX_ERROR, `each ${opName} query must have the same number of columns`, firstTargetLocation(stmt.rarg.SelectStmt ?? stmt.rarg));
    }
    const columns: SetOpQuery['columns'] = [];
    for (let i = 0; i < lc.length; i++) {
      const lt = lc[i]!.type;
      const rt = rc[i]!.type;
      const locR = targetLocation(right, i);
      let t = selectCommonType([{ type: lt, location: targetLocation(left, i) }, { type: rt, location: locR }], opName, this.pos);
      if (lt === T.unknown && rt === T.unknown && !resolveUnknowns) t = T.unknown;
      if (t !== T.unknown) {
        coerceQueryColumn(left, i, t, opName, this.pos);
        coerceQueryColumn(right, i, t, opName, this.pos);
      }
      const tm = lc[i]!.typmod === rc[i]!.typmod ? lc[i]!.typmod : -1;
      columns.push({ name: lc[i]!.name, type: t, typmod: tm });
    }
    const q: SetOpQuery = {
      kind: 'setop', ctes: [], op: opName.toLowerCase() as SetOpQuery['op'], all: !!stmt.all, left, right, columns,
      leftCoerce: [], rightCoerce: [], sort: [], limit: null, offset: null,
    };
    // ORDER BY of a set operation sees only the output columns, by name or number.
    const outScope: Scope = { ...scope, entries: [{ alias: '', columns, offset: 0 }] };
    const targets: TargetEntry[] = columns.map((c, i) => ({ name: c.name, junk: false, expr: { kind: 'var', levelsUp: 0, index: i, type: c.type, typmod: c.typmod, name: c.name } }));
    for (const s of stmt.sortClause ?? []) {
      const sb = s.SortBy;
      const e = this.sortTarget(sb.node, targets, outScope, false);
      if (targets.indexOf(e) < 0) throw this.err(SqlState.FEATURE_NOT_SUPPORTED, `invalid UNION/INTERSECT/EXCEPT ORDER BY clause`, sb.node ? nodeLocation(sb.node) : -1, { detail: 'Only result column names can be used, not expressions or functions.', hint: 'Add the expression/function to every SELECT, or move the UNION into a FROM clause.' });
      q.sort.push(this.sortClause(e.expr, sb));
    }
    this.limitOffset(q, stmt, outScope);
    return q;
  }

  private simpleSelect(stmt: Node, scope: Scope, resolveUnknowns: boolean): SelectQuery {
    const q = emptySelect();
    for (const f of stmt.fromClause ?? []) {
      const { item, entries } = this.fromItem(f, scope, totalWidth(scope));
      for (const e of entries) {
        if (e.alias !== '' && scope.entries.some((x) => x.alias === e.alias)) {
          throw new PgError(SqlState.DUPLICATE_ALIAS, `table name "${e.alias}" specified more than once`);
        }
      }
      q.from.push(item);
      scope.entries.push(...entries);
      q.fromWidths.push(entries.reduce((n, e) => n + e.columns.length, 0));
    }
    if (stmt.intoClause) throw featureNotSupported('SELECT INTO');
    if (stmt.lockingClause) throw featureNotSupported('SELECT FOR UPDATE/SHARE');
    if (stmt.windowClause) throw featureNotSupported('WINDOW clause');
    if (stmt.whereClause) {
      scope.aggContext = 'WHERE';
      scope.srfs = null;
      q.where = this.boolExpr(this.expr(stmt.whereClause, scope), 'WHERE', nodeLocation(stmt.whereClause));
    }
    scope.aggs = q.aggs;
    scope.aggContext = '';
    scope.srfs = q.srfs;
    for (const rt of stmt.targetList ?? []) {
      const r = rt.ResTarget;
      if (kindOf(r.val) === 'ColumnRef' && kindOf(r.val.ColumnRef.fields.at(-1)) === 'A_Star') {
        for (const e of this.expandStar(r.val.ColumnRef, scope)) q.targets.push(e);
        continue;
      }
      let e = this.expr(r.val, scope);
      if (resolveUnknowns && e.type === T.unknown) e = this.coerce(e, T.text, -1, Ctx.Implicit);
      q.targets.push({ name: r.name ?? figureColname(r.val), expr: e, junk: false });
    }
    scope.srfs = null;
    if (stmt.groupClause) {
      scope.aggContext = 'GROUP BY';
      const aggs = scope.aggs;
      scope.aggs = null;
      for (const g of stmt.groupClause) {
        const k = kindOf(g);
        if (k === 'GroupingSet' || k === 'RowExpr') throw featureNotSupported('GROUPING SETS, ROLLUP and CUBE');
        q.groupBy.push(this.groupTarget(g, q.targets, scope));
      }
      scope.aggs = aggs;
      scope.aggContext = '';
    }
    if (stmt.havingClause) q.having = this.boolExpr(this.expr(stmt.havingClause, scope), 'HAVING', nodeLocation(stmt.havingClause));
    // ORDER BY before grouping check, so that its expressions are checked too.
    if (stmt.distinctClause) {
      const dc = stmt.distinctClause as Node[];
      if (dc.length === 1 && Object.keys(dc[0]!).length === 0) q.distinct = 'all';
      else {
        q.distinct = 'on';
        for (const d of dc) q.distinctOn.push(this.sortTarget(d, q.targets, scope, true).expr);
      }
    }
    for (const s of stmt.sortClause ?? []) {
      const sb = s.SortBy;
      const te = this.sortTarget(sb.node, q.targets, scope, true);
      if (q.distinct === 'all' && te.junk) {
        throw this.err(SqlState.INVALID_COLUMN_REFERENCE, 'for SELECT DISTINCT, ORDER BY expressions must appear in select list', nodeLocation(sb.node));
      }
      q.sort.push(this.sortClause(te.expr, sb));
    }
    if (q.distinct === 'on') {
      for (let i = 0; i < q.distinctOn.length; i++) {
        const d = q.distinctOn[i]!;
        if (i < q.sort.length && exprKey(q.sort[i]!.expr) !== exprKey(d)) {
          throw this.err(SqlState.INVALID_COLUMN_REFERENCE, 'SELECT DISTINCT ON expressions must match initial ORDER BY expressions', nodeLocation(stmt.distinctClause[i]));
        }
      }
    }
    q.hasAggs = q.aggs.length > 0 || q.groupBy.length > 0 || q.having !== null;
    if (q.hasAggs) this.checkGrouping(q);
    this.limitOffset(q, stmt, scope);
    return q;
  }

  private finishSortLimit(q: SelectQuery, stmt: Node, scope: Scope): void {
    for (const s of stmt.sortClause ?? []) {
      const sb = s.SortBy;
      q.sort.push(this.sortClause(this.sortTarget(sb.node, q.targets, scope, true).expr, sb));
    }
    this.limitOffset(q, stmt, scope);
  }

  private limitOffset(q: Query, stmt: Node, scope: Scope): void {
    if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') throw featureNotSupported('FETCH FIRST … WITH TIES');
    const one = (n: Node | undefined, what: string): Expr | null => {
      if (!n) return null;
      if (kindOf(n) === 'A_Const' && n.A_Const.isnull) return null;
      const saved = scope.aggs;
      scope.aggs = null;
      scope.aggContext = what;
      const e = this.expr(n, scope);
      scope.aggs = saved;
      scope.aggContext = '';
      if (containsVar(e)) throw this.err(SqlState.INVALID_COLUMN_REFERENCE, `argument of ${what} must not contain variables`, nodeLocation(n));
      return this.coerceChecked(e, T.int8, what, nodeLocation(n));
    };
    q.limit = one(stmt.limitCount, 'LIMIT');
    q.offset = one(stmt.limitOffset, 'OFFSET');
  }

  private coerceChecked(e: Expr, target: number, what: string, location: number): Expr {
    if (e.type !== T.unknown && e.type !== target) {
      try {
        return this.coerce(e, target, -1, Ctx.Assignment);
      } catch (err) {
        if (isPgError(err) && err.code === SqlState.CANNOT_COERCE) {
          throw this.err(SqlState.DATATYPE_MISMATCH, `argument of ${what} must be type ${formatType(target)}, not type ${formatType(e.type)}`, location);
        }
        throw err;
      }
    }
    return this.coerce(e, target, -1, Ctx.Assignment);
  }

  private sortClause(expr: Expr, sb: Node): SortClause {
    if (sb.useOp) throw featureNotSupported('ORDER BY … USING');
    const desc = sb.sortby_dir === 'SORTBY_DESC';
    const nullsFirst = sb.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : sb.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : desc;
    const impl = typeByOid(expr.type);
    if (!impl?.compare) {
      throw this.err(SqlState.UNDEFINED_FUNCTION, `could not identify an ordering operator for type ${formatType(expr.type)}`, exprLocation(expr), {
        hint: 'Use an explicit ordering operator or modify the query.',
      });
    }
    return { expr, desc, nullsFirst, type: expr.type };
  }

  /** ORDER BY / DISTINCT ON item: ordinal, output column name, or expression (added as junk if new). */
  private sortTarget(node: Node, targets: TargetEntry[], scope: Scope, allowExpr: boolean): TargetEntry {
    const k = kindOf(node);
    if (k === 'A_Const' && node.A_Const.ival !== undefined) {
      const n = node.A_Const.ival.ival ?? 0;
      const visible = targets.filter((t) => !t.junk);
      if (n < 1 || n > visible.length) throw this.err(SqlState.INVALID_COLUMN_REFERENCE, `ORDER BY position ${n} is not in select list`, node.A_Const.location);
      return visible[n - 1]!;
    }
    if (k === 'ColumnRef' && node.ColumnRef.fields.length === 1 && kindOf(node.ColumnRef.fields[0]) === 'String') {
      const name = node.ColumnRef.fields[0].String.sval;
      const hits = targets.filter((t) => !t.junk && t.name === name);
      if (hits.length > 1 && new Set(hits.map((h) => exprKey(h.expr))).size > 1) {
        throw this.err(SqlState.AMBIGUOUS_COLUMN, `ORDER BY "${name}" is ambiguous`, node.ColumnRef.location);
      }
      if (hits.length >= 1) return hits[0]!;
    }
    if (!allowExpr) return { name: '', expr: this.expr(node, scope), junk: true };
    const e = this.expr(node, scope);
    const key = exprKey(e);
    const found = targets.find((t) => exprKey(t.expr) === key);
    if (found) return found;
    const te: TargetEntry = { name: '', expr: e.type === T.unknown ? this.coerce(e, T.text, -1, Ctx.Implicit) : e, junk: true };
    targets.push(te);
    return te;
  }

  /** GROUP BY item: input column names win over output names; ordinals refer to the select list. */
  private groupTarget(node: Node, targets: TargetEntry[], scope: Scope): Expr {
    const k = kindOf(node);
    if (k === 'A_Const' && node.A_Const.ival !== undefined) {
      const n = node.A_Const.ival.ival ?? 0;
      const visible = targets.filter((t) => !t.junk);
      if (n < 1 || n > visible.length) throw this.err(SqlState.INVALID_COLUMN_REFERENCE, `GROUP BY position ${n} is not in select list`, node.A_Const.location);
      const agg = findAggref(visible[n - 1]!.expr);
      if (agg) throw this.err(SqlState.GROUPING_ERROR, 'aggregate functions are not allowed in GROUP BY', agg.location ?? -1);
      return visible[n - 1]!.expr;
    }
    if (k === 'ColumnRef' && node.ColumnRef.fields.length === 1 && kindOf(node.ColumnRef.fields[0]) === 'String') {
      const name = node.ColumnRef.fields[0].String.sval;
      if (!this.findColumn(scope, null, name, -1, false)) {
        const hit = targets.find((t) => !t.junk && t.name === name);
        if (hit) return hit.expr;
      }
    }
    return this.expr(node, scope);
  }

  private checkGrouping(q: SelectQuery): void {
    const keys = q.groupBy.map(exprKey);
    const check = (e: Expr): void => {
      if (keys.includes(exprKey(e))) return;
      if (e.kind === 'var' && e.levelsUp === 0) {
        throw this.err(SqlState.GROUPING_ERROR, `column "${e.name}" must appear in the GROUP BY clause or be used in an aggregate function`, e.location ?? -1);
      }
      if (e.kind === 'aggref' || e.kind === 'sublink') return;
      forEachChild(e, check);
    };
    for (const t of q.targets) check(t.expr);
    if (q.having) check(q.having);
    for (const s of q.sort) check(s.expr);
  }

  private expandStar(ref: Node, scope: Scope): TargetEntry[] {
    const fields = ref.fields as Node[];
    let entries = scope.entries;
    if (fields.length === 2) {
      const alias = fields[0]!.String.sval;
      entries = scope.entries.filter((e) => e.alias === alias);
      if (entries.length === 0) throw this.err(SqlState.UNDEFINED_TABLE, `missing FROM-clause entry for table "${alias}"`, ref.location);
    } else if (fields.length > 2) throw featureNotSupported('qualified column references with more than two names');
    if (entries.length === 0 && fields.length === 1) throw this.err(SqlState.SYNTAX_ERROR, 'SELECT * with no tables specified is not valid', ref.location);
    const out: TargetEntry[] = [];
    for (const e of entries) {
      e.columns.forEach((c, i) => out.push({ name: c.name, junk: false, expr: { kind: 'var', levelsUp: 0, index: e.offset + i, type: c.type, typmod: c.typmod, name: c.name, location: ref.location } }));
    }
    return out;
  }

  // ---- FROM ---------------------------------------------------------------------------------

  private fromItem(node: Node, scope: Scope, offset: number): { item: RangeItem; entries: ScopeEntry[] } {
    const k = kindOf(node);
    const n = node[k];
    const named = (alias: Node | undefined, defName: string, cols: Array<{ name: string; type: number; typmod: number }>): ScopeEntry => {
      const colnames: string[] = (alias?.colnames ?? []).map((s: Node) => s.String.sval);
      const aliasName = alias?.aliasname ?? defName;
      if (colnames.length > cols.length) {
        throw this.err(SqlState.INVALID_COLUMN_REFERENCE, `table "${aliasName}" has ${cols.length} columns available but ${colnames.length} columns specified`, -1);
      }
      return { alias: aliasName, columns: cols.map((c, i) => ({ ...c, name: colnames[i] ?? c.name })), offset };
    };
    // A sub-SELECT in FROM sees the outer query's scope only as LATERAL would; PostgreSQL refuses otherwise.
    const sibling: Scope = { entries: [], parent: scope.parent, ctes: scope.ctes, aggs: null, aggContext: '' };
    switch (k) {
      case 'RangeSubselect': {
        if (n.lateral) throw featureNotSupported('LATERAL');
        const sel = n.subquery.SelectStmt;
        if (!n.alias) throw this.err(SqlState.SYNTAX_ERROR, 'subquery in FROM must have an alias', this.pos.openParenBefore(firstTargetLocation(sel)), { hint: 'For example, FROM (SELECT ...) [AS] foo.' });
        if (sel.valuesLists && !sel.sortClause && !sel.limitCount && !sel.limitOffset && !sel.withClause) {
          const item = this.valuesItem(sel.valuesLists, sibling, true);
          const cols = item.types.map((t, i) => ({ name: `column${i + 1}`, type: t, typmod: item.typmods[i]! }));
          return { item, entries: [named(n.alias, '*VALUES*', cols)] };
        }
        const q = this.analyzeSelect(sel, sibling, true);
        return { item: { kind: 'subquery', query: q }, entries: [named(n.alias, 'unnamed_subquery', queryColumns(q))] };
      }
      case 'RangeFunction': {
        if (n.lateral) throw featureNotSupported('LATERAL');
        if (n.is_rowsfrom || (n.functions?.length ?? 0) !== 1) throw featureNotSupported('ROWS FROM');
        const [fc, coldef] = n.functions[0].List.items as Node[];
        if ((coldef && Object.keys(coldef).length > 0) || n.coldeflist) throw featureNotSupported('a column definition list');
        if (kindOf(fc!) !== 'FuncCall') throw featureNotSupported('this kind of function in FROM');
        const call = this.funcCall(fc!.FuncCall, sibling, true);
        const fname = (fc!.FuncCall.funcname as Node[]).at(-1)!.String.sval as string;
        const cols = [{ name: n.alias?.aliasname && !n.alias?.colnames ? n.alias.aliasname : fname, type: call.type, typmod: call.typmod }];
        if (n.ordinality) cols.push({ name: 'ordinality', type: T.int8, typmod: -1 });
        return { item: { kind: 'function', call, ordinality: !!n.ordinality }, entries: [named(n.alias, fname, cols)] };
      }
      case 'RangeVar': {
        const cte = n.schemaname ? undefined : scope.ctes.get(n.relname);
        if (!cte) {
          const full = n.schemaname ? `${n.schemaname}.${n.relname}` : n.relname;
          throw this.err(SqlState.UNDEFINED_TABLE, `relation "${full}" does not exist`, n.location);
        }
        if (cte.worktable) {
          return { item: { kind: 'worktable', id: cte.worktable.id, width: cte.worktable.columns.length }, entries: [named(n.alias, n.relname, cte.worktable.columns)] };
        }
        return { item: { kind: 'cte', cteIndex: cte.index, cteQuery: cte.query } as RangeItem, entries: [named(n.alias, n.relname, queryColumns(cte.query))] };
      }
      case 'JoinExpr': {
        if (n.isNatural || n.usingClause) throw featureNotSupported('JOIN … USING and NATURAL JOIN');
        const left = this.fromItem(n.larg, scope, offset);
        const lw = left.entries.reduce((s, e) => s + e.columns.length, 0);
        const right = this.fromItem(n.rarg, scope, offset + lw);
        const rw = right.entries.reduce((s, e) => s + e.columns.length, 0);
        const jt = n.jointype === 'JOIN_LEFT' ? 'left' : n.jointype === 'JOIN_RIGHT' ? 'right' : n.jointype === 'JOIN_FULL' ? 'full' : n.quals ? 'inner' : 'cross';
        const entries = [...left.entries, ...right.entries];
        let on: Expr | null = null;
        if (n.quals) {
          const js: Scope = { ...scope, entries: [...scope.entries, ...entries], aggs: null, aggContext: 'JOIN conditions' };
          on = this.boolExpr(this.expr(n.quals, js), 'JOIN/ON', nodeLocation(n.quals));
        }
        if (n.alias) throw featureNotSupported('an alias on a JOIN');
        return { item: { kind: 'join', joinType: jt, left: left.item, right: right.item, on, leftWidth: lw, rightWidth: rw }, entries };
      }
      default:
        throw featureNotSupported(`FROM item ${k}`);
    }
  }

  // ---- expressions --------------------------------------------------------------------------

  /** coerce with parameters: an untyped $n takes the type it is first coerced to. */
  coerce(e: Expr, target: number, typmod: number, ctx: Ctx): Expr {
    if (e.kind === 'param' && e.type === T.unknown && target !== T.unknown && target !== T.any && arrayElem(target) >= 0) {
      const t = target === T.anyelement || target === T.anynonarray || target === T.anycompatible ? T.text : target;
      this.params.types[e.index] = t;
      return coerceTo({ ...e, type: t }, target, typmod, ctx, this.pos);
    }
    return coerceTo(e, target, typmod, ctx, this.pos);
  }

  private boolExpr(e: Expr, what: string, location: number): Expr {
    if (e.type === T.bool) return e;
    if (e.type === T.unknown) return this.coerce(e, T.bool, -1, Ctx.Implicit);
    try {
      return this.coerce(e, T.bool, -1, Ctx.Assignment);
    } catch {
      throw this.err(SqlState.DATATYPE_MISMATCH, `argument of ${what} must be type boolean, not type ${formatType(e.type)}`, location);
    }
  }

  expr(node: Node, scope: Scope): Expr {
    const k = kindOf(node);
    const n = node[k];
    switch (k) {
      case 'A_Const':
        return this.constant(n);
      case 'TypeCast': {
        const { type, typmod } = this.typeName(n.typeName);
        if (kindOf(n.arg) === 'A_ArrayExpr' && !(n.arg.A_ArrayExpr.elements?.length) && arrayElem(type) !== 0) {
          return { kind: 'array', elems: [], type, typmod: -1 };
        }
        const arg = this.expr(n.arg, scope);
        const loc = n.arg && kindOf(n.arg) === 'A_Const' ? n.arg.A_Const.location : n.location;
        try {
          const out = this.coerce(arg, type, typmod, Ctx.Explicit);
          if (out.kind === 'coerce' && out.location < 0) return { ...out, location: n.location };
          return out;
        } catch (e) {
          throw this.pos.wrap(e, loc);
        }
      }
      case 'ColumnRef':
        return this.columnRef(n, scope);
      case 'ParamRef': {
        const idx = n.number - 1;
        if (idx < 0 || idx >= 65535 || (this.params.fixed && idx >= this.params.types.length)) throw this.err(SqlState.UNDEFINED_PARAMETER, `there is no parameter $${n.number}`, n.location);
        while (this.params.types.length <= idx) this.params.types.push(0);
        const t = this.params.types[idx]!;
        return { kind: 'param', index: idx, type: t === 0 ? T.unknown : t, typmod: -1 };
      }
      case 'A_Expr':
        return this.aExpr(n, scope);
      case 'BoolExpr': {
        const op = n.boolop === 'AND_EXPR' ? 'and' : n.boolop === 'OR_EXPR' ? 'or' : 'not';
        const label = op.toUpperCase();
        const args = (n.args as Node[]).map((a) => this.boolExpr(this.expr(a, scope), label, nodeLocation(a)));
        return { kind: 'bool', op, args, type: T.bool, typmod: -1 };
      }
      case 'NullTest':
        if (n.argisrow) throw featureNotSupported('IS NULL on a row');
        return { kind: 'nulltest', arg: this.expr(n.arg, scope), isNull: n.nulltesttype === 'IS_NULL', type: T.bool, typmod: -1 };
      case 'BooleanTest': {
        const what = ({ IS_TRUE: 'IS TRUE', IS_NOT_TRUE: 'IS NOT TRUE', IS_FALSE: 'IS FALSE', IS_NOT_FALSE: 'IS NOT FALSE', IS_UNKNOWN: 'IS UNKNOWN', IS_NOT_UNKNOWN: 'IS NOT UNKNOWN' } as Record<string, string>)[n.booltesttype]!;
        return { kind: 'booltest', arg: this.boolExpr(this.expr(n.arg, scope), what, nodeLocation(n.arg)), test: n.booltesttype, type: T.bool, typmod: -1 };
      }
      case 'CaseExpr':
        return this.caseExpr(n, scope);
      case 'CoalesceExpr': {
        const args = (n.args as Node[]).map((a) => this.expr(a, scope));
        const t = selectCommonType(args.map((a) => ({ type: a.type, location: exprLocation(a) })), 'COALESCE', this.pos);
        return { kind: 'coalesce', args: args.map((a) => coerceToCommon(a, t, 'COALESCE', this.pos)), type: t, typmod: -1 };
      }
      case 'MinMaxExpr': {
        const op = n.op === 'IS_GREATEST' ? 'greatest' : 'least';
        const args = (n.args as Node[]).map((a) => this.expr(a, scope));
        const t = selectCommonType(args.map((a) => ({ type: a.type, location: exprLocation(a) })), op.toUpperCase(), this.pos);
        if (!typeByOid(t)?.compare) throw this.err(SqlState.UNDEFINED_FUNCTION, `could not identify a comparison function for type ${formatType(t)}`, n.location);
        return { kind: 'minmax', op, args: args.map((a) => coerceToCommon(a, t, op.toUpperCase(), this.pos)), type: t, typmod: -1 };
      }
      case 'FuncCall':
        return this.funcCall(n, scope, false);
      case 'SubLink':
        return this.subLink(n, scope);
      case 'A_ArrayExpr':
        return this.arrayExpr(n, scope);
      case 'A_Indirection': {
        let e = this.expr(n.arg, scope);
        for (const ind of n.indirection as Node[]) {
          if (kindOf(ind) !== 'A_Indices' || ind.A_Indices.is_slice) throw featureNotSupported('this kind of indirection');
          const elem = arrayElem(e.type);
          if (elem === 0) throw this.err(SqlState.DATATYPE_MISMATCH, `cannot subscript type ${formatType(e.type)} because it does not support subscripting`, nodeLocation(n.arg));
          const idx = this.coerceChecked(this.expr(ind.A_Indices.uidx, scope), T.int4, 'subscript', nodeLocation(ind.A_Indices.uidx));
          e = { kind: 'subscript', arg: e, index: idx, type: elem, typmod: -1 };
        }
        return e;
      }
      case 'SQLValueFunction':
        return this.sqlValueFunction(n);
      case 'CollateClause':
        throw featureNotSupported('COLLATE');
      case 'RowExpr':
        throw featureNotSupported('ROW expressions');
      case 'GroupingFunc':
        throw featureNotSupported('GROUPING');
      default:
        throw featureNotSupported(`expression ${k}`);
    }
  }

  private constant(n: Node): Expr {
    const location = n.location ?? -1;
    if (n.isnull) return { kind: 'const', type: T.unknown, typmod: -1, value: null, location };
    if (n.ival !== undefined) return { kind: 'const', type: T.int4, typmod: -1, value: n.ival.ival ?? 0, location };
    if (n.fval !== undefined) {
      const text: string = n.fval.fval;
      if (/^-?\d+$/.test(text)) {
        const v = BigInt(text);
        if (v >= -(2n ** 31n) && v < 2n ** 31n) return { kind: 'const', type: T.int4, typmod: -1, value: Number(v), location };
        if (v >= -(2n ** 63n) && v < 2n ** 63n) return { kind: 'const', type: T.int8, typmod: -1, value: v, location };
      }
      const cat = coerceTo({ kind: 'const', type: T.unknown, typmod: -1, value: text, location }, T.numeric, -1, Ctx.Explicit, this.pos);
      return cat;
    }
    if (n.sval !== undefined) return { kind: 'const', type: T.unknown, typmod: -1, value: n.sval.sval ?? '', location };
    if (n.boolval !== undefined) return { kind: 'const', type: T.bool, typmod: -1, value: !!n.boolval.boolval, location };
    if (n.bsval !== undefined) throw featureNotSupported('bit string constants');
    throw featureNotSupported('this constant');
  }

  typeName(tn: Node): { type: number; typmod: number } {
    if (tn.setof || tn.pct_type) throw featureNotSupported('this type reference');
    const names = (tn.names as Node[]).map((s) => s.String.sval as string);
    const cat = builtinCatalog();
    let name = names.at(-1)!;
    if (names.length > 1 && names[0] !== 'pg_catalog') {
      throw this.err(SqlState.UNDEFINED_OBJECT, `type "${names.join('.')}" does not exist`, tn.location);
    }
    const alias: Record<string, string> = { int: 'int4', integer: 'int4', smallint: 'int2', bigint: 'int8', real: 'float4', float: 'float8', boolean: 'bool', decimal: 'numeric' };
    if (names.length === 1 && alias[name]) name = alias[name]!;
    const t = cat.typesByName.get(name);
    if (!t || t.typtype === 'p' && name !== 'record') throw this.err(SqlState.UNDEFINED_OBJECT, `type "${names.join('.')}" does not exist`, tn.location);
    let type = t.oid;
    let typmod = tn.typemod ?? -1;
    if (tn.typmods) {
      const impl = typeByOid(type);
      const mods = (tn.typmods as Node[]).map((m) => {
        if (kindOf(m) !== 'A_Const') throw this.err(SqlState.SYNTAX_ERROR, 'type modifiers must be simple constants or identifiers', tn.location);
        const c = m.A_Const;
        return String(c.ival !== undefined ? (c.ival.ival ?? 0) : c.fval?.fval ?? c.sval?.sval);
      });
      if (!impl?.typmodIn) throw this.err(SqlState.SYNTAX_ERROR, `type modifier is not allowed for type "${t.name}"`, tn.location);
      try {
        typmod = impl.typmodIn(mods);
      } catch (e) {
        throw this.pos.wrap(e, tn.location);
      }
    }
    if (tn.arrayBounds) {
      const a = arrayOf(type);
      if (!a) throw this.err(SqlState.UNDEFINED_OBJECT, `could not find array type for data type ${formatType(type)}`, tn.location);
      type = a;
    }
    return { type, typmod };
  }

  private findColumn(scope: Scope, alias: string | null, name: string, location: number, error = true): { entry: ScopeEntry; index: number } | null {
    let hit: { entry: ScopeEntry; index: number } | null = null;
    for (const e of scope.entries) {
      if (alias !== null && e.alias !== alias) continue;
      for (let i = 0; i < e.columns.length; i++) {
        if (e.columns[i]!.name !== name) continue;
        if (hit) {
          if (!error) return hit;
          throw this.err(SqlState.AMBIGUOUS_COLUMN, `column reference "${alias ? `${alias}.` : ''}${name}" is ambiguous`, location);
        }
        hit = { entry: e, index: i };
      }
    }
    return hit;
  }

  private columnRef(n: Node, scope: Scope): Expr {
    const fields = (n.fields as Node[]).map((f) => (kindOf(f) === 'String' ? f.String.sval : '*'));
    if (fields.includes('*')) throw this.err(SqlState.SYNTAX_ERROR, 'row expansion via "*" is not supported here', n.location);
    if (fields.length > 2) throw featureNotSupported('qualified column references with more than two names');
    const alias = fields.length === 2 ? fields[0]! : null;
    const name = fields.at(-1)!;
    let levels = 0;
    let aliasSeen = false;
    for (let s: Scope | null = scope; s; s = s.parent, levels++) {
      if (alias !== null && s.entries.some((e) => e.alias === alias)) aliasSeen = true;
      const hit = this.findColumn(s, alias, name, n.location);
      if (hit) {
        const c = hit.entry.columns[hit.index]!;
        return { kind: 'var', levelsUp: levels, index: hit.entry.offset + hit.index, type: c.type, typmod: c.typmod, name: alias ? `${alias}.${name}` : `${hit.entry.alias ? `${hit.entry.alias}.` : ''}${name}`.replace(/^\*VALUES\*\./, '*VALUES*.'), location: n.location };
      }
      if (aliasSeen) break;
    }
    if (alias !== null && !aliasSeen) throw this.err(SqlState.UNDEFINED_TABLE, `missing FROM-clause entry for table "${alias}"`, n.location);
    if (alias !== null) throw this.err(SqlState.UNDEFINED_COLUMN, `column ${alias}.${name} does not exist`, n.location);
    throw this.err(SqlState.UNDEFINED_COLUMN, `column "${name}" does not exist`, n.location);
  }

  private opName(names: Node[]): string {
    const parts = names.map((s) => s.String.sval as string);
    if (parts.length === 2 && parts[0] !== 'pg_catalog') throw featureNotSupported('operators outside pg_catalog');
    return parts.at(-1)!;
  }

  /** make_op: an operator call with its arguments coerced to the chosen operator's types. */
  operator(name: string, left: Expr | null, right: Expr, location: number): Expr {
    let r;
    try {
      r = resolveOperator(name, left?.type ?? null, right.type);
    } catch (e) {
      throw this.pos.wrap(e, location);
    }
    const proc = builtinCatalog().procs.get(r.item.proc)!;
    const args = left ? [left, right] : [right];
    const coerced = args.map((a, i) => this.coerce(a, r.argTypes[i]!, -1, Ctx.Implicit));
    return { kind: 'call', proc, args: coerced, type: r.retType, typmod: -1, location };
  }

  private aExpr(n: Node, scope: Scope): Expr {
    const loc = n.location ?? -1;
    switch (n.kind) {
      case 'AEXPR_OP': {
        const name = this.opName(n.name);
        const right = this.expr(n.rexpr, scope);
        const left = n.lexpr ? this.expr(n.lexpr, scope) : null;
        return this.operator(name, left, right, loc);
      }
      case 'AEXPR_OP_ANY':
      case 'AEXPR_OP_ALL': {
        const name = this.opName(n.name);
        const left = this.expr(n.lexpr, scope);
        let right = this.expr(n.rexpr, scope);
        const useOr = n.kind === 'AEXPR_OP_ANY';
        let elem = arrayElem(right.type);
        if (right.type === T.unknown) elem = T.unknown;
        else if (elem === 0) throw this.err(SqlState.WRONG_OBJECT_TYPE, `op ANY/ALL (array) requires array on right side`, loc);
        let r;
        try {
          r = resolveOperator(name, left.type, elem);
        } catch (e) {
          throw this.pos.wrap(e, loc);
        }
        if (r.retType !== T.bool) throw this.err(SqlState.WRONG_OBJECT_TYPE, 'op ANY/ALL (array) requires operator to yield boolean', loc);
        const proc = builtinCatalog().procs.get(r.item.proc)!;
        right = this.coerce(right, arrayOf(r.argTypes[1]!), -1, Ctx.Implicit);
        return { kind: 'anyop', left: this.coerce(left, r.argTypes[0]!, -1, Ctx.Implicit), right, op: proc, useOr, type: T.bool, typmod: -1 };
      }
      case 'AEXPR_DISTINCT':
      case 'AEXPR_NOT_DISTINCT': {
        const eq = this.operator('=', this.expr(n.lexpr, scope), this.expr(n.rexpr, scope), loc);
        if (eq.kind !== 'call' || eq.type !== T.bool) throw this.err(SqlState.DATATYPE_MISMATCH, 'IS DISTINCT FROM requires = operator to yield boolean', loc);
        return { kind: 'distinct', left: eq.args[0]!, right: eq.args[1]!, eq: eq.proc, not: n.kind === 'AEXPR_NOT_DISTINCT', type: T.bool, typmod: -1 };
      }
      case 'AEXPR_NULLIF': {
        const eq = this.operator('=', this.expr(n.lexpr, scope), this.expr(n.rexpr, scope), loc);
        if (eq.kind !== 'call' || eq.type !== T.bool) throw this.err(SqlState.DATATYPE_MISMATCH, 'NULLIF requires = operator to yield boolean', loc);
        return { kind: 'nullif', left: eq.args[0]!, right: eq.args[1]!, eq: eq.proc, type: eq.args[0]!.type, typmod: eq.args[0]!.typmod };
      }
      case 'AEXPR_IN': {
        const name = this.opName(n.name);
        const left = this.expr(n.lexpr, scope);
        const items = ((n.rexpr.List?.items ?? n.rexpr) as Node[]).map((x) => this.expr(x, scope));
        const parts = items.map((it) => this.operator(name, left, it, loc));
        if (parts.some((p) => p.type !== T.bool)) throw this.err(SqlState.DATATYPE_MISMATCH, 'IN requires operator to yield boolean', loc);
        if (parts.length === 1) return parts[0]!;
        return { kind: 'bool', op: name === '<>' ? 'and' : 'or', args: parts, type: T.bool, typmod: -1 };
      }
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE': {
        let name = this.opName(n.name);
        if (kindOf(n.rexpr) === 'FuncCall') throw featureNotSupported('LIKE … ESCAPE');
        name = name === '~~' || name === '!~~' || name === '~~*' || name === '!~~*' ? name : name;
        return this.operator(name, this.expr(n.lexpr, scope), this.expr(n.rexpr, scope), loc);
      }
      case 'AEXPR_SIMILAR':
        throw featureNotSupported('SIMILAR TO');
      case 'AEXPR_BETWEEN':
      case 'AEXPR_NOT_BETWEEN':
      case 'AEXPR_BETWEEN_SYM':
      case 'AEXPR_NOT_BETWEEN_SYM': {
        const [lo, hi] = (n.rexpr.List.items as Node[]).map((x) => this.expr(x, scope)) as [Expr, Expr];
        const a = this.expr(n.lexpr, scope);
        const not = n.kind.includes('NOT');
        const mk = (l: Expr, h: Expr): Expr => not
          ? { kind: 'bool', op: 'or', args: [this.operator('<', a, l, loc), this.operator('>', a, h, loc)], type: T.bool, typmod: -1 }
          : { kind: 'bool', op: 'and', args: [this.operator('>=', a, l, loc), this.operator('<=', a, h, loc)], type: T.bool, typmod: -1 };
        if (n.kind.endsWith('SYM')) {
          return { kind: 'bool', op: not ? 'and' : 'or', args: [mk(lo, hi), mk(hi, lo)], type: T.bool, typmod: -1 };
        }
        return mk(lo, hi);
      }
      default:
        throw featureNotSupported(`expression kind ${n.kind}`);
    }
  }

  private caseExpr(n: Node, scope: Scope): Expr {
    const arg = n.arg ? this.expr(n.arg, scope) : null;
    const whens: Array<{ cond: Expr; result: Expr }> = [];
    for (const w of n.args as Node[]) {
      const cw = w.CaseWhen;
      let cond = this.expr(cw.expr, scope);
      if (arg) cond = this.operator('=', arg, cond, cw.location ?? -1);
      cond = this.boolExpr(cond, 'CASE/WHEN', nodeLocation(cw.expr));
      whens.push({ cond, result: this.expr(cw.result, scope) });
    }
    const otherwise: Expr = n.defresult ? this.expr(n.defresult, scope) : { kind: 'const', type: T.unknown, typmod: -1, value: null, location: -1 };
    const results = [...whens.map((w) => w.result), otherwise];
    // PostgreSQL looks at the ELSE branch first when choosing the common type.
    const t = selectCommonType([otherwise, ...whens.map((w) => w.result)].map((e) => ({ type: e.type, location: exprLocation(e) })), 'CASE', this.pos);
    void results;
    return {
      kind: 'case', type: t, typmod: -1,
      whens: whens.map((w) => ({ cond: w.cond, result: coerceToCommon(w.result, t, 'CASE', this.pos) })),
      otherwise: coerceToCommon(otherwise, t, 'CASE', this.pos),
    };
  }

  private arrayExpr(n: Node, scope: Scope): Expr {
    const elems = ((n.elements ?? []) as Node[]).map((x) => this.expr(x, scope));
    if (elems.length === 0) throw this.err(SqlState.INDETERMINATE_DATATYPE, 'cannot determine type of empty array', n.location, { hint: 'Explicitly cast to the desired type, for example ARRAY[]::integer[].' });
    if (elems.some((e) => arrayElem(e.type) !== 0)) throw featureNotSupported('multidimensional ARRAY constructors');
    const t = selectCommonType(elems.map((e) => ({ type: e.type, location: exprLocation(e) })), 'ARRAY', this.pos);
    const at = arrayOf(t);
    if (!at) throw this.err(SqlState.UNDEFINED_OBJECT, `could not find array type for data type ${formatType(t)}`, n.location);
    return { kind: 'array', elems: elems.map((e) => coerceToCommon(e, t, 'ARRAY', this.pos)), type: at, typmod: -1 };
  }

  private sqlValueFunction(n: Node): Expr {
    const ops: Record<string, [string, number]> = {
      SVFOP_CURRENT_DATE: ['current_date', T.date], SVFOP_CURRENT_TIMESTAMP: ['current_timestamp', T.timestamptz],
      SVFOP_LOCALTIMESTAMP: ['localtimestamp', T.timestamp], SVFOP_CURRENT_ROLE: ['current_user', T.name],
      SVFOP_CURRENT_USER: ['current_user', T.name], SVFOP_USER: ['current_user', T.name], SVFOP_SESSION_USER: ['session_user', T.name],
      SVFOP_CURRENT_CATALOG: ['current_database', T.name], SVFOP_CURRENT_SCHEMA: ['current_schema', T.name],
    };
    const o = ops[n.op];
    if (!o || n.typmod >= 0) throw featureNotSupported(`${String(n.op).replace('SVFOP_', '').toLowerCase()}`);
    return { kind: 'sessionfn', name: o[0], type: o[1], typmod: -1 };
  }

  private subLink(n: Node, scope: Scope): Expr {
    const type = n.subLinkType as string;
    const inner: Scope = { ...scope, aggs: null, aggContext: '' };
    const q = this.analyzeSelect(n.subselect.SelectStmt, inner, true);
    const cols = queryColumns(q);
    const loc = n.location ?? -1;
    if (type === 'EXISTS_SUBLINK') return { kind: 'sublink', linkType: 'exists', query: q, type: T.bool, typmod: -1 };
    if (type === 'EXPR_SUBLINK' || type === 'ARRAY_SUBLINK') {
      if (cols.length !== 1) throw this.err(SqlState.SYNTAX_ERROR, 'subquery must return only one column', loc);
      if (type === 'ARRAY_SUBLINK') {
        const at = arrayOf(cols[0]!.type);
        if (!at) throw featureNotSupported('ARRAY(subquery) of this type');
        return { kind: 'sublink', linkType: 'array', query: q, type: at, typmod: -1 };
      }
      return { kind: 'sublink', linkType: 'expr', query: q, type: cols[0]!.type, typmod: cols[0]!.typmod };
    }
    if (type === 'ANY_SUBLINK' || type === 'ALL_SUBLINK') {
      if (cols.length !== 1) throw this.err(SqlState.SYNTAX_ERROR, cols.length > 1 ? 'subquery has too many columns' : 'subquery has too few columns', loc);
      const name = n.operName ? this.opName(n.operName) : '=';
      const left = this.expr(n.testexpr, scope);
      const placeholder: Expr = { kind: 'var', levelsUp: -2, index: 0, type: cols[0]!.type, typmod: -1, name: '' };
      const test = this.operator(name, left, placeholder, loc);
      if (test.type !== T.bool) throw this.err(SqlState.DATATYPE_MISMATCH, `operator ${name} must return type boolean, not type ${formatType(test.type)}`, loc);
      return { kind: 'sublink', linkType: type === 'ANY_SUBLINK' ? 'any' : 'all', query: q, test, type: T.bool, typmod: -1 };
    }
    throw featureNotSupported(`subquery kind ${type}`);
  }

  funcCall(n: Node, scope: Scope, setAllowed: boolean): Expr {
    const names = (n.funcname as Node[]).map((s) => s.String.sval as string);
    if (names.length > 1 && names[0] !== 'pg_catalog') {
      throw this.err(SqlState.UNDEFINED_FUNCTION, `function ${names.join('.')}() does not exist`, n.location);
    }
    const name = names.at(-1)!;
    if (n.over) throw featureNotSupported('window functions');
    if (n.func_variadic) throw featureNotSupported('VARIADIC arguments');
    if ((n.args as Node[] | undefined)?.some((a) => kindOf(a) === 'NamedArgExpr')) throw featureNotSupported('named function arguments');
    const cat = builtinCatalog();
    const isAgg = (cat.procsByName.get(name) ?? []).some((p) => p.kind === 'a');
    if (isAgg || n.agg_star || n.agg_distinct || n.agg_order || n.agg_filter) return this.aggregate(n, name, scope);
    const args = ((n.args ?? []) as Node[]).map((a) => this.expr(a, scope));
    const inputs = args.map((a) => a.type);
    let res;
    try {
      res = resolveFunction(name, inputs, args.length === 1 && args[0]!.kind === 'const' && args[0]!.type === T.unknown);
    } catch (e) {
      throw this.pos.wrap(e, n.location);
    }
    if (res.kind === 'coercion') {
      return this.coerce(args[0]!, res.target, -1, Ctx.Explicit);
    }
    const { item: proc, argTypes, retType } = res.resolved;
    if (proc.kind === 'w') throw this.err(SqlState.WRONG_OBJECT_TYPE, `window function ${name} requires an OVER clause`, n.location);
    const variadicAny = proc.variadic === T.any;
    const coerced = args.map((a, i) => (argTypes[i] === T.any ? (a.type === T.unknown ? this.coerce(a, T.text, -1, Ctx.Implicit) : a) : this.coerce(a, argTypes[i]!, -1, Ctx.Implicit)));
    if (proc.retSet && !setAllowed) {
      if (!scope.srfs) {
        const where = scope.aggContext || (scope.aggs === null ? 'this context' : 'this context');
        throw this.err(SqlState.FEATURE_NOT_SUPPORTED, `set-returning functions are not allowed in ${where}`, n.location);
      }
      if (coerced.some(containsSrf)) throw featureNotSupported('nested set-returning function calls');
      scope.srfs.push({ proc, args: coerced, type: retType });
      return { kind: 'srf', index: scope.srfs.length - 1, type: retType, typmod: -1 };
    }
    if (proc.src === 'show_config_by_name' || proc.src === 'show_config_by_name_missing_ok' || proc.src === 'set_config_by_name') {
      return { kind: 'settingfn', name: proc.src, args: coerced, type: retType, typmod: -1 };
    }
    if (proc.src === 'current_schemas') throw featureNotSupported('function current_schemas');
    return { kind: 'call', proc, args: coerced, type: retType, typmod: -1, location: n.location, variadicAny };
  }

  private aggregate(n: Node, name: string, scope: Scope): Expr {
    if (!scope.aggs) {
      const where = scope.aggContext || 'this context';
      if (scope.aggContext === '' && scope.aggs === null) throw this.err(SqlState.GROUPING_ERROR, 'aggregate function calls cannot be nested', n.location);
      throw this.err(SqlState.GROUPING_ERROR, `aggregate functions are not allowed in ${where}`, n.location);
    }
    if (!AGGREGATE_NAMES.has(name)) throw featureNotSupported(`aggregate function ${name}`);
    const aggs = scope.aggs;
    const srfs = scope.srfs;
    scope.aggs = null;
    scope.srfs = null;
    scope.aggContext = '';
    try {
      const args = ((n.args ?? []) as Node[]).map((a) => this.expr(a, scope));
      let proc: CatProc;
      let argTypes: number[];
      let retType: number;
      if (n.agg_star) {
        proc = builtinCatalog().procsByName.get('count')!.find((p) => p.argTypes.length === 0)!;
        argTypes = [];
        retType = T.int8;
      } else {
        const candidates = (builtinCatalog().procsByName.get(name) ?? []).filter((p) => p.kind === 'a');
        if (candidates.length === 0) throw this.err(SqlState.WRONG_OBJECT_TYPE, `${name} is not an aggregate`, n.location);
        let res;
        try {
          res = resolveFunction(name, args.map((a) => a.type), false);
        } catch (e) {
          throw this.pos.wrap(e, n.location);
        }
        if (res.kind !== 'function') throw featureNotSupported(`aggregate ${name}`);
        proc = res.resolved.item;
        argTypes = res.resolved.argTypes;
        retType = res.resolved.retType;
      }
      const coerced = args.map((a, i) => (argTypes[i] === T.any ? (a.type === T.unknown ? this.coerce(a, T.text, -1, Ctx.Implicit) : a) : this.coerce(a, argTypes[i]!, -1, Ctx.Implicit)));
      const order: SortClause[] = [];
      for (const s of (n.agg_order ?? []) as Node[]) {
        let e = this.expr(s.SortBy.node, scope);
        if (e.type === T.unknown) e = this.coerce(e, T.text, -1, Ctx.Implicit);
        order.push(this.sortClause(e, s.SortBy));
      }
      const filter = n.agg_filter ? this.boolExpr(this.expr(n.agg_filter, scope), 'FILTER', nodeLocation(n.agg_filter)) : null;
      if (n.agg_distinct && order.some((o) => !coerced.some((a) => exprKey(a) === exprKey(o.expr)))) {
        throw this.err(SqlState.INVALID_COLUMN_REFERENCE, 'in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list', n.location);
      }
      aggs.push({ proc, args: coerced, distinct: !!n.agg_distinct, star: !!n.agg_star, filter, order, type: retType });
      return { kind: 'aggref', index: aggs.length - 1, type: retType, typmod: -1, location: n.location };
    } finally {
      scope.aggs = aggs;
      scope.srfs = srfs;
    }
  }
}

// ---- helpers ------------------------------------------------------------------------------

function emptySelect(): SelectQuery {
  return {
    kind: 'select', ctes: [], from: [], fromWidths: [], where: null, groupBy: [], hasAggs: false, aggs: [], srfs: [], having: null,
    targets: [], distinct: 'none', distinctOn: [], sort: [], limit: null, offset: null,
  };
}

function totalWidth(scope: Scope): number {
  return scope.entries.reduce((n, e) => n + e.columns.length, 0);
}

function renameColumns(q: Query, names: string[]): Query {
  if (q.kind === 'setop') names.forEach((nm, i) => { if (q.columns[i]) q.columns[i]!.name = nm; });
  else {
    const visible = q.targets.filter((t) => !t.junk);
    names.forEach((nm, i) => { if (visible[i]) visible[i]!.name = nm; });
  }
  return q;
}

function coerceQueryColumn(q: Query, i: number, type: number, context: string, pos: ErrorPositioner): void {
  if (q.kind === 'setop') {
    if (q.columns[i]!.type === type) return;
    coerceQueryColumn(q.left, i, type, context, pos);
    coerceQueryColumn(q.right, i, type, context, pos);
    q.columns[i]!.type = type;
    return;
  }
  const visible = q.targets.filter((t) => !t.junk);
  const te = visible[i]!;
  te.expr = coerceToCommon(te.expr, type, context, pos);
}

function targetLocation(q: Query, i: number): number {
  if (q.kind === 'setop') return targetLocation(q.left, i);
  const te = q.targets.filter((t) => !t.junk)[i];
  return te ? exprLocation(te.expr) : -1;
}

function firstTargetLocation(stmt: Node): number {
  const t = stmt?.targetList?.[0]?.ResTarget;
  return t ? t.location : -1;
}

/** A node's location field, wherever it is. */
export function nodeLocation(node: Node | undefined): number {
  if (!node) return -1;
  const n = node[kindOf(node)];
  if (kindOf(node) === 'A_Expr' && n.lexpr) {
    const l = nodeLocation(n.lexpr);
    return l >= 0 && (l < n.location || n.location < 0) ? l : n.location;
  }
  if (n && typeof n.location === 'number') return n.location;
  if (kindOf(node) === 'TypeCast') return nodeLocation(n.arg);
  return -1;
}

/** FigureColname: the output name PostgreSQL gives an unnamed select-list item. */
export function figureColname(node: Node): string {
  return figure(node)[0];
}

/** FigureColnameInternal: a name and its strength (2 = from a column or function, 1 = a type or CASE, 0 = none). */
function figure(node: Node): [string, number] {
  const k = kindOf(node);
  const n = node[k];
  switch (k) {
    case 'ColumnRef': {
      const last = (n.fields as Node[]).at(-1)!;
      return kindOf(last) === 'String' ? [last.String.sval, 2] : ['?column?', 0];
    }
    case 'FuncCall':
      return [(n.funcname as Node[]).at(-1)!.String.sval, 2];
    case 'TypeCast': {
      const inner = figure(n.arg);
      if (inner[1] === 2) return inner;
      return [(n.typeName.names as Node[]).at(-1)!.String.sval, 1];
    }
    case 'A_Indirection': {
      const last = (n.indirection as Node[]).at(-1)!;
      if (kindOf(last) === 'String') return [last.String.sval, 2];
      return figure(n.arg);
    }
    case 'CaseExpr':
      return ['case', 1];
    case 'CoalesceExpr':
      return ['coalesce', 2];
    case 'MinMaxExpr':
      return [n.op === 'IS_GREATEST' ? 'greatest' : 'least', 2];
    case 'A_Expr':
      return n.kind === 'AEXPR_NULLIF' ? ['nullif', 2] : ['?column?', 0];
    case 'A_ArrayExpr':
      return ['array', 2];
    case 'SubLink':
      if (n.subLinkType === 'EXISTS_SUBLINK') return ['exists', 2];
      if (n.subLinkType === 'ARRAY_SUBLINK') return ['array', 2];
      if (n.subLinkType === 'EXPR_SUBLINK') {
        const sel = n.subselect.SelectStmt;
        const t = sel.op === 'SETOP_NONE' || !sel.op ? sel.targetList?.[0]?.ResTarget : undefined;
        if (t) return t.name ? [t.name, 2] : figure(t.val);
      }
      return ['?column?', 0];
    case 'SQLValueFunction':
      return [({ SVFOP_CURRENT_DATE: 'current_date', SVFOP_CURRENT_TIMESTAMP: 'current_timestamp', SVFOP_LOCALTIMESTAMP: 'localtimestamp', SVFOP_CURRENT_ROLE: 'current_role', SVFOP_CURRENT_USER: 'current_user', SVFOP_USER: 'user', SVFOP_SESSION_USER: 'session_user', SVFOP_CURRENT_CATALOG: 'current_catalog', SVFOP_CURRENT_SCHEMA: 'current_schema' } as Record<string, string>)[n.op] ?? '?column?', 2];
    default:
      return ['?column?', 0];
  }
}

/** Calls `f` on each direct child expression (not into sub-queries). */
export function forEachChild(e: Expr, f: (c: Expr) => void): void {
  switch (e.kind) {
    case 'call': case 'bool': case 'coalesce': case 'minmax': case 'settingfn':
      e.args.forEach(f);
      return;
    case 'array': e.elems.forEach(f); return;
    case 'coerce': f(e.arg); return;
    case 'case': e.whens.forEach((w) => { f(w.cond); f(w.result); }); f(e.otherwise); return;
    case 'nullif': case 'distinct': f(e.left); f(e.right); return;
    case 'anyop': f(e.left); f(e.right); return;
    case 'nulltest': case 'booltest': f(e.arg); return;
    case 'subscript': f(e.arg); f(e.index); return;
    case 'sublink': if (e.test) f(e.test); return;
    default: return;
  }
}

/** Whether a parse tree mentions a relation named `name` (a recursive CTE's self-reference). */
function refersTo(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some((x) => refersTo(x, name));
  const o = node as Record<string, unknown>;
  const rv = o.RangeVar as { relname?: string; schemaname?: string } | undefined;
  if (rv && rv.relname === name && !rv.schemaname) return true;
  return Object.values(o).some((v) => refersTo(v, name));
}

function findAggref(e: Expr): (Expr & { kind: 'aggref' }) | null {
  if (e.kind === 'aggref') return e;
  let found: (Expr & { kind: 'aggref' }) | null = null;
  forEachChild(e, (c) => { found ??= findAggref(c); });
  return found;
}

function containsSrf(e: Expr): boolean {
  if (e.kind === 'srf') return true;
  let found = false;
  forEachChild(e, (c) => { found ||= containsSrf(c); });
  return found;
}

function containsVar(e: Expr): boolean {
  if (e.kind === 'var' && e.levelsUp === 0) return true;
  let found = false;
  forEachChild(e, (c) => { found ||= containsVar(c); });
  return found;
}

/** A structural key of an expression (locations ignored), for matching GROUP BY and ORDER BY items. */
export function exprKey(e: Expr): string {
  return JSON.stringify(e, (k, v) => (k === 'location' ? undefined : typeof v === 'bigint' ? `${v}n` : k === 'proc' || k === 'eq' || k === 'op' && typeof v === 'object' ? v?.oid : v));
}
