// Numeric: PostgreSQL's arbitrary-precision decimal. The value is kept as an exact BigInt
// coefficient and a display scale (value = coef × 10^-dscale); the base-10000 digits and
// weight of PostgreSQL's NumericVar are derived from it on demand (for the binary format and
// for the result-scale rules that depend on them). Arithmetic follows numeric.c's scale rules.
// Entry points: Numeric.parse / toString, add/sub/mul/div/mod/round/trunc/abs/sqrt, typmods.

import { PgError, SqlState } from '@palisade/common';
import { formatPrintfG } from './float.ts';
import { ByteReader, ByteWriter, badBinary, hashString, isSpace, invalidSyntax, outOfRange } from './datum.ts';

/** Sign words of the storage and binary formats. */
export const NUMERIC_POS = 0x0000;
export const NUMERIC_NEG = 0x4000;
export const NUMERIC_NAN = 0xc000;
export const NUMERIC_PINF = 0xd000;
export const NUMERIC_NINF = 0xf000;

/** Limits as PostgreSQL's: 131072 digits before the point, 16383 after. */
export const NUMERIC_MAX_PRECISION = 1000;
export const NUMERIC_MIN_SCALE = -1000;
export const NUMERIC_MAX_SCALE = 1000;
export const NUMERIC_DSCALE_MAX = 0x3fff;
export const NUMERIC_WEIGHT_MAX = 0x7fff;
const NUMERIC_MAX_DISPLAY_SCALE = 1000;
const NUMERIC_MIN_SIG_DIGITS = 16;
const NUMERIC_MAX_RESULT_SCALE = 2000;
const DEC_DIGITS = 4;
const VARHDRSZ = 4;

const pow10Cache: bigint[] = [];
/** 10^n as a BigInt (n ≥ 0), cached for small n. */
export function pow10(n: number): bigint {
  if (n < 64) return (pow10Cache[n] ??= 10n ** BigInt(n));
  return 10n ** BigInt(n);
}

function decimalLength(v: bigint): number {
  return v === 0n ? 0 : v.toString().length;
}

/** An immutable PostgreSQL numeric value: finite (sign, coefficient, dscale), NaN or ±Infinity. */
export class Numeric {
  /** Absolute value × 10^dscale (0 for special values). */
  readonly coef: bigint;
  /** NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, NUMERIC_PINF or NUMERIC_NINF. */
  readonly sign: number;
  /** Display scale: digits after the decimal point. */
  readonly dscale: number;
  private cachedDigits: { weight: number; digits: number[] } | undefined;

  private constructor(sign: number, coef: bigint, dscale: number) {
    this.sign = coef === 0n && sign === NUMERIC_NEG ? NUMERIC_POS : sign;
    this.coef = coef;
    this.dscale = dscale;
  }

  static readonly NaN = new Numeric(NUMERIC_NAN, 0n, 0);
  static readonly PositiveInfinity = new Numeric(NUMERIC_PINF, 0n, 0);
  static readonly NegativeInfinity = new Numeric(NUMERIC_NINF, 0n, 0);
  static readonly ZERO = new Numeric(NUMERIC_POS, 0n, 0);
  static readonly ONE = new Numeric(NUMERIC_POS, 1n, 0);

  /** A finite value from a signed scaled integer: unscaled × 10^-dscale. Checks the storage limits. */
  static fromScaled(unscaled: bigint, dscale: number): Numeric {
    const n = new Numeric(unscaled < 0n ? NUMERIC_NEG : NUMERIC_POS, unscaled < 0n ? -unscaled : unscaled, dscale);
    n.checkLimits();
    return n;
  }

  /** A finite value without the storage-limit check (intermediate results of apply_typmod). */
  static fromScaledUnchecked(unscaled: bigint, dscale: number): Numeric {
    return new Numeric(unscaled < 0n ? NUMERIC_NEG : NUMERIC_POS, unscaled < 0n ? -unscaled : unscaled, dscale);
  }

  static fromBigInt(v: bigint): Numeric {
    return Numeric.fromScaled(v, 0);
  }

  /** int4/int2 → numeric. */
  static fromInt(v: number): Numeric {
    return Numeric.fromScaled(BigInt(v), 0);
  }

