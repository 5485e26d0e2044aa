// Parse trees: the libpg-query node shapes this package reads and builds, plus the few helpers
// it needs on them (parse an expression, deep-copy, structural equality without locations,
// AND/OR/false builders, a bounded walk). Entry points: ensureParser, parseExpression.

import { assert, PgError, SqlState } from '@palisade/common';
import { loadModule, parseSync, type Node } from 'libpg-query';

export type { Node };

/** An untyped view of one node's fields, used where the union type gets in the way. */
export type NodeFields = Record<string, unknown>;

/** The deepest nesting a policy expression may have; deeper trees are refused, not walked. */
export const NODE_DEPTH_MAX = 1000;

let parserReady: Promise<void> | undefined;
let parserLoaded = false;

/**
 * Loads the WebAssembly PostgreSQL parser once. Every function that parses SQL text
 * ({@link parseExpression}, the DDL helpers given text) needs this to have resolved first.
 */
export function ensureParser(): Promise<void> {
  parserReady ??= loadModule().then(() => {
    parserLoaded = true;
  });
  return parserReady;
}

function parseRequireReady(sql: string): unknown {
  assert(parserLoaded, 'the SQL parser is not loaded: await ensureParser() first');
  try {
    return parseSync(sql);
  } catch (e) {
    // libpg-query's SqlError carries PostgreSQL's message and the 1-based cursor position.
    const details = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (e instanceof Error ? e.message : String(e));
    throw new PgError(SqlState.SYNTAX_ERROR, message, {
      ...(details?.cursorPosition === undefined ? {} : { position: details.cursorPosition + 1 }),
      cause: e,
    });
  }
}

/** Parses one SQL statement and returns its statement node (e.g. `{ CreatePolicyStmt: … }`); 42601 otherwise. */
export function parseStatement(sql: string): Node {
  const result = parseRequireReady(sql) as { stmts?: Array<{ stmt?: Node }> };
  const stmts = result.stmts ?? [];
  if (stmts.length !== 1 || stmts[0]?.stmt === undefined) {
    throw new PgError(SqlState.SYNTAX_ERROR, `expected exactly one SQL statement, got ${stmts.length}`);
  }
  return stmts[0].stmt;
}

/**
 * Parses a scalar SQL expression, such as a policy's USING text, into its raw parse tree.
 * Text that is not exactly one expression (`a) FROM t WHERE (b`, `1); DROP …`) is 42601.
 */
export function parseExpression(sql: string): Node {
  const notOne = (): PgError => new PgError(SqlState.SYNTAX_ERROR, `not a single SQL expression: ${sql}`);
  const result = parseRequireReady(`SELECT (${sql})`) as { stmts?: Array<{ stmt?: Node }> };
  const stmt = result.stmts?.length === 1 ? result.stmts[0]?.stmt : undefined;
  const select = (stmt as { SelectStmt?: Record<string, unknown> } | undefined)?.SelectStmt;
  if (select === undefined) throw notOne();
  for (const key of Object.keys(select)) {
    if (key !== 'targetList' && key !== 'limitOption' && key !== 'op') throw notOne();
  }
  const targets = (select['targetList'] as Array<{ ResTarget?: { val?: Node; name?: string } }> | undefined) ?? [];
  const value = targets[0]?.ResTarget?.val;
  if (targets.length !== 1 || value === undefined || targets[0]?.ResTarget?.name !== undefined) throw notOne();
  return value;
}

/** The tag of a node: its single key, e.g. `'A_Expr'`. */
export function nodeTag(node: Node): string {
  const keys = Object.keys(node);
  assert(keys.length === 1, () => `a node has exactly one tag, got ${keys.join(',')}`);
  return keys[0]!;
}

/** The fields under a node's tag. */
export function nodeFields(node: Node): NodeFields {
  return (node as unknown as Record<string, NodeFields>)[nodeTag(node)]!;
}

/** Makes a node from a tag and its fields. */
export function makeNode(tag: string, fields: NodeFields): Node {
  return { [tag]: fields } as unknown as Node;
}

/** Deep copy of a parse tree, so that no two queries share (and mutate) one policy's nodes. */
export function cloneNode<T>(node: T): T {
  return cloneValue(node, 0) as T;
}

