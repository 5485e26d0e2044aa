// pg_ident.conf: user name maps (MAPNAME SYSTEM-USERNAME DATABASE-USERNAME) with regular
// expressions, `\1` substitution, `all` and `+role`, and the check an authentication method
// with `map=` (or without it) applies. Entry points: loadIdent, checkUsermap, identFileMappings.

import { tokenizeAuthFile, describeFsError, type AuthToken, type ConfigLogMessage, type ConfigReader, type TokenizedLine } from './config-file.ts';
import { configFileUnreadable, regexReason, type HbaError } from './hba.ts';
import type { RoleMembershipOracle } from './hba-match.ts';

/** One pg_ident.conf mapping. */
export interface IdentLine {
  readonly file: string;
  readonly lineNumber: number;
  readonly mapName: string;
  readonly systemUser: AuthToken;
  readonly pgUser: AuthToken;
  readonly systemRegex?: RegExp;
  readonly pgRegex?: RegExp;
}

/** Outcome of parsing one line. */
export interface IdentLineResult {
  readonly source: TokenizedLine;
  readonly line: IdentLine | null;
  readonly error: string | null;
}

function compile(text: string): RegExp | string {
  try {
    return new RegExp(text.slice(1));
  } catch (err) {
    return `invalid regular expression "${text.slice(1)}": ${regexReason(err)}`;
  }
}

/** Parses one tokenized pg_ident.conf line. Fields beyond the third are ignored, as in PostgreSQL. */
export function parseIdentLine(tok: TokenizedLine): IdentLineResult {
  if (tok.error !== null) return { source: tok, line: null, error: tok.error };
  const fail = (error: string): IdentLineResult => ({ source: tok, line: null, error });
  const fields = tok.fields;
  const single = (i: number): AuthToken | string => {
    const f = fields[i];
    if (!f) return 'missing entry at end of line';
    if (f.length > 1) return 'multiple values in ident field';
    return f[0]!;
  };
  const map = single(0);
  if (typeof map === 'string') return fail(map);
  const sys = single(1);
  if (typeof sys === 'string') return fail(sys);
  const pg = single(2);
  if (typeof pg === 'string') return fail(pg);
  let systemRegex: RegExp | undefined;
  let pgRegex: RegExp | undefined;
  if (sys.text.startsWith('/')) {
    const r = compile(sys.text);
    if (typeof r === 'string') return fail(r);
    systemRegex = r;
  }
  if (pg.text.startsWith('/')) {
    const r = compile(pg.text);
    if (typeof r === 'string') return fail(r);
    pgRegex = r;
  }
  return {
    source: tok, error: null,
    line: { file: tok.file, lineNumber: tok.lineNumber, mapName: map.text, systemUser: sys, pgUser: pg, ...(systemRegex ? { systemRegex } : {}), ...(pgRegex ? { pgRegex } : {}) },
  };
}

/** A row of pg_ident_file_mappings (PostgreSQL 15's columns, plus the file). */
export interface IdentFileMappingRow {
  line_number: number;
  file_name: string;
  map_name: string | null;
  sys_name: string | null;
  pg_username: string | null;
  error: string | null;
}

/** Builds the pg_ident_file_mappings row for a parsed line. */
export function identFileMappingRow(r: IdentLineResult): IdentFileMappingRow {
  return {
    line_number: r.source.lineNumber, file_name: r.source.file,
    map_name: r.line?.mapName ?? null, sys_name: r.line?.systemUser.text ?? null, pg_username: r.line?.pgUser.text ?? null,
    error: r.error,
  };
}

/** The rows of pg_ident_file_mappings for a file. */
export async function identFileMappings(reader: ConfigReader, path: string): Promise<IdentFileMappingRow[]> {
  let lines: TokenizedLine[];
  try {
    lines = await tokenizeAuthFile(reader, path);
  } catch (err) {
    throw configFileUnreadable(path, err);
  }
  return lines.map(parseIdentLine).map(identFileMappingRow);
}

/** Outcome of loading pg_ident.conf: all mappings, or the errors (the caller keeps its previous maps). */
export type IdentLoadResult =
  | { readonly ok: true; readonly lines: readonly IdentLine[] }
  | { readonly ok: false; readonly errors: readonly HbaError[] };

/** Reads and parses pg_ident.conf; an empty file is valid (no maps). */
export async function loadIdent(reader: ConfigReader, path: string, options: { log?: (m: ConfigLogMessage) => void } = {}): Promise<IdentLoadResult> {
  let tokenized: TokenizedLine[];
  try {
    tokenized = await tokenizeAuthFile(reader, path, options.log ? { log: options.log } : {});
  } catch (err) {
    return { ok: false, errors: [{ file: path, lineNumber: 0, message: `could not open usermap file "${path}": ${describeFsError(err)}` }] };
  }
  const errors: HbaError[] = [];
  const lines: IdentLine[] = [];
  for (const r of tokenized.map(parseIdentLine)) {
    if (r.line) lines.push(r.line);
    else errors.push({ file: r.source.file, lineNumber: r.source.lineNumber, message: r.error ?? 'invalid line' });
  }
  for (const e of errors) options.log?.({ message: e.message, file: e.file, lineNumber: e.lineNumber });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines };
}

/** Result of a user-name map check; `logMessage` is for the server log only. */
export interface UsermapResult {
  readonly ok: boolean;
  readonly logMessage?: string;
}

const eq = (a: string, b: string, ci: boolean) => (ci ? a.toLowerCase() === b.toLowerCase() : a === b);

/**
 * May the authenticated `systemUser` connect as `pgUser` (A12–A14)? Without a map name the
 * two must be equal. Lines of the map are tried in order; the first match allows.
 */
export function checkUsermap(
  lines: readonly IdentLine[], mapName: string | undefined, pgUser: string, systemUser: string,
  roles: RoleMembershipOracle, caseInsensitive = false,
): UsermapResult {
  if (mapName === undefined || mapName === '') {
    if (eq(pgUser, systemUser, caseInsensitive)) return { ok: true };
    return { ok: false, logMessage: `provided user name (${pgUser}) and authenticated user name (${systemUser}) do not match` };
  }
  for (const line of lines) {
    if (line.mapName !== mapName) continue;
    let expected = line.pgUser.text;
    if (line.systemRegex) {
      const m = line.systemRegex.exec(systemUser);
      if (!m) continue;
      const ofs = expected.indexOf('\\1');
      if (!line.pgRegex && ofs >= 0) {
        if (m.length < 2) {
          return { ok: false, logMessage: `regular expression "${line.systemUser.text.slice(1)}" has no subexpressions as requested by backreference in "${line.pgUser.text}"` };
        }
        // PostgreSQL 15 substitutes the first "\1" only.
        expected = expected.slice(0, ofs) + (m[1] ?? '') + expected.slice(ofs + 2);
      }
    } else if (!eq(line.systemUser.text, systemUser, caseInsensitive)) {
      continue;
    }
    if (!line.pgUser.quoted && expected === 'all') return { ok: true };
    if (!line.pgUser.quoted && expected.startsWith('+')) {
      if (roles.isMemberOf(pgUser, expected.slice(1))) return { ok: true };
      continue;
    }
    if (line.pgRegex) {
      if (line.pgRegex.test(pgUser)) return { ok: true };
      continue;
    }
    if (eq(expected, pgUser, caseInsensitive)) return { ok: true };
  }
  return { ok: false, logMessage: `no match in usermap "${mapName}" for user "${pgUser}" authenticated as "${systemUser}"` };
}
