// MessageFramer: cuts the byte stream of one connection into messages. It enforces the length
// limits before buffering a body, so a hostile length word cannot make the server allocate or
// wait for gigabytes (PR1, PR6, PR7).

import { PgError, SqlState, assert } from '@palisade/common';
import { checkStartupLength } from './startup.ts';
import { invalidMessageType, maxBodyBytes } from './frontend.ts';

export type Frame = { kind: 'startup'; body: Uint8Array } | { kind: 'message'; type: number; body: Uint8Array };

/** Most bytes buffered while waiting for the rest of a message, beyond the message itself. */
const MAX_PENDING_CHUNKS = 1 << 16;

export class MessageFramer {
  private chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private expectingStartup: boolean;

  /** @param startup whether the next packet is a startup packet (no type byte). */
  constructor(startup = true) {
    this.expectingStartup = startup;
  }

  /** After SSLRequest/GSSENCRequest is answered, the client sends another startup packet. */
  expectStartup(): void {
    this.expectingStartup = true;
  }

  /** Bytes received but not yet returned as a frame. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    assert(this.chunks.length < MAX_PENDING_CHUNKS, 'too many pending chunks');
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.byteLength;
    if (this.chunks.length > 64) this.compact();
  }

  private compact(): void {
    const all = new Uint8Array(this.bufferedBytes);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.byteLength;
    }
    this.chunks = [all];
  }

  private peek(countBytes: number): Uint8Array {
    if (this.chunks[0]!.byteLength < countBytes) this.compact();
    return this.chunks[0]!.subarray(0, countBytes);
  }

  private take(countBytes: number): Uint8Array {
    if (countBytes === 0) return new Uint8Array(0);
    if (this.chunks[0]!.byteLength < countBytes) this.compact();
    const head = this.chunks[0]!;
    const out = head.subarray(0, countBytes);
    if (head.byteLength === countBytes) this.chunks.shift();
    else this.chunks[0] = head.subarray(countBytes);
    this.bufferedBytes -= countBytes;
    return out;
  }

  /**
   * The next complete frame, or undefined if more bytes are needed. Throws a FATAL PgError
   * (08P01) for a length or type that can never be valid; the connection must then be closed.
   */
  next(): Frame | undefined {
    if (this.expectingStartup) {
      if (this.bufferedBytes < 4) return undefined;
      const h = this.peek(4);
      const len = new DataView(h.buffer, h.byteOffset, 4).getInt32(0);
      const err = checkStartupLength(len);
      if (err) throw err;
      if (this.bufferedBytes < len) return undefined;
      this.take(4);
      this.expectingStartup = false;
      return { kind: 'startup', body: new Uint8Array(this.take(len - 4)) };
    }
    if (this.bufferedBytes < 5) return undefined;
    const h = this.peek(5);
    const type = h[0]!;
    const len = new DataView(h.buffer, h.byteOffset + 1, 4).getInt32(0);
    const max = maxBodyBytes(type);
    if (max === undefined) throw invalidMessageType(type);
    if (len < 4 || len - 4 > max) throw new PgError(SqlState.PROTOCOL_VIOLATION, 'invalid message length', { severity: 'FATAL' });
    if (this.bufferedBytes < len + 1) return undefined;
    this.take(5);
    return { kind: 'message', type, body: new Uint8Array(this.take(len - 4)) };
  }
}
