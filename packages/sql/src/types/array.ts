// Arrays of any element type: array_in / array_out (quoting, NULL, multiple dimensions,
// explicit bounds `[0:1]={…}`), array_recv / array_send (dims, lower bounds, element OID) and
// btree ordering. Entry point: makeArrayType(elementType, arrayOid).

import { PgError, SqlState } from '@palisade/common';
import { ByteReader, ByteWriter, type Datum, type IoContext, type PgArray, type TypeImpl, badBinary, hashString, isSpace } from './datum.ts';

/** MAXDIM in PostgreSQL. */
export const MAXDIM = 6;
/** MaxArraySize: elements in one array. */
const MAX_ARRAY_SIZE = 0x3fffffff / 8;

function malformed(text: string, detail: string): PgError {
  return new PgError(SqlState.INVALID_TEXT_REPRESENTATION, `malformed array literal: "${text}"`, { detail });
}

interface RawElem { text: string; isNull: boolean }

/** Parses the braces structure: dims and the raw element strings (dequoted, unescaped). */
function parseBraces(text: string, start: number, delim: string): { dims: number[]; elems: RawElem[]; end: number } {
  const elems: RawElem[] = [];
  let dims: number[] | undefined;
  let scalarDepth = -1;
  let i = start;
  const n = text.length;
  // Returns the length of this level.
  const level = (depth: number): number => {
    if (depth > MAXDIM) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `number of array dimensions (${depth}) exceeds the maximum allowed (${MAXDIM})`);
    }
    i++; // past '{'
    let count = 0;
    let sawNested = false;
    let sawScalar = false;
    for (;;) {
      while (i < n && isSpace(text[i])) i++;
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      const c = text[i]!;
      if (c === '}') {
        if (count > 0 || sawNested || sawScalar || depth > 0) throw malformed(text, 'Unexpected "}" character.');
        i++;
        return 0;
      }
      if (c === '{') {
        if (sawScalar) throw malformed(text, 'Unexpected "{" character.');
        sawNested = true;
        level(depth + 1);
      } else {
        if (sawNested) throw malformed(text, 'Unexpected array element.');
        if (c === delim) throw malformed(text, `Unexpected "${delim}" character.`);
        sawScalar = true;
        elems.push(readElement());
      }
      count++;
      while (i < n && isSpace(text[i])) i++;
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      const d = text[i]!;
      if (d === delim) { i++; continue; }
      if (d === '}') {
        i++;
        dims ??= [];
        if (dims[depth] === undefined) dims[depth] = count;
        else if (dims[depth] !== count) throw malformed(text, 'Multidimensional arrays must have sub-arrays with matching dimensions.');
        if (sawScalar) {
          if (scalarDepth === -1) scalarDepth = depth;
          else if (scalarDepth !== depth) throw malformed(text, 'Multidimensional arrays must have sub-arrays with matching dimensions.');
        }
        return count;
      }
      throw malformed(text, `Unexpected "${d}" character.`);
    }
  };
  const readElement = (): RawElem => {
    let out = '';
    let quoted = false;
    let escaped = false;
    let trailingWs = 0;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw malformed(text, 'Unexpected end of input.');
        const c = text[i]!;
        if (c === '\\') {
          i++;
          if (i >= n) throw malformed(text, 'Unexpected end of input.');
          out += text[i];
          i++;
        } else if (c === '"') {
          i++;
          break;
        } else {
          out += c;
          i++;
        }
      }
      while (i < n && isSpace(text[i])) i++;
      if (i < n && text[i] !== delim && text[i] !== '}') throw malformed(text, 'Unexpected array element.');
      return { text: out, isNull: false };
    }
    for (;;) {
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      const c = text[i]!;
      if (c === delim || c === '}') break;
      if (c === '{' || c === '"') throw malformed(text, `Unexpected "${c}" character.`);
      if (c === '\\') {
        i++;
        if (i >= n) throw malformed(text, 'Unexpected end of input.');
        out += text[i];
        escaped = true;
        trailingWs = 0;
        i++;
        continue;
      }
      if (isSpace(c)) trailingWs++;
      else trailingWs = 0;
      out += c;
      i++;
    }
    if (trailingWs) out = out.slice(0, out.length - trailingWs);
    const isNull = !quoted && !escaped && out.toUpperCase() === 'NULL';
    return { text: out, isNull };
  };
  level(0);
  if (dims === undefined) dims = [];
  return { dims, elems, end: i };
}

