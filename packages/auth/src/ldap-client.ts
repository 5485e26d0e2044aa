// A minimal LDAPv3 client (RFC 4511) over node:net / node:tls: exactly the operations pg_hba
// `ldap` authentication performs — simple Bind, Search, Unbind and the StartTLS extended
// operation — one at a time on a connection. Every response is bounded: its size
// (messageSizeMaxBytes), the entries a search may return (entriesMax) and the time an
// operation may take (operationTimeoutMs); connecting is bounded by connectTimeoutMs.
// Failures carry OpenLDAP's result codes and ldap_err2string texts, so the log lines built
// from them read as PostgreSQL's do. Entry points: LdapConnection.open, ldapErr2String.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { assert } from '@palisade/common';
import { ber, BerDecodeError, BerReader, berMessageLength, BerTag } from './ldap-ber.ts';
import { encodeLdapFilter, LdapFilterError } from './ldap-filter.ts';

/** LDAP result codes (RFC 4511) and the negative API codes of OpenLDAP's client library. */
export const LdapResultCode = {
  SUCCESS: 0,
  OPERATIONS_ERROR: 1,
  PROTOCOL_ERROR: 2,
  SIZE_LIMIT_EXCEEDED: 4,
  INVALID_CREDENTIALS: 49,
  UNAVAILABLE: 52,
  SERVER_DOWN: -1,
  DECODING_ERROR: -4,
  TIMEOUT: -5,
  FILTER_ERROR: -7,
  CONNECT_ERROR: -11,
} as const;

// OpenLDAP's ldap_err2string wording, which PostgreSQL puts in its log lines.
const ERROR_TEXT: ReadonlyMap<number, string> = new Map([
  [0, 'Success'], [1, 'Operations error'], [2, 'Protocol error'], [3, 'Time limit exceeded'],
  [4, 'Size limit exceeded'], [5, 'Compare False'], [6, 'Compare True'], [7, 'Authentication method not supported'],
  [8, 'Strong(er) authentication required'], [10, 'Referral'], [11, 'Administrative limit exceeded'],
  [12, 'Critical extension is unavailable'], [13, 'Confidentiality required'], [14, 'SASL bind in progress'],
  [16, 'No such attribute'], [17, 'Undefined attribute type'], [18, 'Inappropriate matching'],
  [19, 'Constraint violation'], [20, 'Type or value exists'], [21, 'Invalid syntax'], [32, 'No such object'],
  [33, 'Alias problem'], [34, 'Invalid DN syntax'], [35, 'Entry is a leaf'], [36, 'Alias dereferencing problem'],
  [47, 'Proxy Authorization Failure'], [48, 'Inappropriate authentication'], [49, 'Invalid credentials'],
  [50, 'Insufficient access'], [51, 'Server is busy'], [52, 'Server is unavailable'],
  [53, 'Server is unwilling to perform'], [54, 'Loop detected'], [64, 'Naming violation'],
  [65, 'Object class violation'], [66, 'Operation not allowed on non-leaf'], [67, 'Operation not allowed on RDN'],
  [68, 'Already exists'], [69, 'Cannot modify object class'], [70, 'Results too large'],
  [71, 'Operation affects multiple DSAs'], [76, 'Virtual List View error'], [80, 'Other (e.g., implementation specific) error'],
  [-1, "Can't contact LDAP server"], [-2, 'Local error'], [-3, 'Encoding error'], [-4, 'Decoding error'],
  [-5, 'Timed out'], [-6, 'Unknown authentication method'], [-7, 'Bad search filter'], [-8, 'User cancelled operation'],
  [-9, 'Bad parameter to an ldap routine'], [-10, 'Out of memory'], [-11, 'Connect error'], [-12, 'Not Supported'],
]);

/** The text OpenLDAP's ldap_err2string gives for a result code. */
export function ldapErr2String(code: number): string {
  return ERROR_TEXT.get(code) ?? 'Unknown error';
}

/** A failed operation: an LDAP result code (or negative API code) and the server's or the transport's diagnostic. */
export class LdapError extends Error {
  override readonly name = 'LdapError';
  constructor(readonly resultCode: number, readonly diagnosticMessage: string = '') {
    super(ldapErr2String(resultCode));
  }
}

