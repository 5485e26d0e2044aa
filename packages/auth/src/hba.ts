// pg_hba.conf: parsing tokenized lines into rules (with PostgreSQL's validation and error
// texts), loading a whole file with reload semantics, and the rows of pg_hba_file_rules.
// Entry points: loadHba, parseHbaLines, hbaFileRules.

import { PgError, SqlState } from '@palisade/common';
import { cidrMask, formatAddress, parseNumericHost, type IpAddress } from './address.ts';
import { tokenizeAuthFile, describeFsError, type AuthToken, type ConfigLogMessage, type ConfigReader, type TokenizedLine } from './config-file.ts';
import { parseLdapUrl } from './ldap-url.ts';

/** Connection types of pg_hba.conf records. */
export type HbaConnType = 'local' | 'host' | 'hostssl' | 'hostnossl' | 'hostgssenc' | 'hostnogssenc';

/** Authentication methods pg_hba.conf accepts. */
export type HbaMethod =
  | 'trust' | 'reject' | 'ident' | 'password' | 'md5' | 'scram-sha-256' | 'gss' | 'sspi'
  | 'pam' | 'bsd' | 'ldap' | 'cert' | 'radius' | 'peer';

/** Methods Palisade implements; the others parse but are refused at load (HBA9). */
export const SUPPORTED_HBA_METHODS: ReadonlySet<HbaMethod> = new Set<HbaMethod>(['trust', 'reject', 'password', 'md5', 'scram-sha-256', 'cert']);

const METHODS: ReadonlySet<string> = new Set(['trust', 'reject', 'ident', 'password', 'md5', 'scram-sha-256', 'gss', 'sspi', 'pam', 'bsd', 'ldap', 'cert', 'radius', 'peer']);

/** A database or user token with its compiled regular expression when it starts with `/`. */
export interface HbaNameToken extends AuthToken {
  readonly regex?: RegExp;
}

/** The ADDRESS column of a host record. */
export type HbaAddress =
  | { readonly kind: 'all' }
  | { readonly kind: 'samehost' }
  | { readonly kind: 'samenet' }
  | { readonly kind: 'hostname'; readonly name: string }
  | { readonly kind: 'cidr'; readonly address: IpAddress; readonly mask: IpAddress };

/** Options of a record (NAME=VALUE), as PostgreSQL 15 stores them. */
export interface HbaOptions {
  map?: string;
  clientCert: 'off' | 'verify-ca' | 'verify-full';
  clientName: 'CN' | 'DN';
  includeRealm: boolean;
  krbRealm?: string;
  compatRealm: boolean;
  upnUsername: boolean;
  pamService?: string;
  pamUseHostname: boolean;
  ldapServer?: string;
  ldapPort: number;
  ldapScheme?: string;
  ldapTls: boolean;
  ldapPrefix?: string;
  ldapSuffix?: string;
  ldapBaseDn?: string;
  ldapBindDn?: string;
  ldapBindPasswd?: string;
  ldapSearchAttribute?: string;
  ldapSearchFilter?: string;
  /** 0 base, 1 one level, 2 subtree. */
  ldapScope: number;
  radiusServers?: string[];
  radiusSecrets?: string[];
  radiusIdentifiers?: string[];
  radiusPorts?: string[];
  radiusServersText?: string;
  radiusSecretsText?: string;
  radiusIdentifiersText?: string;
  radiusPortsText?: string;
}

/** One parsed pg_hba.conf record. */
export interface HbaLine {
  readonly file: string;
  readonly lineNumber: number;
  readonly rawLine: string;
  readonly connType: HbaConnType;
  readonly databases: readonly HbaNameToken[];
  readonly roles: readonly HbaNameToken[];
  /** null for `local` records. */
  readonly address: HbaAddress | null;
  readonly method: HbaMethod;
  /** False for methods Palisade does not implement (HBA9). */
  readonly supported: boolean;
  readonly options: Readonly<HbaOptions>;
}

/** A configuration error, with the file and line it concerns. */
export interface HbaError {
  readonly file: string;
  readonly lineNumber: number;
  readonly message: string;
  readonly hint?: string;
}

/** Settings that change how lines parse. */
export interface HbaParseOptions {
  /** Whether the server has SSL enabled; hostssl records warn when it does not (HBA5). Default true. */
  sslEnabled?: boolean;
}

