// date, time, timetz, timestamp, timestamptz and interval: PostgreSQL's tokenizer and field
// decoder for date/time input (ISO 8601, 'Mon DD YYYY', 'MM/DD/YYYY' per DateStyle order,
// special words, BC, time zones), output in the four DateStyles and four IntervalStyles,
// binary formats (int32 days, int64 µs), precision typmods and range errors.
// Entry points: the TypeImpls at the bottom (dateType … intervalType).

import { PgError, SqlState } from '@palisade/common';
import {
  ByteReader, ByteWriter, type Datum, type Interval, type IoContext, type TimeTz, type TypeImpl, cmp, hashString,
} from './datum.ts';
import { type Zone, localToUtcOffsetSec, resolveZone, sessionZone, utcOffsetSec, zoneAbbrev } from './timezone.ts';

export const POSTGRES_EPOCH_JDATE = 2451545;
const UNIX_EPOCH_JDATE = 2440588;
export const USECS_PER_DAY = 86_400_000_000n;
const USECS_PER_SEC = 1_000_000n;
export const DT_NOBEGIN = -(2n ** 63n);
export const DT_NOEND = 2n ** 63n - 1n;
const DATE_END_JULIAN = 2147483494;
const MIN_TIMESTAMP = -211813488000000000n;
const END_TIMESTAMP = 9223371331200000000n;
const MAX_TIME_PRECISION = 6;
const MAX_TZDISP_HOUR = 15;

// ---- calendar ------------------------------------------------------------------------------

/** Julian day number of a proleptic Gregorian date (year 0 = 1 BC). */
export function date2j(y: number, m: number, d: number): number {
  let yy = y;
  let mm = m;
  if (mm > 2) { mm += 1; yy += 4800; } else { mm += 13; yy += 4799; }
  const century = Math.floor(yy / 100);
  let julian = yy * 365 - 32167;
  julian += Math.floor(yy / 4) - century + Math.floor(century / 4);
  julian += Math.floor((7834 * mm) / 256) + d;
  return julian;
}

/** The date of a Julian day number. */
export function j2date(jd: number): { year: number; month: number; day: number } {
  let julian = jd + 32044;
  let quad = Math.floor(julian / 146097);
  const extra = (julian - quad * 146097) * 4 + 3;
  julian += 60 + quad * 3 + Math.floor(extra / 146097);
  quad = Math.floor(julian / 1461);
  julian -= quad * 1461;
  let y = Math.floor((julian * 4) / 1461);
  julian = (y !== 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123;
  y += quad * 4;
  const year = y - 4800;
  quad = Math.floor((julian * 2141) / 65536);
  const day = julian - Math.floor((7834 * quad) / 256);
  const month = ((quad + 10) % 12) + 1;
  return { year, month, day };
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysIn(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1]!;
}

function isValidJulian(y: number, m: number, d: number): boolean {
  void d;
  return (y > -4713 || (y === -4713 && m >= 11)) && (y < 5874898 || (y === 5874898 && m < 6));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// ---- errors --------------------------------------------------------------------------------

type DtErr = 'bad' | 'field' | 'mdfield' | 'interval' | 'tzdisp';

class DateTimeError extends Error {
  constructor(readonly kind: DtErr) {
    super(kind);
  }
}

function dtErr(kind: DtErr): never {
  throw new DateTimeError(kind);
}

/** DateTimeParseError: the SQLSTATE and message for a decoding failure. */
function parseError(kind: DtErr, text: string, typeName: string): PgError {
  switch (kind) {
    case 'field':
      return new PgError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`);
    case 'mdfield':
      return new PgError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`, {
        hint: 'Perhaps you need a different "datestyle" setting.',
      });
    case 'interval':
      return new PgError(SqlState.INTERVAL_FIELD_OVERFLOW, `interval field value out of range: "${text}"`);
    case 'tzdisp':
      return new PgError(SqlState.INVALID_TIME_ZONE_DISPLACEMENT_VALUE, `time zone displacement out of range: "${text}"`);
    default:
      return new PgError(SqlState.INVALID_DATETIME_FORMAT, `invalid input syntax for type ${typeName}: "${text}"`);
  }
}

function withParseErrors<T>(text: string, typeName: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DateTimeError) throw parseError(e.kind, text, typeName);
    throw e;
  }
}

// ---- DateStyle -----------------------------------------------------------------------------

type DateOrder = 'MDY' | 'DMY' | 'YMD';
type DateStyleName = 'ISO' | 'SQL' | 'Postgres' | 'German';

const styleCache = new Map<string, { style: DateStyleName; order: DateOrder }>();

/** Parses a DateStyle setting such as 'ISO, MDY' or 'SQL, DMY'. */
export function parseDateStyle(ds: string): { style: DateStyleName; order: DateOrder } {
  const hit = styleCache.get(ds);
  if (hit) return hit;
  let style: DateStyleName = 'ISO';
  let order: DateOrder = 'MDY';
  let orderSet = false;
  for (const raw of ds.split(',')) {
    const w = raw.trim().toLowerCase();
    if (w === 'iso') style = 'ISO';
    else if (w === 'sql') style = 'SQL';
    else if (w === 'postgres') style = 'Postgres';
    else if (w === 'german') { style = 'German'; if (!orderSet) order = 'DMY'; }
    else if (w === 'mdy' || w === 'us' || w === 'noneuropean') { order = 'MDY'; orderSet = true; }
    else if (w === 'dmy' || w === 'euro' || w === 'european') { order = 'DMY'; orderSet = true; }
    else if (w === 'ymd') { order = 'YMD'; orderSet = true; }
  }
  const r = { style, order };
  if (styleCache.size < 64) styleCache.set(ds, r);
  return r;
}

// ---- tokenizer (ParseDateTime) -------------------------------------------------------------

type FieldType = 'number' | 'date' | 'time' | 'tz' | 'string' | 'special';
interface Field { text: string; type: FieldType }

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c: string | undefined) => isDigit(c) || isAlpha(c);
const isWs = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

const MAXDATEFIELDS = 25;

