// deparseExpression: SQL text for the raw parse trees of policy expressions. libpg-query 18
// parses but has no deparser, so this is Palisade's own, for the node kinds a policy
// expression uses (operators, boolean logic, constants, columns, functions, casts, CASE,
// sub-selects of a simple SELECT). Every operator and sub-expression is parenthesised, so the
// text parses back to the same tree. Anything else is 0A000 rather than a guess.

import { featureNotSupported } from '@palisade/common';
import { NODE_DEPTH_MAX, nodeFields, nodeTag, type Node, type NodeFields } from './node.ts';

/** SQL text for an expression parse tree; `parseExpression(deparseExpression(n))` equals `n` up to locations. */
export function deparseExpression(node: Node): string {
  return expr(node, 0);
}

function unsupported(what: string): never {
  throw featureNotSupported(`deparsing ${what}`);
}

function guard(depth: number): void {
  if (depth > NODE_DEPTH_MAX) unsupported('an expression nested this deeply');
}

/** Quotes an identifier when PostgreSQL would need it (not lower-case simple, or a keyword we know). */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

// Reserved words that cannot be bare column or table names (PostgreSQL's RESERVED_KEYWORD list),
// plus the type-function keywords that would change meaning if left bare.
const RESERVED = new Set([
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast',
  'check', 'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role',
  'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do',
  'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in',
  'initially', 'intersect', 'into', 'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not',
  'null', 'offset', 'on', 'only', 'or', 'order', 'placing', 'primary', 'references', 'returning', 'select',
  'session_user', 'some', 'symmetric', 'system_user', 'table', 'then', 'to', 'trailing', 'true', 'union',
  'unique', 'user', 'using', 'variadic', 'when', 'where', 'window', 'with',
  'authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze', 'full',
  'ilike', 'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer', 'overlaps',
  'right', 'similar', 'tablesample', 'verbose', 'between', 'bigint', 'bit', 'boolean', 'char', 'character',
  'coalesce', 'dec', 'decimal', 'exists', 'extract', 'float', 'greatest', 'grouping', 'inout', 'int',
  'integer', 'interval', 'least', 'national', 'nchar', 'none', 'normalize', 'nullif', 'numeric', 'out',
  'overlay', 'position', 'precision', 'real', 'row', 'setof', 'smallint', 'substring', 'time', 'timestamp',
  'treat', 'trim', 'values', 'varchar', 'xmlattributes', 'xmlconcat', 'xmlelement', 'xmlexists',
  'xmlforest', 'xmlnamespaces', 'xmlparse', 'xmlpi', 'xmlroot', 'xmlserialize', 'xmltable',
]);

function quoteLiteral(text: string): string {
  return text.includes('\\') ? `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'` : `'${text.replaceAll("'", "''")}'`;
}

function stringValue(node: Node | undefined): string {
  if (node === undefined || nodeTag(node) !== 'String') unsupported('a name that is not a string');
  return String(nodeFields(node)['sval'] ?? '');
}

function qualifiedName(names: Node[] | undefined): string {
  return (names ?? []).map((n) => quoteIdent(stringValue(n))).join('.');
}

function list(nodes: unknown, depth: number): string {
  return ((nodes as Node[] | undefined) ?? []).map((n) => expr(n, depth + 1)).join(', ');
}

function operatorName(names: Node[] | undefined): { text: string; qualified: boolean } {
  const parts = (names ?? []).map((n) => stringValue(n));
  if (parts.length === 1) return { text: parts[0]!, qualified: false };
  return { text: `OPERATOR(${parts.slice(0, -1).map(quoteIdent).join('.')}.${parts.at(-1)})`, qualified: true };
}

function constant(f: NodeFields): string {
  if (f['isnull'] === true) return 'NULL';
  if (f['ival'] !== undefined) {
    const value = Number((f['ival'] as { ival?: number }).ival ?? 0);
    return value < 0 ? `(${value})` : String(value);
  }
  if (f['fval'] !== undefined) {
    const value = String((f['fval'] as { fval?: string }).fval ?? '0');
    return value.startsWith('-') ? `(${value})` : value;
  }
  if (f['boolval'] !== undefined) return (f['boolval'] as { boolval?: boolean }).boolval === true ? 'true' : 'false';
  if (f['sval'] !== undefined) return quoteLiteral(String((f['sval'] as { sval?: string }).sval ?? ''));
  if (f['bsval'] !== undefined) {
    const bits = String((f['bsval'] as { bsval?: string }).bsval ?? '');
    return `${bits[0]!.toUpperCase()}'${bits.slice(1)}'`;
  }
  return unsupported('a constant of unknown kind');
}