/** Outcome of parsing one line: the rule (possibly with a warning in `error`), or only an error. */
export interface HbaLineResult {
  readonly source: TokenizedLine;
  readonly line: HbaLine | null;
  readonly error: string | null;
  readonly hint?: string;
}

class LineError extends Error {
  constructor(message: string, readonly hint?: string) { super(message); }
}

function newOptions(): HbaOptions {
  return { clientCert: 'off', clientName: 'CN', includeRealm: false, compatRealm: false, upnUsername: false, pamUseHostname: false, ldapPort: 0, ldapTls: false, ldapScope: 0 };
}

function compileNameToken(token: AuthToken): HbaNameToken {
  if (!token.text.startsWith('/')) return token;
  try {
    return { ...token, regex: new RegExp(token.text.slice(1)) };
  } catch (err) {
    throw new LineError(`invalid regular expression "${token.text.slice(1)}": ${regexReason(err)}`);
  }
}

/** The reason part of a regular expression compile error. */
export function regexReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const colon = msg.lastIndexOf(': ');
  return colon >= 0 ? msg.slice(colon + 2) : msg;
}

/** Parses one tokenized line as PostgreSQL 15's parse_hba_line does. */
export function parseHbaLine(tok: TokenizedLine, options: HbaParseOptions = {}): HbaLineResult {
  if (tok.error !== null) return { source: tok, line: null, error: tok.error };
  let warning: string | null = null;
  try {
    const fields = tok.fields;
    let f = 0;
    const first = fields[f]!;
    if (first.length > 1) throw new LineError('multiple values specified for connection type', 'Specify exactly one connection type per line.');
    const typeText = first[0]!.text;
    if (!['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'].includes(typeText)) {
      throw new LineError(`invalid connection type "${typeText}"`);
    }
    const connType = typeText as HbaConnType;
    if (connType === 'hostssl' && options.sslEnabled === false) warning = 'hostssl record cannot match because SSL is disabled';

    f++;
    if (f >= fields.length) throw new LineError('end-of-line before database specification');
    const databases = fields[f]!.map(compileNameToken);
    f++;
    if (f >= fields.length) throw new LineError('end-of-line before role specification');
    const roles = fields[f]!.map(compileNameToken);

    let address: HbaAddress | null = null;
    if (connType !== 'local') {
      f++;
      if (f >= fields.length) throw new LineError('end-of-line before IP address specification');
      const tokens = fields[f]!;
      if (tokens.length > 1) throw new LineError('multiple values specified for host address', 'Specify one address range per line.');
      const token = tokens[0]!;
      const keyword = token.quoted ? null : token.text;
      if (keyword === 'all') address = { kind: 'all' };
      else if (keyword === 'samehost') address = { kind: 'samehost' };
      else if (keyword === 'samenet') address = { kind: 'samenet' };
      else {
        const slash = token.text.indexOf('/');
        const hostText = slash >= 0 ? token.text.slice(0, slash) : token.text;
        const ip = parseNumericHost(hostText);
        if (slash >= 0) {
          if (!ip) throw new LineError(`specifying both host name and CIDR mask is invalid: "${token.text}"`);
          const mask = cidrMask(token.text.slice(slash + 1), ip.family);
          if (!mask) throw new LineError(`invalid CIDR mask in address "${token.text}"`);
          address = { kind: 'cidr', address: ip, mask };
        } else if (!ip) {
          address = { kind: 'hostname', name: hostText };
        } else {
          f++;
          if (f >= fields.length) throw new LineError('end-of-line before netmask specification', 'Specify an address range in CIDR notation, or provide a separate netmask.');
          const maskTokens = fields[f]!;
          if (maskTokens.length > 1) throw new LineError('multiple values specified for netmask');
          const mask = parseNumericHost(maskTokens[0]!.text);
          if (!mask) throw new LineError(`invalid IP mask "${maskTokens[0]!.text}": Name or service not known`);
          if (mask.family !== ip.family) throw new LineError('IP address and mask do not match');
          address = { kind: 'cidr', address: ip, mask };
        }
      }
    }

    f++;
    if (f >= fields.length) throw new LineError('end-of-line before authentication method');
    const methodTokens = fields[f]!;
    if (methodTokens.length > 1) throw new LineError('multiple values specified for authentication type', 'Specify exactly one authentication type per line.');
    const methodText = methodTokens[0]!.text;
    if (!METHODS.has(methodText)) throw new LineError(`invalid authentication method "${methodText}"`);
    let method = methodText as HbaMethod;
    if (connType === 'local' && method === 'ident') method = 'peer';
    if (connType === 'local' && method === 'gss') throw new LineError('gssapi authentication is not supported on local sockets');
    if (connType !== 'local' && method === 'peer') throw new LineError('peer authentication is only supported on local sockets');
    if (connType !== 'hostssl' && method === 'cert') throw new LineError('cert authentication is only supported on hostssl connections');

    const opts = newOptions();
    if (method === 'gss' || method === 'sspi') opts.includeRealm = true;
    if (method === 'sspi') { opts.compatRealm = true; opts.upnUsername = false; }
    for (f++; f < fields.length; f++) {
      for (const token of fields[f]!) {
        const eq = token.text.indexOf('=');
        if (eq < 0) throw new LineError(`authentication option not in name=value format: ${token.text}`);
        parseOption(token.text.slice(0, eq), token.text.slice(eq + 1), connType, method, opts);
      }
    }
    checkMandatory(method, opts);
    if (method === 'cert') opts.clientCert = 'verify-full';

    const line: HbaLine = {
      file: tok.file, lineNumber: tok.lineNumber, rawLine: tok.rawLine, connType, databases, roles, address, method,
      supported: SUPPORTED_HBA_METHODS.has(method), options: opts,
    };
    return { source: tok, line, error: warning };
  } catch (err) {
    if (!(err instanceof LineError)) throw err;
    return { source: tok, line: null, error: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
}

const METHOD_NAMES_FOR_OPTION: Record<string, string> = { gss: 'gssapi' };

function requireMethods(name: string, method: HbaMethod, allowed: HbaMethod[]): void {
  if (allowed.includes(method)) return;
  const words = allowed.map((m) => METHOD_NAMES_FOR_OPTION[m] ?? m);
  const list = words.length === 1 ? words[0]! : words.length === 2 ? `${words[0]} and ${words[1]}` : `${words.slice(0, -1).join(', ')}, and ${words[words.length - 1]}`;
  throw new LineError(`authentication option "${name}" is only valid for authentication methods ${list}`);
}

// SplitGUCList: comma-separated, blanks around items ignored, double-quoted items keep commas.
function splitList(value: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const s = value;
  const skip = () => { while (i < s.length && /\s/.test(s[i]!)) i++; };
  skip();
  if (i >= s.length) return out;
  for (;;) {
    let item = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) return null;
        if (s[i] === '"') {
          if (s[i + 1] === '"') { item += '"'; i += 2; continue; }
          i++;
          break;
        }
        item += s[i++];
      }
    } else {
      while (i < s.length && s[i] !== ',' && !/\s/.test(s[i]!)) item += s[i++];
      if (item === '') return null;
    }
    out.push(item);
    skip();
    if (i >= s.length) return out;
    if (s[i] !== ',') return null;
    i++;
    skip();
  }
}

