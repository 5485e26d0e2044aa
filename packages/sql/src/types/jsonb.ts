// json and jsonb: PostgreSQL's JSON lexer and recursive-descent parser (with its error
// DETAIL and CONTEXT texts), the Jsonb value (parsed tree, numbers as Numeric, object keys
// unique and in jsonb's storage order), jsonb's normalized output, binary format version 1
// and btree ordering. Entry points: jsonValidate, Jsonb.parse, Jsonb#toString, jsonbType, jsonType.

import { PgError, SqlState } from '@palisade/common';
import { ByteWriter, type TypeImpl, badBinary, hashString, utf8Decode, utf8Encode } from './datum.ts';
import { Numeric } from './numeric.ts';
import { compareText } from './scalar.ts';

/** A jsonb value: null, boolean, string, Numeric, array, or object (pairs in jsonb key order). */
export type JsonbValue = null | boolean | string | Numeric | JsonbValue[] | JsonbObject;

/** An object: keys unique, sorted shorter-first then bytewise (jsonb's storage order). */
export class JsonbObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonbValue]>) {}
  get(key: string): JsonbValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }
}

/** jsonb's key order: length in bytes first, then bytewise. */
export function compareJsonbKeys(a: string, b: string): number {
  const x = utf8Encode(a);
  const y = utf8Encode(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Builds an object from pairs in input order: duplicates resolve to the last value. */
export function makeJsonbObject(pairs: Array<[string, JsonbValue]>): JsonbObject {
  const map = new Map<string, JsonbValue>();
  for (const [k, v] of pairs) map.set(k, v);
  const entries = [...map.entries()].sort((a, b) => compareJsonbKeys(a[0], b[0]));
  return new JsonbObject(entries);
}

// ---- lexer and parser ----------------------------------------------------------------------

type Tok = '{' | '}' | '[' | ']' | ',' | ':' | 'string' | 'number' | 'true' | 'false' | 'null' | 'end';

const MAX_DEPTH = 6400;

class JsonLexer {
  pos = 0;
  tokStart = -1;
  tokEnd = 0;
  tokType: Tok | 'start' = 'start';
  line = 1;
  lineStart = 0;
  strval = '';

  constructor(readonly input: string, readonly needEscapes: boolean) {}

  private fail(detail: string, code: 'syntax' | 'unicode' = 'syntax'): never {
    const ctx = this.context();
    if (code === 'unicode') {
      throw new PgError(SqlState.UNTRANSLATABLE_CHARACTER, 'unsupported Unicode escape sequence', { detail, where: ctx });
    }
    throw new PgError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type json', { detail, where: ctx });
  }

  token(): string {
    return this.input.slice(this.tokStart, this.tokEnd);
  }

  /** report_json_context: the current line up to the token's end, at most 50 bytes of it. */
  context(): string {
    const end = this.tokEnd;
    let start = this.lineStart;
    let bytes = utf8Encode(this.input.slice(start, end)).length;
    while (bytes >= 50) {
      const cp = this.input.codePointAt(start)!;
      const w = cp > 0xffff ? 2 : 1;
      bytes -= utf8Encode(this.input.slice(start, start + w)).length;
      start += w;
    }
    const prefix = start > this.lineStart ? '...' : '';
    const next = this.input[end];
    const suffix = this.tokType !== 'end' && end < this.input.length && next !== '\n' && next !== '\r' ? '...' : '';
    return `JSON data, line ${this.line}: ${prefix}${this.input.slice(start, end)}${suffix}`;
  }

  parseError(expected: string): never {
    if (this.tokType === 'end') this.fail('The input string ended unexpectedly.');
    this.fail(expected.replace('%s', this.token()));
  }

  private isAlnum(c: number): boolean {
    return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 128;
  }

  next(): Tok {
    const s = this.input;
    const n = s.length;
    let p = this.pos;
    for (; p < n; p++) {
      const c = s[p];
      if (c === '\n') { this.line++; this.lineStart = p + 1; } else if (c !== ' ' && c !== '\t' && c !== '\r') break;
    }
    this.tokStart = p;
    if (p >= n) {
      this.tokEnd = p;
      this.pos = p;
      return (this.tokType = 'end');
    }
    const c = s[p]!;
    switch (c) {
      case '{': case '}': case '[': case ']': case ',': case ':':
        this.tokEnd = this.pos = p + 1;
        return (this.tokType = c);
      case '"':
        this.lexString(p);
        return (this.tokType = 'string');
      case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        this.lexNumber(p);
        return (this.tokType = 'number');
    }
    let q = p;
    while (q < n && this.isAlnum(s.charCodeAt(q))) q++;
    if (q === p) {
      this.tokEnd = p + (s.codePointAt(p)! > 0xffff ? 2 : 1);
      this.fail(`Token "${this.token()}" is invalid.`);
    }
    this.tokEnd = this.pos = q;
    const word = s.slice(p, q);
    if (word === 'true' || word === 'false' || word === 'null') return (this.tokType = word);
    this.fail(`Token "${word}" is invalid.`);
  }

  private lexNumber(p: number): void {
    const s = this.input;
    const n = s.length;
    let q = p;
    let error = false;
    if (s[q] === '-') q++;
    const digit = (i: number) => i < n && s[i]! >= '0' && s[i]! <= '9';
    if (q < n && s[q] === '0') q++;
    else if (digit(q)) while (digit(q)) q++;
    else error = true;
    if (q < n && s[q] === '.') {
      q++;
      if (!digit(q)) error = true;
      else while (digit(q)) q++;
    }
    if (q < n && (s[q] === 'e' || s[q] === 'E')) {
      q++;
      if (s[q] === '+' || s[q] === '-') q++;
      if (!digit(q)) error = true;
      else while (digit(q)) q++;
    }
    while (q < n && this.isAlnum(s.charCodeAt(q))) { q++; error = true; }
    this.tokEnd = this.pos = q;
    if (error) this.fail(`Token "${this.token()}" is invalid.`);
  }

  private lexString(p: number): void {
    const s = this.input;
    const n = s.length;
    let q = p + 1;
    let out = '';
    let hi = -1;
    for (;;) {
      if (q >= n) {
        this.tokEnd = q;
        this.fail(`Token "${this.token()}" is invalid.`);
      }
      const c = s.charCodeAt(q);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.tokEnd = q;
        this.fail(`Character with value 0x${c.toString(16).padStart(2, '0')} must be escaped.`);
      }
      if (c === 0x5c) {
        q++;
        if (q >= n) {
          this.tokEnd = q;
          this.fail(`Token "${this.token()}" is invalid.`);
        }
        const e = s[q]!;
        if (e === 'u') {
          let ch = 0;
          for (let k = 1; k <= 4; k++) {
            q++;
            if (q >= n) {
              this.tokEnd = q;
              this.fail(`Token "${this.token()}" is invalid.`);
            }
            const h = parseInt(s[q]!, 16);
            if (!/[0-9a-fA-F]/.test(s[q]!) || Number.isNaN(h)) {
              this.tokEnd = q + 1;
              this.fail('"\\u" must be followed by four hexadecimal digits.');
            }
            ch = ch * 16 + h;
          }
          q++;
          if (this.needEscapes) {
            if (ch >= 0xd800 && ch <= 0xdbff) {
              if (hi !== -1) { this.tokEnd = q; this.fail('Unicode high surrogate must not follow a high surrogate.'); }
              hi = ch;
              continue;
            } else if (ch >= 0xdc00 && ch <= 0xdfff) {
              if (hi === -1) { this.tokEnd = q; this.fail('Unicode low surrogate must follow a high surrogate.'); }
              ch = 0x10000 + ((hi - 0xd800) << 10) + (ch - 0xdc00);
              hi = -1;
            }
            if (hi !== -1) { this.tokEnd = q; this.fail('Unicode low surrogate must follow a high surrogate.'); }
            if (ch === 0) { this.tokEnd = q; this.fail('\\u0000 cannot be converted to text.', 'unicode'); }
            out += String.fromCodePoint(ch);
          }
          continue;
        }
        if (this.needEscapes && hi !== -1) { this.tokEnd = q + 1; this.fail('Unicode low surrogate must follow a high surrogate.'); }
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        const m = map[e];
        if (m === undefined) {
          this.tokStart = q - 1;
          this.tokEnd = q + (s.codePointAt(q)! > 0xffff ? 2 : 1);
          this.fail(`Escape sequence "${this.token()}" is invalid.`);
        }
        out += m;
        q++;
        continue;
      }
      if (this.needEscapes && hi !== -1) { this.tokEnd = q + 1; this.fail('Unicode low surrogate must follow a high surrogate.'); }
      out += s[q];
      q++;
    }
    if (this.needEscapes && hi !== -1) { this.tokEnd = q + 1; this.fail('Unicode low surrogate must follow a high surrogate.'); }
    this.tokEnd = this.pos = q + 1;
    this.strval = out;
  }
}

/** Parses JSON text; builds a jsonb tree when `build` (which also de-escapes strings). */
function parseJson(text: string, build: boolean): JsonbValue {
  const lex = new JsonLexer(text, build);
  const tt = (): Tok | 'start' => lex.tokType;
  let depth = 0;
  const value = (): JsonbValue => {
    switch (tt()) {
      case '{': return object();
      case '[': return array();
      case 'string': { const v = lex.strval; lex.next(); return v; }
      case 'number': { const t = lex.token(); lex.next(); return build ? Numeric.parse(t) : null; }
      case 'true': lex.next(); return true;
      case 'false': lex.next(); return false;
      case 'null': lex.next(); return null;
      default: return lex.parseError('Expected JSON value, but found "%s".');
    }
  };
  const enter = () => {
    if (++depth > MAX_DEPTH) {
      throw new PgError(SqlState.STATEMENT_TOO_COMPLEX, 'stack depth limit exceeded', { hint: 'Increase the configuration parameter "max_stack_depth" (currently 2048kB), after ensuring the platform\'s stack depth limit is adequate.' });
    }
  };
  const array = (): JsonbValue => {
    enter();
    const out: JsonbValue[] = [];
    lex.next();
    if (tt() === ']') { lex.next(); depth--; return out; }
    for (;;) {
      if (tt() === 'end') lex.parseError('');
      if (!isValueStart(tt())) lex.parseError('Expected array element or "]", but found "%s".');
      out.push(value());
      if (tt() === ',') { lex.next(); if (!isValueStart(tt())) lex.parseError('Expected JSON value, but found "%s".'); continue; }
      if (tt() === ']') { lex.next(); break; }
      lex.parseError('Expected "," or "]", but found "%s".');
    }
    depth--;
    return build ? out : null;
  };
  const object = (): JsonbValue => {
    enter();
    const pairs: Array<[string, JsonbValue]> = [];
    lex.next();
    if (tt() === '}') { lex.next(); depth--; return build ? makeJsonbObject(pairs) : null; }
    if (tt() !== 'string') lex.parseError('Expected string or "}", but found "%s".');
    for (;;) {
      const key = lex.strval;
      lex.next();
      if (tt() !== ':') lex.parseError('Expected ":", but found "%s".');
      lex.next();
      pairs.push([key, value()]);
      if (tt() === ',') {
        lex.next();
        if (tt() !== 'string') lex.parseError('Expected string, but found "%s".');
        continue;
      }
      if (tt() === '}') { lex.next(); break; }
      lex.parseError('Expected "," or "}", but found "%s".');
    }
    depth--;
    return build ? makeJsonbObject(pairs) : null;
  };
  lex.next();
  const v = value();
  if (tt() !== 'end') lex.parseError('Expected end of input, but found "%s".');
  return v;
}

function isValueStart(t: Tok | 'start'): boolean {
  return t === '{' || t === '[' || t === 'string' || t === 'number' || t === 'true' || t === 'false' || t === 'null';
}

/** json_in's validation; throws PostgreSQL's error for invalid JSON. */
export function jsonValidate(text: string): void {
  parseJson(text, false);
}

// ---- output --------------------------------------------------------------------------------

/** escape_json. */
export function escapeJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      default:
        out += c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : s[i];
    }
  }
  return `${out}"`;
}