/** array_in for the given element type. */
export function arrayIn(text: string, elem: TypeImpl, typmod: number, ctx: IoContext, delim = ','): PgArray {
  let i = 0;
  const n = text.length;
  while (i < n && isSpace(text[i])) i++;
  const lbs: number[] = [];
  const ubs: number[] = [];
  const readInt = (): number | undefined => {
    const m = /^[ \t\n\r\v\f]*[+-]?[0-9]+/.exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  while (text[i] === '[') {
    if (lbs.length >= MAXDIM) {
      throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `number of array dimensions (${lbs.length + 1}) exceeds the maximum allowed (${MAXDIM})`);
    }
    i++;
    const first = readInt();
    if (first === undefined) throw malformed(text, 'Missing array dimension value.');
    let lb = 1;
    let ub = first;
    if (text[i] === ':') {
      i++;
      const second = readInt();
      if (second === undefined) throw malformed(text, 'Missing array dimension value.');
      lb = first;
      ub = second;
    }
    if (text[i] !== ']') throw malformed(text, 'Missing "]" after array dimensions.');
    i++;
    if (ub < lb) throw new PgError(SqlState.ARRAY_SUBSCRIPT_ERROR, 'upper bound cannot be less than lower bound');
    lbs.push(lb);
    ubs.push(ub);
  }
  if (lbs.length > 0) {
    if (text[i] !== '=') throw malformed(text, 'Missing "=" after array dimensions.');
    i++;
    while (i < n && isSpace(text[i])) i++;
  } else if (text[i] !== '{') {
    throw malformed(text, 'Array value must start with "{" or dimension information.');
  }
  if (text[i] !== '{') throw malformed(text, 'Array contents must start with "{".');
  // Errors inside the braces quote the literal from its "{" on, as PostgreSQL does.
  const body = text.slice(i);
  const parsed = parseBraces(body, 0, delim);
  let j = parsed.end;
  while (j < body.length && isSpace(body[j])) j++;
  if (j !== body.length) throw malformed(body, 'Junk after closing right brace.');
  let dims = parsed.dims;
  if (lbs.length > 0) {
    const want = ubs.map((u, k) => u - lbs[k]! + 1);
    if (want.length !== dims.length || want.some((d, k) => d !== dims[k])) {
      throw malformed(text, 'Specified array dimensions do not match array contents.');
    }
  }
  let total = 1;
  for (const d of dims) total *= d;
  if (dims.length > 0 && total > MAX_ARRAY_SIZE) {
    throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `array size exceeds the maximum allowed (${MAX_ARRAY_SIZE})`);
  }
  const values = parsed.elems.map((e) => (e.isNull ? null : elem.input(e.text, typmod, ctx)));
  if (values.length === 0) dims = [];
  return { elementType: elem.oid, dims, lowerBounds: dims.length ? (lbs.length ? lbs : dims.map(() => 1)) : [], values };
}

/** Does array_out have to quote this element text? */
function needsQuote(s: string, delim: string): boolean {
  if (s === '' || s.toUpperCase() === 'NULL') return true;
  for (const c of s) {
    if (c === '"' || c === '\\' || c === '{' || c === '}' || c === delim || isSpace(c)) return true;
  }
  return false;
}

/** array_out. */
export function arrayOut(a: PgArray, elem: TypeImpl, ctx: IoContext, delim = ','): string {
  if (a.dims.length === 0) return '{}';
  const parts = a.values.map((v) => {
    if (v === null) return 'NULL';
    const s = elem.output(v, ctx);
    return needsQuote(s, delim) ? `"${s.replace(/["\\]/g, (m) => `\\${m}`)}"` : s;
  });
  let k = 0;
  const build = (d: number): string => {
    const items: string[] = [];
    for (let j = 0; j < a.dims[d]!; j++) items.push(d === a.dims.length - 1 ? parts[k++]! : build(d + 1));
    return `{${items.join(delim)}}`;
  };
  const prefix = a.lowerBounds.some((lb) => lb !== 1)
    ? `${a.dims.map((d, j) => `[${a.lowerBounds[j]}:${a.lowerBounds[j]! + d - 1}]`).join('')}=`
    : '';
  return prefix + build(0);
}

/** array_send. */
export function arraySend(a: PgArray, elem: TypeImpl, ctx: IoContext): Uint8Array {
  const w = new ByteWriter();
  w.int32(a.dims.length).int32(a.values.some((v) => v === null) ? 1 : 0).uint32(a.elementType);
  for (let j = 0; j < a.dims.length; j++) w.int32(a.dims[j]!).int32(a.lowerBounds[j]!);
  for (const v of a.values) {
    if (v === null) { w.int32(-1); continue; }
    const b = elem.send(v, ctx);
    w.int32(b.length).bytes(b);
  }
  return w.finish();
}

