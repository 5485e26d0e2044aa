// A minimal frontend speaking raw protocol bytes, for tests that need exact message order,
// malformed input or a silent server: startup packets, typed messages, and a message reader.

import { connect, type Socket } from 'node:net';

export interface BackendMessage {
  type: string;
  body: Buffer;
}

export function startupPacket(params: Record<string, string>, version = 196608): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(params)) parts.push(Buffer.from(`${k}\0${v}\0`));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(version, 4);
  return Buffer.concat([head, body]);
}

export function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const cstr = (s: string) => Buffer.from(s + '\0');
const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

export const msg = {
  query: (sql: string) => message('Q', cstr(sql)),
  parse: (name: string, sql: string) => message('P', Buffer.concat([cstr(name), cstr(sql), i16(0)])),
  bind: (portal: string, stmt: string) => message('B', Buffer.concat([cstr(portal), cstr(stmt), i16(0), i16(0), i16(0)])),
  describePortal: (name: string) => message('D', Buffer.concat([Buffer.from('P'), cstr(name)])),
  execute: (portal: string) => message('E', Buffer.concat([cstr(portal), i32(0)])),
  sync: () => message('S'),
  flush: () => message('H'),
  terminate: () => message('X'),
};

/** Fields of an ErrorResponse / NoticeResponse by code letter. */
export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    out[code] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return out;
}

export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  /** Bytes received before the first message boundary check (for single-byte answers like 'N'). */
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }
  static async connect(o: { port: number; host?: string } | { path: string }): Promise<RawClient> {
    const socket = 'path' in o ? connect(o.path) : connect(o.port, o.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  write(b: Buffer): void {
    this.socket.write(b);
  }
  /** One raw byte (SSLRequest / GSSENCRequest answers). */
  async byte(): Promise<string | undefined> {
    while (this.buffer.length < 1 && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    if (this.buffer.length < 1) return undefined;
    const b = String.fromCharCode(this.buffer[0]!);
    this.buffer = this.buffer.subarray(1);
    return b;
  }
  /** The next message, or undefined when the server closed the connection. */
  async next(): Promise<BackendMessage | undefined> {
    for (;;) {
      if (this.buffer.length >= 5) {
        const len = this.buffer.readInt32BE(1);
        if (this.buffer.length >= 1 + len) {
          const m = { type: String.fromCharCode(this.buffer[0]!), body: Buffer.from(this.buffer.subarray(5, 1 + len)) };
          this.buffer = this.buffer.subarray(1 + len);
          return m;
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  /** Messages up to and including the first of `type` (or until close). */
  async until(type: string): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      const m = await this.next();
      if (!m) return out;
      out.push(m);
      if (m.type === type) return out;
    }
  }
  /** Waits for the server to close; resolves with whatever bytes remained unread. */
  async closedByServer(): Promise<Buffer> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.buffer;
  }
  end(): void {
    this.socket.destroy();
  }
}
