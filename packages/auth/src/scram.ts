// The server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) as PostgreSQL
// runs it: mechanism list, client-first parsing (gs2 header and channel-binding negotiation),
// server-first, client-final verification, and the mock exchange for roles without a usable
// secret. Entry point: ScramServer (see README "SCRAM exchange").

import { createHash, randomBytes } from 'node:crypto';
import { PgError, SqlState, assert } from '@palisade/common';
import { failure, logDetails, unavailableDetail, type AuthOutcome, type UnavailableReason } from './auth-result.ts';
import { constantTimeEqual, decodeBase64, hmacSha256, parseScramVerifier, sha256, SCRAM_DEFAULT_ITERATIONS, SCRAM_KEY_LENGTH_BYTES, SCRAM_SALT_LENGTH_BYTES, type ScramSecret } from './verifier.ts';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
/** Raw bytes of the server nonce (base64-encoded on the wire). */
export const SCRAM_RAW_NONCE_LENGTH_BYTES = 18;
/** Longest SASL message accepted (PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH). */
export const SCRAM_MESSAGE_LENGTH_MAX = 65535;

/** Construction parameters of a {@link ScramServer}. */
export interface ScramServerOptions {
  /** The user name from the startup packet (the SCRAM `n=` is ignored). */
  user: string;
  /** The role's stored secret, or null when the role does not exist or has no usable password. */
  verifier: string | null;
  /** Why `verifier` is null, for the log detail. Default 'no-password'. */
  unavailableReason?: UnavailableReason;
  /** The cluster's mock authentication nonce (secret, stable across restarts; A18). */
  mockNonce: Uint8Array;
  /** TLS state: null without TLS; with TLS, the tls-server-end-point hash of the server certificate. */
  channelBinding: { certificateHash?: Uint8Array } | null;
  /** Iterations for the mock secret (the server's scram_iterations). Default 4096. */
  iterations?: number;
  /** Random source (tests inject a deterministic one). */
  randomBytes?: (length: number) => Uint8Array;
}

/** A step that needs another client message: send `serverMessage` as AuthenticationSASLContinue. */
export interface ScramContinue {
  readonly done: false;
  readonly serverMessage: string;
}

const printable = (c: number) => c >= 0x21 && c <= 0x7e;

function sanitizeChar(ch: string | undefined): string {
  const c = ch === undefined ? 0 : ch.charCodeAt(0);
  return printable(c) ? `'${ch}'` : `0x${c.toString(16).padStart(2, '0')}`;
}

function sanitizeStr(s: string): string {
  let out = '';
  for (let i = 0; i < s.length && i < 30; i++) out += printable(s.charCodeAt(i)) ? s[i] : '?';
  return out;
}

function protocolError(message: string, detail?: string): PgError {
  return new PgError(SqlState.PROTOCOL_VIOLATION, message, { severity: 'FATAL', ...(detail !== undefined ? { detail } : {}) });
}

const malformed = (detail: string) => protocolError('malformed SCRAM message', detail);

/** A cursor over a SCRAM message. */
class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  get current(): string | undefined { return this.text[this.pos]; }
  atEnd(): boolean { return this.pos >= this.text.length; }

  readAttrValue(attr: string): string {
    if (this.current !== attr) throw malformed(`Expected attribute "${attr}" but found "${sanitizeChar(this.current)}".`);
    this.pos++;
    if (this.current !== '=') throw malformed(`Expected character "=" for attribute "${attr}".`);
    this.pos++;
    return this.readValue();
  }

  readAnyAttr(): { attr: string; value: string } {
    const attr = this.current;
    if (attr === undefined || !/^[A-Za-z]$/.test(attr)) throw malformed(`Attribute expected, but found invalid character "${sanitizeChar(attr)}".`);
    this.pos++;
    if (this.current !== '=') throw malformed(`Expected character "=" for attribute "${attr}".`);
    this.pos++;
    return { attr, value: this.readValue() };
  }

  private readValue(): string {
    const end = this.text.indexOf(',', this.pos);
    const value = end < 0 ? this.text.slice(this.pos) : this.text.slice(this.pos, end);
    this.pos = end < 0 ? this.text.length : end + 1;
    return value;
  }
}