  /** float8 → numeric as PostgreSQL converts it: %.15g, then numeric input. */
  static fromFloat8(v: number, digits = 15): Numeric {
    if (Number.isNaN(v)) return Numeric.NaN;
    if (v === Infinity) return Numeric.PositiveInfinity;
    if (v === -Infinity) return Numeric.NegativeInfinity;
    return Numeric.parse(formatPrintfG(v, digits), 'numeric');
  }

  /** numeric_in, applying `typmod` (numeric(p,s)) before the storage limits are checked, as PostgreSQL does. */
  static parse(text: string, typeName = 'numeric', typmod = -1): Numeric {
    let i = 0;
    const n = text.length;
    while (i < n && isSpace(text[i])) i++;
    const rest = text.slice(i);
    const specials: Array<[string, Numeric]> = [
      ['nan', Numeric.NaN], ['infinity', Numeric.PositiveInfinity], ['+infinity', Numeric.PositiveInfinity],
      ['-infinity', Numeric.NegativeInfinity], ['inf', Numeric.PositiveInfinity], ['+inf', Numeric.PositiveInfinity],
      ['-inf', Numeric.NegativeInfinity],
    ];
    const lower = rest.slice(0, 9).toLowerCase();
    for (const [word, value] of specials) {
      if (lower.startsWith(word)) {
        let j = i + word.length;
        while (j < n && isSpace(text[j])) j++;
        if (j !== n) throw invalidSyntax(typeName, text);
        return value.applyTypmod(typmod);
      }
    }
    let neg = false;
    if (text[i] === '+') i++;
    else if (text[i] === '-') { neg = true; i++; }
    let digits = '';
    let fracDigits = 0;
    let haveDp = false;
    let anyDigit = false;
    for (; i < n; i++) {
      const c = text[i]!;
      if (c >= '0' && c <= '9') {
        digits += c;
        anyDigit = true;
        if (haveDp) fracDigits++;
      } else if (c === '.' && !haveDp) {
        haveDp = true;
      } else break;
    }
    if (!anyDigit) throw invalidSyntax(typeName, text);
    let exponent = 0;
    if (text[i] === 'e' || text[i] === 'E') {
      // strtol: optional white space and sign, then digits.
      let j = i + 1;
      while (j < n && isSpace(text[j])) j++;
      let eneg = false;
      if (text[j] === '+') j++;
      else if (text[j] === '-') { eneg = true; j++; }
      const start = j;
      while (j < n && text[j]! >= '0' && text[j]! <= '9') j++;
      if (j === start) throw invalidSyntax(typeName, text);
      const expText = text.slice(start, j);
      if (expText.replace(/^0+/, '').length > 10 || Number(expText) >= 1073741823) {
        throw outOfRange('value overflows numeric format');
      }
      exponent = eneg ? -Number(expText) : Number(expText);
      i = j;
    }
    while (i < n && isSpace(text[i])) i++;
    if (i !== n) throw invalidSyntax(typeName, text);
    const significant = digits.replace(/^0+/, '');
    let dscale = Math.max(0, fracDigits - exponent);
    if (significant === '') return Numeric.fromScaled(0n, dscale).applyTypmod(typmod);
    const intDigits = significant.length - fracDigits + exponent;
    if (intDigits > (NUMERIC_WEIGHT_MAX + 2) * DEC_DIGITS) {
      // Far beyond any precision: fail without building the number.
      if (typmod >= VARHDRSZ) Numeric.PositiveInfinity.applyTypmodFinite(Numeric.fromScaledUnchecked(10n ** 2001n, 0), typmod);
      throw outOfRange('value overflows numeric format');
    }
    if (dscale > NUMERIC_DSCALE_MAX + 2 * NUMERIC_MAX_SCALE + significant.length + 8) {
      // So small that every typmod rounds it to zero.
      if (typmod >= VARHDRSZ) return Numeric.fromScaled(0n, 0).applyTypmod(typmod);
      throw outOfRange('value overflows numeric format');
    }
    let coef = BigInt(digits);
    if (fracDigits - exponent < 0) coef *= pow10(exponent - fracDigits);
    dscale = Math.max(0, fracDigits - exponent);
    const raw = new Numeric(neg ? NUMERIC_NEG : NUMERIC_POS, coef, dscale);
    const result = typmod >= VARHDRSZ ? raw.applyTypmod(typmod) : raw;
    result.checkLimits();
    return result;
  }