function tokenize(s: string): Field[] {
  const fields: Field[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    if (fields.length >= MAXDATEFIELDS) dtErr('bad');
    const c = s[i]!;
    if (isWs(c)) { i++; continue; }
    const start = i;
    if (isDigit(c)) {
      while (isDigit(s[i])) i++;
      if (s[i] === ':') {
        while (isDigit(s[i]) || s[i] === ':' || s[i] === '.') i++;
        fields.push({ text: s.slice(start, i), type: 'time' });
      } else if (s[i] === '-' || s[i] === '/' || s[i] === '.') {
        const delim = s[i]!;
        i++;
        if (isDigit(s[i])) {
          let type: FieldType = delim === '.' ? 'number' : 'date';
          while (isDigit(s[i])) i++;
          if (s[i] === delim) {
            type = 'date';
            while (isDigit(s[i]) || s[i] === delim) i++;
          }
          fields.push({ text: s.slice(start, i).toLowerCase(), type });
        } else {
          while (isAlnum(s[i]) || s[i] === delim) i++;
          fields.push({ text: s.slice(start, i).toLowerCase(), type: 'date' });
        }
      } else {
        fields.push({ text: s.slice(start, i), type: 'number' });
      }
    } else if (c === '.') {
      i++;
      while (isDigit(s[i])) i++;
      fields.push({ text: s.slice(start, i), type: 'number' });
    } else if (isAlpha(c)) {
      while (isAlpha(s[i])) i++;
      let isDate = s[i] === '-' || s[i] === '/' || s[i] === '.';
      if (!isDate && (s[i] === '+' || isDigit(s[i]))) isDate = lookupKeyword(s.slice(start, i).toLowerCase()) === undefined;
      if (isDate) {
        while (i < n && (s[i] === '+' || s[i] === '-' || s[i] === '/' || s[i] === '_' || s[i] === '.' || s[i] === ':' || isAlnum(s[i]))) i++;
        fields.push({ text: s.slice(start, i).toLowerCase(), type: 'date' });
      } else {
        fields.push({ text: s.slice(start, i).toLowerCase(), type: 'string' });
      }
    } else if (c === '+' || c === '-') {
      i++;
      while (isWs(s[i])) i++;
      if (isDigit(s[i])) {
        while (isDigit(s[i]) || s[i] === ':' || s[i] === '.') i++;
        fields.push({ text: c + s.slice(start + 1, i).replace(/^[ \t\n\r\v\f]+/, ''), type: 'tz' });
      } else if (isAlpha(s[i])) {
        while (isAlpha(s[i])) i++;
        fields.push({ text: c + s.slice(start + 1, i).replace(/^[ \t\n\r\v\f]+/, '').toLowerCase(), type: 'special' });
      } else dtErr('bad');
    } else if (/[!-/:-@[-`{-~]/.test(c)) {
      i++;
    } else dtErr('bad');
  }
  return fields;
}

// ---- keywords ------------------------------------------------------------------------------

type Kw =
  | { k: 'month'; v: number } | { k: 'dow' } | { k: 'ampm'; v: 'am' | 'pm' } | { k: 'adbc'; v: 'ad' | 'bc' }
  | { k: 'special'; v: 'epoch' | 'infinity' | '-infinity' | 'now' | 'today' | 'tomorrow' | 'yesterday' | 'allballs' }
  | { k: 'tz'; east: number } | { k: 'dtz'; east: number } | { k: 'ignore' } | { k: 'isotime' } | { k: 'julian' };

const KEYWORDS = new Map<string, Kw>();
(() => {
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const full = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
  months.forEach((m, k) => KEYWORDS.set(m, { k: 'month', v: k + 1 }));
  full.forEach((m, k) => KEYWORDS.set(m, { k: 'month', v: k + 1 }));
  KEYWORDS.set('sept', { k: 'month', v: 9 });
  for (const d of ['sun', 'mon', 'tue', 'tues', 'wed', 'wednes', 'thu', 'thur', 'thurs', 'fri', 'sat', 'sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']) {
    KEYWORDS.set(d, { k: 'dow' });
  }
  KEYWORDS.set('am', { k: 'ampm', v: 'am' });
  KEYWORDS.set('pm', { k: 'ampm', v: 'pm' });
  KEYWORDS.set('a.m.', { k: 'ampm', v: 'am' });
  KEYWORDS.set('p.m.', { k: 'ampm', v: 'pm' });
  KEYWORDS.set('ad', { k: 'adbc', v: 'ad' });
  KEYWORDS.set('bc', { k: 'adbc', v: 'bc' });
  for (const s of ['epoch', 'infinity', '-infinity', 'now', 'today', 'tomorrow', 'yesterday', 'allballs'] as const) KEYWORDS.set(s, { k: 'special', v: s });
  KEYWORDS.set('+infinity', { k: 'special', v: 'infinity' });
  KEYWORDS.set('on', { k: 'ignore' });
  KEYWORDS.set('at', { k: 'ignore' });
  KEYWORDS.set('t', { k: 'isotime' });
  KEYWORDS.set('j', { k: 'julian' });
  KEYWORDS.set('z', { k: 'tz', east: 0 });
  KEYWORDS.set('zulu', { k: 'tz', east: 0 });
  KEYWORDS.set('utc', { k: 'tz', east: 0 });
  KEYWORDS.set('gmt', { k: 'tz', east: 0 });
  KEYWORDS.set('ut', { k: 'tz', east: 0 });
  // A subset of the 'Default' timezone_abbreviations set (hours east).
  const abbrevs: Array<[string, number, boolean]> = [
    ['est', -5, false], ['edt', -4, true], ['cst', -6, false], ['cdt', -5, true], ['mst', -7, false], ['mdt', -6, true],
    ['pst', -8, false], ['pdt', -7, true], ['akst', -9, false], ['akdt', -8, true], ['hst', -10, false],
    ['cet', 1, false], ['cest', 2, true], ['met', 1, false], ['mest', 2, true], ['eet', 2, false], ['eest', 3, true],
    ['wet', 0, false], ['west', 1, true], ['bst', 1, true], ['jst', 9, false], ['kst', 9, false], ['msk', 3, false],
    ['nzst', 12, false], ['nzdt', 13, true], ['aest', 10, false], ['aedt', 11, true], ['acst', 9.5, false],
    ['awst', 8, false], ['ist', 2, false], ['sgt', 8, false], ['hkt', 8, false],
  ];
  for (const [name, h, dst] of abbrevs) KEYWORDS.set(name, dst ? { k: 'dtz', east: h * 3600 } : { k: 'tz', east: h * 3600 });
})();

function lookupKeyword(s: string): Kw | undefined {
  return KEYWORDS.get(s);
}

// ---- decoding ------------------------------------------------------------------------------

const F_YEAR = 1, F_MONTH = 2, F_DAY = 4, F_HOUR = 8, F_MIN = 16, F_SEC = 32, F_TZ = 64, F_AMPM = 128, F_ADBC = 256, F_DOW = 512;
const F_DATE = F_YEAR | F_MONTH | F_DAY;
const F_TIME = F_HOUR | F_MIN | F_SEC;

interface Tm {
  year: number; month: number; day: number; hour: number; min: number; sec: number; usec: number;
  fmask: number; is2digits: boolean; bc: boolean; ampm?: 'am' | 'pm';
  /** Seconds EAST of UTC when the input gave a zone; zone when it gave a name. */
  tzEast?: number; zone?: Zone;
  special?: string;
  haveTextMonth: boolean;
}

function newTm(): Tm {
  return { year: 0, month: 0, day: 0, hour: 0, min: 0, sec: 0, usec: 0, fmask: 0, is2digits: false, bc: false, haveTextMonth: false };
}

function setBit(tm: Tm, bit: number): void {
  if (tm.fmask & bit) dtErr('bad');
  tm.fmask |= bit;
}

/** Fraction text (with its leading '.') as microseconds, rounded as PostgreSQL's rint(frac * 1e6). */
function fracToUsec(frac: string): number {
  if (frac === '' || frac === '.') return 0;
  const v = Number(`0${frac}`);
  if (Number.isNaN(v)) dtErr('bad');
  return Math.round(v * 1e6);
}

/** DecodeTime: hh:mm[:ss[.frac]], or mm:ss.frac when the second part has a fraction. */
function decodeTime(tm: Tm, text: string): void {
  const m = /^(\d+):(\d+)(?::(\d+)(\.\d*)?|(\.\d*))?$/.exec(text);
  if (!m) dtErr('bad');
  let hour = Number(m[1]);
  let min = Number(m[2]);
  let sec = m[3] !== undefined ? Number(m[3]) : 0;
  let usec = 0;
  if (m[5] !== undefined) {
    // mm:ss.frac
    sec = min; min = hour; hour = 0;
    usec = fracToUsec(m[5]);
  } else if (m[4] !== undefined) usec = fracToUsec(m[4]);
  if (hour < 0 || min < 0 || min > 59 || sec < 0 || sec > 60 || usec < 0 || usec > 1_000_000) dtErr('field');
  setBit(tm, F_TIME);
  tm.hour = hour; tm.min = min; tm.sec = sec; tm.usec = usec;
}

/** DecodeTimezone: +h, +hh, +hhmm, +hh:mm, +hh:mm:ss → seconds EAST. */
function decodeTimezone(text: string): number {
  const sign = text[0] === '-' ? -1 : 1;
  const body = text.slice(1);
  let h: number, m = 0, s = 0;
  let mm = /^(\d+):(\d+)(?::(\d+))?$/.exec(body);
  if (mm) { h = Number(mm[1]); m = Number(mm[2]); s = Number(mm[3] ?? 0); }
  else if ((mm = /^(\d+)$/.exec(body))) {
    const d = mm[1]!;
    if (d.length > 2) { h = Number(d.slice(0, d.length - 2)); m = Number(d.slice(-2)); if (d.length > 4) { h = Number(d.slice(0, d.length - 4)); m = Number(d.slice(-4, -2)); s = Number(d.slice(-2)); } }
    else h = Number(d);
  } else dtErr('bad');
  if (h > MAX_TZDISP_HOUR) dtErr('tzdisp');
  if (m > 59 || s > 59) dtErr('field');
  return sign * (h * 3600 + m * 60 + s);
}

/** DecodeNumber: a lone number's meaning from what is already known and the DateStyle order. */
function decodeNumber(tm: Tm, text: string, order: DateOrder, haveTime: boolean): void {
  const dot = text.indexOf('.');
  if (dot >= 0) {
    // A fraction: seconds after a time, else only valid as part of a date we cannot use.
    if (dot === 0 && tm.fmask & F_SEC) { tm.usec = fracToUsec(text); return; }
    if (dot > 0 && !(tm.fmask & F_DATE) ) dtErr('bad');
    dtErr('bad');
  }
  const flen = text.length;
  const val = Number(text);
  const f = tm.fmask & F_DATE;
  const setYear = () => { setBit(tm, F_YEAR); tm.year = val; tm.is2digits = flen <= 2; };
  const setMonth = () => { setBit(tm, F_MONTH); tm.month = val; };
  const setDay = () => { setBit(tm, F_DAY); tm.day = val; };
  // Day of year after a year: YYYY.DDD or YYYY-DDD.
  if (flen === 3 && f === F_YEAR && val >= 1 && val <= 366) {
    setBit(tm, F_MONTH | F_DAY);
    const { month, day } = j2date(date2j(tm.year, 1, 1) + val - 1);
    tm.month = month; tm.day = day;
    return;
  }
  if (f === 0) {
    if (flen >= 3 || order === 'YMD') setYear();
    else if (order === 'DMY') setDay();
    else setMonth();
  } else if (f === F_YEAR) setMonth();
  else if (f === F_MONTH) {
    if (tm.haveTextMonth) { if (flen >= 3 || order === 'YMD') setYear(); else setDay(); }
    else setDay();
  } else if (f === (F_YEAR | F_MONTH)) {
    if (tm.haveTextMonth && flen >= 3 && tm.is2digits) {
      // DD-MON-YYYY in YMD mode: the first number was the day after all.
      setBit(tm, F_DAY);
      tm.day = tm.year; tm.year = val; tm.is2digits = false;
    } else setDay();
  } else if (f === F_DAY) setMonth();
  else if (f === (F_MONTH | F_DAY)) setYear();
  else if (f === F_DATE && !haveTime) decodeNumberField(tm, text);
  else dtErr('bad');
}

/** A month name; a numeric "month" seen before it was really the day. */
function setTextMonth(tm: Tm, month: number): void {
  if (tm.fmask & F_MONTH && !tm.haveTextMonth && !(tm.fmask & F_DAY) && tm.month >= 1 && tm.month <= 31) {
    tm.day = tm.month;
    tm.fmask |= F_DAY;
    tm.fmask &= ~F_MONTH;
  }
  setBit(tm, F_MONTH);
  tm.month = month;
  tm.haveTextMonth = true;
}

/** DecodeNumberField: run-together digits (YYYYMMDD, YYMMDD, HHMMSS, HHMM). */
function decodeNumberField(tm: Tm, text: string): void {
  const [digits, frac = ''] = text.split('.');
  const d = digits!;
  if (!(tm.fmask & F_DATE)) {
    if (d.length === 8) {
      setBit(tm, F_DATE); tm.year = Number(d.slice(0, 4)); tm.month = Number(d.slice(4, 6)); tm.day = Number(d.slice(6));
      return;
    }
    if (d.length === 6) {
      setBit(tm, F_DATE); tm.year = Number(d.slice(0, 2)); tm.month = Number(d.slice(2, 4)); tm.day = Number(d.slice(4)); tm.is2digits = true;
      return;
    }
  }
  if (d.length === 6 || d.length === 4) {
    setBit(tm, F_TIME);
    tm.hour = Number(d.slice(0, 2)); tm.min = Number(d.slice(2, 4)); tm.sec = d.length === 6 ? Number(d.slice(4)) : 0;
    tm.usec = fracToUsec(frac ? `.${frac}` : '');
    return;
  }
  dtErr('bad');
}

/** DecodeDate: a field with embedded separators (1999-01-08, 1/8/1999, 1999-Jan-08, 8.1.1999). */
function decodeDate(tm: Tm, text: string, order: DateOrder): void {
  const parts = text.split(/[^a-z0-9]+/).filter((p) => p !== '');
  const nums: string[] = [];
  for (const p of parts) {
    if (isAlpha(p[0])) {
      const kw = lookupKeyword(p);
      if (kw?.k === 'month') setTextMonth(tm, kw.v);
      else if (kw?.k === 'adbc') { tm.bc = kw.v === 'bc'; }
      else dtErr('bad');
    } else nums.push(p);
  }
  // An ISO-style date with a 4-digit first field is always Y-M-D.
  for (const p of nums) {
    if (!/^\d+$/.test(p)) dtErr('bad');
    decodeNumber(tm, p, order, false);
  }
}

interface Decoded { tm: Tm; }

function decodeDateTime(text: string, ctx: IoContext, allowZone: boolean, timeOnly = false): Decoded {
  const { order } = parseDateStyle(ctx.dateStyle);
  const fields = tokenize(text);
  if (fields.length === 0) dtErr('bad');
  const tm = newTm();
  let isoTimeNext = false;
  let julianNext = false;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    switch (f.type) {
      case 'date': {
        if (isoTimeNext) dtErr('bad');
        if ((tm.fmask & (F_MONTH | F_DAY)) === (F_MONTH | F_DAY) || (isAlpha(f.text[0]) && f.text.includes('/'))) {
          if (isDigit(f.text[0])) dtErr('bad');
          const z = resolveZone(fields[k]!.text.includes('/') ? restoreCase(text, f.text) : f.text);
          if (!z) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${f.text}" not recognized`);
          setBit(tm, F_TZ);
          tm.zone = z;
          break;
        }
        decodeDate(tm, f.text, order);
        break;
      }
      case 'time':
        isoTimeNext = false;
        decodeTime(tm, f.text);
        break;
      case 'tz': {
        // "-08" right after a bare year is a zone in PostgreSQL too; a zone needs no time.
        setBit(tm, F_TZ);
        tm.tzEast = decodeTimezone(f.text);
        break;
      }
      case 'number': {
        if (isoTimeNext) {
          isoTimeNext = false;
          decodeNumberField(tm, f.text);
          break;
        }
        if (julianNext) {
          julianNext = false;
          if (!/^\d+$/.test(f.text)) dtErr('bad');
          setBit(tm, F_DATE);
          const d = j2date(Number(f.text));
          tm.year = d.year; tm.month = d.month; tm.day = d.day;
          break;
        }
        const dot = f.text.indexOf('.');
        if (dot === 0 && (tm.fmask & F_SEC)) { tm.usec = fracToUsec(f.text); break; }
        if (dot >= 0 && !(tm.fmask & F_DATE)) { decodeDate(tm, f.text, order); break; }
        if (dot > 2) { decodeNumberField(tm, f.text); break; }
        if (dot >= 0) dtErr('bad');
        if (timeOnly && !(tm.fmask & F_TIME) && (f.text.length === 6 || f.text.length === 4)) { tm.fmask |= F_DATE; decodeNumberField(tm, f.text); tm.fmask &= ~F_DATE; break; }
        if (f.text.length >= 6 && (!(tm.fmask & F_DATE) || !(tm.fmask & F_TIME))) { decodeNumberField(tm, f.text); break; }
        decodeNumber(tm, f.text, order, (tm.fmask & F_TIME) !== 0);
        break;
      }
      case 'string':
      case 'special': {
        const kw = lookupKeyword(f.text);
        if (!kw) dtErr('bad');
        switch (kw.k) {
          case 'month': setTextMonth(tm, kw.v); break;
          case 'dow': setBit(tm, F_DOW); break;
          case 'ampm': setBit(tm, F_AMPM); tm.ampm = kw.v; break;
          case 'adbc': setBit(tm, F_ADBC); tm.bc = kw.v === 'bc'; break;
          case 'ignore': break;
          case 'isotime': isoTimeNext = true; break;
          case 'julian': julianNext = true; break;
          case 'tz': case 'dtz': setBit(tm, F_TZ); tm.tzEast = kw.east; break;
          case 'special':
            if (fields.length !== 1 && kw.v !== 'allballs' && kw.v !== 'now' && kw.v !== 'today' && kw.v !== 'tomorrow' && kw.v !== 'yesterday') dtErr('bad');
            if (kw.v === 'allballs') { setBit(tm, F_TIME); tm.hour = tm.min = tm.sec = tm.usec = 0; break; }
            tm.special = kw.v;
            break;
        }
        break;
      }
    }
  }
  if (isoTimeNext || julianNext) dtErr('bad');
  void allowZone;
  return { tm };
}

