// A tiny evaluator of policy expressions over in-memory rows, with SQL's three-valued logic:
// comparisons, AND/OR/NOT, IS [NOT] NULL, constants, casts of NULL, column references and current_user.
// Enough to replay the fixture's policies; anything else throws so a test cannot pass by accident.

import { nodeFields, nodeTag, type Node } from '../../src/node.ts';

export type Value = number | string | boolean | null;
export type Row = Record<string, Value>;

export interface EvalContext {
  readonly row: Row;
  readonly currentUser: string;
}

function compare(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  switch (op) {
    case '=': return a === b;
    case '<>': case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    default: throw new Error(`operator ${op} not supported by the test evaluator`);
  }
}

export function evaluate(node: Node, ctx: EvalContext): Value {
  const tag = nodeTag(node);
  const f = nodeFields(node);
  switch (tag) {
    case 'A_Const': {
      if (f['isnull'] === true) return null;
      if (f['ival'] !== undefined) return Number((f['ival'] as { ival?: number }).ival ?? 0);
      if (f['sval'] !== undefined) return String((f['sval'] as { sval?: string }).sval ?? '');
      if (f['boolval'] !== undefined) return (f['boolval'] as { boolval?: boolean }).boolval === true;
      throw new Error('constant kind not supported by the test evaluator');
    }
    case 'ColumnRef': {
      const fields = f['fields'] as Node[];
      const name = String(nodeFields(fields[fields.length - 1]!)['sval']);
      if (!(name in ctx.row)) throw new Error(`no column ${name}`);
      return ctx.row[name]!;
    }
    case 'SQLValueFunction':
      if (f['op'] === 'SVFOP_CURRENT_USER' || f['op'] === 'SVFOP_CURRENT_ROLE') return ctx.currentUser;
      throw new Error(`${String(f['op'])} not supported by the test evaluator`);
    case 'A_Expr': {
      if (f['kind'] !== 'AEXPR_OP') throw new Error(`${String(f['kind'])} not supported by the test evaluator`);
      const op = String(nodeFields((f['name'] as Node[])[0]!)['sval']);
      return compare(op, evaluate(f['lexpr'] as Node, ctx), evaluate(f['rexpr'] as Node, ctx));
    }
    case 'TypeCast':
      // Only NULL::boolean occurs in the tests; a NULL is NULL in any type.
      return evaluate(f['arg'] as Node, ctx);
    case 'NullTest': {
      const value = evaluate(f['arg'] as Node, ctx);
      return f['nulltesttype'] === 'IS_NOT_NULL' ? value !== null : value === null;
    }
    case 'BoolExpr': {
      const args = f['args'] as Node[];
      if (f['boolop'] === 'NOT_EXPR') {
        const value = evaluate(args[0]!, ctx);
        return value === null ? null : !value;
      }
      const isAnd = f['boolop'] === 'AND_EXPR';
      let sawNull = false;
      for (const arg of args) {
        const value = evaluate(arg, ctx);
        if (value === null) sawNull = true;
        else if (Boolean(value) !== isAnd) return !isAnd;
      }
      return sawNull ? null : isAnd;
    }
    default:
      throw new Error(`${tag} not supported by the test evaluator`);
  }
}

/** WHERE semantics: only true passes (false and NULL do not). */
export function passes(node: Node, ctx: EvalContext): boolean {
  return evaluate(node, ctx) === true;
}