  /** Used by parse to raise apply_typmod's overflow error for a value known to be too large. */
  private applyTypmodFinite(big: Numeric, typmod: number): never {
    big.applyTypmod(typmod);
    throw outOfRange('value overflows numeric format');
  }

  /** make_result's overflow check: the weight and dscale must fit the storage format. */
  private checkLimits(): void {
    if (this.dscale > NUMERIC_DSCALE_MAX) throw outOfRange('value overflows numeric format');
    if (this.coef !== 0n && this.weight > NUMERIC_WEIGHT_MAX) throw outOfRange('value overflows numeric format');
  }

  isNaN(): boolean { return this.sign === NUMERIC_NAN; }
  isInfinite(): boolean { return this.sign === NUMERIC_PINF || this.sign === NUMERIC_NINF; }
  isSpecial(): boolean { return this.sign >= NUMERIC_NAN; }
  isZero(): boolean { return !this.isSpecial() && this.coef === 0n; }
  isNegative(): boolean { return this.sign === NUMERIC_NEG || this.sign === NUMERIC_NINF; }

  /** The signed coefficient (finite values). */
  get unscaled(): bigint {
    return this.sign === NUMERIC_NEG ? -this.coef : this.coef;
  }

  private base(): { weight: number; digits: number[] } {
    if (this.cachedDigits) return this.cachedDigits;
    if (this.isSpecial() || this.coef === 0n) return (this.cachedDigits = { weight: 0, digits: [] });
    const pad = (DEC_DIGITS - (this.dscale % DEC_DIGITS)) % DEC_DIGITS;
    const s = (this.coef * pow10(pad)).toString();
    const fracGroups = (this.dscale + pad) / DEC_DIGITS;
    const lead = s.length % DEC_DIGITS;
    const digits: number[] = [];
    if (lead) digits.push(Number(s.slice(0, lead)));
    for (let k = lead; k < s.length; k += DEC_DIGITS) digits.push(Number(s.slice(k, k + DEC_DIGITS)));
    const weight = digits.length - fracGroups - 1;
    while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop();
    return (this.cachedDigits = { weight, digits });
  }

  /** Base-10000 weight of the first digit (0 for zero and special values), as NumericVar.weight. */
  get weight(): number { return this.base().weight; }
  /** Base-10000 digits without leading or trailing zeros, as stored by PostgreSQL. */
  get digits(): readonly number[] { return this.base().digits; }

  /** numeric_out. */
  toString(): string {
    switch (this.sign) {
      case NUMERIC_NAN: return 'NaN';
      case NUMERIC_PINF: return 'Infinity';
      case NUMERIC_NINF: return '-Infinity';
    }
    let s = this.coef.toString();
    if (this.dscale > 0) {
      if (s.length <= this.dscale) s = '0'.repeat(this.dscale - s.length + 1) + s;
      s = `${s.slice(0, s.length - this.dscale)}.${s.slice(s.length - this.dscale)}`;
    }
    return this.sign === NUMERIC_NEG ? `-${s}` : s;
  }

  /** JSON.stringify prints the exact decimal text, never a rounded JS number. */
  toJSON(): string { return this.toString(); }

  /** numeric_send. */
  send(): Uint8Array {
    const { weight, digits } = this.base();
    const w = new ByteWriter();
    // PostgreSQL sends ±Infinity with the dscale word 0x0020 (NUMERIC_EXT_SIGN_MASK's low bits).
    const dscaleWord = this.sign === NUMERIC_PINF || this.sign === NUMERIC_NINF ? 0x20 : this.dscale;
    w.int16(digits.length).int16(weight).uint16(this.sign).uint16(dscaleWord);
    for (const d of digits) w.int16(d);
    return w.finish();
  }