/** array_recv. */
export function arrayReceive(bytes: Uint8Array, elem: TypeImpl, typmod: number, ctx: IoContext): PgArray {
  const r = new ByteReader(bytes);
  const ndim = r.int32();
  if (ndim < 0) throw badBinary(`invalid number of dimensions: ${ndim}`);
  if (ndim > MAXDIM) {
    throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `number of array dimensions (${ndim}) exceeds the maximum allowed (${MAXDIM})`);
  }
  const flags = r.int32();
  if (flags !== 0 && flags !== 1) throw badBinary('invalid array flags');
  const elementType = r.uint32();
  if (elementType !== elem.oid) {
    throw new PgError(SqlState.DATATYPE_MISMATCH, `binary data has array element type ${elementType} instead of expected ${elem.oid}`);
  }
  const dims: number[] = [];
  const lowerBounds: number[] = [];
  let total = ndim ? 1 : 0;
  for (let j = 0; j < ndim; j++) {
    const d = r.int32();
    const lb = r.int32();
    if (d < 0) throw badBinary('invalid array dimensions');
    dims.push(d);
    lowerBounds.push(lb);
    total *= d;
    if (total > MAX_ARRAY_SIZE) throw new PgError(SqlState.PROGRAM_LIMIT_EXCEEDED, `array size exceeds the maximum allowed (${MAX_ARRAY_SIZE})`);
  }
  const values: Datum[] = [];
  for (let k = 0; k < total; k++) {
    const len = r.int32();
    if (len === -1) { values.push(null); continue; }
    if (len < 0) throw badBinary(`insufficient data left in message`);
    values.push(elem.receive(r.take(len), typmod, ctx));
  }
  r.end();
  if (total === 0) return { elementType, dims: [], lowerBounds: [], values: [] };
  return { elementType, dims, lowerBounds, values };
}

/** array_cmp: element by element (NULL after non-NULL), then element count, dims, lower bounds. */
export function arrayCompare(a: PgArray, b: PgArray, elem: TypeImpl): number {
  const compare = elem.compare;
  if (!compare) throw new PgError(SqlState.UNDEFINED_FUNCTION, `could not identify a comparison function for type ${elem.name}`);
  const n = Math.min(a.values.length, b.values.length);
  for (let k = 0; k < n; k++) {
    const x = a.values[k]!;
    const y = b.values[k]!;
    if (x === null || y === null) {
      if (x === null && y === null) continue;
      return x === null ? 1 : -1;
    }
    const c = compare(x, y);
    if (c) return c < 0 ? -1 : 1;
  }
  if (a.values.length !== b.values.length) return a.values.length < b.values.length ? -1 : 1;
  if (a.dims.length !== b.dims.length) return a.dims.length < b.dims.length ? -1 : 1;
  for (let j = 0; j < a.dims.length; j++) {
    if (a.dims[j] !== b.dims[j]) return a.dims[j]! < b.dims[j]! ? -1 : 1;
    if (a.lowerBounds[j] !== b.lowerBounds[j]) return a.lowerBounds[j]! < b.lowerBounds[j]! ? -1 : 1;
  }
  return 0;
}

/** The TypeImpl of an array type over `elem`. */
export function makeArrayType(elem: TypeImpl, arrayOid: number, arrayName: string, delim = ','): TypeImpl {
  const impl: TypeImpl = {
    oid: arrayOid, name: arrayName,
    input: (text, typmod, ctx) => arrayIn(text, elem, typmod, ctx, delim),
    output: (v, ctx) => arrayOut(v as PgArray, elem, ctx, delim),
    receive: (b, typmod, ctx) => arrayReceive(b, elem, typmod, ctx),
    send: (v, ctx) => arraySend(v as PgArray, elem, ctx),
  };
  if (elem.compare) {
    impl.compare = (a, b) => arrayCompare(a as PgArray, b as PgArray, elem);
    impl.equals = (a, b) => arrayCompare(a as PgArray, b as PgArray, elem) === 0;
  }
  if (elem.hash) {
    const h = elem.hash;
    impl.hash = (a) => {
      const arr = a as PgArray;
      let acc = hashString(arr.dims.join(','));
      for (const v of arr.values) acc = (Math.imul(acc, 31) + (v === null ? 0 : h(v))) >>> 0;
      return acc;
    };
  }
  if (elem.applyTypmod) {
    const apply = elem.applyTypmod;
    impl.applyTypmod = (v, typmod, isExplicit) => {
      const arr = v as PgArray;
      return { ...arr, values: arr.values.map((x) => (x === null ? null : apply(x, typmod, isExplicit))) };
    };
  }
  if (elem.typmodIn) impl.typmodIn = elem.typmodIn;
  if (elem.typmodOut) impl.typmodOut = elem.typmodOut;
  return impl;
}