function parseOption(name: string, value: string, connType: HbaConnType, method: HbaMethod, o: HbaOptions): void {
  // PostgreSQL resets the LDAP scope to subtree before every option it reads (an ldapurl then overrides it).
  o.ldapScope = 2;
  switch (name) {
    case 'map':
      requireMethods('map', method, ['ident', 'peer', 'gss', 'sspi', 'cert']);
      o.map = value;
      return;
    case 'clientcert':
      if (connType !== 'hostssl') throw new LineError('clientcert can only be configured for "hostssl" rows');
      if (value === 'verify-full') o.clientCert = 'verify-full';
      else if (value === 'verify-ca') {
        if (method === 'cert') throw new LineError('clientcert can only be set to "verify-full" when using "cert" authentication');
        o.clientCert = 'verify-ca';
      } else throw new LineError(`invalid value for clientcert: "${value}"`);
      return;
    case 'clientname':
      if (connType !== 'hostssl') throw new LineError('clientname can only be configured for "hostssl" rows');
      if (value === 'CN' || value === 'DN') o.clientName = value;
      else throw new LineError(`invalid value for clientname: "${value}"`);
      return;
    case 'pamservice': requireMethods(name, method, ['pam']); o.pamService = value; return;
    case 'pam_use_hostname': requireMethods(name, method, ['pam']); o.pamUseHostname = value === '1'; return;
    case 'ldapurl': {
      requireMethods(name, method, ['ldap']);
      const parsed = parseLdapUrl(value);
      if (!parsed.ok) throw new LineError(`could not parse LDAP URL "${value}": ${parsed.reason}`);
      const u = parsed.url;
      o.ldapScheme = u.scheme;
      if (u.host !== undefined) o.ldapServer = u.host;
      o.ldapPort = u.port;
      if (u.baseDn !== undefined) o.ldapBaseDn = u.baseDn;
      if (u.attributes !== undefined) o.ldapSearchAttribute = u.attributes[0]!;
      o.ldapScope = u.scope;
      if (u.filter !== undefined) o.ldapSearchFilter = u.filter;
      return;
    }
    case 'ldaptls': requireMethods(name, method, ['ldap']); o.ldapTls = value === '1'; return;
    // PostgreSQL 15 only logs an invalid scheme and keeps it; matching that, the connection-time LDAP code must refuse it.
    case 'ldapscheme': requireMethods(name, method, ['ldap']); o.ldapScheme = value; return;
    case 'ldapserver': requireMethods(name, method, ['ldap']); o.ldapServer = value; return;
    case 'ldapport': {
      requireMethods(name, method, ['ldap']);
      const port = atoi(value);
      if (port === 0) throw new LineError(`invalid LDAP port number: "${value}"`);
      o.ldapPort = port;
      return;
    }
    case 'ldapbinddn': requireMethods(name, method, ['ldap']); o.ldapBindDn = value; return;
    case 'ldapbindpasswd': requireMethods(name, method, ['ldap']); o.ldapBindPasswd = value; return;
    case 'ldapsearchattribute': requireMethods(name, method, ['ldap']); o.ldapSearchAttribute = value; return;
    case 'ldapsearchfilter': requireMethods(name, method, ['ldap']); o.ldapSearchFilter = value; return;
    case 'ldapbasedn': requireMethods(name, method, ['ldap']); o.ldapBaseDn = value; return;
    case 'ldapprefix': requireMethods(name, method, ['ldap']); o.ldapPrefix = value; return;
    case 'ldapsuffix': requireMethods(name, method, ['ldap']); o.ldapSuffix = value; return;
    case 'krb_realm': requireMethods(name, method, ['gss', 'sspi']); o.krbRealm = value; return;
    case 'include_realm': requireMethods(name, method, ['gss', 'sspi']); o.includeRealm = value === '1'; return;
    case 'compat_realm': requireMethods(name, method, ['sspi']); o.compatRealm = value === '1'; return;
    case 'upn_username': requireMethods(name, method, ['sspi']); o.upnUsername = value === '1'; return;
    case 'radiusservers': {
      requireMethods(name, method, ['radius']);
      const list = splitList(value);
      if (!list) throw new LineError(`could not parse RADIUS server list "${value}"`);
      o.radiusServers = list; o.radiusServersText = value;
      return;
    }
    case 'radiusports': {
      requireMethods(name, method, ['radius']);
      const list = splitList(value);
      if (!list) throw new LineError(`could not parse RADIUS port list "${value}"`);
      if (list.some((p) => atoi(p) === 0)) throw new LineError(`invalid RADIUS port number: "${value}"`);
      o.radiusPorts = list; o.radiusPortsText = value;
      return;
    }
    case 'radiussecrets': {
      requireMethods(name, method, ['radius']);
      const list = splitList(value);
      if (!list) throw new LineError(`could not parse RADIUS secret list "${value}"`);
      o.radiusSecrets = list; o.radiusSecretsText = value;
      return;
    }
    case 'radiusidentifiers': {
      requireMethods(name, method, ['radius']);
      const list = splitList(value);
      if (!list) throw new LineError(`could not parse RADIUS identifiers list "${value}"`);
      o.radiusIdentifiers = list; o.radiusIdentifiersText = value;
      return;
    }
    default:
      throw new LineError(`unrecognized authentication option name: "${name}"`);
  }
}

