// LDAP search filters in their string form (RFC 4515) encoded as the BER Filter of a
// SearchRequest (RFC 4511 §4.5.1.7). Accepts what OpenLDAP's ldap_search_s accepts for the
// filters pg_hba.conf builds: and/or/not, equality, substrings, presence, >=, <=, ~=,
// extensible matches, `\XX` escapes (and the old `\(` `\)` `\*` `\\`), and a missing outer pair
// of parentheses. Entry point: encodeLdapFilter.

import { ber, BerTag } from './ldap-ber.ts';

/** Deepest nesting of and/or/not accepted; deeper filters are refused as bad filters. */
export const LDAP_FILTER_DEPTH_MAX = 32;

/** Thrown for a filter that cannot be parsed (OpenLDAP's `Bad search filter`). */
export class LdapFilterError extends Error {
  override readonly name = 'LdapFilterError';
}

const ATTRIBUTE_DESCRIPTION = /^[A-Za-z0-9][A-Za-z0-9.;-]*$/;

/** Encodes a string filter as BER; throws LdapFilterError if it is malformed. */
export function encodeLdapFilter(text: string): Buffer {
  const trimmed = text.trim();
  const source = trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
  const parser = new FilterParser(source);
  const encoded = parser.filter(0);
  if (!parser.atEnd()) throw new LdapFilterError('trailing characters after filter');
  return encoded;
}

class FilterParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.pos === this.s.length;
  }

  private expect(ch: string): void {
    if (this.s[this.pos] !== ch) throw new LdapFilterError(`expected "${ch}" at offset ${this.pos}`);
    this.pos++;
  }

  filter(depth: number): Buffer {
    if (depth > LDAP_FILTER_DEPTH_MAX) throw new LdapFilterError('filter nested too deeply');
    this.expect('(');
    let out: Buffer;
    const c = this.s[this.pos];
    if (c === '&' || c === '|') {
      this.pos++;
      const parts: Buffer[] = [];
      while (this.s[this.pos] === '(') parts.push(this.filter(depth + 1));
      out = ber.constructed(BerTag.context(c === '&' ? 0 : 1), ...parts);
    } else if (c === '!') {
      this.pos++;
      out = ber.constructed(BerTag.context(2), this.filter(depth + 1));
    } else {
      out = this.item();
    }
    this.expect(')');
    return out;
  }

  /** The text up to the closing parenthesis of an item (escaped characters skipped), which must not contain `(`. */
  private itemText(): string {
    let end = this.pos;
    for (; end < this.s.length && this.s[end] !== ')'; end++) {
      if (this.s[end] === '(') throw new LdapFilterError('unescaped "(" in filter value');
      if (this.s[end] === '\\') end++;
    }
    if (end >= this.s.length) throw new LdapFilterError('unbalanced parentheses');
    const text = this.s.slice(this.pos, end);
    this.pos = end;
    return text;
  }

  private item(): Buffer {
    const text = this.itemText();
    const op = /[=~<>:]/.exec(text);
    if (!op) throw new LdapFilterError('filter item without an operator');
    const attr = text.slice(0, op.index);
    const rest = text.slice(op.index);
    if (rest.startsWith(':')) return extensible(attr, rest);
    if (!ATTRIBUTE_DESCRIPTION.test(attr)) throw new LdapFilterError(`invalid attribute description "${attr}"`);
    const two = rest.slice(0, 2);
    if (two === '~=' || two === '>=' || two === '<=') {
      const value = rest.slice(2);
      if (splitUnescaped(value).length > 1) throw new LdapFilterError('"*" not allowed in this filter type');
      const tag = two === '~=' ? 8 : two === '>=' ? 5 : 6;
      return ber.constructed(BerTag.context(tag), ber.octetString(attr), ber.octetString(unescapeValue(value)));
    }
    if (!rest.startsWith('=')) throw new LdapFilterError('invalid filter operator');
    const value = rest.slice(1);
    if (value === '*') return ber.octetString(attr, BerTag.contextPrimitive(7));
    const pieces = splitUnescaped(value);
    if (pieces.length === 1) return ber.constructed(BerTag.context(3), ber.octetString(attr), ber.octetString(unescapeValue(value)));
    const subs: Buffer[] = [];
    pieces.forEach((piece, i) => {
      if (piece === '') {
        if (i > 0 && i < pieces.length - 1) throw new LdapFilterError('empty substring between "*"');
        return;
      }
      const tag = i === 0 ? 0 : i === pieces.length - 1 ? 2 : 1;
      subs.push(ber.octetString(unescapeValue(piece), BerTag.contextPrimitive(tag)));
    });
    return ber.constructed(BerTag.context(4), ber.octetString(attr), ber.sequence(...subs));
  }
}

/** `attr[:dn][:rule]:=value` or `[:dn]:rule:=value` (MatchingRuleAssertion). */
function extensible(attr: string, rest: string): Buffer {
  const assign = rest.indexOf(':=');
  if (assign < 0) throw new LdapFilterError('extensible match without ":="');
  const flags = assign === 0 ? [] : rest.slice(1, assign).split(':');
  const value = rest.slice(assign + 2);
  if (splitUnescaped(value).length > 1) throw new LdapFilterError('"*" not allowed in an extensible match');
  let dnAttributes = false;
  let rule: string | undefined;
  for (const f of flags) {
    if (f.toLowerCase() === 'dn' && !dnAttributes && rule === undefined) dnAttributes = true;
    else if (rule === undefined && ATTRIBUTE_DESCRIPTION.test(f)) rule = f;
    else throw new LdapFilterError('invalid extensible match');
  }
  if (attr !== '' && !ATTRIBUTE_DESCRIPTION.test(attr)) throw new LdapFilterError(`invalid attribute description "${attr}"`);
  if (attr === '' && rule === undefined) throw new LdapFilterError('extensible match needs an attribute or a matching rule');
  const parts: Buffer[] = [];
  if (rule !== undefined) parts.push(ber.octetString(rule, BerTag.contextPrimitive(1)));
  if (attr !== '') parts.push(ber.octetString(attr, BerTag.contextPrimitive(2)));
  parts.push(ber.octetString(unescapeValue(value), BerTag.contextPrimitive(3)));
  if (dnAttributes) parts.push(ber.boolean(true, BerTag.contextPrimitive(4)));
  return ber.constructed(BerTag.context(9), ...parts);
}

/** Splits a value at the `*`s that are not escaped. */
function splitUnescaped(value: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === '*') {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(value.slice(start));
  return pieces;
}

/** Value bytes: `\XX` is a byte; `\(`, `\)`, `\*`, `\\` are the old single-character escapes. */
function unescapeValue(value: string): Buffer {
  const out: Buffer[] = [];
  let literal = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== '\\') {
      literal += ch;
      continue;
    }
    const next = value[i + 1];
    if (next === undefined) throw new LdapFilterError('escape at end of value');
    if (/[0-9A-Fa-f]/.test(next)) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new LdapFilterError('bad hex escape');
      out.push(Buffer.from(literal, 'utf8'), Buffer.from([parseInt(hex, 16)]));
      literal = '';
      i += 2;
    } else if ('()*\\'.includes(next)) {
      literal += next;
      i += 1;
    } else {
      throw new LdapFilterError('bad escape');
    }
  }
  out.push(Buffer.from(literal, 'utf8'));
  return Buffer.concat(out);
}