// Parse trees are plain JSON (objects, arrays, strings, numbers, booleans), so a direct copy is
// several times faster than structuredClone.
function cloneValue(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  assert(depth <= NODE_DEPTH_MAX, 'parse tree nested too deeply');
  if (Array.isArray(value)) return value.map((item) => cloneValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = cloneValue((value as Record<string, unknown>)[key], depth + 1);
  return copy;
}

const signatures = new WeakMap<object, string>();

/**
 * A string that is equal for two trees exactly when {@link nodesEqual} holds (keys sorted,
 * location fields left out). Cached per tree object: policy trees are signed once, not per query.
 */
export function nodeSignature(node: Node): string {
  const cached = signatures.get(node);
  if (cached !== undefined) return cached;
  const signature = signValue(node, 0);
  signatures.set(node, signature);
  return signature;
}

function signValue(value: unknown, depth: number): string {
  assert(depth <= NODE_DEPTH_MAX, 'parse tree nested too deeply');
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => signValue(item, depth + 1)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => !LOCATION_FIELDS.has(k) && record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${signValue(record[k], depth + 1)}`).join(',')}}`;
}

/** The signature {@link orExpr} of trees with these signatures would have, without building it. */
export function orSignature(argSignatures: readonly string[]): string {
  assert(argSignatures.length > 0, 'OR of nothing');
  if (argSignatures.length === 1) return argSignatures[0]!;
  return `{"BoolExpr":{"args":[${argSignatures.join(',')}],"boolop":"OR_EXPR"}}`;
}

/** Fields that record where text was in the query, which equal() does not compare. */
const LOCATION_FIELDS = new Set(['location', 'rexpr_list_start', 'rexpr_list_end', 'list_start', 'list_end', 'stmt_location', 'stmt_len']);

/**
 * Structural equality that ignores `location` fields, as PostgreSQL's equal() does; used to
 * append a qual only once (list_append_unique).
 */
export function nodesEqual(a: unknown, b: unknown, depth = 0): boolean {
  assert(depth <= NODE_DEPTH_MAX, 'parse tree nested too deeply');
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!nodesEqual(a[i], bb[i], depth + 1)) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keysA = Object.keys(ra).filter((k) => !LOCATION_FIELDS.has(k) && ra[k] !== undefined);
  const keysB = Object.keys(rb).filter((k) => !LOCATION_FIELDS.has(k) && rb[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(rb, key)) return false;
    if (!nodesEqual(ra[key], rb[key], depth + 1)) return false;
  }
  return true;
}

/** The constant `false`: PostgreSQL's default-deny qual. */
export function falseConst(): Node {
  return makeNode('A_Const', { boolval: {} });
}

/** `args[0] OR args[1] OR …`; a single argument is returned as is. */
export function orExpr(args: Node[]): Node {
  assert(args.length > 0, 'OR of nothing');
  if (args.length === 1) return args[0]!;
  return makeNode('BoolExpr', { boolop: 'OR_EXPR', args });
}

/** `args[0] AND args[1] AND …`; a single argument is returned as is. */
export function andExpr(args: Node[]): Node {
  assert(args.length > 0, 'AND of nothing');
  if (args.length === 1) return args[0]!;
  return makeNode('BoolExpr', { boolop: 'AND_EXPR', args });
}

/**
 * Calls `visit` on every node of the tree (pre-order). `visit` returning false skips that
 * node's children. Throws an assertion for trees deeper than {@link NODE_DEPTH_MAX}.
 */
export function walkNodes(root: unknown, visit: (tag: string, fields: NodeFields) => boolean | void): void {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    assert(depth <= NODE_DEPTH_MAX, 'parse tree nested too deeply');
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: depth + 1 });
      continue;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    // A node is an object with one key whose name starts with an upper-case letter.
    if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) {
      const tag = keys[0]!;
      const fields = record[tag];
      if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
        if (visit(tag, fields as NodeFields) === false) continue;
        stack.push({ value: fields, depth: depth + 1 });
        continue;
      }
    }
    for (const key of keys.reverse()) stack.push({ value: record[key], depth: depth + 1 });
  }
}

const subLinkFlags = new WeakMap<object, boolean>();

/** True if the expression contains a sub-select (PostgreSQL's checkExprHasSubLink). Cached per tree. */
export function hasSubLink(node: Node | undefined): boolean {
  if (node === undefined) return false;
  const cached = subLinkFlags.get(node);
  if (cached !== undefined) return cached;
  let found = false;
  walkNodes(node, (tag) => {
    if (tag === 'SubLink') found = true;
    return !found;
  });
  subLinkFlags.set(node, found);
  return found;
}