// C atoi: leading blanks, optional sign, digits; anything else stops the scan.
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) | 0 : 0;
}

function checkMandatory(method: HbaMethod, o: HbaOptions): void {
  if (method === 'ldap') {
    if (o.ldapPrefix !== undefined || o.ldapSuffix !== undefined) {
      if (o.ldapBaseDn !== undefined || o.ldapBindDn !== undefined || o.ldapBindPasswd !== undefined || o.ldapSearchAttribute !== undefined || o.ldapSearchFilter !== undefined) {
        throw new LineError('cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix');
      }
    } else if (o.ldapBaseDn === undefined) {
      throw new LineError('authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set');
    }
    if (o.ldapSearchAttribute !== undefined && o.ldapSearchFilter !== undefined) {
      throw new LineError('cannot use ldapsearchattribute together with ldapsearchfilter');
    }
  }
  if (method === 'radius') {
    if (o.radiusServers === undefined) throw new LineError('authentication method "radius" requires argument "radiusservers" to be set');
    if (o.radiusSecrets === undefined) throw new LineError('authentication method "radius" requires argument "radiussecrets" to be set');
    if (o.radiusServers.length < 1) throw new LineError('list of RADIUS servers cannot be empty');
    if (o.radiusSecrets.length < 1) throw new LineError('list of RADIUS secrets cannot be empty');
    const servers = o.radiusServers.length;
    const check = (list: string[] | undefined, what: string) => {
      const n = list?.length ?? 0;
      if (n === 0 || n === 1 || n === servers) return;
      throw new LineError(`the number of ${what} (${n}) must be 1 or the same as the number of RADIUS servers (${servers})`);
    };
    check(o.radiusSecrets, 'RADIUS secrets');
    check(o.radiusPorts, 'RADIUS ports');
    check(o.radiusIdentifiers, 'RADIUS identifiers');
  }
}

