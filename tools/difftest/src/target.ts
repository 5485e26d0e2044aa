// Targets: the servers difftest compares. A Target opens sessions (DiffClient) that run one
// statement at a time over the simple query protocol and report everything the server said.
// Entry points: connectionStringTarget(), pgclusterTarget(), and the Target/DiffClient contracts
// that Palisade's server (or an in-process embedding) implements the same way.

import { connect } from 'node:net';
import pg from 'pg';
import type { RunningCluster } from '@palisade/pgcluster';

/** Who a session connects as. Omitted fields mean the target's superuser and maintenance database. */
export interface ConnectOptions {
  user?: string;
  database?: string;
  password?: string;
}

/** A column of a RowDescription. */
export interface ColumnRecord {
  readonly name: string;
  readonly typeOid: number;
}

/** A NoticeResponse (or the notice-worthy part of one). */
export interface NoticeRecord {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

/** An ErrorResponse. `position` is the 1-based character offset the server sent, if any. */
export interface ErrorRecord {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: number;
}

/** Everything the server said in answer to one statement. */
export interface StatementResult {
  /** CommandComplete tag exactly as sent, e.g. `INSERT 0 3`; null when the statement failed. */
  tag: string | null;
  /** RowDescription, or null when the server sent none. */
  columns: ColumnRecord[] | null;
  /** DataRows in the text format, exactly as sent (null for SQL NULL). */
  rows: (string | null)[][];
  /** NoticeResponses received while the statement ran, in order. */
  notices: NoticeRecord[];
  error: ErrorRecord | null;
  /** Transaction status from ReadyForQuery: I (idle), T (in a transaction), E (failed transaction). */
  txStatus: string | null;
}

/** A session on a target: one connection, one statement at a time. */
export interface DiffClient {
  /** The backend's process id (BackendKeyData), used to ask whether this session waits for a lock. */
  readonly backendPid: number | undefined;
  /**
   * Runs one statement with the simple query protocol. SQL errors are part of the result;
   * the promise rejects only when the session itself fails (connection lost).
   */
  execute(sql: string): Promise<StatementResult>;
  /** Asks the server to cancel the running statement (CancelRequest). */
  cancel(): Promise<void>;
  /** Closes the session; a statement still running is abandoned. */
  close(): Promise<void>;
}

/** A server to compare. `connect({})` must give a superuser session on a maintenance database. */
export interface Target {
  readonly name: string;
  connect(opts: ConnectOptions): Promise<DiffClient>;
}

/** Thrown by connect() when the server refuses the session: an ErrorResponse during startup. */
export class ConnectRefusedError extends Error {
  override readonly name = 'ConnectRefusedError';
  constructor(readonly error: ErrorRecord) {
    super(`${error.severity}: ${error.message} (${error.code})`);
  }
}

// Every value stays the server's exact text (DT4): no type parsing in the client.
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

interface PgProtocolError {
  severity?: string;
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
}

function isServerError(err: unknown): err is PgProtocolError & Error {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((err as unknown as { code: string }).code)
    && typeof (err as { severity?: unknown }).severity === 'string';
}

function toErrorRecord(err: PgProtocolError): ErrorRecord {
  const record: { -readonly [K in keyof ErrorRecord]: ErrorRecord[K] } = { severity: err.severity ?? '', code: err.code ?? '', message: err.message };
  if (err.detail !== undefined) record.detail = err.detail;
  if (err.hint !== undefined) record.hint = err.hint;
  if (err.position !== undefined) record.position = Number.parseInt(err.position, 10);
  return record;
}

function toNoticeRecord(msg: PgProtocolError): NoticeRecord {
  const record: { -readonly [K in keyof NoticeRecord]: NoticeRecord[K] } = { severity: msg.severity ?? '', code: msg.code ?? '', message: msg.message };
  if (msg.detail !== undefined) record.detail = msg.detail;
  if (msg.hint !== undefined) record.hint = msg.hint;
  return record;
}

/** The parts of pg's Connection we listen to for the exact protocol messages. */
interface ProtocolEvents {
  on(event: 'commandComplete', listener: (msg: { text: string }) => void): void;
  on(event: 'rowDescription', listener: (msg: { fields: { name: string; dataTypeID: number }[] }) => void): void;
  on(event: 'readyForQuery', listener: (msg: { status: string }) => void): void;
}

class PgDiffClient implements DiffClient {
  private current: StatementResult | undefined;
  private broken: Error | undefined;
  private onReady: (() => void) | undefined;