  /** numeric_recv without typmod. */
  static receive(bytes: Uint8Array): Numeric {
    const r = new ByteReader(bytes);
    const ndigits = r.uint16();
    if (ndigits > 0x7fff) throw badBinary('invalid length in external "numeric" value');
    const weight = r.int16();
    const sign = r.uint16();
    if (sign !== NUMERIC_POS && sign !== NUMERIC_NEG && sign !== NUMERIC_NAN && sign !== NUMERIC_PINF && sign !== NUMERIC_NINF) {
      throw badBinary('invalid sign in external "numeric" value');
    }
    const dscale = r.uint16();
    if ((dscale & 0x3fff) !== dscale) throw badBinary('invalid scale in external "numeric" value');
    let coef = 0n;
    for (let k = 0; k < ndigits; k++) {
      const d = r.int16();
      if (d < 0 || d >= 10000) throw badBinary('invalid digit in external "numeric" value');
      coef = coef * 10000n + BigInt(d);
    }
    r.end();
    if (sign === NUMERIC_NAN) return Numeric.NaN;
    if (sign === NUMERIC_PINF) return Numeric.PositiveInfinity;
    if (sign === NUMERIC_NINF) return Numeric.NegativeInfinity;
    // value = coef × 10000^(weight - ndigits + 1); truncate to dscale as numeric_recv does.
    const exp10 = (weight - ndigits + 1) * DEC_DIGITS;
    let scaled: bigint;
    if (exp10 >= 0) scaled = coef * pow10(exp10 + dscale);
    else if (-exp10 <= dscale) scaled = coef * pow10(dscale + exp10);
    else scaled = coef / pow10(-exp10 - dscale);
    const n = new Numeric(sign, scaled, dscale);
    n.checkLimits();
    return n;
  }

  // ---- comparison ----------------------------------------------------------------------------

  /** cmp_numerics: NaN equals NaN and sorts above everything; ±Infinity beyond all finite values. */
  static compare(a: Numeric, b: Numeric): number {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb || ra !== 1) return ra < rb ? -1 : ra > rb ? 1 : 0;
    const d = a.dscale - b.dscale;
    const x = d >= 0 ? a.unscaled : a.unscaled * pow10(-d);
    const y = d >= 0 ? b.unscaled * pow10(d) : b.unscaled;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  equals(other: Numeric): boolean {
    return Numeric.compare(this, other) === 0;
  }

  /** A hash that ignores the display scale (1.0 and 1.00 hash alike, as they are equal). */
  hash(): number {
    if (this.isSpecial()) return this.sign;
    let c = this.coef;
    let s = this.dscale;
    while (s > 0 && c % 10n === 0n) { c /= 10n; s--; }
    return hashString(`${this.sign === NUMERIC_NEG ? '-' : ''}${c}e${s}`);
  }

  // ---- arithmetic ----------------------------------------------------------------------------

  static add(a: Numeric, b: Numeric): Numeric {
    if (a.isSpecial() || b.isSpecial()) {
      if (a.isNaN() || b.isNaN()) return Numeric.NaN;
      if (a.sign === NUMERIC_PINF) return b.sign === NUMERIC_NINF ? Numeric.NaN : a;
      if (a.sign === NUMERIC_NINF) return b.sign === NUMERIC_PINF ? Numeric.NaN : a;
      return b;
    }
    const s = Math.max(a.dscale, b.dscale);
    return Numeric.fromScaled(a.unscaled * pow10(s - a.dscale) + b.unscaled * pow10(s - b.dscale), s);
  }

  static sub(a: Numeric, b: Numeric): Numeric {
    return Numeric.add(a, b.negate());
  }

  negate(): Numeric {
    switch (this.sign) {
      case NUMERIC_NAN: return this;
      case NUMERIC_PINF: return Numeric.NegativeInfinity;
      case NUMERIC_NINF: return Numeric.PositiveInfinity;
    }
    return new Numeric(this.sign === NUMERIC_NEG ? NUMERIC_POS : NUMERIC_NEG, this.coef, this.dscale);
  }

  abs(): Numeric {
    if (this.sign === NUMERIC_NEG) return new Numeric(NUMERIC_POS, this.coef, this.dscale);
    if (this.sign === NUMERIC_NINF) return Numeric.PositiveInfinity;
    return this;
  }

