// float4 / float8 text I/O as PostgreSQL 15 does it: strtod-style input with its range
// errors, shortest-round-trip output (extra_float_digits > 0) and %g output otherwise.

import { isSpace, invalidSyntax, outOfRange } from './datum.ts';

const DBL_DIG = 15;
const FLT_DIG = 6;

const decimalRe = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const hexRe = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const specialRe = /^([+-]?)(?:(infinity|inf)|(nan)(?:\([0-9A-Za-z_]*\))?)/i;

/** float8in / float4in: the number and the length of the text strtod would consume. */
function strtod(s: string): { value: number; length: number; zeroDigits: boolean } | undefined {
  const sp = specialRe.exec(s);
  if (sp) {
    const value = sp[3] ? NaN : sp[1] === '-' ? -Infinity : Infinity;
    return { value, length: sp[0].length, zeroDigits: true };
  }
  const hx = hexRe.exec(s);
  if (hx) {
    const [intPart, fracPart = ''] = hx[2]!.split('.');
    const mant = BigInt(`0x${(intPart ?? '') + fracPart || '0'}`);
    const exp = Number(hx[3] ?? '0') - 4 * fracPart.length;
    let value = Number(mant) * 2 ** Math.max(-1074, Math.min(1024, exp));
    if (exp < -1074) value = Number(mant) * 2 ** -1074 * 2 ** (exp + 1074);
    return { value: hx[1] === '-' ? -value : value, length: hx[0].length, zeroDigits: mant === 0n };
  }
  const m = decimalRe.exec(s);
  if (!m) return undefined;
  const mantissa = m[0].replace(/[eE].*$/, '');
  return { value: Number(m[0]), length: m[0].length, zeroDigits: !/[1-9]/.test(mantissa) };
}

function parseFloatText(text: string, typeName: 'double precision' | 'real', round: (v: number) => number): number {
  let i = 0;
  while (i < text.length && isSpace(text[i])) i++;
  const rest = text.slice(i);
  if (rest === '') throw invalidSyntax(typeName, text);
  const r = strtod(rest);
  if (!r) throw invalidSyntax(typeName, text);
  let j = r.length;
  while (j < rest.length && isSpace(rest[j])) j++;
  const value = round(r.value);
  const numberText = rest.slice(0, r.length);
  const isInfText = /inf/i.test(numberText);
  if ((!Number.isFinite(value) && !Number.isNaN(value) && !isInfText) || (value === 0 && !r.zeroDigits)) {
    throw outOfRange(`"${numberText}" is out of range for type ${typeName}`);
  }
  if (j !== rest.length) throw invalidSyntax(typeName, text);
  return value;
}

/** float8in. */
export function float8In(text: string): number {
  return parseFloatText(text, 'double precision', (v) => v);
}

/** float4in; the value is a float4 rounded with Math.fround. */
export function float4In(text: string): number {
  return parseFloatText(text, 'real', Math.fround);
}

/** The digits and decimal exponent of a number's representation (digits without a point). */
function decompose(repr: string): { digits: string; exp: number } {
  const [mant, e] = repr.split(/e/i);
  const [ip, fp = ''] = mant!.split('.');
  let digits = ip! + fp;
  let exp = Number(e ?? 0) + ip!.length - 1;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  exp -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return { digits: '0', exp: 0 };
  return { digits, exp };
}