function writeValue(v: JsonbValue, indent: number | undefined, level: number): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return escapeJsonString(v);
  if (v instanceof Numeric) return v.toString();
  const pad = (l: number) => (indent === undefined ? '' : `\n${'    '.repeat(l)}`);
  if (Array.isArray(v)) {
    if (v.length === 0) return indent === undefined ? '[]' : `[${pad(level)}]`;
    const parts = v.map((x) => pad(level + 1) + writeValue(x, indent, level + 1));
    return `[${parts.join(indent === undefined ? ', ' : ',')}${pad(level)}]`;
  }
  if (v.entries.length === 0) return indent === undefined ? '{}' : `{${pad(level)}}`;
  const parts = v.entries.map(([k, x]) => `${pad(level + 1)}${escapeJsonString(k)}: ${writeValue(x, indent, level + 1)}`);
  return `{${parts.join(indent === undefined ? ', ' : ',')}${pad(level)}}`;
}

/** A jsonb datum. */
export class Jsonb {
  constructor(readonly root: JsonbValue) {}

  /** jsonb_in. */
  static parse(text: string): Jsonb {
    return new Jsonb(parseJson(text, true));
  }

  /** jsonb_out: `{"a": 1, "b": [1, 2]}`. */
  toString(): string {
    return writeValue(this.root, undefined, 0);
  }

