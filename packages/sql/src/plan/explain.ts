// EXPLAIN (text format, without costs): the plan tree as indented lines, PostgreSQL's layout.

import type { PlanNode } from '../exec/nodes.ts';

export function explainLines(root: PlanNode): string[] {
  const out: string[] = [];
  const walk = (n: PlanNode, depth: number): void => {
    const indent = depth === 0 ? '' : `${' '.repeat(depth * 6 - 6)}  ->  `;
    out.push(`${indent}${n.label}`);
    const detailIndent = depth === 0 ? '  ' : `${' '.repeat(depth * 6)}`;
    for (const d of n.details) out.push(`${detailIndent}${d}`);
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}
