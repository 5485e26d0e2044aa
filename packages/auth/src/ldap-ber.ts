// The few pieces of BER (X.690 Basic Encoding Rules) that an LDAPv3 client needs: definite
// lengths, single-byte tags, INTEGER / ENUMERATED / BOOLEAN / OCTET STRING / NULL and
// constructed values. Decoding is strict (no indefinite lengths, no high tag numbers, lengths
// bounded by the enclosing value) because every byte comes from the network.
// Entry points: ber (encoder helpers), BerReader, berMessageLength.

import { assert } from '@palisade/common';

/** Thrown for bytes that are not the BER we expect; the client reports it as a decoding error. */
export class BerDecodeError extends Error {
  override readonly name = 'BerDecodeError';
}

/** Tag classes and the constructed bit, as they appear in the identifier octet. */
export const BerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [APPLICATION n] constructed. */
  application: (n: number) => 0x60 | n,
  /** [APPLICATION n] primitive. */
  applicationPrimitive: (n: number) => 0x40 | n,
  /** [n] context-specific constructed. */
  context: (n: number) => 0xa0 | n,
  /** [n] context-specific primitive. */
  contextPrimitive: (n: number) => 0x80 | n,
} as const;

function encodeLength(length: number): Buffer {
  assert(Number.isInteger(length) && length >= 0 && length <= 0xffffffff, 'BER length out of range');
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  assert(tag >= 0 && tag <= 0xff && (tag & 0x1f) !== 0x1f, 'only single-byte BER tags are used');
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

function encodeInteger(tag: number, value: number): Buffer {
  assert(Number.isSafeInteger(value) && value >= -0x80000000 && value <= 0x7fffffff, 'BER integer out of 32-bit range');
  const bytes: number[] = [];
  let v = value;
  // Minimal two's complement: stop once the remaining value is just the sign extension.
  for (;;) {
    const byte = v & 0xff;
    bytes.unshift(byte);
    v = v >> 8;
    if ((v === 0 && (byte & 0x80) === 0) || (v === -1 && (byte & 0x80) !== 0)) break;
  }
  return tlv(tag, Buffer.from(bytes));
}

/** Encoders; each returns one complete TLV. */
export const ber = {
  integer: (value: number, tag: number = BerTag.INTEGER) => encodeInteger(tag, value),
  enumerated: (value: number) => encodeInteger(BerTag.ENUMERATED, value),
  boolean: (value: boolean, tag: number = BerTag.BOOLEAN) => tlv(tag, Buffer.from([value ? 0xff : 0x00])),
  octetString: (value: string | Buffer, tag: number = BerTag.OCTET_STRING) => tlv(tag, typeof value === 'string' ? Buffer.from(value, 'utf8') : value),
  null: (tag: number = BerTag.NULL) => tlv(tag, Buffer.alloc(0)),
  constructed: (tag: number, ...parts: Buffer[]) => tlv(tag, Buffer.concat(parts)),
  sequence: (...parts: Buffer[]) => tlv(BerTag.SEQUENCE, Buffer.concat(parts)),
} as const;

/**
 * Length in bytes of the first complete TLV in `buf`, or null if more bytes are needed.
 * Throws if the header is malformed or announces more than `maxBytes`.
 */
export function berMessageLength(buf: Buffer, maxBytes: number): number | null {
  if (buf.length < 2) return null;
  const tag = buf[0]!;
  if ((tag & 0x1f) === 0x1f) throw new BerDecodeError('multi-byte BER tag');
  const first = buf[1]!;
  let length: number;
  let headerBytes: number;
  if (first < 0x80) {
    length = first;
    headerBytes = 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new BerDecodeError('indefinite BER length');
    if (count > 4) throw new BerDecodeError('BER length too long');
    if (buf.length < 2 + count) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[2 + i]!;
    headerBytes = 2 + count;
  }
  const total = headerBytes + length;
  if (total > maxBytes) throw new BerDecodeError(`BER value of ${total} bytes exceeds the limit of ${maxBytes}`);
  return buf.length >= total ? total : null;
}

/** One decoded TLV: its tag and a reader over its content. */
export interface BerElement {
  readonly tag: number;
  readonly content: Buffer;
}

/** Sequential reader over the content of a constructed value; every read is bounds-checked. */
export class BerReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.offset >= this.buf.length;
  }

  /** The tag of the next element, or null at the end. */
  peekTag(): number | null {
    return this.done ? null : this.buf[this.offset]!;
  }

  /** Reads the next element; throws if it is truncated or (when given) has another tag. */
  read(expectedTag?: number): BerElement {
    const rest = this.buf.subarray(this.offset);
    const total = berMessageLength(rest, Number.MAX_SAFE_INTEGER);
    if (total === null) throw new BerDecodeError('truncated BER value');
    const tag = rest[0]!;
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new BerDecodeError(`expected BER tag 0x${expectedTag.toString(16)}, found 0x${tag.toString(16)}`);
    }
    const first = rest[1]!;
    const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
    this.offset += total;
    return { tag, content: rest.subarray(header, total) };
  }

  readInteger(expectedTag: number = BerTag.INTEGER): number {
    const { content } = this.read(expectedTag);
    if (content.length === 0 || content.length > 4) throw new BerDecodeError('BER integer of unsupported size');
    return content.readIntBE(0, content.length);
  }

  readEnumerated(): number {
    return this.readInteger(BerTag.ENUMERATED);
  }

  readOctetString(expectedTag: number = BerTag.OCTET_STRING): Buffer {
    return this.read(expectedTag).content;
  }

  readString(expectedTag: number = BerTag.OCTET_STRING): string {
    return this.readOctetString(expectedTag).toString('utf8');
  }

  /** A reader over the content of the next (constructed) element. */
  readConstructed(expectedTag: number): BerReader {
    return new BerReader(this.read(expectedTag).content);
  }
}
