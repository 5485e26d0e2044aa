// A small, honest in-memory EngineBackend for the server's tests: a fixed role table and
// databases, and sessions that understand a handful of statements (SELECT 1, SELECT $1,
// SELECT current_user, SELECT pg_sleep(n), BEGIN/COMMIT/ROLLBACK) and answer 0A000 otherwise.

import { PgError, SqlState, featureNotSupported } from '@palisade/common';
import { md5Verifier, scramVerifier } from '@palisade/auth';
import type { FieldDescription, FormatCode, TransactionStatus } from '@palisade/protocol';
import type { EngineBackend, QueryContext, ResultSink, RoleRecord, SessionBackend, SessionStartInfo, SessionTimeouts } from '../../src/index.ts';

const INT4 = 23;
const TEXT = 25;
const VOID = 2278;
const field = (name: string, typeOid: number, typeSize: number): FieldDescription => ({ name, tableOid: 0, columnNumber: 0, typeOid, typeSize, typeModifier: -1, format: 0 });
const enc = new TextEncoder();

export const PASSWORDS = { alice: 'alice-secret', bob: 'bob-secret', dave: 'dave-secret', limited: 'limited-secret', su: 'su-secret', noconnect: 'noconnect-secret', nologin: 'nologin-secret' } as const;

let oid = 16384;
function role(rolname: string, o: Partial<RoleRecord> = {}): RoleRecord {
  return {
    rolname, oid: oid++, rolpassword: null, rolcanlogin: true, rolsuper: false, rolreplication: false, rolvaliduntil: null, rolconnlimit: -1,
    memberships: [], ...o,
  };
}

/** The roles every test engine has; SCRAM secrets use 4096 iterations like PostgreSQL's default. */
export function testRoles(): RoleRecord[] {
  return [
    role('postgres', { rolsuper: true, rolreplication: true, rolpassword: scramVerifier('postgres-secret') }),
    role('alice', { rolpassword: scramVerifier(PASSWORDS.alice), memberships: ['staff'] }),
    role('bob', { rolpassword: md5Verifier(PASSWORDS.bob, 'bob') }),
    role('carol'),
    role('dave', { rolpassword: scramVerifier(PASSWORDS.dave), rolvaliduntil: new Date('2001-01-01T00:00:00Z') }),
    role('nologin', { rolcanlogin: false, rolpassword: scramVerifier(PASSWORDS.nologin) }),
    role('limited', { rolpassword: scramVerifier(PASSWORDS.limited), rolconnlimit: 1 }),
    role('su', { rolsuper: true, rolpassword: scramVerifier(PASSWORDS.su) }),
    role('noconnect', { rolpassword: scramVerifier(PASSWORDS.noconnect) }),
    role('certuser'),
    role('staff', { rolcanlogin: false }),
  ];
}

export class TestEngine implements EngineBackend {
  readonly roles = new Map<string, RoleRecord>();
  readonly databases = new Set(['postgres', 'app', 'restricted']);
  readonly sessions: TestSession[] = [];
  private readonly nonce = enc.encode('palisade-test-mock-authentication-nonce-32b');

  constructor(roles: RoleRecord[] = testRoles()) {
    for (const r of roles) this.roles.set(r.rolname, r);
  }
  lookupRole(name: string): RoleRecord | undefined {
    return this.roles.get(name);
  }
  databaseExists(name: string): boolean {
    return this.databases.has(name);
  }
  canConnect(role: RoleRecord, database: string): boolean {
    return !(database === 'restricted' && role.rolname === 'noconnect');
  }
  mockAuthenticationNonce(): Uint8Array {
    return this.nonce;
  }
  async openSession(info: SessionStartInfo): Promise<SessionBackend> {
    const s = new TestSession(info);
    this.sessions.push(s);
    return s;
  }
}

interface Prepared { sql: string; paramTypes: number[] }
interface Portal { sql: string; params: (Uint8Array | null)[]; done: boolean }

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}

function optionSetting(options: string, name: string): string | undefined {
  const m = new RegExp(`-c\\s*${name}=(\\S+)`).exec(options);
  return m?.[1];
}

export class TestSession implements SessionBackend {
  private status: TransactionStatus = 'I';
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  ended = false;
  readonly settings: SessionTimeouts;

  constructor(readonly info: SessionStartInfo) {
    const get = (name: string) => Number(info.parameters.get(name) ?? optionSetting(info.options, name) ?? 0);
    this.settings = { statementTimeoutMs: get('statement_timeout'), idleInTransactionSessionTimeoutMs: get('idle_in_transaction_session_timeout') };
  }
  transactionStatus(): TransactionStatus {
    return this.status;
  }
  timeouts(): SessionTimeouts {
    return this.settings;
  }

  private fail(e: PgError): never {
    if (this.status === 'T') this.status = 'E';
    throw e;
  }

