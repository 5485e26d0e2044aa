// Error positions: libpg-query reports byte offsets into the UTF-8 query; PostgreSQL reports
// 1-based character positions. ErrorPositioner converts and attaches them.

import { isPgError, type PgError } from '@palisade/common';
import { defaultIoContext, type IoContext } from '../types/datum.ts';

/**
 * Also carries the session's I/O settings, because literals are read when they are typed
 * during analysis (DateStyle decides what '03/04/2024'::date means).
 */
export class ErrorPositioner {
  private readonly bytes: Uint8Array;
  constructor(readonly sql: string, readonly io: IoContext = defaultIoContext) {
    this.bytes = new TextEncoder().encode(sql);
  }

  /** 1-based character position of a 0-based byte offset. */
  charPosition(byteOffset: number): number {
    let chars = 0;
    const end = Math.min(byteOffset, this.bytes.length);
    for (let i = 0; i < end; i++) if ((this.bytes[i]! & 0xc0) !== 0x80) chars++;
    return chars + 1;
  }

  /** The byte offset of the last '(' before `byteOffset` (for constructs whose parse node has no location). */
  openParenBefore(byteOffset: number): number {
    for (let i = Math.min(byteOffset, this.bytes.length) - 1; i >= 0; i--) if (this.bytes[i] === 0x28) return i;
    return -1;
  }

  /** `err` with the position of `byteOffset` (unless negative or already positioned). */
  error(err: PgError, byteOffset: number): PgError {
    if (byteOffset < 0 || err.position !== undefined) return err;
    return err.with({ position: this.charPosition(byteOffset) });
  }

  /** Like error() for anything thrown: non-PgErrors pass through unchanged. */
  wrap(e: unknown, byteOffset: number): unknown {
    return isPgError(e) ? this.error(e, byteOffset) : e;
  }
}
