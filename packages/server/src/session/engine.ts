// The port between the server and a SQL engine: what the postmaster and the authentication code
// ask of the engine (roles, databases, the cluster's mock nonce) and what a session drives (simple
// and extended query, transaction status). The server never reaches into an engine's internals;
// the engine implements these interfaces. Entry points: EngineBackend, SessionBackend, ResultSink.

import type { PgError } from '@palisade/common';
import type { FieldDescription, FormatCode, TransactionStatus } from '@palisade/protocol';

/** A role as authentication needs it — the columns of `pg_authid` it reads, plus membership. */
export interface RoleRecord {
  readonly rolname: string;
  readonly oid: number;
  /** Stored secret (`SCRAM-SHA-256$…` or `md5…`), or null. */
  readonly rolpassword: string | null;
  readonly rolcanlogin: boolean;
  readonly rolsuper: boolean;
  readonly rolreplication: boolean;
  /** Password expiry; null means infinity. */
  readonly rolvaliduntil: Date | null;
  /** -1 means no limit. */
  readonly rolconnlimit: number;
  /** Names of the roles this role is a member of, directly or indirectly (for `+role` and `samerole`). */
  readonly memberships: readonly string[];
}

/** What the server knows about a connection when it opens a session. */
export interface SessionStartInfo {
  readonly user: string;
  readonly database: string;
  /** The startup packet's `options` (command-line style `-c name=value`), or ''. */
  readonly options: string;
  readonly applicationName: string;
  /** Startup parameters that are configuration parameters (client_encoding, DateStyle, statement_timeout, …). */
  readonly parameters: ReadonlyMap<string, string>;
  /** Client address, or '[local]' for a Unix socket. */
  readonly remoteAddress: string;
  readonly remotePort?: number;
  /** The backend's process id as the client sees it (BackendKeyData). */
  readonly pid: number;
  readonly superuser: boolean;
}

/** Where a statement's results go. The server encodes them as RowDescription, DataRow, … */
export interface ResultSink {
  rowDescription(fields: readonly FieldDescription[]): void;
  /** One row; may wait for the client to read (back-pressure). */
  dataRow(values: readonly (Uint8Array | null)[]): void | Promise<void>;
  commandComplete(tag: string): void;
  emptyQuery(): void;
  /** A NoticeResponse (WARNING, NOTICE, INFO, …). */
  notice(notice: PgError): void;
  /** A reported parameter (GUC_REPORT) changed: sent as ParameterStatus. */
  parameterStatus(name: string, value: string): void;
}

/** Per-statement context: `signal` aborts on cancel, statement_timeout or shutdown; its reason is the PgError to throw. */
export interface QueryContext {
  readonly signal: AbortSignal;
}

/** Session timeouts the server enforces (milliseconds, 0 = off); read before each wait. */
export interface SessionTimeouts {
  statementTimeoutMs: number;
  idleInTransactionSessionTimeoutMs: number;
}

/**
 * One session of the engine. Errors are thrown as PgError (ERROR ends the statement, FATAL ends
 * the session). Every method may be asynchronous; the server never calls two at once.
 */
export interface SessionBackend {
  /** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
  transactionStatus(): TransactionStatus;
  timeouts(): SessionTimeouts;
  /** A Query message: one or more statements; results of each go to the sink. */
  simpleQuery(sql: string, sink: ResultSink, ctx: QueryContext): Promise<void>;
  parse(statement: string, sql: string, paramTypes: readonly number[], ctx: QueryContext): Promise<void>;
  bind(portal: string, statement: string, params: readonly (Uint8Array | null)[], paramFormats: readonly FormatCode[], resultFormats: readonly FormatCode[], ctx: QueryContext): Promise<void>;
  /** Parameter types and result fields of a prepared statement (fields null = no rows: NoData). */
  describeStatement(statement: string): Promise<{ paramTypes: readonly number[]; fields: readonly FieldDescription[] | null }>;
  /** Result fields of a portal (null = NoData). */
  describePortal(portal: string): Promise<readonly FieldDescription[] | null>;
  /** Runs a portal for up to `maxRows` rows (0 = all); 'suspended' if rows remain (PortalSuspended). */
  execute(portal: string, maxRows: number, sink: ResultSink, ctx: QueryContext): Promise<'complete' | 'suspended'>;
  close(target: 'statement' | 'portal', name: string): Promise<void>;
  /** Sync: ends the implicit transaction of the extended protocol. */
  sync(): Promise<void>;
  /** The session ends (Terminate, disconnect, shutdown): roll back and release everything. */
  end(): Promise<void>;
}

/** What the server needs from the engine. */
export interface EngineBackend {
  /** The role named `name` (exact, case-sensitive), or undefined. */
  lookupRole(name: string): RoleRecord | undefined;
  databaseExists(name: string): boolean;
  /** CONNECT privilege on the database (superusers always have it). */
  canConnect(role: RoleRecord, database: string): boolean;
  /** The cluster's secret mock authentication nonce (pg_control's), stable across restarts (A18). */
  mockAuthenticationNonce(): Uint8Array;
  openSession(info: SessionStartInfo): Promise<SessionBackend>;
}
