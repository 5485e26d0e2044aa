// The server's view of its configuration: postgresql.conf plus start-up overrides evaluated with
// @palisade/sql's GucRegistry, turned into typed values, and Palisade's own `palisade.*`
// parameters (authentication throttling). Entry points: loadServerSettings, PALISADE_PARAMETERS.

import { PgError, SqlState, type FileSystem } from '@palisade/common';
import { GucRegistry, type GucDefinition, type GucValue } from '@palisade/sql';
import { readConfigFile, configFileError, type ConfigItem } from '../config/conf-file.ts';
import { evaluateConfig } from '../config/apply.ts';

const sighupInteger = (name: string, bootValue: string, min: number, max: number, unit: 'ms' | null, shortDesc: string): GucDefinition => ({
  name, type: 'integer', context: 'sighup', category: 'Connections and Authentication / Authentication', shortDesc, extraDesc: null,
  unit, min, max, enumValues: null, bootValue, report: false,
});

/** Palisade's parameters beyond PostgreSQL's (README AUTHN10). All take effect at reload. */
export const PALISADE_PARAMETERS: readonly GucDefinition[] = [
  {
    name: 'palisade.auth_failure_throttle', type: 'bool', context: 'sighup', category: 'Connections and Authentication / Authentication',
    shortDesc: 'Delays authentication attempts after failures from the same address or for the same role.', extraDesc: null,
    unit: null, min: null, max: null, enumValues: null, bootValue: 'on', report: false,
  },
  sighupInteger('palisade.auth_failure_delay', '250', 0, 600_000, 'ms', 'Delay after the first failed authentication; doubles with each further failure.'),
  sighupInteger('palisade.auth_failure_delay_max', '30000', 0, 600_000, 'ms', 'Longest delay before an authentication attempt.'),
  sighupInteger('palisade.auth_failure_window', '900000', 1, 86_400_000, 'ms', 'Failures older than this are forgotten.'),
  sighupInteger('palisade.connection_rate_limit', '10', 0, 1_000_000, null, 'New connections per second and client address (0 = unlimited).'),
  sighupInteger('palisade.connection_rate_burst', '20', 1, 1_000_000, null, 'Connections a client address may open at once before the rate limit applies.'),
];

/** A registry with PostgreSQL 15's parameters and Palisade's own; the `palisade` prefix is reserved. */
export function serverRegistry(): GucRegistry {
  const registry = new GucRegistry();
  for (const def of PALISADE_PARAMETERS) registry.define(def);
  registry.reservePrefix('palisade');
  return registry;
}

/** The typed settings the postmaster and sessions read. */
export interface ServerSettings {
  readonly listenAddresses: readonly string[];
  readonly port: number;
  readonly unixSocketDirectories: readonly string[];
  readonly unixSocketPermissions: number;
  readonly maxConnections: number;
  readonly superuserReservedConnections: number;
  readonly authenticationTimeoutMs: number;
  readonly ssl: boolean;
  readonly sslCertFile: string;
  readonly sslKeyFile: string;
  readonly sslCaFile: string;
  readonly sslMinProtocolVersion: string;
  readonly sslMaxProtocolVersion: string;
  readonly passwordEncryption: 'scram-sha-256' | 'md5';
  readonly logConnections: boolean;
  readonly logDisconnections: boolean;
  readonly logLinePrefix: string;
  readonly logMinMessages: string;
  readonly hbaFile: string;
  readonly identFile: string;
  readonly timeZone: string;
  readonly dateStyle: string;
  readonly intervalStyle: string;
  readonly statementTimeoutMs: number;
  readonly idleInTransactionSessionTimeoutMs: number;
  readonly defaultTransactionReadOnly: boolean;
  readonly authFailureThrottle: boolean;
  readonly authFailureDelayMs: number;
  readonly authFailureDelayMaxMs: number;
  readonly authFailureWindowMs: number;
  readonly connectionRateLimit: number;
  readonly connectionRateBurst: number;
  /** Every evaluated value by canonical name, for reload comparisons. */
  readonly values: ReadonlyMap<string, { value: GucValue }>;
}

/** Splits a comma-separated list parameter (listen_addresses, unix_socket_directories). */
export function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1')).filter((s) => s !== '');
}

function resolvePath(dataDir: string, path: string): string {
  return path.startsWith('/') ? path : `${dataDir}/${path}`;
}

/** Mode parameters are written in octal (`0770`), as PostgreSQL's strtol(…, 0) reads them. */
const MODE_PARAMETERS = new Set(['unix_socket_permissions', 'log_file_mode']);
function octalModes(item: ConfigItem): ConfigItem {
  const value = item.value.trim();
  if (!MODE_PARAMETERS.has(item.name.toLowerCase()) || !/^0[0-7]+$/.test(value)) return item;
  return { ...item, value: String(parseInt(value, 8)) };
}