/** Parses every tokenized line. */
export function parseHbaLines(lines: readonly TokenizedLine[], options: HbaParseOptions = {}): HbaLineResult[] {
  return lines.map((l) => parseHbaLine(l, options));
}

/** The option list pg_hba_file_rules shows for a rule (PostgreSQL 15's order and wording). */
export function hbaOptionStrings(line: HbaLine): string[] | null {
  const o = line.options;
  const out: string[] = [];
  if (line.method === 'gss' || line.method === 'sspi') {
    if (o.includeRealm) out.push('include_realm=true');
    if (o.krbRealm !== undefined) out.push(`krb_realm=${o.krbRealm}`);
  }
  if (o.map !== undefined) out.push(`map=${o.map}`);
  if (o.clientCert !== 'off') out.push(`clientcert=${o.clientCert}`);
  if (o.pamService !== undefined) out.push(`pamservice=${o.pamService}`);
  if (line.method === 'ldap') {
    if (o.ldapServer !== undefined) out.push(`ldapserver=${o.ldapServer}`);
    if (o.ldapPort) out.push(`ldapport=${o.ldapPort}`);
    if (o.ldapScheme !== undefined) out.push(`ldapscheme=${o.ldapScheme}`);
    if (o.ldapTls) out.push('ldaptls=true');
    if (o.ldapPrefix !== undefined) out.push(`ldapprefix=${o.ldapPrefix}`);
    if (o.ldapSuffix !== undefined) out.push(`ldapsuffix=${o.ldapSuffix}`);
    if (o.ldapBaseDn !== undefined) out.push(`ldapbasedn=${o.ldapBaseDn}`);
    if (o.ldapBindDn !== undefined) out.push(`ldapbinddn=${o.ldapBindDn}`);
    if (o.ldapBindPasswd !== undefined) out.push(`ldapbindpasswd=${o.ldapBindPasswd}`);
    if (o.ldapSearchAttribute !== undefined) out.push(`ldapsearchattribute=${o.ldapSearchAttribute}`);
    if (o.ldapSearchFilter !== undefined) out.push(`ldapsearchfilter=${o.ldapSearchFilter}`);
    if (o.ldapScope) out.push(`ldapscope=${o.ldapScope}`);
  }
  if (line.method === 'radius') {
    if (o.radiusServersText !== undefined) out.push(`radiusservers=${o.radiusServersText}`);
    if (o.radiusSecretsText !== undefined) out.push(`radiussecrets=${o.radiusSecretsText}`);
    if (o.radiusIdentifiersText !== undefined) out.push(`radiusidentifiers=${o.radiusIdentifiersText}`);
    if (o.radiusPortsText !== undefined) out.push(`radiusports=${o.radiusPortsText}`);
  }
  return out.length > 0 ? out : null;
}

/** A row of pg_hba_file_rules (PostgreSQL 15's columns, plus the file a line came from). */
export interface HbaFileRuleRow {
  line_number: number;
  file_name: string;
  type: string | null;
  database: string[] | null;
  user_name: string[] | null;
  address: string | null;
  netmask: string | null;
  auth_method: string | null;
  options: string[] | null;
  error: string | null;
}

