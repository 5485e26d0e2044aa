// postgresql.conf reader: PostgreSQL's configuration-file syntax (guc-file.l) — `name = value`
// lines, comments, quoted strings with escapes, units, and the include / include_if_exists /
// include_dir directives resolved relative to the including file. It only reads; applying the
// values (types, ranges, contexts) is @palisade/sql's GucRegistry. Rules CONF1–CONF6 in README.md.

import { dirname, isAbsolute, join } from 'node:path';
import { PgError, SqlState, type FileSystem } from '@palisade/common';

/** One `name = value` item, with where it came from. */
export interface ConfigItem {
  name: string;
  value: string;
  file: string;
  line: number;
}

/** A problem in a configuration file, with where it is. */
export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
}

/** CONF5: PostgreSQL's CONF_FILE_MAX_DEPTH. */
export const MAX_INCLUDE_DEPTH = 10;
/** Largest configuration file read (a bound on memory; PostgreSQL has none, but a config file this size is a mistake). */
export const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: false });

type Token = { kind: 'id' | 'qualified' | 'string' | 'number' | 'unquoted' | 'equals'; text: string };

/** Tokenizes one line (without its comment); returns undefined plus the offending token on a lexical error. */
function lexLine(line: string): { tokens: Token[]; bad?: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (c === '#') break;
    if (c === '=') { tokens.push({ kind: 'equals', text: '=' }); i++; continue; }
    if (c === "'") {
      let j = i + 1;
      let raw = '';
      let closed = false;
      while (j < line.length) {
        const d = line[j]!;
        if (d === '\\' && j + 1 < line.length) { raw += d + line[j + 1]; j += 2; continue; }
        if (d === "'") {
          if (line[j + 1] === "'") { raw += "''"; j += 2; continue; }
          closed = true;
          j++;
          break;
        }
        raw += d;
        j++;
      }
      if (!closed) return { tokens, bad: line.slice(i) };
      tokens.push({ kind: 'string', text: deescape(raw) });
      i = j;
      continue;
    }
    const rest = line.slice(i);
    const num = /^[+-]?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?)[A-Za-z]*/.exec(rest);
    if (num) { tokens.push({ kind: 'number', text: num[0] }); i += num[0].length; continue; }
    const word = /^[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*(?:\.[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*)?/.exec(rest);
    const unquoted = /^[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff\-.:/]*/.exec(rest);
    if (unquoted && word && unquoted[0].length > word[0].length) {
      tokens.push({ kind: 'unquoted', text: unquoted[0] });
      i += unquoted[0].length;
      continue;
    }
    if (word) {
      tokens.push({ kind: word[0].includes('.') ? 'qualified' : 'id', text: word[0] });
      i += word[0].length;
      continue;
    }
    return { tokens, bad: c };
  }
  return { tokens };
}

/** CONF2: PostgreSQL's DeescapeQuotedString: '' → ', \b \f \n \r \t, \ooo octal, \x → x. */
function deescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === "'" && raw[i + 1] === "'") { out += "'"; i++; continue; }
    if (c !== '\\' || i + 1 >= raw.length) { out += c; continue; }
    const n = raw[++i]!;
    switch (n) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      default:
        if (n >= '0' && n <= '7') {
          let oct = n;
          while (oct.length < 3 && raw[i + 1] !== undefined && raw[i + 1]! >= '0' && raw[i + 1]! <= '7') oct += raw[++i];
          out += String.fromCharCode(Number.parseInt(oct, 8));
        } else out += n;
    }
  }
  return out;
}

/** Reads a configuration file with its includes. Problems are collected, not thrown (the caller decides: FATAL at start, keep old values at reload). */
export async function readConfigFile(fs: FileSystem, path: string): Promise<{ items: ConfigItem[]; problems: ConfigProblem[]; notes: string[] }> {
  const items: ConfigItem[] = [];
  const problems: ConfigProblem[] = [];
  const notes: string[] = [];
  await readInto(fs, path, items, problems, notes, 0, { strict: true, from: undefined });
  return { items, problems, notes };
}