// Messages are handled as byte strings (one char per byte) so that the AuthMessage the proofs
// sign is exactly the bytes the client sent, whatever their encoding.
function toText(data: Uint8Array | string): string {
  const text = Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('latin1');
  if (text.length === 0) throw malformed('The message is empty.');
  if (text.length > SCRAM_MESSAGE_LENGTH_MAX) throw protocolError('invalid message length');
  if (text.includes('\0')) throw malformed('Message length does not match input length.');
  return text;
}

/**
 * One server-side SCRAM exchange (SCRAM3–SCRAM9). Call {@link mechanisms} for
 * AuthenticationSASL, then {@link handleInitial} with the SASLInitialResponse, then
 * {@link handleFinal} with the SASLResponse. Protocol violations throw a FATAL PgError (08P01);
 * a wrong password ends with `ok: false` and the uniform 28P01 client error.
 */
export class ScramServer {
  private state: 'init' | 'first-sent' | 'done' = 'init';
  private readonly secret: ScramSecret;
  private readonly doomedDetail: string | null;
  private readonly random: (length: number) => Uint8Array;
  private bindingInUse = false;
  private cbindFlag = '';
  private clientNonce = '';
  private serverNonce = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private mechanism: string | null = null;

  constructor(private readonly options: ScramServerOptions) {
    assert(options.mockNonce.length > 0, 'mock authentication nonce must not be empty');
    this.random = options.randomBytes ?? ((n) => new Uint8Array(randomBytes(n)));
    const parsed = options.verifier === null ? null : parseScramVerifier(options.verifier);
    if (parsed) {
      this.secret = parsed;
      this.doomedDetail = null;
    } else {
      // Mock secret (A18): salt from the user name and the cluster nonce, so probes for a missing role see a stable, real-looking salt.
      const salt = new Uint8Array(createHash('sha256').update(options.user).update(options.mockNonce).digest()).subarray(0, SCRAM_SALT_LENGTH_BYTES);
      this.secret = { iterations: options.iterations ?? SCRAM_DEFAULT_ITERATIONS, salt, storedKey: new Uint8Array(SCRAM_KEY_LENGTH_BYTES), serverKey: new Uint8Array(SCRAM_KEY_LENGTH_BYTES) };
      this.doomedDetail = options.verifier === null
        ? unavailableDetail(options.user, options.unavailableReason ?? 'no-password')
        : logDetails.noScramSecret(options.user);
    }
  }

  /** Mechanisms for AuthenticationSASL: SCRAM-SHA-256-PLUS first, only with TLS and a certificate hash (A31). */
  mechanisms(): string[] {
    return this.options.channelBinding?.certificateHash ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
  }

  /**
   * Handles SASLInitialResponse: the selected mechanism and the client-first-message (null if
   * the client sent none; then an empty challenge asks for it).
   */
  handleInitial(mechanism: string, data: Uint8Array | string | null): ScramContinue {
    assert(this.state === 'init' && this.mechanism === null, 'handleInitial called twice');
    if (mechanism === SCRAM_SHA_256_PLUS && this.mechanisms().includes(SCRAM_SHA_256_PLUS)) this.bindingInUse = true;
    else if (mechanism === SCRAM_SHA_256) this.bindingInUse = false;
    else throw protocolError('client selected an invalid SASL authentication mechanism');
    this.mechanism = mechanism;
    if (data === null) return { done: false, serverMessage: '' };
    return this.readClientFirst(toText(data));
  }

  /** Handles a SASLResponse: the client-first-message after an empty challenge, or the client-final-message. */
  handleFinal(data: Uint8Array | string): ScramContinue | AuthOutcome {
    assert(this.mechanism !== null && this.state !== 'done', 'SCRAM exchange not in progress');
    const text = toText(data);
    if (this.state === 'init') return this.readClientFirst(text);
    this.state = 'done';
    return this.readClientFinal(text);
  }

