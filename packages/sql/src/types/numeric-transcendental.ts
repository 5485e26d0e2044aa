// ln and exp for numeric with PostgreSQL's result scales (numeric_ln's estimate_ln_dweight,
// numeric_exp's log10 estimate). Values are computed in BigInt fixed point with guard digits
// well beyond the result scale and then rounded half away from zero, so results are the
// correctly rounded ones PostgreSQL prints. Entry points: numericLn, numericExp.

import { PgError, SqlState } from '@palisade/common';
import { isqrt, Numeric, NUMERIC_NEG, NUMERIC_NINF, NUMERIC_PINF, pow10 } from './numeric.ts';
import { outOfRange } from './datum.ts';

const NUMERIC_MIN_SIG_DIGITS = 16;
const NUMERIC_MAX_DISPLAY_SCALE = 1000;
const NUMERIC_MAX_RESULT_SCALE = 2000;
const DEC_DIGITS = 4;
const GUARD = 24;
/** Series terms are bounded: each adds at least two digits at the precisions used here. */
const MAX_TERMS = 20_000;

/** Fixed-point value: v / 10^p. */
function roundFixed(v: bigint, p: number, rscale: number): Numeric {
  if (rscale >= p) return Numeric.fromScaled(v * pow10(rscale - p), rscale);
  const drop = pow10(p - rscale);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const q = (a * 2n + drop) / (drop * 2n);
  return Numeric.fromScaled(neg ? -q : q, rscale);
}

/** ln(2), ln(10) at precision p (fixed point), cached per precision. */
const constCache = new Map<string, bigint>();

/** atanh(z) for |z| ≤ 1/3 in fixed point: z + z^3/3 + z^5/5 + … */
function atanhFixed(zNum: bigint, zDen: bigint, p: number): bigint {
  const one = pow10(p);
  let term = (zNum * one) / zDen;
  const z2Num = zNum * zNum;
  const z2Den = zDen * zDen;
  let sum = term;
  for (let k = 3; k < MAX_TERMS; k += 2) {
    term = (term * z2Num) / z2Den;
    if (term === 0n) break;
    sum += term / BigInt(k);
  }
  return sum;
}

function ln2(p: number): bigint {
  const key = `2:${p}`;
  let v = constCache.get(key);
  if (v === undefined) {
    v = 2n * atanhFixed(1n, 3n, p); // ln 2 = 2 atanh(1/3)
    if (constCache.size < 64) constCache.set(key, v);
  }
  return v;
}

/** ln of a positive fixed-point value x / 10^p. */
function lnFixed(x: bigint, p: number): bigint {
  const one = pow10(p);
  // Scale x into [1, 2) by powers of two: ln x = ln m + k ln 2.
  let k = 0n;
  let m = x;
  const bits = BigInt(x.toString(2).length - one.toString(2).length);
  if (bits > 0n) { m = x >> bits; k = bits; } else if (bits < 0n) { m = x << -bits; k = bits; }
  while (m >= 2n * one) { m /= 2n; k += 1n; }
  while (m < one) { m *= 2n; k -= 1n; }
  // Two square roots bring m close to 1; ln m = 4 · 2 atanh((r−1)/(r+1)).
  let r = m;
  const roots = 6;
  for (let i = 0; i < roots; i++) r = isqrt(r * one);
  const lnR = 2n * atanhFixed(r - one, r + one, p);
  return lnR * 2n ** BigInt(roots) + k * ln2(p);
}

/** exp of a fixed-point value x / 10^p, as a fixed-point value at precision p. */
function expFixed(x: bigint, p: number): bigint {
  const one = pow10(p);
  // exp(x) = exp(x / 2^k)^(2^k) with |x / 2^k| < 0.01.
  let k = 0;
  let r = x;
  const limit = one / 100n;
  while ((r < 0n ? -r : r) > limit && k < 20_000) { r /= 2n; k++; }
  let sum = one;
  let term = one;
  for (let n = 1n; n < BigInt(MAX_TERMS); n++) {
    term = (term * r) / (one * n);
    if (term === 0n) break;
    sum += term;
  }
  for (let i = 0; i < k; i++) sum = (sum * sum) / one;
  return sum;
}