  /** jsonb_pretty. */
  pretty(): string {
    return writeValue(this.root, 4, 0);
  }
}

// ---- ordering ------------------------------------------------------------------------------

function typeRank(v: JsonbValue): number {
  if (v === null) return 0;
  if (typeof v === 'string') return 1;
  if (v instanceof Numeric) return 2;
  if (typeof v === 'boolean') return 3;
  if (Array.isArray(v)) return 4;
  return 5;
}

/** compareJsonbContainers' order: object > array > boolean > number > string > null; containers by size first. */
export function compareJsonbValues(a: JsonbValue, b: JsonbValue): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0: return 0;
    case 1: return compareText(a as string, b as string);
    case 2: return Numeric.compare(a as Numeric, b as Numeric);
    case 3: return Number(a) - Number(b);
    case 4: {
      const x = a as JsonbValue[];
      const y = b as JsonbValue[];
      if (x.length !== y.length) return x.length - y.length;
      for (let i = 0; i < x.length; i++) {
        const c = compareJsonbValues(x[i]!, y[i]!);
        if (c) return c;
      }
      return 0;
    }
    default: {
      const x = (a as JsonbObject).entries;
      const y = (b as JsonbObject).entries;
      if (x.length !== y.length) return x.length - y.length;
      for (let i = 0; i < x.length; i++) {
        const k = compareJsonbKeys(x[i]![0], y[i]![0]);
        if (k) return k;
        const c = compareJsonbValues(x[i]![1], y[i]![1]);
        if (c) return c;
      }
      return 0;
    }
  }
}

