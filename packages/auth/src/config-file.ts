// Reading pg_hba.conf / pg_ident.conf into tokenized lines: backslash continuation, blanks and
// commas, `#` comments, double quotes (`""` is a quote), `@file` name lists, and the
// `include` / `include_if_exists` / `include_dir` directives. All file access goes through an
// injected reader. Entry point: tokenizeAuthFile.

import { dirname, isAbsolute, join, normalize } from 'node:path/posix';

/** The part of @palisade/common's FileSystem that configuration reading needs. */
export interface ConfigReader {
  readFile(path: string): Promise<Uint8Array>;
  /** Names in a directory, sorted. */
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

/** One token of a field. `quoted` is true if the token began with a double quote (keywords then lose their meaning). */
export interface AuthToken {
  readonly text: string;
  readonly quoted: boolean;
}

/** A non-empty line of a configuration file. */
export interface TokenizedLine {
  /** The file the line came from (an included file for lines read through `include`). */
  readonly file: string;
  /** 1-based number of the line's first physical line. */
  readonly lineNumber: number;
  /** The line as read, continuations joined. */
  readonly rawLine: string;
  /** Fields, each a non-empty list of tokens (a comma list or an expanded `@file`). */
  readonly fields: AuthToken[][];
  /** Set if the line could not be tokenized; then `fields` may be incomplete. */
  readonly error: string | null;
}

/** A message for the server log, with the configuration line it concerns. */
export interface ConfigLogMessage {
  readonly message: string;
  readonly file?: string;
  readonly lineNumber?: number;
}

/** Limits; PostgreSQL's values where it has one. */
export const CONFIG_TOKEN_LENGTH_MAX = 10238;
export const CONFIG_NESTING_DEPTH_MAX = 10;
export const CONFIG_FILE_SIZE_MAX_BYTES = 16 * 1024 * 1024;
export const CONFIG_LINES_MAX = 100_000;

interface TokenizeState {
  readonly reader: ConfigReader;
  readonly log: (m: ConfigLogMessage) => void;
  readonly expandIncludes: boolean;
  lineCount: number;
}

/** Text of a file-system error as strerror() words it. */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT': return 'No such file or directory';
    case 'EACCES': return 'Permission denied';
    case 'EISDIR': return 'Is a directory';
    case 'ENOTDIR': return 'Not a directory';
    case 'EIO': return 'Input/output error';
    case 'ELOOP': return 'Too many levels of symbolic links';
    default: return code ?? (err instanceof Error ? err.message : String(err));
  }
}

/** Resolves `name` relative to the directory of `outer` unless absolute, and canonicalizes it. */
export function resolveIncludePath(outer: string, name: string): string {
  const full = isAbsolute(name) ? name : join(dirname(outer), name);
  const canonical = normalize(full);
  return canonical.length > 1 && canonical.endsWith('/') ? canonical.slice(0, -1) : canonical;
}

/**
 * Reads and tokenizes a configuration file. Throws the reader's error if the file itself
 * cannot be read; problems inside the file are reported on the lines (`error`) or logged.
 * With `expandIncludes` the include directives are replaced by the lines they name.
 */
export async function tokenizeAuthFile(
  reader: ConfigReader,
  path: string,
  options: { expandIncludes?: boolean; log?: (m: ConfigLogMessage) => void } = {},
): Promise<TokenizedLine[]> {
  const state: TokenizeState = { reader, log: options.log ?? (() => {}), expandIncludes: options.expandIncludes ?? true, lineCount: 0 };
  const bytes = await reader.readFile(path);
  return tokenizeContent(state, path, bytes, 0);
}

async function readChecked(state: TokenizeState, path: string): Promise<Uint8Array> {
  const bytes = await state.reader.readFile(path);
  if (bytes.length > CONFIG_FILE_SIZE_MAX_BYTES) {
    throw Object.assign(new Error(`file too large`), { code: 'EFBIG' });
  }
  return bytes;
}

async function tokenizeContent(state: TokenizeState, file: string, bytes: Uint8Array, depth: number): Promise<TokenizedLine[]> {
  const text = new TextDecoder('utf-8').decode(bytes);
  const physical = text.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const out: TokenizedLine[] = [];
  let index = 0;
  while (index < physical.length) {
    const lineNumber = index + 1;
    let raw = '';
    // Backslash continuation is handled before tokenization: the backslash must be the last character.
    for (;;) {
      const piece = stripCrlf(physical[index] ?? '');
      index++;
      if (piece.endsWith('\\')) {
        raw += piece.slice(0, -1);
        if (index < physical.length) continue;
        break;
      }
      raw += piece;
      break;
    }
    state.lineCount++;
    if (state.lineCount > CONFIG_LINES_MAX) {
      out.push({ file, lineNumber, rawLine: raw, fields: [], error: 'too many lines in authentication files' });
      break;
    }
    const { fields, error } = await tokenizeLine(state, file, raw, depth);
    if (fields.length === 0 && error === null) continue;
    if (state.expandIncludes && error === null) {
      const directive = includeDirective(fields);
      if (directive) {
        out.push(...(await expandInclude(state, file, lineNumber, raw, directive.kind, directive.target, depth)));
        continue;
      }
    }
    out.push({ file, lineNumber, rawLine: raw, fields, error });
  }
  return out;
}

function stripCrlf(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return s.slice(0, end);
}