  /** -1, 0, 1 (NaN for NaN), as numeric_sign. */
  signum(): Numeric {
    if (this.isNaN()) return this;
    if (this.sign === NUMERIC_PINF) return Numeric.ONE;
    if (this.sign === NUMERIC_NINF) return Numeric.fromScaled(-1n, 0);
    if (this.coef === 0n) return Numeric.ZERO;
    return Numeric.fromScaled(this.sign === NUMERIC_NEG ? -1n : 1n, 0);
  }

  static mul(a: Numeric, b: Numeric): Numeric {
    if (a.isSpecial() || b.isSpecial()) {
      if (a.isNaN() || b.isNaN()) return Numeric.NaN;
      const sa = specialSign(a);
      const sb = specialSign(b);
      if (sa === 0 || sb === 0) return Numeric.NaN;
      return sa * sb > 0 ? Numeric.PositiveInfinity : Numeric.NegativeInfinity;
    }
    const scale = a.dscale + b.dscale;
    const exact = a.unscaled * b.unscaled;
    if (scale > NUMERIC_DSCALE_MAX) return Numeric.fromScaled(roundDiv(exact, pow10(scale - NUMERIC_DSCALE_MAX)), NUMERIC_DSCALE_MAX);
    return Numeric.fromScaled(exact, scale);
  }

  /** numeric_div: the quotient rounded to select_div_scale's scale. */
  static div(a: Numeric, b: Numeric): Numeric {
    if (a.isSpecial() || b.isSpecial()) return divSpecial(a, b);
    if (b.coef === 0n) throw divisionByZero();
    return Numeric.divScaled(a, b, selectDivScale(a, b), true);
  }

  /** numeric_div_trunc: the quotient truncated to an integer. */
  static divTrunc(a: Numeric, b: Numeric): Numeric {
    if (a.isSpecial() || b.isSpecial()) {
      const r = divSpecial(a, b);
      return r;
    }
    if (b.coef === 0n) throw divisionByZero();
    return Numeric.divScaled(a, b, 0, false);
  }

  private static divScaled(a: Numeric, b: Numeric, rscale: number, round: boolean): Numeric {
    // a/b × 10^rscale = (ua × 10^(rscale + db)) / (ub × 10^da)
    let num = a.unscaled * pow10(rscale + b.dscale);
    let den = b.unscaled * pow10(a.dscale);
    if (den < 0n) { num = -num; den = -den; }
    return Numeric.fromScaled(round ? roundDiv(num, den) : num / den, rscale);
  }

  /** numeric_mod: a - trunc(a/b)·b, sign of a. */
  static mod(a: Numeric, b: Numeric): Numeric {
    if (a.isSpecial() || b.isSpecial()) {
      if (a.isNaN() || b.isNaN()) return Numeric.NaN;
      if (a.isInfinite()) {
        if (!b.isSpecial() && b.coef === 0n) throw divisionByZero();
        return Numeric.NaN;
      }
      return a;
    }
    if (b.coef === 0n) throw divisionByZero();
    const s = Math.max(a.dscale, b.dscale);
    const x = a.unscaled * pow10(s - a.dscale);
    const y = b.unscaled * pow10(s - b.dscale);
    return Numeric.fromScaled(x % y, s);
  }

  /** round(numeric, int): half away from zero; a negative scale rounds left of the point. */
  round(scale = 0): Numeric {
    if (this.isSpecial()) return this;
    const s = Math.max(-NUMERIC_MAX_RESULT_SCALE, Math.min(NUMERIC_MAX_RESULT_SCALE, scale));
    return roundToScale(this, s, true);
  }

  /** trunc(numeric, int). */
  trunc(scale = 0): Numeric {
    if (this.isSpecial()) return this;
    const s = Math.max(-NUMERIC_MAX_RESULT_SCALE, Math.min(NUMERIC_MAX_RESULT_SCALE, scale));
    return roundToScale(this, s, false);
  }

  /** ceil / floor: integral results with dscale 0. */
  ceil(): Numeric {
    if (this.isSpecial()) return this;
    const q = this.unscaled / pow10(this.dscale);
    const r = this.unscaled % pow10(this.dscale);
    return Numeric.fromScaled(r > 0n ? q + 1n : q, 0);
  }

  floor(): Numeric {
    if (this.isSpecial()) return this;
    const q = this.unscaled / pow10(this.dscale);
    const r = this.unscaled % pow10(this.dscale);
    return Numeric.fromScaled(r < 0n ? q - 1n : q, 0);
  }