function typeName(f: NodeFields, depth: number): string {
  const names = (f['names'] as Node[] | undefined) ?? [];
  let text = qualifiedName(names);
  const mods = f['typmods'] as Node[] | undefined;
  if (mods !== undefined && mods.length > 0) text += `(${list(mods, depth)})`;
  if (f['setof'] === true) unsupported('SETOF types');
  const bounds = f['arrayBounds'] as Node[] | undefined;
  if (bounds !== undefined) {
    for (const bound of bounds) {
      const value = Number(nodeFields(bound)['ival'] ?? -1);
      text += value < 0 ? '[]' : `[${value}]`;
    }
  }
  return text;
}

const SVF: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'CURRENT_DATE',
  SVFOP_CURRENT_TIME: 'CURRENT_TIME',
  SVFOP_CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP',
  SVFOP_LOCALTIME: 'LOCALTIME',
  SVFOP_LOCALTIMESTAMP: 'LOCALTIMESTAMP',
  SVFOP_CURRENT_ROLE: 'CURRENT_ROLE',
  SVFOP_CURRENT_USER: 'CURRENT_USER',
  SVFOP_USER: 'USER',
  SVFOP_SESSION_USER: 'SESSION_USER',
  SVFOP_CURRENT_CATALOG: 'CURRENT_CATALOG',
  SVFOP_CURRENT_SCHEMA: 'CURRENT_SCHEMA',
};

function columnRef(f: NodeFields): string {
  const fields = (f['fields'] as Node[] | undefined) ?? [];
  return fields.map((field) => (nodeTag(field) === 'A_Star' ? '*' : quoteIdent(stringValue(field)))).join('.');
}

function aExpr(f: NodeFields, depth: number): string {
  const kind = f['kind'] as string;
  const lexpr = f['lexpr'] as Node | undefined;
  const rexpr = f['rexpr'] as Node | undefined;
  const left = lexpr === undefined ? '' : expr(lexpr, depth + 1);
  const op = operatorName(f['name'] as Node[] | undefined);
  const rightList = (): string => list(nodeFields(rexpr!)['items'], depth + 1);
  switch (kind) {
    case 'AEXPR_OP':
      if (lexpr === undefined) return `(${op.text} ${expr(rexpr!, depth + 1)})`;
      if (rexpr === undefined) unsupported('postfix operators');
      return `(${left} ${op.text} ${expr(rexpr, depth + 1)})`;
    case 'AEXPR_OP_ANY':
      return `(${left} ${op.text} ANY (${expr(rexpr!, depth + 1)}))`;
    case 'AEXPR_OP_ALL':
      return `(${left} ${op.text} ALL (${expr(rexpr!, depth + 1)}))`;
    case 'AEXPR_DISTINCT':
      return `(${left} IS DISTINCT FROM ${expr(rexpr!, depth + 1)})`;
    case 'AEXPR_NOT_DISTINCT':
      return `(${left} IS NOT DISTINCT FROM ${expr(rexpr!, depth + 1)})`;
    case 'AEXPR_NULLIF':
      return `NULLIF(${left}, ${expr(rexpr!, depth + 1)})`;
    case 'AEXPR_IN':
      return `(${left} ${op.text === '<>' ? 'NOT IN' : 'IN'} (${rightList()}))`;
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
    case 'AEXPR_SIMILAR': {
      const negated = op.text.startsWith('!');
      const word = kind === 'AEXPR_LIKE' ? 'LIKE' : kind === 'AEXPR_ILIKE' ? 'ILIKE' : 'SIMILAR TO';
      let right = rexpr!;
      if (kind === 'AEXPR_SIMILAR') {
        // The grammar wraps the pattern in similar_to_escape(pattern [, escape]).
        const call = nodeFields(right);
        const args = (call['args'] as Node[] | undefined) ?? [];
        const pattern = expr(args[0]!, depth + 1);
        const escapeClause = args[1] === undefined ? '' : ` ESCAPE ${expr(args[1], depth + 1)}`;
        return `(${left} ${negated ? 'NOT ' : ''}${word} ${pattern}${escapeClause})`;
      }
      return `(${left} ${negated ? 'NOT ' : ''}${word} ${expr(right, depth + 1)})`;
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      const items = (nodeFields(rexpr!)['items'] as Node[] | undefined) ?? [];
      const not = kind.includes('NOT') ? 'NOT ' : '';
      const sym = kind.endsWith('SYM') ? 'SYMMETRIC ' : '';
      return `(${left} ${not}BETWEEN ${sym}${expr(items[0]!, depth + 1)} AND ${expr(items[1]!, depth + 1)})`;
    }
    default:
      return unsupported(`the operator form ${kind}`);
  }
}

