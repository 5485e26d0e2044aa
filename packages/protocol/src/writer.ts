// MessageWriter: builds backend messages into one growable buffer, so that a batch of messages
// (a whole result set, say) goes to the socket in one write.

import { assert } from '@palisade/common';

const encoder = new TextEncoder();
/** Largest message Palisade builds; PostgreSQL's limit for a single message is 1 GiB - 1. */
export const MAX_MESSAGE_BYTES = 0x3fff_ffff;

export class MessageWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;
  private messageStart = -1;

  constructor(initialSizeBytes = 4096) {
    this.buffer = new Uint8Array(initialSizeBytes);
    this.view = new DataView(this.buffer.buffer);
  }

  private ensure(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  /** Starts a message of type `type` (one ASCII letter); the length is filled in by {@link end}. */
  begin(type: string): this {
    assert(this.messageStart < 0, 'MessageWriter.begin inside a message');
    assert(type.length === 1, 'message type is one character');
    this.ensure(5);
    this.buffer[this.length] = type.charCodeAt(0);
    this.messageStart = this.length + 1;
    this.length += 5;
    return this;
  }
  /** Finishes the current message by writing its length. */
  end(): this {
    assert(this.messageStart >= 0, 'MessageWriter.end without begin');
    const bodyLength = this.length - this.messageStart;
    assert(bodyLength <= MAX_MESSAGE_BYTES, 'message too large');
    this.view.setInt32(this.messageStart, bodyLength);
    this.messageStart = -1;
    return this;
  }
  int8(v: number): this {
    this.ensure(1);
    this.buffer[this.length++] = v & 0xff;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.length, v);
    this.length += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
    return this;
  }
  /** A string with its NUL terminator. A NUL inside `s` would corrupt framing and is a bug. */
  cstring(s: string): this {
    const encoded = encoder.encode(s);
    assert(!encoded.includes(0), 'protocol strings cannot contain NUL');
    this.ensure(encoded.byteLength + 1);
    this.buffer.set(encoded, this.length);
    this.length += encoded.byteLength;
    this.buffer[this.length++] = 0;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.byteLength);
    this.buffer.set(b, this.length);
    this.length += b.byteLength;
    return this;
  }
  /** Bytes written so far. */
  get sizeBytes(): number {
    return this.length;
  }
  /** Takes the written bytes (a copy) and resets the writer. */
  flush(): Uint8Array {
    assert(this.messageStart < 0, 'MessageWriter.flush inside a message');
    const out = this.buffer.slice(0, this.length);
    this.length = 0;
    return out;
  }
}