  private async runOne(sql: string, params: readonly (Uint8Array | null)[], sink: ResultSink, ctx: QueryContext, describeOnly = false): Promise<void> {
    const text = sql.trim().replace(/;$/, '').trim();
    const lower = text.toLowerCase();
    if (this.status === 'E' && lower !== 'rollback' && lower !== 'commit') {
      this.fail(new PgError(SqlState.IN_FAILED_SQL_TRANSACTION, 'current transaction is aborted, commands ignored until end of transaction block'));
    }
    try {
      if (lower === 'select 1') {
        if (!describeOnly) sink.rowDescription([field('?column?', INT4, 4)]);
        await sink.dataRow([enc.encode('1')]);
        sink.commandComplete('SELECT 1');
      } else if (lower === 'select $1') {
        if (!describeOnly) sink.rowDescription([field('?column?', TEXT, -1)]);
        await sink.dataRow([params[0] ?? null]);
        sink.commandComplete('SELECT 1');
      } else if (lower === 'select current_user') {
        if (!describeOnly) sink.rowDescription([field('current_user', 19, 64)]);
        await sink.dataRow([enc.encode(this.info.user)]);
        sink.commandComplete('SELECT 1');
      } else if (/^select pg_sleep\(([\d.]+)\)$/.test(lower)) {
        const seconds = Number(/^select pg_sleep\(([\d.]+)\)$/.exec(lower)![1]);
        if (!describeOnly) sink.rowDescription([field('pg_sleep', VOID, 4)]);
        await sleep(seconds * 1000, ctx.signal);
        await sink.dataRow([enc.encode('')]);
        sink.commandComplete('SELECT 1');
      } else if (lower === 'begin') {
        if (this.status !== 'I') sink.notice(new PgError(SqlState.ACTIVE_SQL_TRANSACTION, 'there is already a transaction in progress', { severity: 'WARNING' }));
        this.status = 'T';
        sink.commandComplete('BEGIN');
      } else if (lower === 'commit' || lower === 'rollback') {
        const wasFailed = this.status === 'E';
        this.status = 'I';
        sink.commandComplete(wasFailed ? 'ROLLBACK' : lower.toUpperCase());
      } else {
        throw featureNotSupported(`statement "${text.slice(0, 40)}" in the test engine`);
      }
    } catch (e) {
      this.fail(e as PgError);
    }
  }

  async simpleQuery(sql: string, sink: ResultSink, ctx: QueryContext): Promise<void> {
    for (const stmt of sql.split(';').map((s) => s.trim()).filter((s) => s !== '')) await this.runOne(stmt, [], sink, ctx);
  }
  async parse(statement: string, sql: string, paramTypes: readonly number[]): Promise<void> {
    const count = (sql.match(/\$\d+/g) ?? []).length;
    const types = [...paramTypes];
    while (types.length < count) types.push(TEXT);
    if (!/^\s*(select|begin|commit|rollback)\b/i.test(sql)) this.fail(featureNotSupported(`statement "${sql.slice(0, 40)}" in the test engine`));
    this.statements.set(statement, { sql, paramTypes: types.map((t) => (t === 0 ? TEXT : t)) });
  }
  async bind(portal: string, statement: string, params: readonly (Uint8Array | null)[], _pf: readonly FormatCode[], _rf: readonly FormatCode[]): Promise<void> {
    const s = this.statements.get(statement);
    if (!s) this.fail(new PgError(SqlState.UNDEFINED_PSTATEMENT, `prepared statement "${statement}" does not exist`));
    this.portals.set(portal, { sql: s!.sql, params: [...params], done: false });
  }
  private fieldsOf(sql: string): FieldDescription[] | null {
    const lower = sql.trim().toLowerCase();
    if (lower === 'select 1') return [field('?column?', INT4, 4)];
    if (lower === 'select $1') return [field('?column?', TEXT, -1)];
    if (lower === 'select current_user') return [field('current_user', 19, 64)];
    if (lower.startsWith('select pg_sleep')) return [field('pg_sleep', VOID, 4)];
    return null;
  }
  async describeStatement(statement: string) {
    const s = this.statements.get(statement);
    if (!s) this.fail(new PgError(SqlState.UNDEFINED_PSTATEMENT, `prepared statement "${statement}" does not exist`));
    return { paramTypes: s!.paramTypes, fields: this.fieldsOf(s!.sql) };
  }
  async describePortal(portal: string) {
    const p = this.portals.get(portal);
    if (!p) this.fail(new PgError(SqlState.UNDEFINED_CURSOR, `portal "${portal}" does not exist`));
    return this.fieldsOf(p!.sql);
  }
  async execute(portal: string, _maxRows: number, sink: ResultSink, ctx: QueryContext): Promise<'complete' | 'suspended'> {
    const p = this.portals.get(portal);
    if (!p) this.fail(new PgError(SqlState.UNDEFINED_CURSOR, `portal "${portal}" does not exist`));
    await this.runOne(p!.sql, p!.params, sink, ctx, true);
    return 'complete';
  }
  async close(target: 'statement' | 'portal', name: string): Promise<void> {
    (target === 'statement' ? this.statements : this.portals).delete(name);
  }
  async sync(): Promise<void> {
    this.portals.clear();
  }
  async end(): Promise<void> {
    this.ended = true;
  }
}