function includeDirective(fields: AuthToken[][]): { kind: 'include' | 'include_if_exists' | 'include_dir'; target: string } | null {
  if (fields.length !== 2 || fields[0]!.length !== 1 || fields[1]!.length !== 1) return null;
  const head = fields[0]![0]!;
  if (head.text !== 'include' && head.text !== 'include_if_exists' && head.text !== 'include_dir') return null;
  return { kind: head.text, target: fields[1]![0]!.text };
}

async function expandInclude(
  state: TokenizeState, file: string, lineNumber: number, rawLine: string,
  kind: 'include' | 'include_if_exists' | 'include_dir', target: string, depth: number,
): Promise<TokenizedLine[]> {
  const full = resolveIncludePath(file, target);
  const fail = (error: string): TokenizedLine[] => {
    state.log({ message: error, file, lineNumber });
    return [{ file, lineNumber, rawLine, fields: [], error }];
  };
  if (depth + 1 > CONFIG_NESTING_DEPTH_MAX) return fail(`could not open file "${full}": maximum nesting depth exceeded`);
  if (kind === 'include_dir') {
    let names: string[];
    try {
      names = await state.reader.readdir(full);
    } catch (err) {
      return fail(`could not open directory "${full}": ${describeFsError(err)}`);
    }
    const confs = names.filter((n) => n.length >= 6 && !n.startsWith('.') && n.endsWith('.conf')).sort(compareBytes);
    const out: TokenizedLine[] = [];
    for (const name of confs) {
      const path = join(full, name);
      let bytes: Uint8Array;
      try {
        bytes = await readChecked(state, path);
      } catch (err) {
        out.push(...fail(`could not open file "${path}": ${describeFsError(err)}`));
        continue;
      }
      out.push(...(await tokenizeContent(state, path, bytes, depth + 1)));
    }
    return out;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readChecked(state, full);
  } catch (err) {
    if (kind === 'include_if_exists' && (err as { code?: string }).code === 'ENOENT') {
      state.log({ message: `skipping missing authentication file "${full}"`, file, lineNumber });
      return [];
    }
    return fail(`could not open file "${full}": ${describeFsError(err)}`);
  }
  return tokenizeContent(state, full, bytes, depth + 1);
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r';

async function tokenizeLine(state: TokenizeState, file: string, line: string, depth: number): Promise<{ fields: AuthToken[][]; error: string | null }> {
  const cursor = { pos: 0 };
  const fields: AuthToken[][] = [];
  let error: string | null = null;
  while (cursor.pos < line.length && error === null) {
    const tokens: AuthToken[] = [];
    for (;;) {
      const t = nextToken(line, cursor);
      if (t.error !== null) {
        state.log({ message: `authentication file token too long, skipping: "${t.text}"`, file });
        error = t.error;
        break;
      }
      if (!t.found) break;
      if (!t.initialQuote && t.text.startsWith('@') && t.text.length > 1) {
        const inc = await expandNameFile(state, file, t.text.slice(1), depth);
        tokens.push(...inc.tokens);
        if (inc.error !== null) { error = inc.error; break; }
      } else {
        tokens.push({ text: t.text, quoted: t.initialQuote });
      }
      if (!t.terminatingComma) break;
    }
    if (tokens.length > 0) fields.push(tokens);
  }
  return { fields, error };
}

interface RawToken { found: boolean; text: string; initialQuote: boolean; terminatingComma: boolean; error: string | null }

function nextToken(line: string, cursor: { pos: number }): RawToken {
  let i = cursor.pos;
  while (i < line.length && (isBlank(line[i]) || line[i] === ',')) i++;
  let text = '';
  let inQuote = false, wasQuote = false, sawQuote = false, initialQuote = false, terminatingComma = false;
  while (i < line.length && (!isBlank(line[i]) || inQuote)) {
    const c = line[i]!;
    if (c === '#' && !inQuote) {
      i = line.length;
      break;
    }
    if (text.length > CONFIG_TOKEN_LENGTH_MAX) {
      cursor.pos = line.length;
      return { found: false, text, initialQuote, terminatingComma, error: 'authentication file token too long' };
    }
    if (c === ',' && !inQuote) {
      terminatingComma = true;
      i++;
      break;
    }
    if (c !== '"' || wasQuote) text += c;
    wasQuote = inQuote && c === '"' ? !wasQuote : false;
    if (c === '"') {
      inQuote = !inQuote;
      sawQuote = true;
      if (text.length === 0) initialQuote = true;
    }
    i++;
  }
  cursor.pos = i;
  return { found: sawQuote || text.length > 0, text, initialQuote, terminatingComma, error: null };
}

async function expandNameFile(state: TokenizeState, outer: string, name: string, depth: number): Promise<{ tokens: AuthToken[]; error: string | null }> {
  const full = resolveIncludePath(outer, name);
  if (depth + 1 > CONFIG_NESTING_DEPTH_MAX) {
    return { tokens: [], error: `could not open file "${full}": maximum nesting depth exceeded` };
  }
  let bytes: Uint8Array;
  try {
    bytes = await readChecked(state, full);
  } catch (err) {
    const error = `could not open secondary authentication file "@${name}" as "${full}": ${describeFsError(err)}`;
    state.log({ message: error, file: outer });
    return { tokens: [], error };
  }
  // Name files never contain include directives: every token of every line is a name.
  const inner: TokenizeState = { ...state, expandIncludes: false };
  const lines = await tokenizeContent(inner, full, bytes, depth + 1);
  state.lineCount = inner.lineCount;
  const tokens: AuthToken[] = [];
  for (const l of lines) {
    if (l.error !== null) return { tokens, error: l.error };
    for (const f of l.fields) tokens.push(...f);
  }
  return { tokens, error: null };
}