async function readInto(
  fs: FileSystem,
  path: string,
  items: ConfigItem[],
  problems: ConfigProblem[],
  notes: string[],
  depth: number,
  how: { strict: boolean; from: { file: string; line: number } | undefined },
): Promise<void> {
  const at = how.from ?? { file: path, line: 0 };
  if (depth > MAX_INCLUDE_DEPTH) {
    problems.push({ ...at, message: `could not open configuration file "${path}": maximum nesting depth exceeded` });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !how.strict) {
      // CONF4: include_if_exists skips a missing file, with a LOG line.
      notes.push(`skipping missing configuration file "${path}"`);
      return;
    }
    problems.push({ ...at, message: `could not open configuration file "${path}": ${code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}` });
    return;
  }
  if (bytes.byteLength > MAX_CONFIG_FILE_BYTES) {
    problems.push({ file: path, line: 0, message: `configuration file "${path}" is too large (more than ${MAX_CONFIG_FILE_BYTES} bytes)` });
    return;
  }
  const lines = decoder.decode(bytes).split('\n');
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const { tokens, bad } = lexLine(lines[n]!);
    if (bad !== undefined) {
      problems.push({ file: path, line: lineNo, message: `syntax error in file "${path}" line ${lineNo}, near token "${bad}"` });
      continue;
    }
    if (tokens.length === 0) continue;
    const [name, second, third, ...extra] = tokens;
    if (name!.kind !== 'id' && name!.kind !== 'qualified') {
      problems.push({ file: path, line: lineNo, message: `syntax error in file "${path}" line ${lineNo}, near token "${name!.text}"` });
      continue;
    }
    let value: Token | undefined;
    let trailing: Token[];
    if (second?.kind === 'equals') {
      value = third;
      trailing = extra;
    } else {
      value = second;
      trailing = third ? [third, ...extra] : [];
    }
    if (!value || value.kind === 'equals') {
      problems.push({ file: path, line: lineNo, message: `syntax error in file "${path}" line ${lineNo}, near end of line` });
      continue;
    }
    if (trailing.length > 0) {
      problems.push({ file: path, line: lineNo, message: `syntax error in file "${path}" line ${lineNo}, near token "${trailing[0]!.text}"` });
      continue;
    }
    const directive = name!.text.toLowerCase();
    const target = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
    if (directive === 'include' || directive === 'include_if_exists') {
      await readInto(fs, target(value.text), items, problems, notes, depth + 1, { strict: directive === 'include', from: { file: path, line: lineNo } });
    } else if (directive === 'include_dir') {
      const dir = target(value.text);
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (e) {
        problems.push({ file: path, line: lineNo, message: `could not open configuration directory "${dir}": ${(e as Error).message}` });
        continue;
      }
      // CONF4: only *.conf files not starting with '.', in name order.
      for (const f of names.filter((f) => f.endsWith('.conf') && !f.startsWith('.')).sort()) {
        await readInto(fs, join(dir, f), items, problems, notes, depth + 1, { strict: true, from: { file: path, line: lineNo } });
      }
    } else {
      items.push({ name: name!.text, value: value.text, file: path, line: lineNo });
    }
  }
}

/** CONF3: later settings of the same name (case-insensitively) override earlier ones. */
export function lastWins(items: readonly ConfigItem[]): ConfigItem[] {
  const byName = new Map<string, ConfigItem>();
  for (const item of items) {
    byName.delete(item.name.toLowerCase());
    byName.set(item.name.toLowerCase(), item);
  }
  return [...byName.values()];
}

/** Quotes a value for writing into a configuration file (ALTER SYSTEM). */
export function quoteConfigValue(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''").replaceAll('\n', '\\n')}'`;
}

/** CONF6: the text of postgresql.auto.conf for the given settings, as ALTER SYSTEM writes it. */
export function autoConfText(settings: ReadonlyArray<{ name: string; value: string }>): string {
  let out = '# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n';
  for (const s of settings) out += `${s.name} = ${quoteConfigValue(s.value)}\n`;
  return out;
}

/** The FATAL error for a configuration file with problems at start-up. */
export function configFileError(path: string, problems: readonly ConfigProblem[]): PgError {
  return new PgError(SqlState.CONFIG_FILE_ERROR, `configuration file "${path}" contains errors`, {
    severity: 'FATAL',
    detail: problems.map((p) => p.message).join('\n'),
  });
}