function funcCall(f: NodeFields, depth: number): string {
  const name = qualifiedName(f['funcname'] as Node[] | undefined);
  if (f['over'] !== undefined) unsupported('window function calls');
  if (f['agg_order'] !== undefined || f['agg_filter'] !== undefined || f['agg_within_group'] === true) {
    unsupported('ordered or filtered aggregate calls');
  }
  const variadic = f['func_variadic'] === true;
  if (f['agg_star'] === true) return `${name}(*)`;
  const args = ((f['args'] as Node[] | undefined) ?? []).map((a, i, all) =>
    `${variadic && i === all.length - 1 ? 'VARIADIC ' : ''}${expr(a, depth + 1)}`);
  return `${name}(${f['agg_distinct'] === true ? 'DISTINCT ' : ''}${args.join(', ')})`;
}

function subLink(f: NodeFields, depth: number): string {
  const select = select_(f['subselect'] as Node, depth + 1);
  const type = f['subLinkType'] as string;
  switch (type) {
    case 'EXISTS_SUBLINK':
      return `EXISTS (${select})`;
    case 'EXPR_SUBLINK':
      return `(${select})`;
    case 'ARRAY_SUBLINK':
      return `ARRAY(${select})`;
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK': {
      // Without an operator name the grammar's form was `x IN (SELECT …)`.
      if (f['operName'] === undefined) return `(${expr(f['testexpr'] as Node, depth + 1)} IN (${select}))`;
      const op = operatorName(f['operName'] as Node[]).text;
      const word = type === 'ANY_SUBLINK' ? 'ANY' : 'ALL';
      return `(${expr(f['testexpr'] as Node, depth + 1)} ${op} ${word} (${select}))`;
    }
    default:
      return unsupported(`sub-selects of kind ${type}`);
  }
}

function fromItem(node: Node, depth: number): string {
  const tag = nodeTag(node);
  const f = nodeFields(node);
  if (tag === 'RangeVar') {
    let text = f['inh'] === true ? '' : 'ONLY ';
    if (f['catalogname'] !== undefined) text += `${quoteIdent(String(f['catalogname']))}.`;
    if (f['schemaname'] !== undefined) text += `${quoteIdent(String(f['schemaname']))}.`;
    text += quoteIdent(String(f['relname']));
    const alias = f['alias'] as { aliasname?: string; colnames?: Node[] } | undefined;
    if (alias?.aliasname !== undefined) {
      text += ` ${quoteIdent(alias.aliasname)}`;
      if (alias.colnames !== undefined) text += `(${alias.colnames.map((c) => quoteIdent(stringValue(c))).join(', ')})`;
    }
    return text;
  }
  if (tag === 'JoinExpr') {
    const kinds: Record<string, string> = { JOIN_INNER: 'JOIN', JOIN_LEFT: 'LEFT JOIN', JOIN_RIGHT: 'RIGHT JOIN', JOIN_FULL: 'FULL JOIN' };
    const word = kinds[String(f['jointype'] ?? 'JOIN_INNER')];
    if (word === undefined || f['usingClause'] !== undefined || f['isNatural'] === true || f['alias'] !== undefined) {
      unsupported('this form of JOIN');
    }
    const quals = f['quals'] as Node | undefined;
    const on = quals === undefined ? '' : ` ON ${expr(quals, depth + 1)}`;
    const joinWord = quals === undefined && word === 'JOIN' ? 'CROSS JOIN' : word;
    return `(${fromItem(f['larg'] as Node, depth + 1)} ${joinWord} ${fromItem(f['rarg'] as Node, depth + 1)}${on})`;
  }
  return unsupported(`${tag} in FROM`);
}

function select_(node: Node, depth: number): string {
  guard(depth);
  if (nodeTag(node) !== 'SelectStmt') unsupported(`${nodeTag(node)} as a sub-select`);
  const f = nodeFields(node);
  const handled = new Set(['targetList', 'fromClause', 'whereClause', 'groupClause', 'havingClause', 'limitCount', 'limitOption', 'op', 'distinctClause']);
  for (const key of Object.keys(f)) if (!handled.has(key) && f[key] !== undefined) unsupported(`SELECT with ${key}`);
  if (f['op'] !== undefined && f['op'] !== 'SETOP_NONE') unsupported('set operations');
  let text = 'SELECT ';
  const distinct = f['distinctClause'] as Node[] | undefined;
  if (distinct !== undefined) {
    if (distinct.length !== 1 || Object.keys(distinct[0] as object).length !== 0) unsupported('DISTINCT ON');
    text += 'DISTINCT ';
  }
  text += ((f['targetList'] as Node[] | undefined) ?? []).map((t) => {
    const rt = nodeFields(t);
    const value = expr(rt['val'] as Node, depth + 1);
    return rt['name'] === undefined ? value : `${value} AS ${quoteIdent(String(rt['name']))}`;
  }).join(', ');
  const from = f['fromClause'] as Node[] | undefined;
  if (from !== undefined) text += ` FROM ${from.map((n) => fromItem(n, depth + 1)).join(', ')}`;
  if (f['whereClause'] !== undefined) text += ` WHERE ${expr(f['whereClause'] as Node, depth + 1)}`;
  if (f['groupClause'] !== undefined) text += ` GROUP BY ${list(f['groupClause'], depth)}`;
  if (f['havingClause'] !== undefined) text += ` HAVING ${expr(f['havingClause'] as Node, depth + 1)}`;
  if (f['limitCount'] !== undefined) text += ` LIMIT ${expr(f['limitCount'] as Node, depth + 1)}`;
  return text;
}