  constructor(private readonly client: pg.Client) {
    const connection = (client as unknown as { connection: ProtocolEvents }).connection;
    connection.on('commandComplete', (msg) => { if (this.current) this.current.tag = msg.text; });
    connection.on('rowDescription', (msg) => {
      if (this.current) this.current.columns = msg.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
    });
    connection.on('readyForQuery', (msg) => {
      if (this.current) this.current.txStatus = msg.status;
      this.settleReady();
    });
    client.on('notice', (msg) => { this.current?.notices.push(toNoticeRecord(msg as unknown as PgProtocolError)); });
    // Without a listener, a connection that dies between statements would crash the process.
    client.on('error', (err) => {
      this.broken ??= err;
      this.settleReady();
    });
    client.on('end', () => {
      this.broken ??= new Error('connection closed by the server');
      this.settleReady();
    });
  }

  private settleReady(): void {
    const resolve = this.onReady;
    this.onReady = undefined;
    resolve?.();
  }

  get backendPid(): number | undefined {
    return (this.client as unknown as { processID: number | null }).processID ?? undefined;
  }

  async execute(sql: string): Promise<StatementResult> {
    if (this.broken) throw new Error(`session is gone: ${this.broken.message}`);
    if (this.current) throw new Error('difftest: a statement is already running on this session');
    const result: StatementResult = { tag: null, columns: null, rows: [], notices: [], error: null, txStatus: null };
    this.current = result;
    // pg settles a failed query on ErrorResponse, possibly before ReadyForQuery has arrived;
    // the statement is over (and its notices and transaction status known) only at ReadyForQuery.
    const ready = new Promise<void>((resolve) => { this.onReady = resolve; });
    try {
      const res = await this.client.query({ text: sql, rowMode: 'array', types: TEXT_TYPES });
      result.rows = res.rows as (string | null)[][];
    } catch (err) {
      if (!isServerError(err)) {
        this.current = undefined;
        throw err;
      }
      result.error = toErrorRecord(err);
      // Rows and a RowDescription sent before the error are not part of what a client sees.
      result.tag = null;
      result.columns = null;
      result.rows = [];
    }
    await ready;
    this.current = undefined;
    return result;
  }

  async cancel(): Promise<void> {
    const c = this.client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
    if (c.processID === null || c.secretKey === null) return;
    // CancelRequest: length 16, code 80877102, backend pid, secret key — on a new connection.
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(80877102, 4);
    packet.writeInt32BE(c.processID, 8);
    packet.writeInt32BE(c.secretKey, 12);
    const socket = c.host.startsWith('/') ? connect(`${c.host}/.s.PGSQL.${c.port}`) : connect(c.port, c.host);
    await new Promise<void>((resolve) => {
      socket.once('connect', () => socket.end(packet));
      socket.once('close', () => resolve());
      socket.once('error', () => resolve());
    });
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.client.end(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    } catch {
      // Closing a broken session: nothing to do.
    }
  }
}

/** Builds a connection string with user/database/password replaced. Only URL-form strings are supported. */
export function withConnectOptions(connectionString: string, opts: ConnectOptions): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new Error(`difftest: connection strings must be URLs (postgresql://user@host:port/db), got ${JSON.stringify(connectionString)}`);
  }
  if (opts.user !== undefined) {
    url.username = encodeURIComponent(opts.user);
    if (opts.password === undefined) url.password = '';
  }
  if (opts.password !== undefined) url.password = encodeURIComponent(opts.password);
  if (opts.database !== undefined) url.pathname = '/' + encodeURIComponent(opts.database);
  return url.toString();
}

/** Opens a pg session for a difftest target. */
export async function connectPg(connectionString: string): Promise<DiffClient> {
  const config: pg.ClientConfig = { connectionString, application_name: 'difftest' };
  const client = new pg.Client(config);
  // Errors during startup come as a rejected connect(); later ones through 'error'.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    if (isServerError(err)) throw new ConnectRefusedError(toErrorRecord(err));
    throw err;
  }
  return new PgDiffClient(client);
}

/**
 * A target for any server reachable by a URL connection string (PostgreSQL, Palisade's server).
 * The string names the superuser and maintenance database; sessions override user/database/password.
 */
export function connectionStringTarget(name: string, connectionString: string): Target {
  withConnectOptions(connectionString, {}); // validate early
  return {
    name,
    connect: (opts) => connectPg(withConnectOptions(connectionString, opts)),
  };
}

/** A target for a server started by @palisade/pgcluster. */
export function pgclusterTarget(cluster: RunningCluster, name?: string): Target {
  return {
    name: name ?? `${cluster.kind}-${cluster.version}@${cluster.host}:${cluster.port}`,
    connect: (opts) => connectPg(cluster.connectionString(opts)),
  };
}
