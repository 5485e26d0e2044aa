// SASLprep (RFC 4013, a stringprep profile of RFC 3454) as PostgreSQL applies it to SCRAM
// passwords: input that is not valid UTF-8, or that SASLprep prohibits, is used as raw bytes
// instead of being rejected (SCRAM8). Entry point: saslprep.

import { MAPPED_TO_NOTHING, L_CAT, NON_ASCII_SPACE, PROHIBITED, RAND_AL_CAT, UNASSIGNED } from './saslprep-tables.ts';

function inTable(cp: number, table: readonly number[]): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[2 * mid]!) hi = mid - 1;
    else if (cp > table[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** How {@link saslprepDetailed} treated its input. */
export type SaslprepOutcome = 'ascii' | 'normalized' | 'invalid-utf8' | 'prohibited';

/** Decodes strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF); null if invalid. */
function decodeUtf8(bytes: Uint8Array): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < bytes.length;) {
    const b0 = bytes[i]!;
    let cp: number, len: number, min: number;
    if (b0 < 0x80) { cp = b0; len = 1; min = 0; }
    else if (b0 >= 0xc2 && b0 < 0xe0) { cp = b0 & 0x1f; len = 2; min = 0x80; }
    else if (b0 >= 0xe0 && b0 < 0xf0) { cp = b0 & 0x0f; len = 3; min = 0x800; }
    else if (b0 >= 0xf0 && b0 < 0xf5) { cp = b0 & 0x07; len = 4; min = 0x10000; }
    else return null;
    if (i + len > bytes.length) return null;
    for (let k = 1; k < len; k++) {
      const b = bytes[i + k]!;
      if ((b & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    out.push(cp);
    i += len;
  }
  return out;
}

/**
 * Prepares a password for SCRAM as PostgreSQL does, returning the bytes to hash and how they
 * were obtained. Pure ASCII is used unchanged; otherwise the RFC 4013 mapping and NFKC are
 * applied, unless the input is not UTF-8 or contains a prohibited, unassigned (Unicode 3.2)
 * or badly mixed bidirectional character, in which case the raw bytes are used.
 */
export function saslprepDetailed(password: string | Uint8Array): { bytes: Uint8Array; outcome: SaslprepOutcome } {
  const raw = typeof password === 'string' ? new TextEncoder().encode(password) : password;
  if (raw.every((b) => b < 0x80)) return { bytes: raw, outcome: 'ascii' };
  const decoded = decodeUtf8(raw);
  if (!decoded) return { bytes: raw, outcome: 'invalid-utf8' };
  const mapped: number[] = [];
  for (const cp of decoded) {
    if (inTable(cp, NON_ASCII_SPACE)) mapped.push(0x20);
    else if (!inTable(cp, MAPPED_TO_NOTHING)) mapped.push(cp);
  }
  // PostgreSQL refuses an empty result and, like it, checks prohibition and bidi on the mapped
  // characters before normalization (the checks on the normalized output that RFC 3454 asks
  // for would differ only for inputs whose NFKC form introduces such characters).
  if (mapped.length === 0) return { bytes: raw, outcome: 'prohibited' };
  if (mapped.some((cp) => inTable(cp, PROHIBITED) || inTable(cp, UNASSIGNED))) return { bytes: raw, outcome: 'prohibited' };
  if (mapped.some((cp) => inTable(cp, RAND_AL_CAT))) {
    if (mapped.some((cp) => inTable(cp, L_CAT))) return { bytes: raw, outcome: 'prohibited' };
    if (!inTable(mapped[0]!, RAND_AL_CAT) || !inTable(mapped[mapped.length - 1]!, RAND_AL_CAT)) return { bytes: raw, outcome: 'prohibited' };
  }
  const normalized = mapped.map((cp) => String.fromCodePoint(cp)).join('').normalize('NFKC');
  return { bytes: new TextEncoder().encode(normalized), outcome: 'normalized' };
}

/** The bytes SCRAM hashes for a password (see {@link saslprepDetailed}). */
export function saslprep(password: string | Uint8Array): Uint8Array {
  return saslprepDetailed(password).bytes;
}
