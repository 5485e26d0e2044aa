// Choosing the pg_hba.conf record for a connection: the first record whose connection type,
// address, database and user all match decides (HBA10). Host names are checked by reverse
// and forward lookup through an injected resolver. Entry points: matchHba, matchHbaAsync.

import { networkInterfaces } from 'node:os';
import { addressEquals, addressInRange, maskOfLength, parseNumericHost, type IpAddress } from './address.ts';
import type { HbaLine, HbaNameToken } from './hba.ts';

/** What the matcher needs to know about a connection. */
export interface HbaConnection {
  type: 'local' | 'host';
  ssl: boolean;
  gssEnc: boolean;
  /** Client IP address for `host` connections. */
  address?: string;
  database: string;
  user: string;
  /** True for a physical replication (walsender) connection. */
  replication: boolean;
}

/** Answers role membership questions by name (A5): direct or indirect, superuser not implied; unknown names are never members. */
export interface RoleMembershipOracle {
  isMemberOf(user: string, role: string): boolean;
}

/** DNS lookups for host-name records (synchronous variant, e.g. over a pre-filled cache). */
export interface HostResolver {
  /** Host name for an address (reverse lookup), or null if none. */
  reverse(address: string): string | null;
  /** Addresses of a host name (forward lookup). */
  forward(hostname: string): string[];
}

/** DNS lookups for host-name records (asynchronous variant, e.g. node:dns). */
export interface AsyncHostResolver {
  reverse(address: string): Promise<string | null>;
  forward(hostname: string): Promise<string[]>;
}

/** A network interface of the server, for `samehost` / `samenet`. */
export interface NetworkInterface {
  address: string;
  netmask: string;
}

/** This host's interfaces as node:os reports them, for `samehost` / `samenet` (zone ids dropped). */
export function systemInterfaces(): NetworkInterface[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => ({ address: i.address.split('%')[0]!, netmask: i.netmask })));
}

/** The environment of a match: interfaces of this host. */
export interface HbaMatchEnvironment {
  interfaces?: readonly NetworkInterface[];
}

/** True if a host name pattern (exact, or `.suffix`) matches a name, case-insensitively (A6). */
export function hostnameMatches(pattern: string, actual: string): boolean {
  const p = pattern.toLowerCase();
  const a = actual.toLowerCase();
  if (p.startsWith('.')) return a.length >= p.length && a.endsWith(p);
  return p === a;
}

function tokenIs(t: HbaNameToken, keyword: string): boolean {
  return !t.quoted && t.text === keyword;
}

function regexMatches(t: HbaNameToken, value: string): boolean {
  return t.regex !== undefined && t.regex.test(value);
}

/** DATABASE column check (A4). */
export function databaseMatches(tokens: readonly HbaNameToken[], conn: HbaConnection, roles: RoleMembershipOracle): boolean {
  for (const t of tokens) {
    if (conn.replication) {
      if (tokenIs(t, 'replication')) return true;
      continue;
    }
    if (tokenIs(t, 'all')) return true;
    if (tokenIs(t, 'sameuser')) { if (conn.database === conn.user) return true; continue; }
    if (tokenIs(t, 'samegroup') || tokenIs(t, 'samerole')) { if (roles.isMemberOf(conn.user, conn.database)) return true; continue; }
    if (tokenIs(t, 'replication')) continue;
    if (t.regex !== undefined) { if (regexMatches(t, conn.database)) return true; continue; }
    if (t.text === conn.database) return true;
  }
  return false;
}

/** USER column check (A5). */
export function userMatches(tokens: readonly HbaNameToken[], user: string, roles: RoleMembershipOracle): boolean {
  for (const t of tokens) {
    if (!t.quoted && t.text.startsWith('+')) {
      if (roles.isMemberOf(user, t.text.slice(1))) return true;
      continue;
    }
    if (t.regex !== undefined) { if (regexMatches(t, user)) return true; continue; }
    if (t.text === user || tokenIs(t, 'all')) return true;
  }
  return false;
}

type HostQuestion = { hostname: string };