/** Builds the pg_hba_file_rules row for one parsed line. */
export function hbaFileRuleRow(result: HbaLineResult): HbaFileRuleRow {
  const row: HbaFileRuleRow = {
    line_number: result.source.lineNumber, file_name: result.source.file, type: null, database: null, user_name: null,
    address: null, netmask: null, auth_method: null, options: null, error: result.error,
  };
  const line = result.line;
  if (!line) return row;
  row.type = line.connType;
  row.database = line.databases.map((t) => t.text);
  row.user_name = line.roles.map((t) => t.text);
  const a = line.address;
  if (a) {
    if (a.kind === 'cidr') { row.address = formatAddress(a.address); row.netmask = formatAddress(a.mask); }
    else if (a.kind === 'hostname') row.address = a.name;
    else row.address = a.kind;
  }
  row.auth_method = line.method;
  row.options = hbaOptionStrings(line);
  return row;
}

/** Outcome of loading pg_hba.conf: the rules, or the errors (the caller then keeps its previous rules, HBA11). */
export type HbaLoadResult =
  | { readonly ok: true; readonly rules: readonly HbaLine[]; readonly warnings: readonly HbaError[] }
  | { readonly ok: false; readonly errors: readonly HbaError[]; readonly warnings: readonly HbaError[] };

/** ERROR for an unreadable configuration file (58P01 when missing), as the views raise it. */
export function configFileUnreadable(path: string, err: unknown): PgError {
  const missing = (err as { code?: string } | null)?.code === 'ENOENT';
  return new PgError(missing ? SqlState.UNDEFINED_FILE : SqlState.IO_ERROR, `could not open configuration file "${path}": ${describeFsError(err)}`, { cause: err });
}

/** Error context line as PostgreSQL's log shows it. */
export function configContext(file: string, lineNumber: number): string {
  return `line ${lineNumber} of configuration file "${file}"`;
}

/** The F0000 error for a configuration problem, naming file and line. */
export function hbaErrorToPgError(e: HbaError): PgError {
  return new PgError(SqlState.CONFIG_FILE_ERROR, e.message, {
    severity: 'LOG',
    where: configContext(e.file, e.lineNumber),
    ...(e.hint ? { hint: e.hint } : {}),
  });
}

/**
 * Reads, parses and validates pg_hba.conf. Never throws for problems in the file: returns
 * either all rules or every error found. Records with methods Palisade does not implement
 * are errors here (HBA9), as are an unreadable or empty file.
 */
export async function loadHba(reader: ConfigReader, path: string, options: HbaParseOptions & { log?: (m: ConfigLogMessage) => void } = {}): Promise<HbaLoadResult> {
  let lines: TokenizedLine[];
  const warnings: HbaError[] = [];
  const log = (m: ConfigLogMessage) => {
    options.log?.(m);
  };
  try {
    lines = await tokenizeAuthFile(reader, path, { log });
  } catch (err) {
    return { ok: false, errors: [{ file: path, lineNumber: 0, message: `could not open configuration file "${path}": ${describeFsError(err)}` }], warnings };
  }
  const errors: HbaError[] = [];
  const rules: HbaLine[] = [];
  for (const r of parseHbaLines(lines, options)) {
    const at = { file: r.source.file, lineNumber: r.source.lineNumber };
    if (!r.line) {
      errors.push({ ...at, message: r.error ?? 'invalid line', ...(r.hint ? { hint: r.hint } : {}) });
      continue;
    }
    if (r.error !== null) warnings.push({ ...at, message: r.error, ...(r.line.connType === 'hostssl' ? { hint: 'Set ssl = on in postgresql.conf.' } : {}) });
    if (!r.line.supported) {
      errors.push({ ...at, message: `authentication method "${r.line.method}" is not supported by Palisade` });
      continue;
    }
    rules.push(r.line);
  }
  if (errors.length === 0 && rules.length === 0) {
    errors.push({ file: path, lineNumber: 0, message: `configuration file "${path}" contains no entries` });
  }
  for (const w of warnings) log({ message: w.message, file: w.file, lineNumber: w.lineNumber });
  for (const e of errors) log({ message: e.message, file: e.file, lineNumber: e.lineNumber });
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, rules, warnings };
}

/** The rows of pg_hba_file_rules for a file (every line, parse errors included). */
export async function hbaFileRules(reader: ConfigReader, path: string, options: HbaParseOptions = {}): Promise<HbaFileRuleRow[]> {
  let lines: TokenizedLine[];
  try {
    lines = await tokenizeAuthFile(reader, path);
  } catch (err) {
    throw configFileUnreadable(path, err);
  }
  return parseHbaLines(lines, options).map(hbaFileRuleRow);
}
