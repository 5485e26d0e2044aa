// Splitting a SQL file into statements at top-level semicolons, the way PostgreSQL's lexer sees
// quotes and comments (DT2). Entry point: splitSql().

/** A `--` comment that precedes a statement (or ends the file), where directives live. */
export interface LeadingComment {
  /** The comment text without the leading `--`, trimmed. */
  readonly text: string;
  /** 1-based line number. */
  readonly line: number;
  /** True when only whitespace precedes the comment on its line (directives must be on their own line). */
  readonly ownLine: boolean;
}

/** One top-level statement, without its terminating semicolon. */
export interface SplitStatement {
  /** The statement text from its first token to the character before `;` (or end of file), trimmed at the end. */
  readonly sql: string;
  /** 1-based line of the statement's first token. */
  readonly line: number;
  /** `--` comments on their own lines between the previous statement and this one, in order. */
  readonly leadingComments: readonly LeadingComment[];
}

/** The result of splitting a file: statements, and the comment lines after the last one. */
export interface SplitResult {
  readonly statements: SplitStatement[];
  readonly trailingComments: LeadingComment[];
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** An unterminated quote or comment: the file cannot be split. */
export class SplitError extends Error {
  override readonly name = 'SplitError';
  constructor(message: string, readonly line: number) {
    super(`${message} (starting at line ${line})`);
  }
}

/**
 * Splits SQL text into statements at semicolons outside of: single-quoted strings (with `''`
 * and, in `E'…'` strings, backslash escapes), double-quoted identifiers, dollar-quoted strings
 * (`$$…$$`, `$tag$…$tag$`), `--` line comments and nested `/* … *\/` block comments.
 * Empty statements (only whitespace and comments) are dropped; their comment lines carry over
 * to the next statement.
 */
export function splitSql(text: string): SplitResult {
  const statements: SplitStatement[] = [];
  let comments: LeadingComment[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  // Current statement: start offset of its first token, or -1 while only whitespace/comments.
  let start = -1;
  let startLine = 0;

  const advance = (to: number): void => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const begin = (): void => {
    if (start < 0) {
      start = i;
      startLine = line;
    }
  };
  const finish = (end: number): void => {
    if (start >= 0) {
      statements.push({ sql: text.slice(start, end).trimEnd(), line: startLine, leadingComments: comments });
      comments = [];
    }
    start = -1;
  };

  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      if (start < 0) {
        const lineStart = text.lastIndexOf('\n', i - 1) + 1;
        const ownLine = text.slice(lineStart, i).trim() === '';
        comments.push({ text: text.slice(i + 2, end).trim(), line, ownLine });
      }
      advance(end);
      continue;
    }
    if (c === '/' && next === '*') {
      const commentLine = line;
      let depth = 0;
      let k = i;
      while (k < n) {
        if (text[k] === '/' && text[k + 1] === '*') {
          depth++;
          k += 2;
        } else if (text[k] === '*' && text[k + 1] === '/') {
          depth--;
          k += 2;
          if (depth === 0) break;
        } else k++;
      }
      if (depth !== 0) throw new SplitError('unterminated /* comment', commentLine);
      advance(k);
      continue;
    }
    if (c === ';') {
      finish(i);
      advance(i + 1);
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      advance(i + 1);
      continue;
    }
    begin();
    if (c === "'") {
      // E'…' (or e'…'): backslash escapes, unless the E is the end of a longer identifier.
      const prev = text[i - 1];
      const escapes = (prev === 'E' || prev === 'e') && !(i >= 2 && IDENT_CHAR.test(text[i - 2]!));
      advance(skipQuoted(text, i, "'", escapes, line));
      continue;
    }
    if (c === '"') {
      advance(skipQuoted(text, i, '"', false, line));
      continue;
    }
    if (c === '$' && !(i > 0 && IDENT_CHAR.test(text[i - 1]!))) {
      const tag = DOLLAR_TAG.exec(text.slice(i, i + 256))?.[0];
      if (tag !== undefined) {
        const close = text.indexOf(tag, i + tag.length);
        if (close < 0) throw new SplitError(`unterminated dollar-quoted string ${tag}`, line);
        advance(close + tag.length);
        continue;
      }
    }
    if (IDENT_CHAR.test(c)) {
      // A whole identifier or number at once, so that `$` inside an identifier (a$b$) is not a quote.
      let k = i + 1;
      while (k < n && IDENT_CHAR.test(text[k]!)) k++;
      advance(k);
      continue;
    }
    advance(i + 1);
  }
  finish(n);
  return { statements, trailingComments: comments };
}

/** Returns the offset just past the closing quote of the quoted token that starts at `from`. */
function skipQuoted(text: string, from: number, quote: string, backslashEscapes: boolean, line: number): number {
  let k = from + 1;
  const n = text.length;
  while (k < n) {
    const ch = text[k];
    if (backslashEscapes && ch === '\\') {
      k += 2;
      continue;
    }
    if (ch === quote) {
      if (text[k + 1] === quote) {
        k += 2;
        continue;
      }
      return k + 1;
    }
    k++;
  }
  throw new SplitError(quote === "'" ? 'unterminated quoted string' : 'unterminated quoted identifier', line);
}