  /** numeric_sqrt with its result scale rule (at least 16 significant digits). */
  sqrt(): Numeric {
    if (this.isSpecial()) {
      if (this.sign === NUMERIC_NINF) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, 'cannot take square root of a negative number');
      return this;
    }
    if (this.sign === NUMERIC_NEG) throw new PgError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, 'cannot take square root of a negative number');
    const sweight = Math.trunc(((this.weight + 1) * DEC_DIGITS) / 2) - 1;
    let rscale = NUMERIC_MIN_SIG_DIGITS - sweight;
    rscale = Math.max(rscale, this.dscale, 0);
    rscale = Math.min(rscale, NUMERIC_MAX_DISPLAY_SCALE);
    if (this.coef === 0n) return Numeric.fromScaled(0n, rscale);
    // floor(sqrt(v) × 10^(rscale+1)), then round the guard digit half up.
    const e = 2 * (rscale + 1) - this.dscale;
    const n = e >= 0 ? this.coef * pow10(e) : this.coef / pow10(-e);
    const root = isqrt(n);
    return Numeric.fromScaled((root + 5n) / 10n, rscale);
  }

  // ---- conversions ---------------------------------------------------------------------------

  /** numeric → int2/int4/int8: round half away from zero, then range-check. */
  toBigIntRounded(typeLabel: 'smallint' | 'integer' | 'bigint'): bigint {
    if (this.isNaN()) throw featureNotSupportedMsg(`cannot convert NaN to ${typeLabel}`);
    if (this.isInfinite()) throw featureNotSupportedMsg(`cannot convert infinity to ${typeLabel}`);
    const v = roundToScale(this, 0, true).unscaled;
    const [lo, hi] = typeLabel === 'smallint' ? [-32768n, 32767n] : typeLabel === 'integer' ? [-2147483648n, 2147483647n] : [-(2n ** 63n), 2n ** 63n - 1n];
    if (v < lo || v > hi) throw outOfRange(`${typeLabel} out of range`);
    return v;
  }

  /** numeric → float8 as PostgreSQL does it (print, then strtod), with its range check. */
  toFloat8(): number {
    if (this.isNaN()) return NaN;
    if (this.sign === NUMERIC_PINF) return Infinity;
    if (this.sign === NUMERIC_NINF) return -Infinity;
    const v = Number(this.toString());
    if (!Number.isFinite(v) || (v === 0 && this.coef !== 0n)) throw outOfRange(`"${this.toString()}" is out of range for type double precision`);
    return v;
  }

  toFloat4(): number {
    if (this.isNaN()) return NaN;
    if (this.sign === NUMERIC_PINF) return Infinity;
    if (this.sign === NUMERIC_NINF) return -Infinity;
    const v = Math.fround(Number(this.toString()));
    if (!Number.isFinite(v) || (v === 0 && this.coef !== 0n)) throw outOfRange(`"${this.toString()}" is out of range for type real`);
    return v;
  }

  // ---- typmods -------------------------------------------------------------------------------

  /** apply_typmod / apply_typmod_special: round to the scale, then check the precision. */
  applyTypmod(typmod: number): Numeric {
    if (typmod < VARHDRSZ) return this;
    const precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
    const scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
    if (this.isNaN()) return this;
    if (this.isInfinite()) {
      throw new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'numeric field overflow', {
        detail: `A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`,
      });
    }
    const maxDigits = precision - scale;
    const r = roundToScaleUnchecked(this, scale, true);
    if (r.coef !== 0n) {
      const ddigits = decimalLength(r.coef) - r.dscale;
      if (ddigits > maxDigits) {
        throw new PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'numeric field overflow', {
          detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${maxDigits ? '10^' : ''}${maxDigits ? maxDigits : 1}.`,
        });
      }
    }
    return r;
  }
}

function rank(n: Numeric): number {
  switch (n.sign) {
    case NUMERIC_NINF: return 0;
    case NUMERIC_PINF: return 2;
    case NUMERIC_NAN: return 3;
    default: return 1;
  }
}

function specialSign(n: Numeric): number {
  if (n.sign === NUMERIC_PINF) return 1;
  if (n.sign === NUMERIC_NINF) return -1;
  return n.coef === 0n ? 0 : n.sign === NUMERIC_NEG ? -1 : 1;
}

function divisionByZero(): PgError {
  return new PgError(SqlState.DIVISION_BY_ZERO, 'division by zero');
}

function featureNotSupportedMsg(message: string): PgError {
  return new PgError(SqlState.FEATURE_NOT_SUPPORTED, message);
}

function divSpecial(a: Numeric, b: Numeric): Numeric {
  if (a.isNaN() || b.isNaN()) return Numeric.NaN;
  if (a.isInfinite()) {
    if (b.isSpecial()) return Numeric.NaN;
    const s = specialSign(b);
    if (s === 0) throw divisionByZero();
    return s * specialSign(a) > 0 ? Numeric.PositiveInfinity : Numeric.NegativeInfinity;
  }
  return Numeric.ZERO;
}

/** Round num/den half away from zero (den > 0). */
function roundDiv(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (n * 2n + d) / (d * 2n);
  return neg ? -q : q;
}

/** round_var / trunc_var to `scale`; the result's dscale is max(scale, 0). */
function roundToScale(v: Numeric, scale: number, round: boolean): Numeric {
  const r = roundToScaleUnchecked(v, scale, round);
  return Numeric.fromScaled(r.unscaled, r.dscale);
}

function roundToScaleUnchecked(v: Numeric, scale: number, round: boolean): Numeric {
  const target = Math.max(scale, 0);
  if (scale >= v.dscale) return Numeric.fromScaledUnchecked(v.unscaled * pow10(target - v.dscale), target);
  const drop = pow10(v.dscale - scale);
  let q = round ? roundDiv(v.unscaled, drop) : v.unscaled / drop;
  if (scale < 0) q *= pow10(-scale);
  return Numeric.fromScaledUnchecked(q, target);
}

/** select_div_scale: at least 16 significant digits, no less than either input's scale. */
function selectDivScale(a: Numeric, b: Numeric): number {
  const d1 = a.digits;
  const d2 = b.digits;
  const w1 = d1.length ? a.weight : 0;
  const w2 = d2.length ? b.weight : 0;
  const f1 = d1[0] ?? 0;
  const f2 = d2[0] ?? 0;
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  let rscale = NUMERIC_MIN_SIG_DIGITS - qweight * DEC_DIGITS;
  rscale = Math.max(rscale, a.dscale, b.dscale, 0);
  return Math.min(rscale, NUMERIC_MAX_DISPLAY_SCALE);
}

/** Integer square root (floor) by Newton's method; iterations are bounded by the bit length. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (let i = 0; i < 10_000; i++) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
  throw new Error('isqrt did not converge');
}

/** numerictypmodin. */
export function numericTypmodIn(mods: string[]): number {
  const tl = mods.map(Number);
  const bad = (m: string) => new PgError(SqlState.INVALID_PARAMETER_VALUE, m);
  if (tl.length === 2) {
    if (tl[0]! < 1 || tl[0]! > NUMERIC_MAX_PRECISION) throw bad(`NUMERIC precision ${tl[0]} must be between 1 and ${NUMERIC_MAX_PRECISION}`);
    if (tl[1]! < NUMERIC_MIN_SCALE || tl[1]! > NUMERIC_MAX_SCALE) throw bad(`NUMERIC scale ${tl[1]} must be between ${NUMERIC_MIN_SCALE} and ${NUMERIC_MAX_SCALE}`);
    return ((tl[0]! << 16) | (tl[1]! & 0x7ff)) + VARHDRSZ;
  }
  if (tl.length === 1) {
    if (tl[0]! < 1 || tl[0]! > NUMERIC_MAX_PRECISION) throw bad(`NUMERIC precision ${tl[0]} must be between 1 and ${NUMERIC_MAX_PRECISION}`);
    return (tl[0]! << 16) + VARHDRSZ;
  }
  throw bad('invalid NUMERIC type modifier');
}

/** numerictypmodout. */
export function numericTypmodOut(typmod: number): string {
  if (typmod < VARHDRSZ) return '';
  const precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
  const scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
  return `(${precision},${scale})`;
}
