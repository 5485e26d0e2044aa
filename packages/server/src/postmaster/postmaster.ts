// The postmaster (PM rules in README.md): listeners on TCP and a Unix socket, connection slots,
// BackendKeyData and CancelRequest, SSLRequest / GSSENCRequest, authentication_timeout, the
// start-up sequence that ends in ReadyForQuery, shutdown modes, postmaster.pid and reload.
// Entry point: startPostmaster.

import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, unlinkSync, existsSync } from 'node:fs';
import { NodeFileSystem, PgError, SqlState, isPgError, type FileSystem } from '@palisade/common';
import {
  AuthFailureThrottle, ConnectionRateLimiter, checkRoleLogin, loadHba, loadIdent, scramVerifier, type HbaLine, type IdentLine, type Role,
} from '@palisade/auth';
import {
  BackendConnection, authenticationOk, backendKeyData, negotiateProtocolVersion, needsNegotiation, parameterStatus, readyForQuery,
  PROTOCOL_MINOR_LATEST, type StartupPacket,
} from '@palisade/protocol';
import { AuthenticationFailed, ClientGone, authenticateClient, type AuthEnvironment } from '../auth/authenticate.ts';
import { reportedParameters } from '../auth/parameters.ts';
import type { EngineBackend, RoleRecord, SessionBackend } from '../session/engine.ts';
import { SessionControl, runSessionLoop } from '../session/session-loop.ts';
import { LockFile, checkDataDirectory, pidFileLines, socketLockPath, socketPath } from './datadir.ts';
import { ServerLog, type LogSession, type LogSink } from './server-log.ts';
import { loadServerSettings, type ServerSettings } from './settings.ts';
import { loadTls, type TlsState } from './tls.ts';
import type { LogSource } from '../log/format.ts';

/** The version this package reports (server_version is `15.0 (Palisade <version>)`). */
export const PALISADE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export const SERVER_VERSION = `15.0 (Palisade ${PALISADE_VERSION})`;

/** Connections in start-up at once, beyond the slots: PostgreSQL allows 2 × MaxBackends children. */
const STARTUP_CONNECTIONS_FACTOR = 2;
/** First backend process id handed out (ids are per postmaster, like pids). */
const FIRST_BACKEND_PID = 10_000;

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface PostmasterOptions {
  /** Data directory: postgresql.conf, pg_hba.conf, pg_ident.conf, postmaster.pid. */
  dataDir: string;
  /** Parameters that override postgresql.conf, as `-c name=value` does. */
  settings?: Readonly<Record<string, string | number | boolean>>;
  engine: EngineBackend;
  fs?: FileSystem;
  /** Server log lines (default: process.stderr). */
  log?: LogSink;
}

/** Result of {@link Postmaster.reload}. */
export interface ReloadResult {
  hbaReloaded: boolean;
  identReloaded: boolean;
  /** Problems in postgresql.conf (the valid parameters were applied). */
  configProblems: string[];
}

interface Backend {
  readonly pid: number;
  readonly secretKey: Buffer;
  readonly conn: BackendConnection;
  /** The accepted socket (under TLS too: it closes with the TLS socket). */
  readonly socket: Socket;
  readonly control: SessionControl;
  holdsSlot: boolean;
  /** Role name once the session is established (for CONNECTION LIMIT). */
  role: string | undefined;
  inStartup: boolean;
  readonly done: Promise<void>;
}

function fatal(code: typeof SqlState[keyof typeof SqlState], message: string, fields: { detail?: string; hint?: string } = {}): PgError {
  return new PgError(code, message, { severity: 'FATAL', ...fields });
}

function toRole(r: RoleRecord): Role {
  return {
    id: r.oid as Role['id'], name: r.rolname,
    attributes: {
      superuser: r.rolsuper, inherit: true, createRole: false, createDb: false, canLogin: r.rolcanlogin, replication: r.rolreplication,
      bypassRls: false, connectionLimit: r.rolconnlimit, password: r.rolpassword, validUntilMs: r.rolvaliduntil?.getTime() ?? null,
    },
  };
}

/** `5:04:03.210` — log_disconnections' session time. */
function sessionTime(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}

