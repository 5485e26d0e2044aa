// The ParameterStatus messages sent after authentication (AUTHN9): PostgreSQL 15's GUC_REPORT
// parameters, in its order. Entry point: reportedParameters.

import type { ServerSettings } from '../postmaster/settings.ts';

const ENCODING_ALIASES: Record<string, string> = { utf8: 'UTF8', 'utf-8': 'UTF8', unicode: 'UTF8', sql_ascii: 'SQL_ASCII', latin1: 'LATIN1' };

/** Canonical spelling of a client_encoding value ('UTF8' for utf-8 and friends). */
export function canonicalEncoding(name: string): string {
  return ENCODING_ALIASES[name.toLowerCase()] ?? name.toUpperCase();
}

/** [name, value] pairs, alphabetical as PostgreSQL reports them. Start-up parameters override the server's values. */
export function reportedParameters(
  s: ServerSettings, serverVersion: string, startup: ReadonlyMap<string, string>, user: string, superuser: boolean,
): Array<[string, string]> {
  const param = (name: string): string | undefined => {
    for (const [k, v] of startup) if (k.toLowerCase() === name.toLowerCase()) return v;
    return undefined;
  };
  return [
    ['application_name', param('application_name') ?? ''],
    ['client_encoding', canonicalEncoding(param('client_encoding') ?? 'UTF8')],
    ['DateStyle', param('DateStyle') ?? s.dateStyle],
    ['default_transaction_read_only', s.defaultTransactionReadOnly ? 'on' : 'off'],
    ['in_hot_standby', 'off'],
    ['integer_datetimes', 'on'],
    ['IntervalStyle', param('IntervalStyle') ?? s.intervalStyle],
    ['is_superuser', superuser ? 'on' : 'off'],
    ['server_encoding', 'UTF8'],
    ['server_version', serverVersion],
    ['session_authorization', user],
    ['standard_conforming_strings', 'on'],
    ['TimeZone', param('TimeZone') ?? s.timeZone],
  ];
}