/** Fixed notation for exponents in [-4, fixedMax), otherwise d.ddde±XX, as d2s.c prints. */
function formatShortest(digits: string, exp: number, fixedMax: number): string {
  if (exp >= -4 && exp < fixedMax) {
    if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
    if (digits.length <= exp + 1) return digits + '0'.repeat(exp + 1 - digits.length);
    return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** The binary parts of a finite positive double (bits = 64) or float (bits = 32): v = mant × 2^exp2. */
function binaryParts(v: number, bits: 32 | 64): { mant: bigint; exp2: number; minNormal: boolean } {
  const dv = new DataView(new ArrayBuffer(8));
  if (bits === 64) {
    dv.setFloat64(0, v);
    const hi = dv.getUint32(0);
    const lo = dv.getUint32(4);
    const e = (hi >>> 20) & 0x7ff;
    const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    if (e === 0) return { mant: frac, exp2: -1074, minNormal: false };
    return { mant: frac | (1n << 52n), exp2: e - 1075, minNormal: frac === 0n && e > 1 };
  }
  dv.setFloat32(0, v);
  const w = dv.getUint32(0);
  const e = (w >>> 23) & 0xff;
  const frac = BigInt(w & 0x7fffff);
  if (e === 0) return { mant: frac, exp2: -149, minNormal: false };
  return { mant: frac | (1n << 23n), exp2: e - 150, minNormal: frac === 0n && e > 1 };
}

/** Is D × 10^k exactly P × 2^q? */
function equalsDyadic(D: bigint, k: number, P: bigint, q: number): boolean {
  const m2 = Math.min(k, q);
  const m5 = Math.min(k, 0);
  const lhs = D * (1n << BigInt(k - m2)) * 5n ** BigInt(k - m5);
  const rhs = P * (1n << BigInt(q - m2)) * 5n ** BigInt(-m5);
  return lhs === rhs;
}

/**
 * PostgreSQL's shortest output never picks a decimal that lies exactly on the rounding
 * boundary between two floats (it does not "accept bounds"); this tells whether `digits`
 * (first digit at decimal exponent `exp`) is such a boundary of v.
 */
function onBoundary(v: number, digits: string, exp: number, bits: 32 | 64): boolean {
  const { mant, exp2, minNormal } = binaryParts(v, bits);
  const D = BigInt(digits);
  const k = exp - (digits.length - 1);
  if (equalsDyadic(D, k, 2n * mant + 1n, exp2 - 1)) return true;
  if (minNormal) return equalsDyadic(D, k, 4n * mant - 1n, exp2 - 2);
  return equalsDyadic(D, k, 2n * mant - 1n, exp2 - 1);
}

/** The exact decimal expansion of a finite positive double. */
function exactDecimal(v: number): { digits: string; exp: number } {
  const { mant, exp2 } = binaryParts(v, 64);
  if (exp2 >= 0) {
    const d = (mant << BigInt(exp2)).toString();
    return { digits: d, exp: d.length - 1 };
  }
  const d = (mant * 5n ** BigInt(-exp2)).toString();
  return { digits: d, exp: d.length - 1 + exp2 };
}

/** Rounds exact decimal digits to p significant digits, ties to even (glibc printf). */
function roundHalfEven(digits: string, exp: number, p: number): { digits: string; exp: number } {
  if (digits.length <= p) return { digits, exp };
  const keep = digits.slice(0, p);
  const next = digits.charCodeAt(p) - 48;
  const restNonZero = /[1-9]/.test(digits.slice(p + 1));
  const lastOdd = (keep.charCodeAt(p - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (restNonZero || lastOdd));
  if (!up) return { digits: keep, exp };
  const bumped = (BigInt(keep) + 1n).toString();
  if (bumped.length > p) return { digits: bumped.slice(0, p), exp: exp + 1 };
  return { digits: bumped, exp };
}

/** C's printf("%.*g", precision, v) for finite v. */
export function formatPrintfG(v: number, precision: number): string {
  const p = precision === 0 ? 1 : precision;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const exact = exactDecimal(Math.abs(v));
  const r = roundHalfEven(exact.digits, exact.exp, p);
  const digits = r.digits.replace(/0+$/, '') || '0';
  const exp = r.exp;
  if (exp < -4 || exp >= p) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return sign + formatShortest(digits, exp, Infinity);
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

/** float8out. */
export function float8Out(v: number, extraFloatDigits: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  if (extraFloatDigits > 0) {
    const a = Math.abs(v);
    let { digits, exp } = decompose(String(a));
    if (onBoundary(a, digits, exp, 64)) {
      for (let p = digits.length + 1; p <= 17; p++) {
        const d = decompose(a.toPrecision(p));
        if (Number(a.toPrecision(p)) === a && !onBoundary(a, d.digits, d.exp, 64)) { digits = d.digits; exp = d.exp; break; }
      }
    }
    return (v < 0 ? '-' : '') + formatShortest(digits, exp, DBL_DIG);
  }
  return formatPrintfG(v, Math.max(1, DBL_DIG + extraFloatDigits));
}

/** The shortest decimal that reads back as the same float4. */
function shortestFloat4(v: number): string {
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) !== v) continue;
    const d = decompose(s);
    if (!onBoundary(v, d.digits, d.exp, 32)) return s;
  }
  return v.toPrecision(9);
}

/** float4out. */
export function float4Out(v: number, extraFloatDigits: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  if (extraFloatDigits > 0) {
    const { digits, exp } = decompose(shortestFloat4(Math.abs(v)));
    return (v < 0 ? '-' : '') + formatShortest(digits, exp, FLT_DIG);
  }
  return formatPrintfG(v, Math.max(1, FLT_DIG + extraFloatDigits));
}

/** float8_cmp_internal: NaN equals NaN and sorts above everything; -0 equals 0. */
export function floatCompare(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
