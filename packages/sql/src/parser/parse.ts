// The parser front end: PostgreSQL's own grammar through libpg-query. Entry points:
// loadParser() (once, before anything is parsed) and parseStatements().

import { PgError, SqlState } from '@palisade/common';
import * as pgQuery from 'libpg-query';

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the parser's WebAssembly module; idempotent. */
export function loadParser(): Promise<void> {
  loaded ??= pgQuery.loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

/** One statement of a query string: its parse tree and where it is in the string (bytes). */
export interface RawStatement {
  stmt: Record<string, any>;
  /** Byte offset of the statement in the query. */
  location: number;
  /** Byte length, 0 meaning "to the end". */
  length: number;
}

/** Parses a query string; syntax errors are 42601 with PostgreSQL's message and cursor position. */
export function parseStatements(sql: string): RawStatement[] {
  if (!ready) throw new Error('loadParser() must complete before parsing');
  let tree: { stmts?: Array<{ stmt: Record<string, any>; stmt_location?: number; stmt_len?: number }> };
  try {
    tree = pgQuery.parseSync(sql) as typeof tree;
  } catch (e) {
    const details = (e as { sqlDetails?: { message: string; cursorPosition?: number } }).sqlDetails;
    const message = details?.message ?? (e as Error).message;
    const position = details?.cursorPosition;
    // libpg-query's cursor is 0-based; PostgreSQL reports 1-based positions.
    throw new PgError(SqlState.SYNTAX_ERROR, message, position !== undefined && position >= 0 ? { position: position + 1 } : {});
  }
  return (tree.stmts ?? []).map((s) => ({ stmt: s.stmt, location: s.stmt_location ?? 0, length: s.stmt_len ?? 0 }));
}
