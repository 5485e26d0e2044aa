// LDAP URLs as pg_hba.conf's `ldapurl` option accepts them (RFC 4516:
// scheme://host:port/basedn?attributes?scope?filter), parsed with the rules and the error
// texts of the OpenLDAP library PostgreSQL uses. Entry point: parseLdapUrl.

/** A parsed LDAP URL; fields absent from the URL are undefined (the scope defaults to base). */
export interface LdapUrl {
  scheme: 'ldap' | 'ldaps';
  host?: string;
  port: number;
  baseDn?: string;
  attributes?: string[];
  /** 0 = base, 1 = one level, 2 = subtree (the numbers pg_hba_file_rules shows). */
  scope: 0 | 1 | 2;
  filter?: string;
}

// OpenLDAP passes its URL error codes to ldap_err2string, which words them as LDAP result codes.
const URL_ERROR_TEXT = {
  badScheme: 'Time limit exceeded',
  badEnclosure: 'Size limit exceeded',
  badUrl: 'Compare False',
  badHost: 'Compare True',
  badAttrs: 'Authentication method not supported',
  badScope: 'Strong(er) authentication required',
  badFilter: 'Partial results and referral received',
} as const;

/** Parses an LDAP URL; on failure returns the reason text PostgreSQL appends to `could not parse LDAP URL`. */
export function parseLdapUrl(url: string): { ok: true; url: LdapUrl } | { ok: false; reason: string } {
  const fail = (k: keyof typeof URL_ERROR_TEXT) => ({ ok: false as const, reason: URL_ERROR_TEXT[k] });
  let rest = url.trim();
  if (rest.startsWith('<') ) {
    if (!rest.endsWith('>')) return fail('badEnclosure');
    rest = rest.slice(1, -1);
  }
  if (/^URL:/i.test(rest)) rest = rest.slice(4);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (!m) return fail('badScheme');
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'ldap' && scheme !== 'ldaps') return fail('badScheme');
  rest = rest.slice(m[0].length);
  const slash = rest.indexOf('/');
  const hostPort = slash < 0 ? rest : rest.slice(0, slash);
  const after = slash < 0 ? null : rest.slice(slash + 1);
  let host: string | undefined;
  let port = scheme === 'ldaps' ? 636 : 389;
  if (hostPort !== '') {
    let h = hostPort;
    let p: string | undefined;
    if (h.startsWith('[')) {
      const close = h.indexOf(']');
      if (close < 0) return fail('badHost');
      p = h.slice(close + 1).startsWith(':') ? h.slice(close + 2) : undefined;
      h = h.slice(1, close);
    } else {
      const colon = h.lastIndexOf(':');
      if (colon >= 0) { p = h.slice(colon + 1); h = h.slice(0, colon); }
    }
    if (p !== undefined && p !== '') {
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return fail('badUrl');
      port = Number(p);
    }
    const decoded = percentDecode(h);
    if (decoded === null) return fail('badHost');
    if (decoded !== '') host = decoded;
  }
  const result: LdapUrl = { scheme, port, scope: 0 };
  if (host !== undefined) result.host = host;
  if (after === null) return { ok: true, url: result };
  const parts = after.split('?');
  if (parts.length > 5) return fail('badUrl');
  const [dn, attrs, scope, filter, exts] = parts;
  if (dn !== undefined && dn !== '') {
    const d = percentDecode(dn);
    if (d === null) return fail('badUrl');
    result.baseDn = d;
  }
  if (attrs !== undefined && attrs !== '') {
    const list = attrs.split(',').map(percentDecode);
    if (list.some((a) => a === null || a === '')) return fail('badAttrs');
    result.attributes = list as string[];
  }
  if (scope !== undefined && scope !== '') {
    const s = percentDecode(scope)?.toLowerCase();
    if (s === 'base') result.scope = 0;
    else if (s === 'one' || s === 'onelevel') result.scope = 1;
    else if (s === 'sub' || s === 'subtree') result.scope = 2;
    else return fail('badScope');
  }
  if (filter !== undefined && filter !== '') {
    const f = percentDecode(filter);
    if (f === null) return fail('badFilter');
    result.filter = f;
  }
  if (exts !== undefined && exts !== '' && exts.split(',').some((e) => e.startsWith('!'))) return fail('badUrl');
  return { ok: true, url: result };
}

function percentDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