function logError(message: string): PgError {
  return new PgError(SqlState.INVALID_ARGUMENT_FOR_LOG, message);
}

/** estimate_ln_dweight. */
function estimateLnDweight(v: Numeric): number {
  if (v.sign !== 0) return 0;
  const c = Numeric.compare;
  if (c(v, Numeric.parse('0.9')) >= 0 && c(v, Numeric.parse('1.1')) <= 0) {
    const x = Numeric.sub(v, Numeric.ONE);
    if (x.digits.length === 0) return 0;
    return x.weight * DEC_DIGITS + Math.trunc(Math.log10(x.digits[0]!));
  }
  const d = v.digits;
  if (d.length === 0) return 0;
  let digits = d[0]!;
  let dweight = v.weight * DEC_DIGITS;
  if (d.length > 1) { digits = digits * 10000 + d[1]!; dweight -= DEC_DIGITS; }
  const lnVar = Math.log(digits) + dweight * 2.302585092994046;
  return Math.trunc(Math.log10(Math.abs(lnVar)));
}

/** numeric_ln. */
export function numericLn(v: Numeric): Numeric {
  if (v.isNaN()) return v;
  if (v.sign === NUMERIC_PINF) return v;
  if (v.sign === NUMERIC_NINF || v.sign === NUMERIC_NEG) throw logError('cannot take logarithm of a negative number');
  if (v.isZero()) throw logError('cannot take logarithm of zero');
  let rscale = NUMERIC_MIN_SIG_DIGITS - estimateLnDweight(v);
  rscale = Math.min(Math.max(rscale, v.dscale, 0), NUMERIC_MAX_DISPLAY_SCALE);
  // Enough digits for the result scale plus the magnitude of small arguments.
  const p = rscale + GUARD + Math.max(0, v.dscale - rscale);
  const x = v.dscale <= p ? v.coef * pow10(p - v.dscale) : v.coef / pow10(v.dscale - p);
  return roundFixed(lnFixed(x, p), p, rscale);
}

/** numeric_exp. */
export function numericExp(v: Numeric): Numeric {
  if (v.isNaN()) return v;
  if (v.sign === NUMERIC_PINF) return v;
  if (v.sign === NUMERIC_NINF) return Numeric.ZERO;
  const asDouble = Number(v.toString());
  let val = asDouble * 0.434294481903252;
  val = Math.min(Math.max(val, -NUMERIC_MAX_RESULT_SCALE), NUMERIC_MAX_RESULT_SCALE);
  let rscale = NUMERIC_MIN_SIG_DIGITS - Math.trunc(val);
  rscale = Math.min(Math.max(rscale, v.dscale, 0), NUMERIC_MAX_DISPLAY_SCALE);
  if (Math.abs(asDouble) >= NUMERIC_MAX_RESULT_SCALE * 3) {
    if (asDouble > 0) throw outOfRange('value overflows numeric format');
    return Numeric.fromScaled(0n, rscale);
  }
  // Relative precision: the result has about val digits before the point.
  const intDigits = Math.max(0, Math.ceil(val) + 1);
  const p = rscale + GUARD + Math.ceil(Math.log10(Math.abs(asDouble) + 1) * 2) + 8;
  const x = v.dscale <= p ? v.unscaled * pow10(p - v.dscale) : v.unscaled / pow10(v.dscale - p);
  const q = p + intDigits;
  return roundFixed(expFixed(x * pow10(q - p), q), q, rscale);
}

function powerError(message: string): PgError {
  return new PgError(SqlState.INVALID_ARGUMENT_FOR_POWER_FUNCTION, message);
}