/** The LDAPResult of a response (RFC 4511 §4.1.9). */
export interface LdapResult {
  readonly resultCode: number;
  readonly matchedDn: string;
  readonly diagnosticMessage: string;
}

/** One server to contact. */
export interface LdapTarget {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (`ldaps://`). */
  readonly ldaps: boolean;
}

/** Limits and trust of a connection. */
export interface LdapConnectOptions {
  /** TCP connect plus TLS handshake, per server tried. */
  readonly connectTimeoutMs: number;
  /** From sending a request to its last response message. */
  readonly operationTimeoutMs: number;
  /** Largest LDAP message accepted from the server. */
  readonly messageSizeMaxBytes: number;
  /** Trusted CA certificates (PEM) for ldaps / StartTLS; the system's when absent. */
  readonly tlsCa?: string | Buffer | ReadonlyArray<string | Buffer>;
}

/** A SearchRequest as pg_hba search+bind sends it. */
export interface LdapSearchRequest {
  readonly baseDn: string;
  /** 0 base, 1 one level, 2 subtree. */
  readonly scope: number;
  readonly filter: string;
  readonly attributes: readonly string[];
  /** Entries the server may return (0 = server default); also the most this client reads. */
  readonly sizeLimit: number;
  readonly timeLimitSeconds: number;
}

export const START_TLS_OID = '1.3.6.1.4.1.1466.20037';
const MESSAGE_ID_MAX = 0x7fffffff;

const Op = {
  BIND_REQUEST: BerTag.application(0),
  BIND_RESPONSE: BerTag.application(1),
  UNBIND_REQUEST: BerTag.applicationPrimitive(2),
  SEARCH_REQUEST: BerTag.application(3),
  SEARCH_RESULT_ENTRY: BerTag.application(4),
  SEARCH_RESULT_DONE: BerTag.application(5),
  SEARCH_RESULT_REFERENCE: BerTag.application(19),
  EXTENDED_REQUEST: BerTag.application(23),
  EXTENDED_RESPONSE: BerTag.application(24),
} as const;

interface Pending {
  readonly messageId: number;
  /** Returns true when the operation is complete. */
  readonly onMessage: (opTag: number, op: BerReader) => boolean;
  readonly reject: (e: LdapError) => void;
  readonly timer: NodeJS.Timeout;
}

function isIpAddress(host: string): boolean {
  return net.isIP(host) !== 0;
}

function tlsOptions(host: string, opts: LdapConnectOptions): tls.ConnectionOptions {
  return {
    host,
    ...(isIpAddress(host) ? {} : { servername: host }),
    ...(opts.tlsCa !== undefined ? { ca: opts.tlsCa as string | Buffer | Array<string | Buffer> } : {}),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  };
}

function readResult(op: BerReader): LdapResult {
  const resultCode = op.readEnumerated();
  const matchedDn = op.readString();
  const diagnosticMessage = op.readString();
  return { resultCode, matchedDn, diagnosticMessage };
}