/** A running server. */
export class Postmaster {
  private readonly servers: Server[] = [];
  private readonly backends = new Map<number, Backend>();
  private readonly sockets = new Set<Socket>();
  private nextPid = FIRST_BACKEND_PID;
  private state: 'running' | 'smart' | 'stopping' | 'stopped' = 'running';
  private stopping: Promise<void> | undefined;
  private readonly lockFiles: LockFile[] = [];
  private readonly socketFiles: string[] = [];
  private readonly throttle: { current: AuthFailureThrottle };
  private readonly rateLimiter: { current: ConnectionRateLimiter };
  private readonly mockScramSecret: string;
  /** The TCP port the server listens on. */
  port = 0;
  /** The Unix socket directory in use, or undefined. */
  socketDir: string | undefined;
  readonly log: ServerLog;
  private readonly startMs = Date.now();

  constructor(
    readonly dataDir: string,
    private settings: ServerSettings,
    private hba: readonly HbaLine[],
    private ident: readonly IdentLine[],
    private tls: TlsState | null,
    private readonly engine: EngineBackend,
    private readonly fs: FileSystem,
    private readonly overrides: Readonly<Record<string, string | number | boolean>>,
    sink: LogSink,
  ) {
    this.log = new ServerLog(sink, () => this.settings.logLinePrefix, () => this.settings.logMinMessages);
    this.throttle = { current: this.newThrottle() };
    this.rateLimiter = { current: this.newRateLimiter() };
    this.mockScramSecret = scramVerifier(randomBytes(32).toString('hex'));
  }

  private newThrottle(): AuthFailureThrottle {
    const s = this.settings;
    return new AuthFailureThrottle({ enabled: s.authFailureThrottle, baseDelayMs: s.authFailureDelayMs, maxDelayMs: s.authFailureDelayMaxMs, windowMs: s.authFailureWindowMs });
  }
  private newRateLimiter(): ConnectionRateLimiter {
    const s = this.settings;
    return new ConnectionRateLimiter({ enabled: s.connectionRateLimit > 0, ratePerSecond: Math.max(1, s.connectionRateLimit), burst: s.connectionRateBurst });
  }

  private readonly postmasterSource: LogSource = { pid: process.pid, backendType: 'postmaster' };

  /** Live client connections (in start-up or in a session). */
  get connectionCount(): number {
    return this.backends.size;
  }

  // ---- listening -------------------------------------------------------------------------