/** Result of reading the configuration: the settings, plus LOG notes and problems (at reload). */
export interface LoadedSettings {
  settings: ServerSettings;
  notes: string[];
  problems: string[];
}

/**
 * Reads `<dataDir>/postgresql.conf` (when present) and applies `overrides` over it as the command
 * line does. At start-up any problem is FATAL; at reload (`previous` given) problems are returned
 * and the bad values are left out.
 */
export async function loadServerSettings(
  fs: FileSystem, dataDir: string, overrides: Readonly<Record<string, string | number | boolean>>, previous?: ServerSettings,
): Promise<LoadedSettings> {
  const registry = serverRegistry();
  const confPath = `${dataDir}/postgresql.conf`;
  const items: ConfigItem[] = [];
  const problems: string[] = [];
  if (await fs.exists(confPath)) {
    const read = await readConfigFile(fs, confPath);
    if (read.problems.length > 0) {
      if (!previous) throw configFileError(confPath, read.problems);
      problems.push(...read.problems.map((p) => p.message));
    } else items.push(...read.items);
  }
  for (const [name, value] of Object.entries(overrides)) {
    items.push({ name, value: typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value), file: '(command line)', line: 0 });
  }
  const evaluated = evaluateConfig(registry, items.map(octalModes), previous ? { previous: previous.values } : {});
  if (evaluated.problems.length > 0) {
    if (!previous) throw configFileError(confPath, evaluated.problems);
    problems.push(...evaluated.problems.map((p) => p.message));
  }
  const values = new Map<string, { value: GucValue }>(evaluated.values);
  // A reload keeps the previous value of a postmaster parameter whose change was refused.
  if (previous) {
    for (const [name, v] of previous.values) {
      const def = registry.lookup(name);
      if (def?.context === 'postmaster' && !values.has(name)) values.set(name, v);
    }
  }
  const get = (name: string): GucValue => {
    const def = registry.lookup(name);
    if (!def) throw new PgError(SqlState.INTERNAL_ERROR, `unknown parameter ${name}`);
    return values.get(def.name)?.value ?? registry.bootValue(def) ?? '';
  };
  const str = (name: string) => String(get(name));
  const num = (name: string) => Number(get(name));
  const bool = (name: string) => get(name) === true;
  const settings: ServerSettings = {
    listenAddresses: splitList(str('listen_addresses')),
    port: num('port'),
    unixSocketDirectories: splitList(str('unix_socket_directories')),
    unixSocketPermissions: num('unix_socket_permissions'),
    maxConnections: num('max_connections'),
    superuserReservedConnections: num('superuser_reserved_connections'),
    authenticationTimeoutMs: num('authentication_timeout') * 1000,
    ssl: bool('ssl'),
    sslCertFile: resolvePath(dataDir, str('ssl_cert_file')),
    sslKeyFile: resolvePath(dataDir, str('ssl_key_file')),
    sslCaFile: str('ssl_ca_file') === '' ? '' : resolvePath(dataDir, str('ssl_ca_file')),
    sslMinProtocolVersion: str('ssl_min_protocol_version'),
    sslMaxProtocolVersion: str('ssl_max_protocol_version'),
    passwordEncryption: str('password_encryption') === 'md5' ? 'md5' : 'scram-sha-256',
    logConnections: bool('log_connections'),
    logDisconnections: bool('log_disconnections'),
    logLinePrefix: str('log_line_prefix'),
    logMinMessages: str('log_min_messages'),
    hbaFile: str('hba_file') === '' ? `${dataDir}/pg_hba.conf` : resolvePath(dataDir, str('hba_file')),
    identFile: str('ident_file') === '' ? `${dataDir}/pg_ident.conf` : resolvePath(dataDir, str('ident_file')),
    timeZone: str('TimeZone'),
    dateStyle: str('DateStyle'),
    intervalStyle: str('IntervalStyle'),
    statementTimeoutMs: num('statement_timeout'),
    idleInTransactionSessionTimeoutMs: num('idle_in_transaction_session_timeout'),
    defaultTransactionReadOnly: bool('default_transaction_read_only'),
    authFailureThrottle: bool('palisade.auth_failure_throttle'),
    authFailureDelayMs: num('palisade.auth_failure_delay'),
    authFailureDelayMaxMs: Math.max(num('palisade.auth_failure_delay_max'), num('palisade.auth_failure_delay')),
    authFailureWindowMs: num('palisade.auth_failure_window'),
    connectionRateLimit: num('palisade.connection_rate_limit'),
    connectionRateBurst: num('palisade.connection_rate_burst'),
    values,
  };
  return { settings, notes: evaluated.notes, problems };
}