  private readClientFirst(text: string): ScramContinue {
    const r = new Reader(text);
    const flag = r.current;
    switch (flag) {
      case 'n':
      case 'y':
        if (this.bindingInUse) throw malformed('The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.');
        if (flag === 'y' && this.options.channelBinding !== null) {
          throw new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, 'SCRAM channel binding negotiation error', {
            severity: 'FATAL', detail: 'The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding.',
          });
        }
        r.pos++;
        if (r.current !== ',') throw malformed(`Comma expected, but found character "${sanitizeChar(r.current)}".`);
        r.pos++;
        break;
      case 'p': {
        if (!this.bindingInUse) throw malformed('The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.');
        const type = r.readAttrValue('p');
        if (type !== 'tls-server-end-point') throw protocolError(`unsupported SCRAM channel-binding type "${sanitizeStr(type)}"`);
        break;
      }
      default:
        throw malformed(`Unexpected channel-binding flag "${sanitizeChar(flag)}".`);
    }
    this.cbindFlag = flag;
    if (r.current === 'a') throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'client uses authorization identity, but it is not supported', { severity: 'FATAL' });
    if (r.current !== ',') throw malformed(`Unexpected attribute "${sanitizeChar(r.current)}" in client-first-message.`);
    r.pos++;
    this.clientFirstBare = text.slice(r.pos);
    if ((r.current as string | undefined) === 'm') throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'client requires an unsupported SCRAM extension', { severity: 'FATAL' });
    r.readAttrValue('n');
    this.clientNonce = r.readAttrValue('r');
    for (let i = 0; i < this.clientNonce.length; i++) {
      const c = this.clientNonce.charCodeAt(i);
      if (!printable(c) || c === 0x2c) throw protocolError('non-printable characters in SCRAM nonce');
    }
    while (!r.atEnd()) r.readAnyAttr();
    this.serverNonce = Buffer.from(this.random(SCRAM_RAW_NONCE_LENGTH_BYTES)).toString('base64');
    this.serverFirst = `r=${this.clientNonce}${this.serverNonce},s=${Buffer.from(this.secret.salt).toString('base64')},i=${this.secret.iterations}`;
    this.state = 'first-sent';
    return { done: false, serverMessage: this.serverFirst };
  }

  private readClientFinal(text: string): AuthOutcome {
    const r = new Reader(text);
    const binding = r.readAttrValue('c');
    if (this.bindingInUse) {
      const hash = this.options.channelBinding?.certificateHash;
      assert(hash !== undefined && hash.length > 0, 'channel binding in use without a certificate hash');
      const expected = Buffer.concat([Buffer.from('p=tls-server-end-point,,'), Buffer.from(hash)]).toString('base64');
      if (binding !== expected) throw new PgError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, 'SCRAM channel binding check failed', { severity: 'FATAL' });
    } else if (!(binding === 'biws' && this.cbindFlag === 'n') && !(binding === 'eSws' && this.cbindFlag === 'y')) {
      throw protocolError('unexpected SCRAM channel-binding attribute in client-final-message');
    }
    const finalNonce = r.readAttrValue('r');
    let proofStart: number;
    let attr: { attr: string; value: string };
    do {
      proofStart = r.pos - 1;
      attr = r.readAnyAttr();
    } while (attr.attr !== 'p');
    const proof = decodeBase64(attr.value);
    if (!proof || proof.length !== SCRAM_KEY_LENGTH_BYTES) throw malformed('Malformed proof in client-final-message.');
    if (!r.atEnd()) throw malformed('Garbage found at the end of client-final-message.');
    const finalWithoutProof = text.slice(0, proofStart);

    if (finalNonce !== this.clientNonce + this.serverNonce) throw protocolError('invalid SCRAM response', 'Nonce does not match.');

    const authMessage = Buffer.from(`${this.clientFirstBare},${this.serverFirst},${finalWithoutProof}`, 'latin1');
    const signature = hmacSha256(this.secret.storedKey, authMessage);
    const clientKey = proof.map((b, i) => b ^ signature[i]!);
    const proofOk = constantTimeEqual(sha256(clientKey), this.secret.storedKey);
    if (this.doomedDetail !== null) return failure(this.options.user, this.doomedDetail);
    if (!proofOk) return failure(this.options.user, logDetails.passwordMismatch(this.options.user));
    const serverSignature = hmacSha256(this.secret.serverKey, authMessage);
    return { done: true, ok: true, serverFinal: `v=${Buffer.from(serverSignature).toString('base64')}`, logDetail: null };
  }
}