function canonical(v: JsonbValue): string {
  if (v instanceof Numeric) return `n${v.hash()}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v instanceof JsonbObject) return `{${v.entries.map(([k, x]) => `${escapeJsonString(k)}:${canonical(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

export const jsonbType: TypeImpl = {
  oid: 3802, name: 'jsonb',
  input: (text) => Jsonb.parse(text),
  output: (v) => (v as Jsonb).toString(),
  receive(b) {
    if (b.length < 1) throw badBinary('insufficient data left in message');
    if (b[0] !== 1) throw badBinary(`unsupported jsonb version number ${b[0]}`);
    return Jsonb.parse(utf8Decode(b.subarray(1)));
  },
  send: (v) => new ByteWriter().uint8(1).bytes(utf8Encode((v as Jsonb).toString())).finish(),
  compare: (a, b) => compareJsonbValues((a as Jsonb).root, (b as Jsonb).root),
  equals: (a, b) => compareJsonbValues((a as Jsonb).root, (b as Jsonb).root) === 0,
  hash: (a) => hashString(canonical((a as Jsonb).root)),
};

export const jsonType: TypeImpl = {
  oid: 114, name: 'json',
  input(text) {
    jsonValidate(text);
    return text;
  },
  output: (v) => v as string,
  receive(b) {
    const s = utf8Decode(b);
    jsonValidate(s);
    return s;
  },
  send: (v) => utf8Encode(v as string),
};