/** The original-case text of a lower-cased field (zone names are case-sensitive in Intl). */
function restoreCase(text: string, lower: string): string {
  const at = text.toLowerCase().indexOf(lower);
  return at >= 0 ? text.slice(at, at + lower.length) : lower;
}

/** ValidateDate plus AM/PM, BC and two-digit-year fixes. */
function finishDate(tm: Tm): void {
  if (tm.fmask & F_YEAR) {
    if (tm.bc) {
      if (tm.year <= 0) dtErr('field');
      tm.year = -(tm.year - 1);
    } else if (tm.is2digits) {
      if (tm.year < 70) tm.year += 2000;
      else if (tm.year < 100) tm.year += 1900;
    } else if (tm.year <= 0) dtErr('field');
  }
  if (tm.fmask & F_MONTH && (tm.month < 1 || tm.month > 12)) dtErr('mdfield');
  if (tm.fmask & F_DAY && (tm.day < 1 || tm.day > 31)) dtErr('mdfield');
  if ((tm.fmask & F_DATE) === F_DATE && tm.day > daysIn(tm.year, tm.month)) dtErr('field');
}

function finishTime(tm: Tm): void {
  if (tm.ampm) {
    if (tm.hour > 12) dtErr('field');
    if (tm.ampm === 'am' && tm.hour === 12) tm.hour = 0;
    else if (tm.ampm === 'pm' && tm.hour !== 12) tm.hour += 12;
  }
  if (tm.hour > 24 || (tm.hour === 24 && (tm.min > 0 || tm.sec > 0 || tm.usec > 0))) dtErr('field');
}

