// The numeric TypeImpl: text and binary I/O with typmods (numeric(p,s)), ordering and hashing.

import type { TypeImpl } from './datum.ts';
import { Numeric, numericTypmodIn, numericTypmodOut } from './numeric.ts';

export const numericType: TypeImpl = {
  oid: 1700, name: 'numeric',
  input: (text, typmod) => Numeric.parse(text, 'numeric', typmod),
  output: (v) => (v as Numeric).toString(),
  receive: (b, typmod) => Numeric.receive(b).applyTypmod(typmod),
  send: (v) => (v as Numeric).send(),
  compare: (a, b) => Numeric.compare(a as Numeric, b as Numeric),
  equals: (a, b) => Numeric.compare(a as Numeric, b as Numeric) === 0,
  hash: (a) => (a as Numeric).hash(),
  typmodIn: numericTypmodIn,
  typmodOut: numericTypmodOut,
  applyTypmod: (v, typmod) => (v as Numeric).applyTypmod(typmod),
};