  /** PM1–PM3: binds TCP listeners for listen_addresses and the Unix socket. */
  async listen(pidFile: LockFile): Promise<void> {
    const s = this.settings;
    const hosts = s.listenAddresses.flatMap((a) => (a === '*' ? ['0.0.0.0', '::'] : [a]));
    for (const host of hosts) {
      const server = createServer((socket) => this.accept(socket, 'host'));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: s.port, exclusive: true }, () => resolve());
      }).catch((e: NodeJS.ErrnoException) => {
        if (host === '::' && (e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT')) return;
        throw fatal(SqlState.CONFIG_FILE_ERROR, `could not create listen socket for "${host}"`, { detail: e.message });
      });
      if (!server.listening) continue;
      const address = server.address();
      if (address && typeof address === 'object') {
        this.log.write(this.postmasterSource, 'LOG', `listening on ${address.family === 'IPv6' ? 'IPv6' : 'IPv4'} address "${address.address}", port ${address.port}`);
      }
      this.servers.push(server);
    }
    this.port = s.port;
    for (const dir of s.unixSocketDirectories) {
      const lock = new LockFile(this.fs, socketLockPath(dir, s.port), socketLockPath(dir, s.port), [String(process.pid), this.dataDir]);
      await lock.acquire(this.dataDir);
      this.lockFiles.push(lock);
      const path = socketPath(dir, s.port);
      // A socket file without a live lock holder is stale.
      if (existsSync(path)) unlinkSync(path);
      const server = createServer((socket) => this.accept(socket, 'local'));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(fatal(SqlState.CONFIG_FILE_ERROR, `could not bind Unix address "${path}"`, { detail: e.message })));
        server.listen(path, () => resolve());
      });
      chmodSync(path, s.unixSocketPermissions);
      this.socketFiles.push(path);
      this.servers.push(server);
      this.socketDir ??= dir;
      this.log.write(this.postmasterSource, 'LOG', `listening on Unix socket "${path}"`);
    }
    if (this.servers.length === 0) throw fatal(SqlState.CONFIG_FILE_ERROR, 'no socket created for listening');
    await pidFile.setLine(3, String(this.port));
    await pidFile.setLine(4, this.socketDir ?? '');
    await pidFile.setLine(5, s.listenAddresses[0] ?? '');
  }

  // ---- connections -----------------------------------------------------------------------

  private accept(socket: Socket, type: 'local' | 'host'): void {
    // A bound on open connections that have not been given a slot yet (start-up, cancel requests).
    if (this.sockets.size >= STARTUP_CONNECTIONS_FACTOR * this.settings.maxConnections + 10) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const conn = new BackendConnection(socket);
    const pid = this.nextPid++;
    if (this.nextPid > 0x7fff_ffff) this.nextPid = FIRST_BACKEND_PID;
    const control = new SessionControl();
    const backend: Backend = {
      pid, secretKey: randomBytes(4), conn, socket, control, holdsSlot: false, role: undefined, inStartup: true,
      done: Promise.resolve(),
    };
    (backend as { done: Promise<void> }).done = this.serve(backend, type).catch((e: unknown) => {
      // A bug in a backend ends that connection only; it is logged, never thrown into the postmaster.
      this.log.write({ pid, backendType: 'client backend' }, 'LOG', `backend ${pid} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      conn.destroy();
    }).finally(() => {
      this.backends.delete(pid);
    });
    this.backends.set(pid, backend);
  }

  private async serve(backend: Backend, type: 'local' | 'host'): Promise<void> {
    const { conn } = backend;
    const rawAddress = conn.remoteAddress;
    const address = type === 'local' ? '[local]' : rawAddress.startsWith('::ffff:') ? rawAddress.slice(7) : rawAddress;
    const session: LogSession = { startMs: Date.now(), lineNumber: 0, remoteHost: address, ...(type === 'host' && conn.remotePort !== undefined ? { remotePort: conn.remotePort } : {}) };
    const source: LogSource = { pid: backend.pid, backendType: 'client backend', session };
    const s = this.settings;

    if (s.logConnections) this.log.write(source, 'LOG', type === 'local' ? 'connection received: host=[local]' : `connection received: host=${address} port=${conn.remotePort}`);

    // A22: the deadline covers the start-up packet and authentication; on expiry the socket just closes.
    let timedOut = false;
    const authTimer = setTimeout(() => {
      timedOut = true;
      this.log.write(source, 'FATAL', 'canceling authentication due to timeout', { sqlState: SqlState.QUERY_CANCELED });
      conn.destroy();
    }, s.authenticationTimeoutMs);
    let sessionBackend: SessionBackend | undefined;
    try {
      const established = await this.startup(backend, type, address, source, () => timedOut);
      clearTimeout(authTimer);
      if (!established) return;
      sessionBackend = established.session;
      backend.inStartup = false;
      const ended = await runSessionLoop(conn, sessionBackend, backend.control, { logError: (e) => this.log.error(source, e) });
      void ended;
    } catch (e) {
      if (timedOut || e instanceof ClientGone) {
        conn.destroy();
        return;
      }
      if (e instanceof AuthenticationFailed) {
        this.log.error(source, e.clientError, e.logDetail !== undefined ? { detail: e.logDetail } : {});
        conn.sendError(e.clientError);
        conn.close();
        return;
      }
      if (isPgError(e)) {
        // PostgreSQL logs a bad start-up packet length as COMMERROR and closes without an answer.
        if (e.message !== 'invalid length of startup packet') {
          conn.sendError(e.severity === 'FATAL' ? e : e.with({ severity: 'FATAL' }));
        }
        this.log.error(source, e.severity === 'FATAL' ? e : e.with({ severity: 'FATAL' }));
        conn.close();
        return;
      }
      throw e;
    } finally {
      clearTimeout(authTimer);
      if (sessionBackend) {
        await sessionBackend.end().catch(() => undefined);
        if (s.logDisconnections) {
          this.log.write(source, 'LOG', `disconnection: session time: ${sessionTime(Date.now() - session.startMs)} user=${session.user} database=${session.database} host=${address}${type === 'host' ? ` port=${conn.remotePort}` : ''}`);
        }
      }
      if (!conn.isClosed) conn.close();
    }
  }

  /** PM4–PM5 and AUTHN1–AUTHN9: start-up packet to ReadyForQuery. Returns undefined when the connection ended. */
  private async startup(
    backend: Backend, type: 'local' | 'host', address: string, source: LogSource, timedOut: () => boolean,
  ): Promise<{ session: SessionBackend } | undefined> {
    const { conn } = backend;
    let packet: Extract<StartupPacket, { kind: 'startup' }> | undefined;
    let sslDone = false;
    let gssDone = false;
    // At most one SSLRequest and one GSSENCRequest precede the start-up packet.
    for (let round = 0; round < 3 && !packet; round++) {
      const item = await conn.next();
      if (item === undefined || timedOut()) throw new ClientGone();
      if (item.kind !== 'startup') throw fatal(SqlState.PROTOCOL_VIOLATION, 'expected startup packet');
      const p = item.packet;
      if (p.kind === 'cancel-request') {
        this.cancel(p.processId, p.secretKey);
        conn.destroy();
        return undefined;
      }
      if (p.kind === 'ssl-request' && !sslDone && !conn.isTls) {
        sslDone = true;
        if (this.tls && type === 'host') {
          try {
            await conn.startTls(this.tls.context, { requestCert: this.tls.rootStoreLoaded });
          } catch (e) {
            if (isPgError(e)) throw e;
            if (!timedOut()) this.log.write(source, 'LOG', `could not accept SSL connection: ${(e as Error).message}`);
            throw new ClientGone();
          }
        } else conn.refuseEncryption();
        continue;
      }
      if (p.kind === 'gssenc-request' && !gssDone) {
        gssDone = true;
        conn.refuseEncryption();
        continue;
      }
      if (p.kind !== 'startup') {
        const code = p.kind === 'ssl-request' ? 5679 : 5680;
        throw fatal(SqlState.FEATURE_NOT_SUPPORTED, `unsupported frontend protocol 1234.${code}: server supports 3.0 to 3.0`);
      }
      packet = p;
    }
    if (!packet) throw fatal(SqlState.PROTOCOL_VIOLATION, 'expected startup packet');
    if (needsNegotiation(packet)) negotiateProtocolVersion(conn.writer, PROTOCOL_MINOR_LATEST, packet.protocolOptions);

    // PM4: shutdown and slots are checked once the start-up packet is in (after SSL negotiation,
    // so that the client can read the error), as PostgreSQL does; so is the rate limit (AUTHN10).
    if (this.state !== 'running') throw fatal(SqlState.CANNOT_CONNECT_NOW, 'the database system is shutting down');
    if (type === 'host' && !this.rateLimiter.current.tryAcquire(address)) {
      throw fatal(SqlState.TOO_MANY_CONNECTIONS, `too many connection attempts from host "${address}"`);
    }
    if (this.slotsInUse() >= this.settings.maxConnections) throw fatal(SqlState.TOO_MANY_CONNECTIONS, 'sorry, too many clients already');
    backend.holdsSlot = true;

    const user = packet.user;
    const database = packet.database;
    const session = source.session!;
    session.user = user;
    session.database = database;
    session.application = packet.parameters.get('application_name') ?? '';
    const env: AuthEnvironment = {
      hba: this.hba, ident: this.ident, engine: this.engine, throttle: this.throttle.current,
      passwordEncryption: this.settings.passwordEncryption, tls: this.tls, mockScramSecret: this.mockScramSecret,
      sleep: (ms) => new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        backend.socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      }),
      nowMs: () => Date.now(),
    };
    const auth = await authenticateClient(conn, env, { type, address, user, database, replication: packet.replication === 'physical' });
    if (timedOut()) throw new ClientGone();
    if (this.settings.logConnections && auth.authnId !== null) {
      this.log.write(source, 'LOG', `connection authenticated: identity="${auth.authnId}" method=${auth.line.method} (${auth.line.file}:${auth.line.lineNumber})`);
    }
    for (const m of auth.logMessages) this.log.write(source, 'LOG', m);
    authenticationOk(conn.writer);
    conn.flush();

    if (this.settings.logConnections) {
      const tlsSocket = conn.tlsSocket;
      const cipher = tlsSocket?.getCipher();
      const sslText = tlsSocket && cipher ? ` SSL enabled (protocol=${tlsSocket.getProtocol()}, cipher=${cipher.standardName ?? cipher.name}, bits=${/128/.test(cipher.name) ? 128 : 256})` : '';
      this.log.write(source, 'LOG', `connection authorized: user=${user} database=${database}${session.application ? ` application_name=${session.application}` : ''}${sslText}`);
    }

    // A19–A21 and PM4: role, reserved slots, database — in PostgreSQL's order (InitPostgres).
    const role = auth.role ?? this.engine.lookupRole(user);
    const loginError = checkRoleLogin(role ? toRole(role) : undefined, user, {
      replication: packet.replication === 'physical', connectionsOfRole: this.connectionsOfRole(user),
    });
    if (loginError || !role) throw loginError ?? fatal(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, `role "${user}" does not exist`);
    const superuser = role.rolsuper;
    if (!superuser && this.settings.superuserReservedConnections > 0 && this.settings.maxConnections - this.slotsInUse() < this.settings.superuserReservedConnections) {
      throw fatal(SqlState.TOO_MANY_CONNECTIONS, 'remaining connection slots are reserved for non-replication superuser connections');
    }
    if (packet.replication === 'physical') throw fatal(SqlState.FEATURE_NOT_SUPPORTED, 'replication connections are not supported by Palisade');
    if (!this.engine.databaseExists(database)) throw fatal(SqlState.INVALID_CATALOG_NAME, `database "${database}" does not exist`);
    if (!superuser && !this.engine.canConnect(role, database)) {
      throw fatal(SqlState.INSUFFICIENT_PRIVILEGE, `permission denied for database "${database}"`, { detail: 'User does not have CONNECT privilege.' });
    }
    backend.role = user;

    const parameters = new Map(packet.parameters);
    for (const k of ['user', 'database', 'options', 'replication']) parameters.delete(k);
    const sessionBackend = await this.engine.openSession({
      user, database, options: packet.parameters.get('options') ?? '', applicationName: session.application, parameters,
      remoteAddress: address, ...(type === 'host' && conn.remotePort !== undefined ? { remotePort: conn.remotePort } : {}),
      pid: backend.pid, superuser,
    });
    for (const [name, value] of reportedParameters(this.settings, SERVER_VERSION, packet.parameters, user, superuser)) parameterStatus(conn.writer, name, value);
    backendKeyData(conn.writer, backend.pid, backend.secretKey.readInt32BE(0));
    readyForQuery(conn.writer, sessionBackend.transactionStatus());
    conn.flush();
    return { session: sessionBackend };
  }

  private slotsInUse(): number {
    let n = 0;
    for (const b of this.backends.values()) if (b.holdsSlot) n++;
    return n;
  }

  private connectionsOfRole(role: string): number {
    let n = 0;
    for (const b of this.backends.values()) if (b.role === role) n++;
    return n;
  }

  /** PM5: a CancelRequest cancels the running statement of the backend whose key matches (compared in constant time). */
  private cancel(pid: number, secretKey: number): void {
    const backend = this.backends.get(pid);
    const given = Buffer.alloc(4);
    given.writeInt32BE(secretKey | 0, 0);
    // Compare against a dummy key when the pid is unknown, so both paths do the same work.
    const expected = backend?.secretKey ?? Buffer.alloc(4);
    const match = timingSafeEqual(given, expected) && backend !== undefined;
    if (match && !backend.inStartup) backend.control.cancel();
    else this.log.write(this.postmasterSource, 'LOG', `PID ${pid} in cancel request did not match any process`);
  }

  // ---- reload and shutdown ---------------------------------------------------------------

  /** PM10 (A11): re-reads postgresql.conf, pg_hba.conf and pg_ident.conf; a file with errors keeps the old rules. */
  async reload(): Promise<ReloadResult> {
    const src = this.postmasterSource;
    this.log.write(src, 'LOG', 'received SIGHUP, reloading configuration files');
    const loaded = await loadServerSettings(this.fs, this.dataDir, this.overrides, this.settings);
    for (const p of loaded.problems) this.log.write(src, 'LOG', p);
    for (const n of loaded.notes) this.log.write(src, 'LOG', n);
    this.settings = loaded.settings;
    this.throttle.current = this.newThrottle();
    this.rateLimiter.current = this.newRateLimiter();
    if (this.settings.ssl) {
      try {
        this.tls = await loadTls(this.fs, this.settings);
      } catch (e) {
        if (!isPgError(e)) throw e;
        this.log.error(src, e.with({ severity: 'LOG' }));
      }
    } else this.tls = null;
    const hba = await loadHba(this.fs, this.settings.hbaFile, { sslEnabled: this.settings.ssl });
    let hbaReloaded = false;
    if (hba.ok) {
      this.hba = hba.rules;
      hbaReloaded = true;
    } else {
      for (const e of hba.errors) this.log.write(src, 'LOG', e.message, { context: `line ${e.lineNumber} of configuration file "${e.file}"` });
      this.log.write(src, 'LOG', 'pg_hba.conf was not reloaded');
    }
    const ident = await loadIdentOrEmpty(this.fs, this.settings.identFile);
    let identReloaded = false;
    if (ident.ok) {
      this.ident = ident.lines;
      identReloaded = true;
    } else {
      for (const e of ident.errors) this.log.write(src, 'LOG', e.message, { context: `line ${e.lineNumber} of configuration file "${e.file}"` });
      this.log.write(src, 'LOG', 'pg_ident.conf was not reloaded');
    }
    return { hbaReloaded, identReloaded, configProblems: loaded.problems };
  }

  /** PM7: smart waits for sessions, fast terminates them with FATAL 57P01, immediate drops them. Idempotent. */
  stop(mode: ShutdownMode = 'fast'): Promise<void> {
    if (mode !== 'smart' && this.state === 'smart') this.stopping = undefined;
    this.stopping ??= this.shutdown(mode);
    return this.stopping;
  }

  private pidFile: LockFile | undefined;
  attachPidFile(f: LockFile): void {
    this.pidFile = f;
  }

  private async shutdown(mode: ShutdownMode): Promise<void> {
    const src = this.postmasterSource;
    this.log.write(src, 'LOG', `received ${mode} shutdown request`);
    this.state = mode === 'smart' ? 'smart' : 'stopping';
    await this.pidFile?.setLine(7, 'stopping');
    if (mode === 'fast') {
      for (const b of this.backends.values()) {
        const e = fatal(SqlState.ADMIN_SHUTDOWN, 'terminating connection due to administrator command');
        if (b.inStartup) {
          b.conn.sendError(e);
          b.conn.destroy();
        } else b.control.terminate(e);
      }
    } else if (mode === 'immediate') {
      for (const b of this.backends.values()) b.conn.destroy();
    }
    await Promise.all([...this.backends.values()].map((b) => b.done));
    if (mode === 'smart' && this.state !== 'smart') return;
    this.state = 'stopping';
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const path of this.socketFiles) if (existsSync(path)) unlinkSync(path);
    for (const lock of this.lockFiles) await lock.release();
    await this.pidFile?.release();
    this.state = 'stopped';
    this.log.write(src, 'LOG', 'database system is shut down');
  }
}

async function loadIdentOrEmpty(fs: FileSystem, path: string): Promise<Awaited<ReturnType<typeof loadIdent>>> {
  if (!(await fs.exists(path))) return { ok: true, lines: [] };
  return loadIdent(fs, path);
}

/**
 * Starts a postmaster in this process (PM1–PM10): checks the data directory, reads the
 * configuration and pg_hba.conf (errors are FATAL), writes postmaster.pid, listens.
 */
export async function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const fs = options.fs ?? new NodeFileSystem();
  const sink: LogSink = options.log ?? ((line) => process.stderr.write(line + '\n'));
  const dataDir = options.dataDir.replace(/\/+$/, '');
  await checkDataDirectory(fs, dataDir);
  const overrides = options.settings ?? {};
  const { settings } = await loadServerSettings(fs, dataDir, overrides);
  const hba = await loadHba(fs, settings.hbaFile, { sslEnabled: settings.ssl });
  if (!hba.ok) {
    throw fatal(SqlState.CONFIG_FILE_ERROR, 'could not load pg_hba.conf', {
      detail: hba.errors.map((e) => `${e.message} (line ${e.lineNumber} of configuration file "${e.file}")`).join('\n'),
    });
  }
  const ident = await loadIdentOrEmpty(fs, settings.identFile);
  if (!ident.ok) {
    throw fatal(SqlState.CONFIG_FILE_ERROR, 'could not load pg_ident.conf', { detail: ident.errors.map((e) => e.message).join('\n') });
  }
  const tls = settings.ssl ? await loadTls(fs, settings) : null;
  const startMs = Date.now();
  const pidFile = new LockFile(fs, `${dataDir}/postmaster.pid`, 'postmaster.pid', pidFileLines({
    dataDir, startMs, port: settings.port, socketDir: '', listenAddress: '', status: 'starting',
  }));
  await pidFile.acquire(dataDir);
  const pm = new Postmaster(dataDir, settings, hba.rules, ident.lines, tls, options.engine, fs, overrides, sink);
  pm.attachPidFile(pidFile);
  pm.log.write({ pid: process.pid, backendType: 'postmaster' }, 'LOG', `starting ${SERVER_VERSION}`);
  try {
    await pm.listen(pidFile);
  } catch (e) {
    await pm.stop('immediate');
    throw e;
  }
  await pidFile.setLine(7, 'ready   ');
  pm.log.write({ pid: process.pid, backendType: 'postmaster' }, 'LOG', 'database system is ready to accept connections');
  return pm;
}