function timeOfDayUs(tm: Tm): bigint {
  return ((BigInt(tm.hour) * 60n + BigInt(tm.min)) * 60n + BigInt(tm.sec)) * USECS_PER_SEC + BigInt(tm.usec);
}

/** Current time for 'now'/'today': µs since 2000-01-01 UTC. */
function nowUs(): bigint {
  return BigInt(Date.now()) * 1000n - BigInt(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

function usToMs(us: bigint): number {
  return Number(us / 1000n) + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * 86_400_000;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** Local date in the session zone for 'today' etc., as days since 2000-01-01. */
function todayDays(ctx: IoContext): number {
  const zone = sessionZone(ctx.timeZone);
  const now = nowUs();
  const off = utcOffsetSec(zone, usToMs(now));
  return Number(floorDiv(now + BigInt(off) * USECS_PER_SEC, USECS_PER_DAY));
}

// ---- date ----------------------------------------------------------------------------------

function dateIn(text: string, ctx: IoContext): number {
  return withParseErrors(text, 'date', () => {
    const { tm } = decodeDateTime(text, ctx, true);
    if (tm.special) {
      switch (tm.special) {
        case 'epoch': return UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE;
        case 'infinity': return Infinity;
        case '-infinity': return -Infinity;
        case 'now': case 'today': return todayDays(ctx);
        case 'tomorrow': return todayDays(ctx) + 1;
        case 'yesterday': return todayDays(ctx) - 1;
      }
    }
    if ((tm.fmask & F_DATE) !== F_DATE) dtErr('bad');
    finishDate(tm);
    finishTime(tm);
    if (!isValidJulian(tm.year, tm.month, tm.day)) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, `date out of range: "${text}"`);
    const jd = date2j(tm.year, tm.month, tm.day);
    if (jd < 0 || jd >= DATE_END_JULIAN) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, `date out of range: "${text}"`);
    return jd - POSTGRES_EPOCH_JDATE;
  });
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The year as printed: BC years are 1-based with a ' BC' suffix. */
function yearText(y: number): { text: string; bc: boolean } {
  return y > 0 ? { text: pad(y, 4), bc: false } : { text: pad(-(y - 1), 4), bc: true };
}

function encodeDate(y: number, m: number, d: number, ctx: IoContext): string {
  const { style, order } = parseDateStyle(ctx.dateStyle);
  const yt = yearText(y);
  const bc = yt.bc ? ' BC' : '';
  switch (style) {
    case 'ISO': return `${yt.text}-${pad(m, 2)}-${pad(d, 2)}${bc}`;
    case 'SQL': return (order === 'DMY' ? `${pad(d, 2)}/${pad(m, 2)}` : `${pad(m, 2)}/${pad(d, 2)}`) + `/${yt.text}${bc}`;
    case 'German': return `${pad(d, 2)}.${pad(m, 2)}.${yt.text}${bc}`;
    default: return (order === 'DMY' ? `${pad(d, 2)}-${pad(m, 2)}` : `${pad(m, 2)}-${pad(d, 2)}`) + `-${yt.text}${bc}`;
  }
}

function dateOut(v: number, ctx: IoContext): string {
  if (v === -Infinity) return '-infinity';
  if (v === Infinity) return 'infinity';
  const { year, month, day } = j2date(v + POSTGRES_EPOCH_JDATE);
  return encodeDate(year, month, day, ctx);
}

const DATEVAL_NOBEGIN = -2147483648;
const DATEVAL_NOEND = 2147483647;

// ---- time ----------------------------------------------------------------------------------

/** Seconds fraction as printed: trailing zeros dropped, none when zero. */
function fracText(usec: number): string {
  if (usec === 0) return '';
  return `.${pad(usec, 6).replace(/0+$/, '')}`;
}

function timeText(us: bigint): string {
  const total = Number(us);
  const usec = total % 1_000_000;
  const secs = Math.floor(total / 1_000_000);
  return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}${fracText(usec)}`;
}

/** AdjustTimeForTypmod: round to the typmod's fractional digits (half away from zero). */
function roundUs(us: bigint, typmod: number): bigint {
  if (typmod < 0 || typmod >= MAX_TIME_PRECISION) return us;
  const scale = 10n ** BigInt(MAX_TIME_PRECISION - typmod);
  const half = scale / 2n;
  if (us >= 0n) return ((us + half) / scale) * scale;
  return -((-us + half) / scale) * scale;
}

function timeIn(text: string, typmod: number, ctx: IoContext): bigint {
  return withParseErrors(text, 'time', () => {
    const { tm } = decodeDateTime(text, ctx, true, true);
    if (tm.special) {
      if (tm.special === 'now') {
        const now = nowUs();
        return roundUs(((now % USECS_PER_DAY) + USECS_PER_DAY) % USECS_PER_DAY, typmod);
      }
      dtErr('bad');
    }
    finishTime(tm);
    if (tm.fmask & F_DATE) finishDate(tm);
    if (!(tm.fmask & F_TIME) && !(tm.fmask & F_HOUR)) dtErr('bad');
    return roundUs(timeOfDayUs(tm), typmod);
  });
}

function timeOut(v: bigint): string {
  return timeText(v);
}

function tzText(eastSec: number, withColonMinutes: boolean): string {
  const sign = eastSec < 0 ? '-' : '+';
  const a = Math.abs(eastSec);
  const h = Math.floor(a / 3600);
  const m = Math.floor(a / 60) % 60;
  const s = a % 60;
  let out = `${sign}${pad(h, 2)}`;
  if (m || s) out += `${withColonMinutes ? ':' : ''}${pad(m, 2)}`;
  if (s) out += `:${pad(s, 2)}`;
  return out;
}

function timetzIn(text: string, typmod: number, ctx: IoContext): TimeTz {
  return withParseErrors(text, 'time with time zone', () => {
    const { tm } = decodeDateTime(text, ctx, true);
    if (tm.special) dtErr('bad');
    finishTime(tm);
    if (tm.fmask & F_DATE) finishDate(tm);
    if (!(tm.fmask & F_TIME)) dtErr('bad');
    const us = roundUs(timeOfDayUs(tm), typmod);
    let east: number;
    if (tm.tzEast !== undefined) east = tm.tzEast;
    else {
      const zone = tm.zone ?? sessionZone(ctx.timeZone);
      if (zone.kind === 'iana' && (tm.fmask & F_DATE) !== F_DATE && tm.zone) dtErr('bad');
      const days = (tm.fmask & F_DATE) === F_DATE ? date2j(tm.year, tm.month, tm.day) - UNIX_EPOCH_JDATE : Math.floor(Date.now() / 86_400_000);
      east = localToUtcOffsetSec(zone, days * 86_400_000 + Number(us / 1000n));
    }
    return { timeUs: us, zoneSec: -east };
  });
}

function timetzOut(v: TimeTz): string {
  return timeText(v.timeUs) + tzText(-v.zoneSec, true);
}

// ---- timestamp -----------------------------------------------------------------------------

function tsOutOfRange(text: string): PgError {
  return new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, `timestamp out of range: "${text}"`);
}

function timestampIn(text: string, typmod: number, ctx: IoContext, withTz: boolean): bigint {
  return withParseErrors(text, withTz ? 'timestamp with time zone' : 'timestamp', () => {
    const { tm } = decodeDateTime(text, ctx, true);
    if (tm.special) {
      switch (tm.special) {
        case 'epoch': return -BigInt(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
        case 'infinity': return DT_NOEND;
        case '-infinity': return DT_NOBEGIN;
        case 'now': return roundUs(nowUs(), typmod);
      }
      const base = tm.special === 'today' ? 0 : tm.special === 'tomorrow' ? 1 : tm.special === 'yesterday' ? -1 : undefined;
      if (base === undefined) dtErr('bad');
      const days = BigInt(todayDays(ctx) + base);
      const local = days * USECS_PER_DAY;
      if (!withTz) return local;
      return local - BigInt(localToUtcOffsetSec(sessionZone(ctx.timeZone), usToMs(local))) * USECS_PER_SEC;
    }
    if ((tm.fmask & F_DATE) !== F_DATE) dtErr('bad');
    finishDate(tm);
    finishTime(tm);
    if (!isValidJulian(tm.year, tm.month, tm.day)) throw tsOutOfRange(text);
    const jd = date2j(tm.year, tm.month, tm.day);
    let us = BigInt(jd - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY + timeOfDayUs(tm);
    if (withTz) {
      let east: number;
      if (tm.tzEast !== undefined) east = tm.tzEast;
      else east = localToUtcOffsetSec(tm.zone ?? sessionZone(ctx.timeZone), usToMs(us));
      us -= BigInt(east) * USECS_PER_SEC;
    }
    if (us < MIN_TIMESTAMP || us >= END_TIMESTAMP) throw tsOutOfRange(text);
    // Rounding to the typmod happens after the range check, as in PostgreSQL.
    return roundUs(us, typmod);
  });
}

interface Fields { year: number; month: number; day: number; hour: number; min: number; sec: number; usec: number; dow: number }

/** Splits µs since 2000-01-01 (local) into calendar fields. */
export function timestampFields(us: bigint): Fields {
  const days = floorDiv(us, USECS_PER_DAY);
  const rem = Number(us - days * USECS_PER_DAY);
  const jd = Number(days) + POSTGRES_EPOCH_JDATE;
  const { year, month, day } = j2date(jd);
  const secs = Math.floor(rem / 1_000_000);
  return { year, month, day, hour: Math.floor(secs / 3600), min: Math.floor(secs / 60) % 60, sec: secs % 60, usec: rem % 1_000_000, dow: (jd + 1) % 7 };
}

/** EncodeDateTime for one DateStyle; `tz` is undefined for timestamp without time zone. */
function encodeDateTime(f: Fields, ctx: IoContext, tz?: { east: number; abbrev: string }): string {
  const { style, order } = parseDateStyle(ctx.dateStyle);
  const yt = yearText(f.year);
  const bc = yt.bc ? ' BC' : '';
  const time = `${pad(f.hour, 2)}:${pad(f.min, 2)}:${pad(f.sec, 2)}${fracText(f.usec)}`;
  switch (style) {
    case 'ISO':
      return `${yt.text}-${pad(f.month, 2)}-${pad(f.day, 2)} ${time}${tz ? tzText(tz.east, true) : ''}${bc}`;
    case 'SQL': {
      const md = order === 'DMY' ? `${pad(f.day, 2)}/${pad(f.month, 2)}` : `${pad(f.month, 2)}/${pad(f.day, 2)}`;
      return `${md}/${yt.text} ${time}${tz ? ` ${tz.abbrev}` : ''}${bc}`;
    }
    case 'German':
      return `${pad(f.day, 2)}.${pad(f.month, 2)}.${yt.text} ${time}${tz ? ` ${tz.abbrev}` : ''}${bc}`;
    default: {
      const md = order === 'DMY' ? `${pad(f.day, 2)} ${MONTHS[f.month - 1]}` : `${MONTHS[f.month - 1]} ${pad(f.day, 2)}`;
      return `${DAYS[f.dow]} ${md} ${time} ${yt.text}${tz ? ` ${tz.abbrev}` : ''}${bc}`;
    }
  }
}

function timestampOut(v: bigint, ctx: IoContext): string {
  if (v === DT_NOBEGIN) return '-infinity';
  if (v === DT_NOEND) return 'infinity';
  return encodeDateTime(timestampFields(v), ctx);
}

function timestamptzOut(v: bigint, ctx: IoContext): string {
  if (v === DT_NOBEGIN) return '-infinity';
  if (v === DT_NOEND) return 'infinity';
  const zone = sessionZone(ctx.timeZone);
  const ms = usToMs(v);
  const east = utcOffsetSec(zone, ms);
  const local = v + BigInt(east) * USECS_PER_SEC;
  const { style } = parseDateStyle(ctx.dateStyle);
  const abbrev = style === 'ISO' ? '' : zoneAbbrev(zone, ms, east);
  return encodeDateTime(timestampFields(local), ctx, { east, abbrev });
}

/** The session zone's offset (seconds EAST) at a timestamptz; used by casts. */
export function sessionOffsetAt(v: bigint, ctx: IoContext): number {
  return utcOffsetSec(sessionZone(ctx.timeZone), usToMs(v));
}

/** The UTC instant of a local timestamp in the session zone; used by casts. */
export function localToUtc(local: bigint, ctx: IoContext): bigint {
  return local - BigInt(localToUtcOffsetSec(sessionZone(ctx.timeZone), usToMs(local))) * USECS_PER_SEC;
}

function precisionTypmodIn(typeName: string) {
  return (mods: string[]): number => {
    if (mods.length !== 1) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'invalid type modifier');
    const p = Number(mods[0]);
    if (p < 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `${typeName.toUpperCase()}(${p}) precision must not be negative`);
    if (p > MAX_TIME_PRECISION) return MAX_TIME_PRECISION;
    return p;
  };
}

// ---- interval ------------------------------------------------------------------------------

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

interface IntervalAcc { months: number; days: number; us: bigint }

const UNITS = new Map<string, string>();
(() => {
  const add = (unit: string, names: string[]) => { for (const n of names) UNITS.set(n, unit); };
  add('microsecond', ['microsecond', 'microseconds', 'microsecon', 'us', 'usec', 'usecs', 'useconds']);
  add('millisecond', ['millisecond', 'milliseconds', 'millisecon', 'ms', 'msec', 'msecs', 'mseconds']);
  add('second', ['second', 'seconds', 's', 'sec', 'secs']);
  add('minute', ['minute', 'minutes', 'm', 'min', 'mins']);
  add('hour', ['hour', 'hours', 'h', 'hr', 'hrs']);
  add('day', ['day', 'days', 'd']);
  add('week', ['week', 'weeks', 'w']);
  add('month', ['month', 'months', 'mon', 'mons']);
  add('year', ['year', 'years', 'y', 'yr', 'yrs']);
  add('decade', ['decade', 'decades', 'dec', 'decs']);
  add('century', ['century', 'centuries', 'c', 'cent']);
  add('millennium', ['millennium', 'millennia', 'mil', 'mils']);
})();

/** Adds value × unit with PostgreSQL's fraction cascading (AdjustFractYears/Days/Seconds). */
function addUnit(acc: IntervalAcc, unit: string, whole: number, frac: number): void {
  const addUs = (x: number) => { acc.us += BigInt(Math.round(x)); };
  const fracDays = (f: number) => {
    // AdjustFractDays: whole days, then the rest as seconds.
    const d = Math.trunc(f);
    acc.days += d;
    addUs((f - d) * 86_400 * 1e6);
  };
  const fracMonths = (f: number) => {
    const m = Math.trunc(f);
    acc.months += m;
    fracDays((f - m) * 30);
  };
  switch (unit) {
    case 'microsecond': acc.us += BigInt(whole); addUs(frac); break;
    case 'millisecond': acc.us += BigInt(whole) * 1000n; addUs(frac * 1000); break;
    case 'second': acc.us += BigInt(whole) * USECS_PER_SEC; addUs(frac * 1e6); break;
    case 'minute': acc.us += BigInt(whole) * 60n * USECS_PER_SEC; addUs(frac * 60e6); break;
    case 'hour': acc.us += BigInt(whole) * 3600n * USECS_PER_SEC; addUs(frac * 3600e6); break;
    case 'day': acc.days += whole; fracDays(frac); break;
    case 'week': acc.days += whole * 7; fracDays(frac * 7); break;
    case 'month': acc.months += whole; fracDays(frac * 30); break;
    case 'year': acc.months += whole * 12; acc.months += Math.round(frac * 12); break;
    case 'decade': acc.months += whole * 120; acc.months += Math.round(frac * 120); break;
    case 'century': acc.months += whole * 1200; acc.months += Math.round(frac * 1200); break;
    case 'millennium': acc.months += whole * 12000; acc.months += Math.round(frac * 12000); break;
  }
  void fracMonths;
}

function splitNumber(s: string): { whole: number; frac: number } {
  const v = Number(s);
  if (!Number.isFinite(v)) dtErr('bad');
  const whole = Math.trunc(v);
  return { whole, frac: v - whole };
}

/** DecodeISO8601Interval: P[nY][nM][nW][nD][T[nH][nM][nS]] or the alternative P0001-02-03T04:05:06. */
function decodeIso8601Interval(s: string): IntervalAcc {
  const acc: IntervalAcc = { months: 0, days: 0, us: 0n };
  const alt = /^P(-?\d+)-(\d+)-(\d+)(?:T(\d+):(\d+):(\d+(?:\.\d*)?))?$/i.exec(s);
  if (alt) {
    addUnit(acc, 'year', Number(alt[1]), 0);
    addUnit(acc, 'month', Number(alt[2]), 0);
    addUnit(acc, 'day', Number(alt[3]), 0);
    if (alt[4] !== undefined) {
      addUnit(acc, 'hour', Number(alt[4]), 0);
      addUnit(acc, 'minute', Number(alt[5]), 0);
      const sec = splitNumber(alt[6]!);
      addUnit(acc, 'second', sec.whole, sec.frac);
    }
    return acc;
  }
  if (!/^P/i.test(s) || s.length < 2) dtErr('bad');
  let i = 1;
  let timePart = false;
  const re = /^(-?\d+(?:\.\d*)?|-?\.\d+)([YMWDHS])/i;
  while (i < s.length) {
    if (s[i] === 'T' || s[i] === 't') {
      if (timePart) dtErr('bad');
      timePart = true;
      i++;
      continue;
    }
    const m = re.exec(s.slice(i));
    if (!m) dtErr('bad');
    const { whole, frac } = splitNumber(m[1]!);
    const u = m[2]!.toUpperCase();
    const unit = timePart
      ? ({ H: 'hour', M: 'minute', S: 'second' } as Record<string, string>)[u]
      : ({ Y: 'year', M: 'month', W: 'week', D: 'day' } as Record<string, string>)[u];
    if (!unit) dtErr('bad');
    addUnit(acc, unit, whole, frac);
    i += m[0].length;
  }
  return acc;
}

/** DecodeInterval: PostgreSQL's verbose and SQL-standard interval input. */
function decodeInterval(text: string): IntervalAcc {
  const trimmed = text.trim();
  if (/^[pP]/.test(trimmed)) return decodeIso8601Interval(trimmed);
  const acc: IntervalAcc = { months: 0, days: 0, us: 0n };
  const tokens = trimmed.replace(/^@/, '').trim().split(/[ \t\n\r\v\f]+/).filter((t) => t !== '');
  if (tokens.length === 0) dtErr('bad');
  let ago = false;
  let sawAny = false;
  const signs: number[] = [];
  const seen = new Set<string>();
  const mark = (...units: string[]) => {
    for (const u of units) {
      if (seen.has(u)) dtErr('bad');
      seen.add(u);
    }
  };
  for (let k = 0; k < tokens.length; k++) {
    let tok = tokens[k]!.toLowerCase();
    if (tok === 'ago') { if (k !== tokens.length - 1) dtErr('bad'); ago = true; continue; }
    // "1day" and "1 day" are both accepted.
    const joined = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([a-z]+)$/.exec(tok);
    let unitText: string | undefined;
    if (joined) { tok = joined[1]!; unitText = joined[2]; }
    const ym = /^([+-])?(\d+)-(\d+)$/.exec(tok);
    if (ym) {
      const sign = ym[1] === '-' ? -1 : 1;
      mark('year', 'month');
      acc.months += sign * (Number(ym[2]) * 12 + Number(ym[3]));
      if (Number(ym[3]) > 11) dtErr('field');
      sawAny = true;
      continue;
    }
    const hms = /^([+-])?(\d+):(\d+)(?::(\d+(?:\.\d*)?))?$/.exec(tok) ?? /^([+-])?(\d+):(\d+(?:\.\d*))$/.exec(tok);
    if (hms) {
      mark('hour', 'minute', 'second');
      const sign = hms[1] === '-' ? -1n : 1n;
      const h = BigInt(hms[2]!);
      let m: bigint, secText: string;
      if (hms[4] !== undefined || !hms[3]!.includes('.')) { m = BigInt(hms[3]!.split('.')[0]!); secText = hms[4] ?? '0'; }
      else { m = 0n; secText = hms[3]!; }
      if (m > 59n || Number(secText) >= 60) dtErr('field');
      const [sw, sf = ''] = secText.split('.');
      const us = ((h * 60n + m) * 60n + BigInt(sw!)) * USECS_PER_SEC + BigInt(Math.round(Number(`0.${sf || '0'}`) * 1e6));
      acc.us += sign * us;
      sawAny = true;
      signs.push(Number(sign));
      continue;
    }
    if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(tok)) {
      const { whole, frac } = splitNumber(tok);
      let unit: string | undefined;
      if (unitText === undefined && k + 1 < tokens.length && UNITS.has(tokens[k + 1]!.toLowerCase())) unitText = tokens[++k]!.toLowerCase();
      if (unitText !== undefined) {
        unit = UNITS.get(unitText);
        if (!unit) dtErr('bad');
      } else {
        // A lone number: days when followed by a time (SQL "D H:M:S"), else seconds.
        const next = tokens[k + 1];
        unit = next !== undefined && /:/.test(next) ? 'day' : 'second';
      }
      mark(unit === 'week' ? 'day' : unit);
      addUnit(acc, unit, whole, frac);
      sawAny = true;
      continue;
    }
    if (unitText === undefined && UNITS.has(tok)) dtErr('bad');
    dtErr('bad');
  }
  if (!sawAny) dtErr('bad');
  if (ago) { acc.months = -acc.months; acc.days = -acc.days; acc.us = -acc.us; }
  return acc;
}

const INTERVAL_FULL_RANGE = 0x7fff;
const MONTH_BIT = 1 << 1, YEAR_BIT = 1 << 2, DAY_BIT = 1 << 3, HOUR_BIT = 1 << 10, MINUTE_BIT = 1 << 11;

/** AdjustIntervalForTypmod: field restriction (YEAR, DAY TO SECOND, …) and seconds precision. */
export function intervalApplyTypmod(v: Interval, typmod: number): Interval {
  if (typmod < 0) return v;
  const range = (typmod >> 16) & 0x7fff;
  const precision = typmod & 0xffff;
  let { months, days, micros } = v;
  const usPerHour = 3600n * USECS_PER_SEC;
  const usPerMin = 60n * USECS_PER_SEC;
  if (range !== INTERVAL_FULL_RANGE) {
    if (range === YEAR_BIT) { months = Math.trunc(months / 12) * 12; days = 0; micros = 0n; }
    else if (range === MONTH_BIT || range === (YEAR_BIT | MONTH_BIT)) { days = 0; micros = 0n; }
    else if (range === DAY_BIT) { micros = 0n; }
    else if (range === HOUR_BIT || range === (DAY_BIT | HOUR_BIT)) { micros = (micros / usPerHour) * usPerHour; }
    else if (range === MINUTE_BIT || range === (DAY_BIT | HOUR_BIT | MINUTE_BIT) || range === (HOUR_BIT | MINUTE_BIT)) { micros = (micros / usPerMin) * usPerMin; }
  }
  if (precision !== 0xffff && precision < MAX_TIME_PRECISION) micros = roundUs(micros, precision);
  return { months, days, micros };
}

function intervalIn(text: string, typmod: number): Interval {
  return withParseErrors(text, 'interval', () => {
    try {
      return intervalInInner(text, typmod);
    } catch (e) {
      // interval_in reports field overflow as interval field overflow.
      if (e instanceof DateTimeError && e.kind === 'field') dtErr('interval');
      throw e;
    }
  });
}

function intervalInInner(text: string, typmod: number): Interval {
  {
    const acc = decodeInterval(text);
    if (acc.months < INT32_MIN || acc.months > INT32_MAX || acc.days < INT32_MIN || acc.days > INT32_MAX || acc.us < -(2n ** 63n) || acc.us >= 2n ** 63n) {
      dtErr('interval');
    }
    return intervalApplyTypmod({ months: acc.months, days: acc.days, micros: acc.us }, typmod);
  }
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** EncodeInterval in the session's IntervalStyle. */
export function intervalOut(v: Interval, style: IoContext['intervalStyle']): string {
  const year = Math.trunc(v.months / 12);
  const mon = v.months % 12;
  const mday = v.days;
  const neg = v.micros < 0n;
  const absUs = neg ? -v.micros : v.micros;
  const totalSec = absUs / USECS_PER_SEC;
  const usec = Number(absUs % USECS_PER_SEC);
  const hour = Number(totalSec / 3600n);
  const min = Number((totalSec / 60n) % 60n);
  const sec = Number(totalSec % 60n);
  const tsign = neg ? -1 : 1;
  const secFrac = (s: number) => `${s}${fracText(usec)}`;
  const padSecFrac = (s: number) => `${pad(s, 2)}${fracText(usec)}`;
  switch (style) {
    case 'sql_standard': {
      const tNeg = neg;
      const hasNeg = year < 0 || mon < 0 || mday < 0 || tNeg;
      const hasPos = year > 0 || mon > 0 || mday > 0 || (!tNeg && v.micros > 0n);
      const hasYM = year !== 0 || mon !== 0;
      const hasDT = mday !== 0 || v.micros !== 0n;
      const standard = !(hasNeg && hasPos) && !(hasYM && hasDT);
      const secs = `${hour}:${pad(min, 2)}:${padSecFrac(sec)}`;
      if (!hasNeg && !hasPos) return '0';
      if (!standard) {
        const ys = year < 0 || mon < 0 ? '-' : '+';
        const ds = mday < 0 ? '-' : '+';
        const ts = tNeg ? '-' : '+';
        return `${ys}${Math.abs(year)}-${Math.abs(mon)} ${ds}${Math.abs(mday)} ${ts}${secs}`;
      }
      const sign = hasNeg ? '-' : '';
      if (hasYM) return `${sign}${Math.abs(year)}-${Math.abs(mon)}`;
      if (mday !== 0) return `${sign}${Math.abs(mday)} ${secs}`;
      return `${sign}${secs}`;
    }
    case 'iso_8601': {
      if (year === 0 && mon === 0 && mday === 0 && v.micros === 0n) return 'PT0S';
      let out = 'P';
      if (year) out += `${year}Y`;
      if (mon) out += `${mon}M`;
      if (mday) out += `${mday}D`;
      if (hour || min || sec || usec) {
        out += 'T';
        if (hour) out += `${tsign * hour}H`;
        if (min) out += `${tsign * min}M`;
        if (sec || usec) out += `${neg ? '-' : ''}${secFrac(sec)}S`;
      }
      return out;
    }
    case 'postgres_verbose': {
      const parts: string[] = [];
      const all = [year, mon, mday];
      const isBefore = (year < 0 || (year === 0 && (mon < 0 || (mon === 0 && (mday < 0 || (mday === 0 && neg))))));
      void all;
      const add = (n: number, unit: string) => {
        if (!n) return;
        const shown = isBefore ? -n : n;
        parts.push(`${shown} ${unit}${shown === 1 ? '' : 's'}`);
      };
      add(year, 'year');
      add(mon, 'mon');
      add(mday, 'day');
      add(tsign * hour, 'hour');
      add(tsign * min, 'min');
      if (sec || usec) {
        const s = `${secFrac(sec)}`;
        const signed = (neg !== isBefore ? '-' : '') + s;
        parts.push(`${signed} sec${sec === 1 && usec === 0 ? '' : 's'}`);
      }
      if (parts.length === 0) return '@ 0';
      return `@ ${parts.join(' ')}${isBefore ? ' ago' : ''}`;
    }
    default: {
      const parts: string[] = [];
      let isBefore = false;
      let isZero = true;
      const add = (n: number, unit: string) => {
        if (n === 0) return;
        const prefix = isBefore && n > 0 ? '+' : '';
        parts.push(`${prefix}${plural(n, unit).replace(/^(-?\d+) (\w+)$/, '$1 $2')}`);
        isBefore = n < 0;
        isZero = false;
      };
      add(year, 'year');
      if (mon !== 0) { const prefix = isBefore && mon > 0 ? '+' : ''; parts.push(`${prefix}${mon} mon${mon === 1 ? '' : 's'}`); isBefore = mon < 0; isZero = false; }
      add(mday, 'day');
      if (isZero || v.micros !== 0n) {
        const s = neg ? '-' : isBefore ? '+' : '';
        parts.push(`${s}${pad(hour, 2)}:${pad(min, 2)}:${padSecFrac(sec)}`);
      }
      return parts.join(' ');
    }
  }
}

function intervalTypmodIn(mods: string[]): number {
  // Only the precision form interval(p) is accepted here; field lists come from the grammar.
  if (mods.length !== 1) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'invalid INTERVAL type modifier');
  const p = Number(mods[0]);
  if (p < 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `INTERVAL(${p}) precision must not be negative`);
  return (INTERVAL_FULL_RANGE << 16) | Math.min(p, MAX_TIME_PRECISION);
}

/** Interval comparison as PostgreSQL: by the 128-bit span with 30-day months and 24-hour days. */
export function intervalSpan(v: Interval): bigint {
  return (BigInt(v.months) * 30n + BigInt(v.days)) * USECS_PER_DAY + v.micros;
}

// ---- TypeImpls -----------------------------------------------------------------------------

function readEnd<T>(b: Uint8Array, f: (r: ByteReader) => T): T {
  const r = new ByteReader(b);
  const v = f(r);
  r.end();
  return v;
}

export const dateType: TypeImpl = {
  oid: 1082, name: 'date',
  input: (text, _t, ctx) => dateIn(text, ctx),
  output: (v, ctx) => dateOut(v as number, ctx),
  receive: (b) => readEnd(b, (r) => {
    const d = r.int32();
    if (d === DATEVAL_NOBEGIN) return -Infinity;
    if (d === DATEVAL_NOEND) return Infinity;
    if (d + POSTGRES_EPOCH_JDATE < 0 || d + POSTGRES_EPOCH_JDATE >= DATE_END_JULIAN) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'date out of range');
    return d;
  }),
  send: (v) => new ByteWriter().int32(v === -Infinity ? DATEVAL_NOBEGIN : v === Infinity ? DATEVAL_NOEND : (v as number)).finish(),
  compare: (a, b) => cmp(a as number, b as number),
  equals: (a, b) => a === b,
  hash: (a) => hashString(String(a)),
};

export const timeType: TypeImpl = {
  oid: 1083, name: 'time',
  input: (text, typmod, ctx) => timeIn(text, typmod, ctx),
  output: (v) => timeOut(v as bigint),
  receive: (b, typmod) => readEnd(b, (r) => {
    const us = r.int64();
    if (us < 0n || us > USECS_PER_DAY) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'time out of range');
    return roundUs(us, typmod);
  }),
  send: (v) => new ByteWriter().int64(v as bigint).finish(),
  compare: (a, b) => cmp(a as bigint, b as bigint),
  equals: (a, b) => a === b,
  hash: (a) => hashString(String(a)),
  typmodIn: precisionTypmodIn('time'),
  typmodOut: (t) => (t >= 0 ? `(${t})` : ''),
  applyTypmod: (v, typmod) => roundUs(v as bigint, typmod),
};

function timetzCompare(a: TimeTz, b: TimeTz): number {
  // timetz_cmp_internal: by UTC time, then by zone.
  const ua = a.timeUs + BigInt(a.zoneSec) * USECS_PER_SEC;
  const ub = b.timeUs + BigInt(b.zoneSec) * USECS_PER_SEC;
  if (ua !== ub) return ua < ub ? -1 : 1;
  return a.zoneSec === b.zoneSec ? 0 : a.zoneSec > b.zoneSec ? 1 : -1;
}

export const timetzType: TypeImpl = {
  oid: 1266, name: 'timetz',
  input: (text, typmod, ctx) => timetzIn(text, typmod, ctx),
  output: (v) => timetzOut(v as TimeTz),
  receive: (b, typmod) => readEnd(b, (r) => {
    const us = r.int64();
    const zone = r.int32();
    if (us < 0n || us > USECS_PER_DAY) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'time out of range');
    if (zone < -((MAX_TZDISP_HOUR * 60 + 59) * 60) || zone > (MAX_TZDISP_HOUR * 60 + 59) * 60) {
      throw new PgError(SqlState.INVALID_TIME_ZONE_DISPLACEMENT_VALUE, 'time zone displacement out of range');
    }
    return { timeUs: roundUs(us, typmod), zoneSec: zone };
  }),
  send: (v) => new ByteWriter().int64((v as TimeTz).timeUs).int32((v as TimeTz).zoneSec).finish(),
  compare: (a, b) => timetzCompare(a as TimeTz, b as TimeTz),
  equals: (a, b) => timetzCompare(a as TimeTz, b as TimeTz) === 0,
  hash: (a) => hashString(`${(a as TimeTz).timeUs}/${(a as TimeTz).zoneSec}`),
  typmodIn: precisionTypmodIn('time'),
  typmodOut: (t) => (t >= 0 ? `(${t})` : ''),
  applyTypmod: (v, typmod) => ({ timeUs: roundUs((v as TimeTz).timeUs, typmod), zoneSec: (v as TimeTz).zoneSec }),
};

function timestampReceive(b: Uint8Array, typmod: number): bigint {
  return readEnd(b, (r) => {
    const us = r.int64();
    if (us === DT_NOBEGIN || us === DT_NOEND) return us;
    if (us < MIN_TIMESTAMP || us >= END_TIMESTAMP) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'timestamp out of range');
    return roundUs(us, typmod);
  });
}

function tsApply(v: Datum, typmod: number): Datum {
  const us = v as bigint;
  if (us === DT_NOBEGIN || us === DT_NOEND) return us;
  const r = roundUs(us, typmod);
  if (r < MIN_TIMESTAMP || r >= END_TIMESTAMP) throw new PgError(SqlState.DATETIME_VALUE_OUT_OF_RANGE, 'timestamp out of range');
  return r;
}

export const timestampType: TypeImpl = {
  oid: 1114, name: 'timestamp',
  input: (text, typmod, ctx) => timestampIn(text, typmod, ctx, false),
  output: (v, ctx) => timestampOut(v as bigint, ctx),
  receive: (b, typmod) => timestampReceive(b, typmod),
  send: (v) => new ByteWriter().int64(v as bigint).finish(),
  compare: (a, b) => cmp(a as bigint, b as bigint),
  equals: (a, b) => a === b,
  hash: (a) => hashString(String(a)),
  typmodIn: precisionTypmodIn('timestamp'),
  typmodOut: (t) => (t >= 0 ? `(${t}) without time zone` : ' without time zone'),
  applyTypmod: tsApply,
};

export const timestamptzType: TypeImpl = {
  oid: 1184, name: 'timestamptz',
  input: (text, typmod, ctx) => timestampIn(text, typmod, ctx, true),
  output: (v, ctx) => timestamptzOut(v as bigint, ctx),
  receive: (b, typmod) => timestampReceive(b, typmod),
  send: (v) => new ByteWriter().int64(v as bigint).finish(),
  compare: (a, b) => cmp(a as bigint, b as bigint),
  equals: (a, b) => a === b,
  hash: (a) => hashString(String(a)),
  typmodIn: precisionTypmodIn('timestamp'),
  typmodOut: (t) => (t >= 0 ? `(${t}) with time zone` : ' with time zone'),
  applyTypmod: tsApply,
};

export const intervalType: TypeImpl = {
  oid: 1186, name: 'interval',
  input: (text, typmod) => intervalIn(text, typmod),
  output: (v, ctx) => intervalOut(v as Interval, ctx.intervalStyle),
  receive: (b, typmod) => readEnd(b, (r) => {
    const micros = r.int64();
    const days = r.int32();
    const months = r.int32();
    return intervalApplyTypmod({ months, days, micros }, typmod);
  }),
  send: (v) => new ByteWriter().int64((v as Interval).micros).int32((v as Interval).days).int32((v as Interval).months).finish(),
  compare: (a, b) => cmp(intervalSpan(a as Interval), intervalSpan(b as Interval)),
  equals: (a, b) => intervalSpan(a as Interval) === intervalSpan(b as Interval),
  hash: (a) => hashString(String(intervalSpan(a as Interval))),
  typmodIn: intervalTypmodIn,
  typmodOut: (t) => {
    if (t < 0) return '';
    const p = t & 0xffff;
    return p === 0xffff ? '' : `(${p})`;
  },
  applyTypmod: (v, typmod) => intervalApplyTypmod(v as Interval, typmod),
};
