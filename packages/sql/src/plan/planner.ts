// The planner: an analyzed Query becomes a tree of executable plan nodes (exec/nodes.ts) with
// every expression compiled once. The shape follows PostgreSQL's for these queries: scans at
// the leaves, then join, filter, aggregation, HAVING, projection, DISTINCT, sort, limit.
// Entry point: planQuery.

import { featureNotSupported } from '@palisade/common';
import { typeByOid } from '../types/registry.ts';
import { setImplementationFor } from '../functions/builtins.ts';
import { aggregateFor } from '../functions/aggregates.ts';
import { T } from '../analyze/catalog.ts';
import type { Expr, Query, RangeItem, SelectQuery, SetOpQuery, SortClause } from '../analyze/nodes.ts';
import { queryColumns } from '../analyze/nodes.ts';
import { exprKey } from '../analyze/analyze.ts';
import { compileExpr, type CompileOptions } from '../exec/compile.ts';
import {
  AggNode, AppendNode, CteScanNode, FilterNode, FunctionScanNode, HashDistinctNode, HashSetOpNode, LimitNode, NestLoopNode,
  ProjectNode, ProjectSetNode, RecursiveUnionNode, ResultNode, WorkTableScanNode, SortNode, UniqueOnNode, ValuesScanNode, type AggSpec, type PlanNode, type SortKey,
} from '../exec/nodes.ts';

class Planner {
  /** CTE plans by index within the query that declares them; keyed by the query object. */
  private readonly cteIds = new Map<Query, number>();
  private nextCteId = 0;

  readonly opts: CompileOptions = {
    planSubquery: (q) => {
      const node = this.plan(q);
      return (ec) => node.rows(ec);
    },
  };

  plan(q: Query): PlanNode {
    for (const c of q.ctes) {
      if (!this.cteIds.has(c)) this.cteIds.set(c, this.nextCteId++);
    }
    const node = q.kind === 'setop' ? this.setOp(q) : this.select(q);
    return node;
  }

  private compile(e: Expr, post?: { groupKeys?: string[]; aggOffset?: number; srfOffset?: number }) {
    return compileExpr(e, post ? { ...this.opts, ...post } : this.opts);
  }

  private rangeItem(item: RangeItem): PlanNode {
    switch (item.kind) {
      case 'values':
        return new ValuesScanNode(item.rows.map((r) => r.map((e) => this.compile(e))), item.types.length);
      case 'subquery':
        return this.plan(item.query);
      case 'function': {
        const call = item.call;
        if (call.kind === 'call' && call.proc.retSet) {
          const impl = setImplementationFor(call.proc.src, call.args.map((a) => a.type), call.type);
          if (!impl) throw featureNotSupported(`function ${call.proc.name}`);
          const args = call.args.map((a) => this.compile(a));
          return new FunctionScanNode(call.proc.name, args, impl, call.proc.strict, item.ordinality);
        }
        const one = this.compile(call);
        return new FunctionScanNode('function', [], () => [null], false, item.ordinality, one);
      }
      case 'cte': {
        const ref = item as RangeItem & { cteQuery: Query };
        const id = this.cteIds.get(ref.cteQuery);
        if (id === undefined) throw new Error('CTE planned before its declaration');
        return new CteScanNode(id, this.plan(ref.cteQuery), queryColumns(ref.cteQuery).length);
      }
      case 'worktable':
        return new WorkTableScanNode(item.id);
      case 'join': {
        const left = this.rangeItem(item.left);
        const right = this.rangeItem(item.right);
        return new NestLoopNode(item.joinType, left, right, item.on ? this.compile(item.on) : null, item.leftWidth, item.rightWidth);
      }
    }
  }

  private sortKeys(sort: SortClause[], compileKey: (e: Expr) => (r: any, ec: any) => any): SortKey[] {
    return sort.map((s) => {
      const impl = typeByOid(s.type);
      if (!impl?.compare) throw featureNotSupported(`sorting type ${s.type}`);
      return { value: compileKey(s.expr), desc: s.desc, nullsFirst: s.nullsFirst, compare: impl.compare };
    });
  }

