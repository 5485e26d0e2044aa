// MessageReader: bounds-checked reading of one protocol message body. Every read that would run
// past the end, and every string without its terminator, is a protocol violation (08P01) —
// never an out-of-range read.

import { PgError, SqlState } from '@palisade/common';

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Reads big-endian integers, C strings and byte ranges from a message body. */
export class MessageReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private need(countBytes: number): void {
    if (countBytes < 0 || this.offset + countBytes > this.bytes.byteLength) throw invalidMessageFormat();
  }

  int8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }
  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }
  uint16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }
  /** A NUL-terminated string, decoded as UTF-8. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw invalidMessageFormat('invalid string in message');
    const s = decoder.decode(this.bytes.subarray(this.offset, end));
    this.offset = end + 1;
    return s;
  }
  /** `countBytes` raw bytes (a view, not a copy). */
  bytesOf(countBytes: number): Uint8Array {
    this.need(countBytes);
    const b = this.bytes.subarray(this.offset, this.offset + countBytes);
    this.offset += countBytes;
    return b;
  }
  /** The rest of the message. */
  rest(): Uint8Array {
    return this.bytesOf(this.remaining);
  }
  /** Asserts the whole message was consumed, as PostgreSQL's pq_getmsgend does. */
  end(): void {
    if (this.remaining !== 0) throw invalidMessageFormat();
  }
}

/** `08P01 invalid message format` (or another protocol-violation message). */
export function invalidMessageFormat(message = 'invalid message format'): PgError {
  return new PgError(SqlState.PROTOCOL_VIOLATION, message);
}
