// Definitions of configuration parameters: PostgreSQL 15's full list (name, type, context,
// default, range, unit, enum values, descriptions), as pg_settings describes them.

import pg15Settings from './pg15-settings.json' with { type: 'json' };
import type { BaseUnit } from './units.ts';

/** When a parameter may be changed (pg_settings.context). */
export type GucContext = 'internal' | 'postmaster' | 'sighup' | 'superuser-backend' | 'backend' | 'superuser' | 'user';
export type GucType = 'bool' | 'integer' | 'real' | 'string' | 'enum';

export interface GucDefinition {
  name: string;
  type: GucType;
  context: GucContext;
  category: string;
  shortDesc: string;
  extraDesc: string | null;
  unit: BaseUnit | null;
  min: number | null;
  max: number | null;
  /** Allowed values of an enum parameter, in PostgreSQL's order (visible ones). */
  enumValues: string[] | null;
  /** Values accepted but never shown (e.g. synchronous_commit's `true`, `1`). */
  hiddenEnumValues?: Record<string, string>;
  /** Boot value in the parameter's base unit, as text; null when set by the server at start. */
  bootValue: string | null;
  /** Sent to the client in a ParameterStatus message when it changes (GUC_REPORT). */
  report: boolean;
  /** A placeholder created for a custom (dotted) name that no module defined. */
  placeholder?: boolean;
}

/** Parameters PostgreSQL 15 reports to clients (GUC_REPORT). */
const REPORTED = new Set([
  'application_name', 'client_encoding', 'DateStyle', 'default_transaction_read_only', 'in_hot_standby', 'integer_datetimes',
  'IntervalStyle', 'is_superuser', 'server_encoding', 'server_version', 'session_authorization', 'standard_conforming_strings', 'TimeZone',
]);

/** Aliases enum parameters accept without listing them (PostgreSQL's hidden enum entries). */
const HIDDEN: Record<string, Record<string, string>> = {
  synchronous_commit: { true: 'on', yes: 'on', '1': 'on', false: 'off', no: 'off', '0': 'off' },
  huge_pages: { true: 'on', yes: 'on', '1': 'on', false: 'off', no: 'off', '0': 'off' },
  constraint_exclusion: { true: 'on', yes: 'on', '1': 'on', false: 'off', no: 'off', '0': 'off' },
  backslash_quote: { true: 'on', yes: 'on', '1': 'on', false: 'off', no: 'off', '0': 'off' },
  wal_compression: { true: 'pglz', yes: 'pglz', '1': 'pglz', false: 'off', no: 'off', '0': 'off' },
  recovery_prefetch: { true: 'on', yes: 'on', '1': 'on', false: 'off', no: 'off', '0': 'off' },
  password_encryption: {},
  wal_level: { archive: 'replica', hot_standby: 'replica' },
  archive_mode: { true: 'on', yes: 'on', '1': 'on', false: 'off', no: 'off', '0': 'off' },
  xmloption: {},
  session_replication_role: {},
};

interface RawSetting {
  name: string; unit: string | null; category: string; short_desc: string; extra_desc: string | null; context: string;
  vartype: string; min_val: string | null; max_val: string | null; enumvals: string[] | null; boot_val: string | null;
}

/** PostgreSQL 15's parameters by lower-case name. */
export const builtinDefinitions: ReadonlyMap<string, GucDefinition> = new Map(
  (pg15Settings as RawSetting[]).map((s) => {
    const def: GucDefinition = {
      name: s.name,
      type: s.vartype as GucType,
      context: s.context as GucContext,
      category: s.category,
      shortDesc: s.short_desc,
      extraDesc: s.extra_desc,
      unit: (s.unit as BaseUnit | null) ?? null,
      min: s.min_val === null ? null : Number(s.min_val),
      max: s.max_val === null ? null : Number(s.max_val),
      enumValues: s.enumvals,
      bootValue: s.boot_val,
      report: REPORTED.has(s.name),
    };
    const hidden = HIDDEN[s.name];
    if (hidden) def.hiddenEnumValues = hidden;
    return [s.name.toLowerCase(), def] as const;
  }),
);
