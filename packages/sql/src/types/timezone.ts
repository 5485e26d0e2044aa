// Time zones for timestamptz and timetz: offsets come from the platform's IANA database
// through Intl.DateTimeFormat (no rules are bundled), plus fixed zones: 'UTC'/'Z'/'GMT',
// ISO offsets ('+05', '-03:30') and POSIX-style 'XXX±h[:mm]' (hours WEST of UTC, as POSIX).
// Entry points: resolveZone, utcOffsetSec, localToUtcOffsetSec, zoneAbbrev.

import { PgError, SqlState } from '@palisade/common';

/** A resolved zone: either fixed (seconds EAST of UTC) or an IANA name. */
export type Zone = { kind: 'fixed'; eastSec: number; abbrev: string } | { kind: 'iana'; name: string };

const zoneCache = new Map<string, Zone | null>();
const CACHE_MAX = 1000;
const fmtCache = new Map<string, Intl.DateTimeFormat>();

function formatter(name: string): Intl.DateTimeFormat | undefined {
  let f = fmtCache.get(name);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    return undefined;
  }
  if (fmtCache.size < CACHE_MAX) fmtCache.set(name, f);
  return f;
}

function formatOffsetAbbrev(eastSec: number): string {
  const sign = eastSec < 0 ? '-' : '+';
  const a = Math.abs(eastSec);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  return `${sign}${String(h).padStart(2, '0')}${m || s ? String(m).padStart(2, '0') : ''}${s ? String(s).padStart(2, '0') : ''}`;
}

/** Resolves a TimeZone setting or a zone name in input; undefined when unknown. */
export function resolveZone(text: string): Zone | undefined {
  const cached = zoneCache.get(text);
  if (cached !== undefined) return cached ?? undefined;
  const z = resolveUncached(text);
  if (zoneCache.size < CACHE_MAX) zoneCache.set(text, z ?? null);
  return z;
}