// The scan is a generator so that one implementation serves the synchronous and the asynchronous
// resolver: it yields each host-name question and receives whether the client matches it.
function* scan(rules: readonly HbaLine[], conn: HbaConnection, roles: RoleMembershipOracle, env: HbaMatchEnvironment): Generator<HostQuestion, HbaLine | null, boolean> {
  const client = conn.type === 'host' && conn.address !== undefined ? parseNumericHost(conn.address) : null;
  for (const rule of rules) {
    if (rule.connType === 'local') {
      if (conn.type !== 'local') continue;
    } else {
      if (conn.type !== 'host') continue;
      if (conn.ssl ? rule.connType === 'hostnossl' : rule.connType === 'hostssl') continue;
      if (conn.gssEnc ? rule.connType === 'hostnogssenc' : rule.connType === 'hostgssenc') continue;
      const a = rule.address!;
      switch (a.kind) {
        case 'all': break;
        case 'cidr':
          if (!client || !addressInRange(client, a.address, a.mask)) continue;
          break;
        case 'hostname':
          if (!client) continue;
          if (!(yield { hostname: a.name })) continue;
          break;
        case 'samehost':
        case 'samenet':
          if (!client || !sameHostOrNet(client, a.kind, env.interfaces ?? [])) continue;
          break;
      }
    }
    if (!databaseMatches(rule.databases, conn, roles)) continue;
    if (!userMatches(rule.roles, conn.user, roles)) continue;
    return rule;
  }
  return null;
}

function sameHostOrNet(client: IpAddress, kind: 'samehost' | 'samenet', interfaces: readonly NetworkInterface[]): boolean {
  for (const iface of interfaces) {
    const addr = parseNumericHost(iface.address);
    if (!addr) continue;
    const mask = kind === 'samehost' ? maskOfLength(addr.family === 4 ? 32 : 128, addr.family) : parseNumericHost(iface.netmask);
    if (mask && addressInRange(client, addr, mask)) return true;
  }
  return false;
}

function forwardContains(addresses: readonly string[], client: IpAddress): boolean {
  return addresses.some((a) => {
    const parsed = parseNumericHost(a);
    return parsed !== null && addressEquals(parsed, client);
  });
}

/**
 * Returns the first matching record, or null (implicit reject). Host-name records need a
 * resolver; without one they never match. Lookups are done at most once per call.
 */
export function matchHba(rules: readonly HbaLine[], conn: HbaConnection, roles: RoleMembershipOracle, resolver?: HostResolver, env: HbaMatchEnvironment = {}): HbaLine | null {
  const it = scan(rules, conn, roles, env);
  let remote: string | null | undefined;
  let verified: boolean | undefined;
  let step = it.next();
  while (!step.done) {
    let answer = false;
    if (resolver && conn.address !== undefined) {
      if (remote === undefined) remote = resolver.reverse(conn.address);
      if (remote !== null && hostnameMatches(step.value.hostname, remote)) {
        if (verified === undefined) verified = forwardContains(resolver.forward(remote), parseNumericHost(conn.address)!);
        answer = verified;
      }
    }
    step = it.next(answer);
  }
  return step.value;
}

/** {@link matchHba} with an asynchronous resolver (e.g. node:dns/promises); lookup failures count as no match. */
export async function matchHbaAsync(rules: readonly HbaLine[], conn: HbaConnection, roles: RoleMembershipOracle, resolver?: AsyncHostResolver, env: HbaMatchEnvironment = {}): Promise<HbaLine | null> {
  const it = scan(rules, conn, roles, env);
  let remote: string | null | undefined;
  let verified: boolean | undefined;
  let step = it.next();
  while (!step.done) {
    let answer = false;
    if (resolver && conn.address !== undefined) {
      if (remote === undefined) remote = await resolver.reverse(conn.address).catch(() => null);
      if (remote !== null && hostnameMatches(step.value.hostname, remote)) {
        if (verified === undefined) verified = forwardContains(await resolver.forward(remote).catch(() => []), parseNumericHost(conn.address)!);
        answer = verified;
      }
    }
    step = it.next(answer);
  }
  return step.value;
}