/**
 * numeric_power for finite and NaN arguments: an integral exponent (int32) gives the exact
 * power rounded to max(16, base dscale) places; otherwise exp(exponent · ln(base)) at
 * power_var's result scale. Infinite arguments are not supported yet (0A000).
 */
export function numericPower(base: Numeric, exponent: Numeric): Numeric {
  if (base.isNaN()) return exponent.isZero() ? Numeric.ONE : base;
  if (exponent.isNaN()) return Numeric.compare(base, Numeric.ONE) === 0 ? Numeric.ONE : exponent;
  if (base.isInfinite() || exponent.isInfinite()) {
    throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'power() with infinite arguments is not supported yet');
  }
  if (base.isZero() && exponent.isNegative()) throw powerError('zero raised to a negative power is undefined');
  const integral = Numeric.compare(exponent.trunc(0), exponent) === 0;
  if (base.isNegative() && !integral) throw powerError('a negative number raised to a non-integer power yields a complex result');
  const e = integral ? exponent.trunc(0).unscaled : 0n;
  if (integral && e >= -2147483648n && e <= 2147483647n) {
    const rscale = Math.min(Math.max(NUMERIC_MIN_SIG_DIGITS, base.dscale, 0), NUMERIC_MAX_DISPLAY_SCALE);
    if (e === 0n) return Numeric.fromScaled(pow10(rscale), rscale);
    if (base.isZero()) return Numeric.fromScaled(0n, rscale);
    // Weight estimate first, so that huge powers fail before being computed.
    const f = Number(e) * Math.log10(Math.abs(Number(base.toString())) || Number.MIN_VALUE);
    if (f > 0x7fff * DEC_DIGITS) throw outOfRange('value overflows numeric format');
    if (f + 1 < -NUMERIC_MAX_DISPLAY_SCALE) return Numeric.fromScaled(0n, NUMERIC_MAX_DISPLAY_SCALE);
    const mag = e < 0n ? -e : e;
    const num = base.unscaled ** mag;
    const scale = base.dscale * Number(mag);
    if (e > 0n) return roundFixed(num, scale, rscale);
    // 1 / (num / 10^scale) at rscale: 10^(scale + rscale) / num, rounded.
    const q = pow10(scale + rscale + 1) / num;
    const neg = q < 0n;
    const a = neg ? -q : q;
    const r = (a + 5n) / 10n;
    return Numeric.fromScaled(neg ? -r : r, rscale);
  }
  // Non-integral exponent: 0 ^ x is 0 with 16 places; otherwise base > 0.
  if (base.isZero()) return Numeric.fromScaled(0n, NUMERIC_MIN_SIG_DIGITS);
  const lnBase = numericLn(Numeric.fromScaled(base.unscaled, base.dscale));
  const val = Number(lnBase.toString()) * Number(exponent.toString());
  if (Math.abs(val) > NUMERIC_MAX_RESULT_SCALE * 3.01) {
    if (val > 0) throw outOfRange('value overflows numeric format');
    return Numeric.fromScaled(0n, NUMERIC_MAX_DISPLAY_SCALE);
  }
  const dval = val * 0.434294481903252;
  let rscale = NUMERIC_MIN_SIG_DIGITS - Math.trunc(dval);
  rscale = Math.min(Math.max(rscale, base.dscale, exponent.dscale, 0), NUMERIC_MAX_DISPLAY_SCALE);
  const intDigits = Math.max(0, Math.ceil(dval) + 1);
  const p = rscale + GUARD + 8 + Math.ceil(Math.log10(Math.abs(val) + 1) * 2);
  const q = p + intDigits;
  const x = base.coef * pow10(q + 10 - base.dscale);
  const lnFixedValue = lnFixed(x, q + 10) / pow10(10);
  const y = (lnFixedValue * exponent.unscaled) / pow10(exponent.dscale);
  return roundFixed(expFixed(y, q), q, rscale);
}