function resolveUncached(text: string): Zone | undefined {
  const lower = text.toLowerCase();
  if (lower === 'utc' || lower === 'z' || lower === 'gmt' || lower === 'zulu' || lower === 'etc/utc' || lower === 'uct') {
    return { kind: 'fixed', eastSec: 0, abbrev: lower === 'gmt' ? 'GMT' : 'UTC' };
  }
  // ISO-style offset: hours EAST.
  let m = /^([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (m) {
    const sec = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    const east = m[1] === '-' ? -sec : sec;
    return { kind: 'fixed', eastSec: east, abbrev: formatOffsetAbbrev(east) };
  }
  // POSIX: name then hours WEST.
  m = /^([A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(text);
  if (m) {
    const sec = Number(m[3]) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0);
    return { kind: 'fixed', eastSec: m[2] === '-' ? sec : -sec, abbrev: m[1]!.toUpperCase() };
  }
  if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(text) && formatter(text)) {
    return { kind: 'iana', name: text };
  }
  return undefined;
}

/** The zone for the session's TimeZone; unknown names are 22023 as SET would report them. */
export function sessionZone(timeZone: string): Zone {
  const z = resolveZone(timeZone);
  if (!z) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${timeZone}" not recognized`);
  return z;
}

const MS_PER_DAY = 86_400_000;
/** Intl handles years up to 275760; beyond (and before year 1), reuse a year with the same calendar. */
function clampForIntl(utcMs: number): number {
  const min = -62_135_596_800_000; // 0001-01-01
  const max = 8_639_000_000_000_000 - MS_PER_DAY * 400;
  if (utcMs < min) return min + (((utcMs - min) % (MS_PER_DAY * 146097)) + MS_PER_DAY * 146097) % (MS_PER_DAY * 146097);
  if (utcMs > max) return max - (MS_PER_DAY * 146097) + ((utcMs - max) % (MS_PER_DAY * 146097));
  return utcMs;
}

const HOUR_MS = 3_600_000;
const OFFSET_CACHE_MAX = 50_000;
/** zone name → hour index → offset, for hours with no transition inside (Intl is slow). */
const offsetCache = new Map<string, Map<number, number>>();

/** Offset in seconds EAST of UTC at a UTC instant (ms since 1970). */
export function utcOffsetSec(zone: Zone, utcMs: number): number {
  if (zone.kind === 'fixed') return zone.eastSec;
  let byHour = offsetCache.get(zone.name);
  if (!byHour) {
    if (offsetCache.size >= CACHE_MAX) offsetCache.clear();
    byHour = new Map();
    offsetCache.set(zone.name, byHour);
  }
  const hour = Math.floor(utcMs / HOUR_MS);
  const hit = byHour.get(hour);
  if (hit !== undefined) return hit;
  const start = intlOffsetSec(zone.name, hour * HOUR_MS);
  const end = intlOffsetSec(zone.name, hour * HOUR_MS + HOUR_MS - 1000);
  if (start !== end) return intlOffsetSec(zone.name, utcMs);
  if (byHour.size >= OFFSET_CACHE_MAX) byHour.clear();
  byHour.set(hour, start);
  return start;
}

function intlOffsetSec(name: string, utcMs: number): number {
  const f = formatter(name)!;
  const t = Math.floor(clampForIntl(utcMs) / 1000) * 1000;
  const parts = f.formatToParts(t);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const d = new Date(Date.UTC(2000, get('month') - 1, get('day'), get('hour'), get('minute'), get('second')));
  d.setUTCFullYear(year);
  return Math.round((d.getTime() - t) / 1000);
}

/**
 * The offset (seconds EAST) to apply to a local time in `zone`, as PostgreSQL's
 * DetermineTimeZoneOffset: in a spring-forward gap the offset before the transition, in a
 * fall-back overlap the offset after it.
 */
export function localToUtcOffsetSec(zone: Zone, localMs: number): number {
  if (zone.kind === 'fixed') return zone.eastSec;
  const before = utcOffsetSec(zone, localMs - MS_PER_DAY);
  const after = utcOffsetSec(zone, localMs + MS_PER_DAY);
  if (before === after) {
    const o = utcOffsetSec(zone, localMs - before * 1000);
    if (o === before) return before;
  }
  // Find the transition instant between the two candidates by bisection (bounded: 64 steps).
  let lo = localMs - MS_PER_DAY;
  let hi = localMs + MS_PER_DAY;
  const oLo = utcOffsetSec(zone, lo);
  for (let i = 0; i < 64 && hi - lo > 1000; i++) {
    const mid = Math.floor((lo + hi) / 2);
    if (utcOffsetSec(zone, mid) === oLo) lo = mid;
    else hi = mid;
  }
  const boundary = hi;
  const oHi = utcOffsetSec(zone, hi);
  const beforeTime = localMs - oLo * 1000;
  const afterTime = localMs - oHi * 1000;
  if (beforeTime < boundary && afterTime < boundary) return oLo;
  if (beforeTime >= boundary && afterTime >= boundary) return oHi;
  return beforeTime > afterTime ? oLo : oHi;
}

const abbrevCache = new Map<string, string>();

/** The zone abbreviation PostgreSQL prints in SQL/Postgres/German styles (e.g. EST, CET, +05). */
export function zoneAbbrev(zone: Zone, utcMs: number, eastSec: number): string {
  if (zone.kind === 'fixed') return zone.abbrev;
  const key = `${zone.name}|${eastSec}`;
  const hit = abbrevCache.get(key);
  if (hit) return hit;
  let abbrev: string | undefined;
  for (const locale of ['en-US', 'en-GB', 'en-AU', 'en-IN']) {
    try {
      const parts = new Intl.DateTimeFormat(locale, { timeZone: zone.name, timeZoneName: 'short' }).formatToParts(clampForIntl(utcMs));
      const name = parts.find((p) => p.type === 'timeZoneName')?.value;
      if (name && /^[A-Z]{2,5}$/.test(name) && name !== 'GMT') { abbrev = name; break; }
      if (name === 'GMT' || name === 'UTC') { abbrev = eastSec === 0 ? name : undefined; if (abbrev) break; }
    } catch {
      break;
    }
  }
  // Local mean time (offsets with seconds, before standard zones) is printed as LMT.
  abbrev ??= eastSec % 60 !== 0 ? 'LMT' : formatOffsetAbbrev(eastSec);
  if (abbrevCache.size < CACHE_MAX) abbrevCache.set(key, abbrev);
  return abbrev;
}
