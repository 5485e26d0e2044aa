// Passwords never reach a log line (a Palisade rule beyond PostgreSQL, which logs
// `ALTER ROLE … PASSWORD '…'` verbatim under log_statement = 'ddl'). Statement text is scanned
// with PostgreSQL's own lexer, and the string constant after every PASSWORD keyword is replaced.

import { loadModule, scanSync } from 'libpg-query';

let lexerLoaded = false;

/** Loads PostgreSQL's lexer (WebAssembly); call once before {@link redactPasswords}. */
export async function prepareRedaction(): Promise<void> {
  await loadModule();
  lexerLoaded = true;
}

/** What a redacted password is replaced with. */
export const REDACTED = "'********'";

/**
 * LOG1: returns `sql` with every string constant that follows the keyword PASSWORD replaced by
 * `'********'`. Text the lexer cannot scan (an unterminated quote, say, or any text before
 * {@link prepareRedaction} has run) is cut after the first PASSWORD, so a malformed statement cannot smuggle a password into the log either.
 */
export function redactPasswords(sql: string): string {
  if (!/password/i.test(sql)) return sql;
  let tokens: Array<{ start: number; end: number; text: string; tokenName: string; keywordKind: number }>;
  try {
    if (!lexerLoaded) throw new Error('lexer not loaded');
    tokens = scanSync(sql).tokens;
  } catch {
    const at = sql.search(/password/i);
    return `${sql.slice(0, at + 'password'.length)} ${REDACTED}`;
  }
  let out = '';
  let copied = 0;
  for (let i = 1; i < tokens.length; i++) {
    const prev = tokens[i - 1]!;
    const tok = tokens[i]!;
    if (tok.tokenName === 'SCONST' && prev.keywordKind !== 0 && prev.text.toLowerCase() === 'password') {
      out += sql.slice(copied, tok.start) + REDACTED;
      copied = tok.end;
    }
  }
  return out + sql.slice(copied);
}