  private select(q: SelectQuery): PlanNode {
    let node: PlanNode;
    if (q.from.length === 0) node = new ResultNode();
    else {
      node = this.rangeItem(q.from[0]!);
      let width = q.fromWidths[0]!;
      for (let i = 1; i < q.from.length; i++) {
        node = new NestLoopNode('cross', node, this.rangeItem(q.from[i]!), null, width, q.fromWidths[i]!);
        width += q.fromWidths[i]!;
      }
    }
    if (q.where) node = new FilterNode(node, this.compile(q.where), 'Filter');
    let post: { groupKeys?: string[]; aggOffset?: number; srfOffset?: number } | undefined;
    if (q.hasAggs) {
      const aggs: AggSpec[] = q.aggs.map((a) => ({
        impl: aggregateFor(a.proc.name, a.args.map((x) => x.type), a.type, a.star),
        args: a.args.map((x) => this.compile(x)),
        argTypes: a.args.map((x) => x.type),
        distinct: a.distinct,
        filter: a.filter ? this.compile(a.filter) : null,
        order: this.sortKeys(a.order, (e) => this.compile(e)),
        name: a.proc.name,
      }));
      const keys = q.groupBy.map((g) => this.compile(g));
      const keyTypes = q.groupBy.map((g) => g.type);
      node = new AggNode(node, keys, keyTypes, aggs);
      post = { groupKeys: q.groupBy.map(exprKey), aggOffset: q.groupBy.length };
      if (q.having) node = new FilterNode(node, this.compile(q.having, post), 'Filter');
    }
    if (q.srfs.length > 0) {
      const width = post ? q.groupBy.length + q.aggs.length : q.fromWidths.reduce((a, b) => a + b, 0);
      const fns = q.srfs.map((s) => {
        const impl = setImplementationFor(s.proc.src, s.args.map((a) => a.type), s.type);
        if (!impl) throw featureNotSupported(`function ${s.proc.name}`);
        return { impl, args: s.args.map((a) => this.compile(a, post)), strict: s.proc.strict, name: s.proc.name };
      });
      node = new ProjectSetNode(node, fns);
      post = { ...(post ?? { groupKeys: [], aggOffset: 0 }), srfOffset: width } as typeof post;
    }
    const targets = q.targets.map((t) => this.compile(t.expr, post));
    node = new ProjectNode(node, targets);
    // After projection, sort keys and DISTINCT ON keys are target columns.
    const col = (e: Expr): number => {
      const key = exprKey(e);
      const i = q.targets.findIndex((t) => exprKey(t.expr) === key);
      if (i < 0) throw new Error('sort key not in target list');
      return i;
    };
    const byColumn = (e: Expr) => {
      const i = col(e);
      return (r: any[]) => r[i];
    };
    const visibleCount = q.targets.filter((t) => !t.junk).length;
    if (q.distinct === 'all') {
      node = new HashDistinctNode(node, q.targets.map((t) => t.expr.type), visibleCount);
    }
    if (q.distinct === 'on') {
      const onKeys = q.distinctOn.map((e) => {
        let i = q.targets.findIndex((t) => exprKey(t.expr) === exprKey(e));
        if (i < 0) {
          q.targets.push({ name: '', expr: e, junk: true });
          i = q.targets.length - 1;
          const compiled = this.compile(e, post);
          (node as ProjectNode).targets.push(compiled);
        }
        return i;
      });
      const sortForOn: SortClause[] = [...q.sort];
      for (const e of q.distinctOn.slice(q.sort.length)) sortForOn.push({ expr: e, desc: false, nullsFirst: false, type: e.type });
      node = new SortNode(node, this.sortKeys(sortForOn, byColumn));
      node = new UniqueOnNode(node, onKeys, onKeys.map((i) => q.targets[i]!.expr.type));
    } else if (q.sort.length > 0) {
      node = new SortNode(node, this.sortKeys(q.sort, byColumn));
    }
    if (q.limit || q.offset) node = new LimitNode(node, q.limit ? this.compile(q.limit) : null, q.offset ? this.compile(q.offset) : null);
    if (q.targets.length > visibleCount) {
      const n = visibleCount;
      node = new ProjectNode(node, Array.from({ length: n }, (_x, i) => (r: any[]) => r[i]), true);
    }
    return node;
  }

  private setOp(q: SetOpQuery): PlanNode {
    const left = this.plan(q.left);
    const right = this.plan(q.right);
    const types = q.columns.map((c) => c.type);
    for (const t of types) {
      if (t !== T.unknown && !typeByOid(t)?.hash && !q.all) throw featureNotSupported(`${q.op.toUpperCase()} over this type`);
    }
    let node: PlanNode;
    if (q.recursiveId !== undefined) {
      node = new RecursiveUnionNode(q.recursiveId, left, right, q.all, types);
    } else if (q.op === 'union') {
      node = new AppendNode([left, right]);
      if (!q.all) node = new HashDistinctNode(node, types, types.length);
    } else {
      node = new HashSetOpNode(q.op, q.all, left, right, types);
    }
    if (q.sort.length > 0) {
      node = new SortNode(node, this.sortKeys(q.sort, (e) => {
        const i = (e as Expr & { kind: 'var' }).index;
        return (r: any[]) => r[i];
      }));
    }
    if (q.limit || q.offset) node = new LimitNode(node, q.limit ? this.compile(q.limit) : null, q.offset ? this.compile(q.offset) : null);
    return node;
  }
}

/** Plans a query: the root node produces exactly the query's visible columns. */
export function planQuery(q: Query): PlanNode {
  return new Planner().plan(q);
}