function expr(node: Node, depth: number): string {
  guard(depth);
  const tag = nodeTag(node);
  const f = nodeFields(node);
  switch (tag) {
    case 'A_Const':
      return constant(f);
    case 'ColumnRef':
      return columnRef(f);
    case 'ParamRef':
      return `$${Number(f['number'] ?? 0)}`;
    case 'A_Expr':
      return aExpr(f, depth);
    case 'BoolExpr': {
      const args = (f['args'] as Node[] | undefined) ?? [];
      if (f['boolop'] === 'NOT_EXPR') return `(NOT ${expr(args[0]!, depth + 1)})`;
      const word = f['boolop'] === 'AND_EXPR' ? ' AND ' : ' OR ';
      return `(${args.map((a) => expr(a, depth + 1)).join(word)})`;
    }
    case 'NullTest':
      return `(${expr(f['arg'] as Node, depth + 1)} ${f['nulltesttype'] === 'IS_NOT_NULL' ? 'IS NOT NULL' : 'IS NULL'})`;
    case 'BooleanTest': {
      const words: Record<string, string> = {
        IS_TRUE: 'IS TRUE', IS_NOT_TRUE: 'IS NOT TRUE', IS_FALSE: 'IS FALSE',
        IS_NOT_FALSE: 'IS NOT FALSE', IS_UNKNOWN: 'IS UNKNOWN', IS_NOT_UNKNOWN: 'IS NOT UNKNOWN',
      };
      return `(${expr(f['arg'] as Node, depth + 1)} ${words[String(f['booltesttype'])] ?? unsupported('this boolean test')})`;
    }
    case 'SQLValueFunction': {
      const text = SVF[String(f['op'])];
      if (text === undefined) unsupported(`the SQL value function ${String(f['op'])}`);
      return text;
    }
    case 'TypeCast':
      return `CAST(${expr(f['arg'] as Node, depth + 1)} AS ${typeName(f['typeName'] as NodeFields, depth)})`;
    case 'CollateClause':
      return `(${expr(f['arg'] as Node, depth + 1)} COLLATE ${qualifiedName(f['collname'] as Node[])})`;
    case 'FuncCall':
      return funcCall(f, depth);
    case 'SubLink':
      return subLink(f, depth);
    case 'CaseExpr': {
      let text = 'CASE';
      if (f['arg'] !== undefined) text += ` ${expr(f['arg'] as Node, depth + 1)}`;
      for (const when of (f['args'] as Node[] | undefined) ?? []) {
        const w = nodeFields(when);
        text += ` WHEN ${expr(w['expr'] as Node, depth + 1)} THEN ${expr(w['result'] as Node, depth + 1)}`;
      }
      if (f['defresult'] !== undefined) text += ` ELSE ${expr(f['defresult'] as Node, depth + 1)}`;
      return `${text} END`;
    }
    case 'CoalesceExpr':
      return `COALESCE(${list(f['args'], depth)})`;
    case 'MinMaxExpr':
      return `${f['op'] === 'IS_GREATEST' ? 'GREATEST' : 'LEAST'}(${list(f['args'], depth)})`;
    case 'A_ArrayExpr':
      return `ARRAY[${list(f['elements'], depth)}]`;
    case 'RowExpr': {
      const args = list(f['args'], depth);
      return f['row_format'] === 'COERCE_IMPLICIT_CAST' ? `(${args})` : `ROW(${args})`;
    }
    case 'A_Indirection': {
      let text = `(${expr(f['arg'] as Node, depth + 1)})`;
      for (const item of (f['indirection'] as Node[] | undefined) ?? []) {
        const itemTag = nodeTag(item);
        const it = nodeFields(item);
        if (itemTag === 'String') text += `.${quoteIdent(String(it['sval']))}`;
        else if (itemTag === 'A_Star') text += '.*';
        else if (itemTag === 'A_Indices' && it['is_slice'] !== true) text += `[${expr(it['uidx'] as Node, depth + 1)}]`;
        else unsupported('array slices');
      }
      return text;
    }
    default:
      return unsupported(`expressions of kind ${tag}`);
  }
}