/** One connection to an LDAP server; operations run one at a time. */
export class LdapConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private nextMessageId = 1;
  private closed = false;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onClose = () => this.fail(new LdapError(LdapResultCode.SERVER_DOWN, 'connection closed by the server'));
  private readonly onError = (e: Error) => this.fail(new LdapError(LdapResultCode.SERVER_DOWN, e.message));

  private constructor(private socket: net.Socket, readonly target: LdapTarget, private readonly opts: LdapConnectOptions) {
    this.attach();
  }

  /**
   * Connects to the first of `targets` that accepts (and, for ldaps, completes a verified TLS
   * handshake), trying them in order as OpenLDAP does with a list of URIs. Rejects with
   * `Can't contact LDAP server` and the last server's reason if none does.
   */
  static async open(targets: readonly LdapTarget[], opts: LdapConnectOptions): Promise<LdapConnection> {
    assert(targets.length > 0, 'no LDAP server to contact');
    let last: LdapError = new LdapError(LdapResultCode.SERVER_DOWN);
    for (const target of targets) {
      try {
        const socket = await connectSocket(target, opts);
        return new LdapConnection(socket, target, opts);
      } catch (e) {
        last = e instanceof LdapError ? e : new LdapError(LdapResultCode.SERVER_DOWN, String(e));
      }
    }
    throw last;
  }

  /** Whether the connection is encrypted (ldaps or after StartTLS). */
  get encrypted(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /**
   * StartTLS extended operation, then a verified TLS handshake over the same socket.
   * Returns the server's result if it refused; throws `Connect error` if the handshake fails.
   */
  async startTls(): Promise<LdapResult> {
    assert(!this.encrypted, 'StartTLS on an encrypted connection');
    const result = await this.request<LdapResult>(ber.constructed(Op.EXTENDED_REQUEST, ber.octetString(START_TLS_OID, BerTag.contextPrimitive(0))), (tag, op, done) => {
      if (tag !== Op.EXTENDED_RESPONSE) throw new BerDecodeError('unexpected response to StartTLS');
      done(readResult(op));
    });
    if (result.resultCode !== LdapResultCode.SUCCESS) return result;
    if (this.buffer.length !== 0) throw this.fail(new LdapError(LdapResultCode.CONNECT_ERROR, 'data received before the TLS handshake'));
    const plain = this.socket;
    this.detach();
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ ...tlsOptions(this.target.host, this.opts), socket: plain });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new LdapError(LdapResultCode.CONNECT_ERROR, 'TLS handshake timed out'));
      }, this.opts.connectTimeoutMs);
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        s.destroy();
        reject(new LdapError(LdapResultCode.CONNECT_ERROR, e.message));
      });
    }).catch((e: unknown) => {
      this.closed = true;
      plain.destroy();
      throw e;
    });
    this.socket = secure;
    this.attach();
    return result;
  }

  /** Simple bind (RFC 4511 §4.2); an empty DN and password is an anonymous bind. */
  bind(dn: string, password: string): Promise<LdapResult> {
    const req = ber.constructed(Op.BIND_REQUEST, ber.integer(3), ber.octetString(dn), ber.octetString(password, BerTag.contextPrimitive(0)));
    return this.request<LdapResult>(req, (tag, op, done) => {
      if (tag !== Op.BIND_RESPONSE) throw new BerDecodeError('unexpected response to Bind');
      done(readResult(op));
    });
  }

  /**
   * Search (RFC 4511 §4.5) returning the DNs of the entries found. More entries than
   * `sizeLimit` end the operation with `Size limit exceeded` and close the connection;
   * a malformed filter is `Bad search filter` without contacting the server.
   */
  search(req: LdapSearchRequest): Promise<{ result: LdapResult; entries: string[] }> {
    assert(req.sizeLimit > 0, 'a search must be bounded');
    let filter: Buffer;
    try {
      filter = encodeLdapFilter(req.filter);
    } catch (e) {
      if (e instanceof LdapFilterError) return Promise.reject(new LdapError(LdapResultCode.FILTER_ERROR));
      throw e;
    }
    const body = ber.constructed(Op.SEARCH_REQUEST,
      ber.octetString(req.baseDn), ber.enumerated(req.scope), ber.enumerated(0 /* neverDerefAliases */),
      ber.integer(req.sizeLimit), ber.integer(req.timeLimitSeconds), ber.boolean(false), filter,
      ber.sequence(...req.attributes.map((a) => ber.octetString(a))));
    const entries: string[] = [];
    let messages = 0;
    return this.request(body, (tag, op, done) => {
      if (tag === Op.SEARCH_RESULT_DONE) {
        done({ result: readResult(op), entries });
        return;
      }
      if (tag !== Op.SEARCH_RESULT_ENTRY && tag !== Op.SEARCH_RESULT_REFERENCE) throw new BerDecodeError('unexpected response to Search');
      // Entries and continuation references both count: the server may send no more than we asked for.
      if (++messages > req.sizeLimit) throw new LdapError(LdapResultCode.SIZE_LIMIT_EXCEEDED, `more than ${req.sizeLimit} search results`);
      if (tag === Op.SEARCH_RESULT_ENTRY) entries.push(op.readString());
    });
  }

  /** Sends UnbindRequest (no response) and closes the connection. Never throws. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const id = this.takeMessageId();
    const socket = this.socket;
    this.detach();
    socket.on('error', () => {});
    socket.end(ber.sequence(ber.integer(id), ber.null(Op.UNBIND_REQUEST)));
    // The server closes after an Unbind; one that does not is cut off.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private takeMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id >= MESSAGE_ID_MAX ? 1 : id + 1;
    return id;
  }

  private request<T>(op: Buffer, handle: (opTag: number, op: BerReader, done: (value: T) => void) => void): Promise<T> {
    assert(this.pending === null, 'one LDAP operation at a time');
    if (this.closed) return Promise.reject(new LdapError(LdapResultCode.SERVER_DOWN, 'connection is closed'));
    const messageId = this.takeMessageId();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new LdapError(LdapResultCode.TIMEOUT, `no response within ${this.opts.operationTimeoutMs} ms`));
      }, this.opts.operationTimeoutMs);
      this.pending = {
        messageId, timer, reject,
        onMessage: (tag, reader) => {
          let finished = false;
          handle(tag, reader, (value) => {
            finished = true;
            resolve(value);
          });
          return finished;
        },
      };
      this.socket.write(ber.sequence(ber.integer(messageId), op));
    });
  }

  private attach(): void {
    this.socket.on('data', this.onData);
    this.socket.on('close', this.onClose);
    this.socket.on('error', this.onError);
  }

  private detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.off('error', this.onError);
  }

  /** Ends the connection and the pending operation with `e`; returns `e` for `throw`. */
  private fail(e: LdapError): LdapError {
    const p = this.pending;
    this.pending = null;
    if (!this.closed) {
      this.closed = true;
      this.detach();
      this.socket.on('error', () => {});
      this.socket.destroy();
    }
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    return e;
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    try {
      for (;;) {
        const length = berMessageLength(this.buffer, this.opts.messageSizeMaxBytes);
        if (length === null) {
          // What stays buffered is one incomplete message, whose announced size was checked.
          assert(this.buffer.length < Math.max(this.opts.messageSizeMaxBytes, 6), 'LDAP receive buffer exceeds one message');
          return;
        }
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        this.dispatch(message);
        if (this.closed) return;
      }
    } catch (e) {
      if (e instanceof LdapError) this.fail(e);
      else if (e instanceof BerDecodeError || e instanceof RangeError) this.fail(new LdapError(LdapResultCode.DECODING_ERROR, e.message));
      else throw e;
    }
  }

  private dispatch(message: Buffer): void {
    const top = new BerReader(message).readConstructed(BerTag.SEQUENCE);
    const messageId = top.readInteger();
    const opTag = top.peekTag();
    if (opTag === null) throw new BerDecodeError('LDAP message without an operation');
    const op = top.read();
    const reader = new BerReader(op.content);
    if (messageId === 0) {
      // Unsolicited notification (e.g. Notice of Disconnection): the server is going away.
      const result = opTag === Op.EXTENDED_RESPONSE ? readResult(reader) : null;
      throw new LdapError(LdapResultCode.SERVER_DOWN, result?.diagnosticMessage ?? 'unsolicited notification');
    }
    const p = this.pending;
    if (p === null || messageId !== p.messageId) throw new BerDecodeError(`response to unknown message id ${messageId}`);
    if (p.onMessage(opTag, reader)) {
      clearTimeout(p.timer);
      this.pending = null;
    }
  }
}

function connectSocket(target: LdapTarget, opts: LdapConnectOptions): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket: net.Socket = target.ldaps
      ? tls.connect({ ...tlsOptions(target.host, opts), port: target.port })
      : net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LdapError(LdapResultCode.SERVER_DOWN, `connection timed out after ${opts.connectTimeoutMs} ms`));
    }, opts.connectTimeoutMs);
    socket.once(target.ldaps ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new LdapError(LdapResultCode.SERVER_DOWN, e.message));
    });
  });
}
