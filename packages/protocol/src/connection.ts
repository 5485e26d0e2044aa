// BackendConnection: one client connection on the server side. It owns the socket, the framer
// and the TLS upgrade, and hands the session complete, decoded messages; it knows nothing of
// SQL. Reads are paused while the session is busy (back-pressure), and writes are batched.

import { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { PgError, isPgError } from '@palisade/common';
import { MessageFramer } from './framer.ts';
import { decodeFrontendMessage, type FrontendMessage } from './frontend.ts';
import { parseStartupPacket, type StartupPacket } from './startup.ts';
import { MessageWriter } from './writer.ts';
import { errorFieldsOf, errorResponse } from './backend.ts';

/** What the connection yields: the first packet(s), then frontend messages. */
export type Incoming = { kind: 'startup'; packet: StartupPacket } | { kind: 'message'; message: FrontendMessage };

/** Most decoded messages queued ahead of the session before the socket is paused. */
const QUEUE_HIGH_WATER = 256;

export class BackendConnection {
  private socket: Socket;
  private readonly framer = new MessageFramer(true);
  private readonly queue: Incoming[] = [];
  private waiter: ((v: void) => void) | undefined;
  private failure: unknown;
  private closed = false;
  private tls = false;
  /** Reused by {@link send} callers to build responses. */
  readonly writer = new MessageWriter();

  constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  /** The client's address ('local' for a Unix socket). */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? 'local';
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get isTls(): boolean {
    return this.tls;
  }
  get tlsSocket(): TLSSocket | undefined {
    return this.socket instanceof TLSSocket ? this.socket : undefined;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.finish(undefined));
    socket.on('close', () => this.finish(undefined));
    socket.on('error', (e) => this.finish(e));
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      this.framer.push(chunk);
      for (let frame = this.framer.next(); frame; frame = this.framer.next()) {
        if (frame.kind === 'startup') this.queue.push({ kind: 'startup', packet: parseStartupPacket(frame.body) });
        else this.queue.push({ kind: 'message', message: decodeFrontendMessage(frame.type, frame.body) });
        // SSLRequest/GSSENCRequest: stop until the session answers, because what follows may be a TLS handshake.
        const last = this.queue[this.queue.length - 1]!;
        if (last.kind === 'startup' && last.packet.kind !== 'startup') {
          this.socket.pause();
          break;
        }
      }
    } catch (e) {
      this.failure = e;
      this.socket.pause();
    }
    if (this.queue.length >= QUEUE_HIGH_WATER) this.socket.pause();
    this.wake();
  }

  private finish(error: unknown): void {
    if (!this.closed) {
      this.closed = true;
      if (error !== undefined && this.failure === undefined) this.failure = error;
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * The next startup packet or message; undefined when the client has gone. Throws the PgError
   * of a malformed packet — the caller sends it (it is FATAL) and closes.
   */
  async next(): Promise<Incoming | undefined> {
    for (;;) {
      const item = this.queue.shift();
      if (item) {
        if (this.queue.length < QUEUE_HIGH_WATER / 2 && !this.closed && !this.awaitingNegotiation(item)) this.socket.resume();
        return item;
      }
      if (this.failure !== undefined) {
        const f = this.failure;
        this.failure = undefined;
        if (isPgError(f)) throw f;
        return undefined;
      }
      if (this.closed) return undefined;
      this.socket.resume();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private awaitingNegotiation(item: Incoming): boolean {
    return item.kind === 'startup' && item.packet.kind !== 'startup';
  }

  /** Answers SSLRequest/GSSENCRequest with 'N' and reads the next startup packet in clear. */
  refuseEncryption(): void {
    this.socket.write(Uint8Array.of(0x4e));
    this.framer.expectStartup();
    this.socket.resume();
  }

  /**
   * Answers SSLRequest with 'S' and performs the TLS handshake; the next startup packet is read
   * through TLS. Bytes the client sent before the handshake are a protocol violation
   * (buffered plaintext could otherwise be injected ahead of the encrypted stream).
   */
  async startTls(context: SecureContext, options: { requestCert?: boolean; minVersion?: string } = {}): Promise<void> {
    if (this.framer.pendingBytes > 0) throw new PgError('08P01', 'received unencrypted data after SSL request', { severity: 'FATAL' });
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.write(Uint8Array.of(0x53));
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context, requestCert: options.requestCert ?? false, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secure', resolve);
      secure.once('error', reject);
      secure.once('close', () => reject(new Error('connection closed during TLS handshake')));
      plain.resume();
    });
    this.socket = secure;
    this.tls = true;
    this.framer.expectStartup();
    this.attach(secure);
  }

  /** Writes the bytes built in {@link writer} (and anything passed) to the socket. */
  flush(extra?: Uint8Array): void {
    if (this.writer.sizeBytes > 0 && !this.closed) this.socket.write(this.writer.flush());
    if (extra && !this.closed) this.socket.write(extra);
  }

  /** Resolves when the socket's write buffer has drained (back-pressure for large results). */
  async drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      this.socket.once('drain', resolve);
      this.socket.once('close', resolve);
    });
  }

  /** Sends an ErrorResponse for `error` and flushes. */
  sendError(error: PgError): void {
    errorResponse(this.writer, errorFieldsOf(error));
    this.flush();
  }

  /** Flushes and closes the connection. */
  close(): void {
    this.flush();
    this.closed = true;
    this.socket.end();
    this.wake();
  }

  /** Closes at once, discarding unsent data. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
    this.wake();
  }
}
