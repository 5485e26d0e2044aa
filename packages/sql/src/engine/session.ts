// A client session: PostgreSQL's transaction-block state machine (xact.c), the simple and the
// extended query protocols in protocol-agnostic form, SET / SHOW wired to the GucSession, and
// the statement pipeline parse → analyze → plan → execute. Entry point: Session.

import { PgError, SqlState, featureNotSupported } from '@palisade/common';
import { GucRegistry, GucSession } from '../guc/guc.ts';
import { typeByOid } from '../types/registry.ts';
import { utf8Encode, type Datum, type IoContext } from '../types/datum.ts';
import { loadParser, parseStatements, type RawStatement } from '../parser/parse.ts';
import { Analyzer } from '../analyze/analyze.ts';
import { builtinCatalog, T } from '../analyze/catalog.ts';
import { queryColumns, type Query } from '../analyze/nodes.ts';
import { ErrorPositioner } from '../analyze/positions.ts';
import { planQuery } from '../plan/planner.ts';
import { explainLines } from '../plan/explain.ts';
import { nowUs, type FnContext } from '../functions/builtins.ts';
import { PAUSE, canceledError, type ExecContext, type Row, type Yielded } from '../exec/context.ts';
import { InProcessTransactionManager, type TransactionHandle, type TransactionManager, type TransactionOptions } from './transaction.ts';

/** One column of a RowDescription. */
export interface FieldDescription {
  name: string;
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary. */
  format: 0 | 1;
}

/** A NoticeResponse's fields. */
export interface NoticeFields {
  severity: 'WARNING' | 'NOTICE' | 'INFO' | 'LOG' | 'DEBUG';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** Where a statement's results go; the server turns each call into a protocol message. */
export interface ResultSink {
  rowDescription(fields: FieldDescription[]): void;
  dataRow(values: (Uint8Array | null)[]): void;
  commandComplete(tag: string): void;
  emptyQuery(): void;
  notice(fields: NoticeFields): void;
}

export interface SessionOptions {
  registry?: GucRegistry;
  user?: string;
  database?: string;
  backendPid?: number;
  isSuperuser?: boolean;
  transactionManager?: TransactionManager;
  /** ParameterStatus: a reported parameter changed. */
  onParameterStatus?: (name: string, value: string) => void;
  /** Startup-packet parameters (client_encoding, DateStyle, …). */
  startupParameters?: Record<string, string>;
}

interface Savepoint {
  name: string;
  handle: TransactionHandle;
  gucLevel: number;
}

interface Transaction {
  handle: TransactionHandle;
  /** Opened by BEGIN (a transaction block), else an implicit transaction. */
  explicit: boolean;
  /** An implicit block spanning a multi-statement Query message or an extended-protocol batch. */
  multi: boolean;
  failed: boolean;
  savepoints: Savepoint[];
  gucLevel: number;
  startUs: bigint;
}

interface PreparedStatement {
  sql: string;
  raw: RawStatement | null;
  paramTypes: number[];
  query: Query | null;
  fields: FieldDescription[] | null;
}

interface Portal {
  stmt: PreparedStatement;
  params: Datum[];
  formats: (0 | 1)[];
  iterator: Iterator<Yielded> | null;
  ec: ExecContext | null;
  done: boolean;
  /** Rows of a utility statement (SHOW, EXPLAIN), produced at the first Execute. */
  utilityRan: boolean;
}

const NO_RESULT: FieldDescription[] | null = null;

/** Rows sent between event-loop turns while a portal runs. */
const ROWS_PER_TURN = 1024;

const ISOLATION_NAMES: Record<string, TransactionOptions['isolation']> = {
  serializable: 'serializable', 'repeatable read': 'repeatable read', 'read committed': 'read committed', 'read uncommitted': 'read uncommitted',
};

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One client session: its transaction state, settings, prepared statements and portals. */
export class Session {
  readonly gucs: GucSession;
  private readonly tm: TransactionManager;
  private xact: Transaction | null = null;
  private readonly prepared = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly user: string;
  private readonly database: string;
  private readonly backendPid: number;
  private statementStartUs = 0n;

  private constructor(options: SessionOptions) {
    const registry = options.registry ?? new GucRegistry();
    this.gucs = new GucSession(registry, { isSuperuser: () => options.isSuperuser ?? true, onReport: options.onParameterStatus });
    for (const [k, v] of Object.entries(options.startupParameters ?? {})) this.gucs.setAtStartup(k, v);
    this.tm = options.transactionManager ?? new InProcessTransactionManager();
    this.user = options.user ?? 'postgres';
    this.database = options.database ?? 'postgres';
    this.backendPid = options.backendPid ?? process.pid;
  }

  /** Creates a session; loads the parser first. */
  static async create(options: SessionOptions = {}): Promise<Session> {
    await loadParser();
    return new Session(options);
  }

  /** ReadyForQuery's transaction status: idle, in a transaction block, or in a failed block. */
  transactionStatus(): 'I' | 'T' | 'E' {
    if (!this.xact || !this.xact.explicit) return 'I';
    return this.xact.failed ? 'E' : 'T';
  }

  // ---- transactions ---------------------------------------------------------------------------

  private defaultOptions(): TransactionOptions {
    return {
      isolation: ISOLATION_NAMES[String(this.gucs.show('default_transaction_isolation'))] ?? 'read committed',
      readOnly: this.gucs.get('default_transaction_read_only') === true,
      deferrable: this.gucs.get('default_transaction_deferrable') === true,
    };
  }

  private startTransaction(multi: boolean): Transaction {
    const opts = this.defaultOptions();
    const handle = this.tm.begin(opts);
    const gucLevel = this.gucs.newNestLevel();
    this.gucs.set('transaction_isolation', opts.isolation, 'local');
    this.gucs.set('transaction_read_only', opts.readOnly ? 'on' : 'off', 'local');
    this.gucs.set('transaction_deferrable', opts.deferrable ? 'on' : 'off', 'local');
    this.xact = { handle, explicit: false, multi, failed: false, savepoints: [], gucLevel, startUs: nowUs() };
    return this.xact;
  }

  /** start_xact_command: a statement runs inside a transaction, implicit if none is open. */
  private ensureTransaction(multi: boolean): Transaction {
    return this.xact ?? this.startTransaction(multi);
  }

  private endTransaction(commit: boolean): void {
    const x = this.xact!;
    for (let i = x.savepoints.length - 1; i >= 0; i--) {
      const sp = x.savepoints[i]!;
      if (commit && !x.failed) this.tm.commitSub(sp.handle);
      else this.tm.abortSub(sp.handle);
    }
    if (commit && !x.failed) this.tm.commit(x.handle);
    else this.tm.abort(x.handle);
    this.gucs.endNestLevel(x.gucLevel, commit && !x.failed);
    this.xact = null;
    for (const [name, p] of this.portals) if (p.done || p.iterator) this.portals.delete(name);
  }

  /** After an error: an explicit block becomes failed (25P02 until ROLLBACK); an implicit one is rolled back. */
  private abortOnError(): void {
    const x = this.xact;
    if (!x) return;
    if (x.explicit) x.failed = true;
    else this.endTransaction(false);
  }

  /** finish_xact_command: an implicit single-statement transaction commits after its statement. */
  private finishStatement(): void {
    if (this.xact && !this.xact.explicit && !this.xact.multi) this.endTransaction(true);
  }

  // ---- simple query -----------------------------------------------------------------------------

  /**
   * The simple query protocol: every statement of `sql` in turn, results to `sink`. Rejects with
   * the PgError of the first failing statement (later statements are not run). ENG2: a
   * multi-statement string is one implicit transaction unless it contains transaction control.
   */
  async simpleQuery(sql: string, sink: ResultSink, signal?: AbortSignal): Promise<void> {
    let raws: RawStatement[];
    try {
      raws = parseStatements(sql);
    } catch (e) {
      this.abortOnError();
      throw e;
    }
    if (raws.length === 0) {
      sink.emptyQuery();
      return;
    }
    const multi = raws.length > 1;
    try {
      for (const raw of raws) {
        this.ensureTransaction(multi);
        const stmt: PreparedStatement = { sql, raw, paramTypes: [], query: null, fields: null };
        await this.runStatement(stmt, [], [], sink, signal, true);
        this.finishStatement();
      }
      if (multi && this.xact && !this.xact.explicit) this.endTransaction(true);
    } catch (e) {
      this.abortOnError();
      throw e;
    }
  }

  /** Analysis and execution of one statement with all rows sent. */
  private async runStatement(stmt: PreparedStatement, params: Datum[], formats: (0 | 1)[], sink: ResultSink, signal: AbortSignal | undefined, describe: boolean): Promise<void> {
    const portal: Portal = { stmt, params, formats, iterator: null, ec: null, done: false, utilityRan: false };
    await this.runPortal(portal, 0, sink, signal, describe);
  }

  private kind(raw: RawStatement | null): string {
    return raw ? Object.keys(raw.stmt)[0]! : '';
  }

  /** 25P02: in a failed block only ROLLBACK, COMMIT and ROLLBACK TO run. */
  private checkNotFailed(raw: RawStatement | null): void {
    if (!this.xact?.failed) return;
    const k = this.kind(raw);
    if (k === 'TransactionStmt') {
      const kind = raw!.stmt.TransactionStmt.kind as string;
      if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_ROLLBACK_TO') return;
    }
    throw new PgError(SqlState.IN_FAILED_SQL_TRANSACTION, 'current transaction is aborted, commands ignored until end of transaction block');
  }

  private async runPortal(portal: Portal, maxRows: number, sink: ResultSink, signal: AbortSignal | undefined, describe: boolean): Promise<'complete' | 'suspended'> {
    const stmt = portal.stmt;
    const raw = stmt.raw;
    if (!raw) {
      sink.emptyQuery();
      return 'complete';
    }
    this.checkNotFailed(raw);
    this.statementStartUs = nowUs();
    const k = this.kind(raw);
    const node = raw.stmt[k];
    const pos = new ErrorPositioner(stmt.sql, this.ioContext());
    switch (k) {
      case 'SelectStmt': {
        if (!portal.iterator) {
          if (!stmt.query) this.analyzeInto(stmt, pos, describe);
          if (describe) sink.rowDescription(this.fieldsFor(stmt, portal.formats));
          const ec = this.execContext(portal.params, signal);
          const plan = planQuery(stmt.query!);
          portal.ec = ec;
          portal.iterator = plan.rows(ec);
        }
        return this.drive(portal, maxRows, sink, signal);
      }
      case 'TransactionStmt':
        this.transactionStmt(node, sink);
        return 'complete';
      case 'VariableSetStmt':
        this.setStmt(node, sink);
        return 'complete';
      case 'VariableShowStmt': {
        if (portal.utilityRan) { sink.commandComplete('SHOW'); return 'complete'; }
        portal.utilityRan = true;
        const rows = this.showRows(node, sink, describe, portal.formats);
        for (const r of rows) sink.dataRow(r);
        sink.commandComplete('SHOW');
        return 'complete';
      }
      case 'ExplainStmt': {
        if (portal.utilityRan) { sink.commandComplete('EXPLAIN'); return 'complete'; }
        portal.utilityRan = true;
        const lines = this.explain(node, pos, portal.params);
        if (describe) sink.rowDescription([textField('QUERY PLAN', portal.formats[0] ?? 0)]);
        for (const l of lines) sink.dataRow([utf8Encode(l)]);
        sink.commandComplete('EXPLAIN');
        return 'complete';
      }
      default:
        throw featureNotSupported(statementName(k));
    }
  }

  private analyzeInto(stmt: PreparedStatement, pos: ErrorPositioner, simple = false): void {
    const params = { types: stmt.paramTypes.slice(), fixed: simple };
    const analyzer = new Analyzer(pos, params);
    stmt.query = analyzer.analyzeSelect(stmt.raw!.stmt.SelectStmt);
    const unresolved = params.types.findIndex((t) => t === 0 || t === T.unknown);
    if (unresolved >= 0) {
      throw new PgError(SqlState.INDETERMINATE_DATATYPE, `could not determine data type of parameter $${unresolved + 1}`);
    }
    stmt.paramTypes = params.types;
  }

  private fieldsFor(stmt: PreparedStatement, formats: (0 | 1)[]): FieldDescription[] {
    const cat = builtinCatalog();
    return queryColumns(stmt.query!).map((c, i) => ({
      name: c.name, tableOid: 0, columnNumber: 0, typeOid: c.type, typeSize: cat.type(c.type)?.len ?? -1, typeModifier: c.typmod,
      format: (formats.length === 1 ? formats[0]! : formats[i] ?? 0) as 0 | 1,
    }));
  }

  private ioContext(): IoContext {
    return {
      dateStyle: String(this.gucs.show('DateStyle')),
      intervalStyle: String(this.gucs.show('IntervalStyle')) as IoContext['intervalStyle'],
      timeZone: String(this.gucs.show('TimeZone')),
      extraFloatDigits: Number(this.gucs.get('extra_float_digits')),
      byteaOutput: String(this.gucs.show('bytea_output')) as IoContext['byteaOutput'],
    };
  }

  private execContext(params: Datum[], signal: AbortSignal | undefined): ExecContext {
    const io = this.ioContext();
    const fn: FnContext = {
      io,
      transactionStartUs: this.xact?.startUs ?? nowUs(),
      statementStartUs: this.statementStartUs,
      user: this.user,
      database: this.database,
      backendPid: this.backendPid,
      getSetting: (name, missingOk) => this.gucs.show(name, missingOk),
      setSetting: (name, value, isLocal) => this.gucs.set(name, value, isLocal ? 'local' : 'set'),
    };
    const timeoutMs = Number(this.gucs.get('statement_timeout'));
    let reason: 'timeout' | 'cancel' = 'cancel';
    let effective = signal;
    if (timeoutMs > 0) {
      const ctrl = new AbortController();
      const timer = setTimeout(() => {
        reason = 'timeout';
        ctrl.abort();
      }, timeoutMs);
      timer.unref?.();
      signal?.addEventListener('abort', () => ctrl.abort(), { once: true });
      effective = ctrl.signal;
      this.clearTimer = () => clearTimeout(timer);
    }
    return { params, outer: [], fn, ctes: new Map(), sublinkValue: null, signal: effective, abortReason: () => reason };
  }

  private clearTimer: (() => void) | null = null;

  /** Pulls rows from a portal, encodes and sends them; gives the event loop a turn regularly (ENG5). */
  private async drive(portal: Portal, maxRows: number, sink: ResultSink, signal: AbortSignal | undefined): Promise<'complete' | 'suspended'> {
    const it = portal.iterator!;
    const ec = portal.ec!;
    const encoders = this.encoders(portal);
    let sent = 0;
    let sinceTurn = 0;
    let failed = false;
    try {
      for (;;) {
        if (ec.signal?.aborted || signal?.aborted) throw canceledError(ec.abortReason());
        const next = it.next();
        if (next.done) {
          portal.done = true;
          sink.commandComplete(`SELECT ${sent}`);
          return 'complete';
        }
        const row = next.value;
        if (row === PAUSE || ++sinceTurn >= ROWS_PER_TURN) {
          sinceTurn = 0;
          await turn();
          if (ec.signal?.aborted) throw canceledError(ec.abortReason());
          if (row === PAUSE) continue;
        }
        sink.dataRow(encodeRow(row as Row, encoders));
        sent++;
        if (maxRows > 0 && sent >= maxRows) return 'suspended';
      }
    } catch (e) {
      failed = true;
      portal.done = true;
      throw e;
    } finally {
      if (portal.done || failed) {
        this.clearTimer?.();
        this.clearTimer = null;
      }
    }
  }

  private encoders(portal: Portal): Array<(v: Datum) => Uint8Array> {
    const io = portal.ec!.fn.io;
    const fields = this.fieldsFor(portal.stmt, portal.formats);
    return fields.map((f) => {
      const impl = typeByOid(f.typeOid);
      if (!impl) throw featureNotSupported(`output of type ${f.typeOid}`);
      return f.format === 1 ? (v: Datum) => impl.send(v, io) : (v: Datum) => utf8Encode(impl.output(v, io));
    });
  }

  // ---- transaction control --------------------------------------------------------------------

  private warn(code: string, message: string, sink: ResultSink): void {
    sink.notice({ severity: 'WARNING', code, message });
  }

  private transactionStmt(n: Record<string, any>, sink: ResultSink): void {
    const x = this.xact!;
    const kind = n.kind as string;
    const blockOnly = (what: string) => new PgError(SqlState.NO_ACTIVE_SQL_TRANSACTION, `${what} can only be used in transaction blocks`);
    switch (kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START': {
        if (x.explicit) this.warn(SqlState.ACTIVE_SQL_TRANSACTION, 'there is already a transaction in progress', sink);
        else {
          x.explicit = true;
          this.applyTransactionOptions(n.options ?? []);
        }
        sink.commandComplete(kind === 'TRANS_STMT_BEGIN' ? 'BEGIN' : 'START TRANSACTION');
        return;
      }
      case 'TRANS_STMT_COMMIT': {
        if (n.chain) throw featureNotSupported('COMMIT AND CHAIN');
        const failed = x.failed;
        if (!x.explicit) this.warn(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'there is no transaction in progress', sink);
        this.endTransaction(!failed);
        sink.commandComplete(failed ? 'ROLLBACK' : 'COMMIT');
        return;
      }
      case 'TRANS_STMT_ROLLBACK': {
        if (n.chain) throw featureNotSupported('ROLLBACK AND CHAIN');
        if (!x.explicit) this.warn(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'there is no transaction in progress', sink);
        this.endTransaction(false);
        sink.commandComplete('ROLLBACK');
        return;
      }
      case 'TRANS_STMT_SAVEPOINT': {
        if (!x.explicit) throw blockOnly('SAVEPOINT');
        const parent = x.savepoints.at(-1)?.handle ?? x.handle;
        x.savepoints.push({ name: n.savepoint_name, handle: this.tm.beginSub(parent), gucLevel: this.gucs.newNestLevel() });
        sink.commandComplete('SAVEPOINT');
        return;
      }
      case 'TRANS_STMT_RELEASE':
      case 'TRANS_STMT_ROLLBACK_TO': {
        const rollback = kind === 'TRANS_STMT_ROLLBACK_TO';
        if (!x.explicit) throw blockOnly(rollback ? 'ROLLBACK TO SAVEPOINT' : 'RELEASE SAVEPOINT');
        const name = n.savepoint_name as string;
        let i = x.savepoints.length - 1;
        while (i >= 0 && x.savepoints[i]!.name !== name) i--;
        if (i < 0) throw new PgError(SqlState.S_E_INVALID_SPECIFICATION, `savepoint "${name}" does not exist`);
        const target = x.savepoints[i]!;
        for (let j = x.savepoints.length - 1; j >= i; j--) {
          const sp = x.savepoints[j]!;
          if (rollback) this.tm.abortSub(sp.handle);
          else this.tm.commitSub(sp.handle);
        }
        this.gucs.endNestLevel(target.gucLevel, !rollback);
        x.savepoints.length = i;
        if (rollback) {
          // ROLLBACK TO keeps the savepoint: it is started again, and the block is usable again.
          const parent = x.savepoints.at(-1)?.handle ?? x.handle;
          x.savepoints.push({ name, handle: this.tm.beginSub(parent), gucLevel: this.gucs.newNestLevel() });
          x.failed = false;
        }
        sink.commandComplete(rollback ? 'ROLLBACK' : 'RELEASE');
        return;
      }
      default:
        throw featureNotSupported(kind === 'TRANS_STMT_PREPARE' ? 'PREPARE TRANSACTION' : 'two-phase commit');
    }
  }

  private applyTransactionOptions(options: Array<Record<string, any>>): void {
    for (const o of options) {
      const d = o.DefElem;
      const c = d.arg?.A_Const;
      const value = c?.sval?.sval ?? String(c?.ival?.ival ?? 0);
      if (d.defname === 'transaction_isolation') this.gucs.set('transaction_isolation', value, 'local');
      else if (d.defname === 'transaction_read_only') this.gucs.set('transaction_read_only', value === '1' ? 'on' : 'off', 'local');
      else if (d.defname === 'transaction_deferrable') this.gucs.set('transaction_deferrable', value === '1' ? 'on' : 'off', 'local');
    }
  }

  // ---- SET / SHOW ---------------------------------------------------------------------------------

  private setValue(args: Array<Record<string, any>> | undefined): string | null {
    if (!args || args.length === 0) return null;
    return args.map((a) => {
      const c = a.A_Const;
      if (!c) throw featureNotSupported('this kind of SET value');
      if (c.sval) return c.sval.sval ?? '';
      if (c.ival) return String(c.ival.ival ?? 0);
      if (c.fval) return c.fval.fval;
      if (c.boolval) return c.boolval.boolval ? 'true' : 'false';
      if (c.isnull) return '';
      return '0';
    }).join(', ');
  }

  private setStmt(n: Record<string, any>, sink: ResultSink): void {
    const x = this.xact!;
    const inBlock = x.explicit || x.multi;
    const local = !!n.is_local;
    if (local && !inBlock) this.warn(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'SET LOCAL can only be used in transaction blocks', sink);
    const name = n.name as string | undefined;
    switch (n.kind as string) {
      case 'VAR_SET_VALUE':
        this.gucs.set(name!, this.setValue(n.args), local ? 'local' : 'set');
        break;
      case 'VAR_SET_DEFAULT':
        this.gucs.set(name!, null, local ? 'local' : 'set');
        break;
      case 'VAR_RESET':
        this.gucs.reset(name!);
        sink.commandComplete('RESET');
        return;
      case 'VAR_RESET_ALL':
        this.gucs.resetAll();
        sink.commandComplete('RESET');
        return;
      case 'VAR_SET_MULTI':
        if (name === 'TRANSACTION' || name === 'SESSION CHARACTERISTICS') {
          if (name === 'TRANSACTION' && !inBlock) {
            this.warn(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'SET TRANSACTION can only be used in transaction blocks', sink);
          } else if (name === 'TRANSACTION') this.applyTransactionOptions(n.args ?? []);
          else {
            for (const o of n.args ?? []) {
              const d = o.DefElem;
              const c = d.arg?.A_Const;
              const value = c?.sval?.sval ?? String(c?.ival?.ival ?? 0);
              const target = `default_${d.defname}`;
              this.gucs.set(target, d.defname === 'transaction_isolation' ? value : value === '1' ? 'on' : 'off', 'set');
            }
          }
          break;
        }
        throw featureNotSupported(`SET ${name}`);
      default:
        throw featureNotSupported('SET … FROM CURRENT');
    }
    sink.commandComplete('SET');
  }

  private showRows(n: Record<string, any>, sink: ResultSink, describe: boolean, formats: (0 | 1)[]): (Uint8Array | null)[][] {
    const name = n.name as string;
    if (name.toLowerCase() === 'all') {
      if (describe) sink.rowDescription(['name', 'setting', 'description'].map((c, i) => textField(c, (formats.length === 1 ? formats[0] : formats[i]) ?? 0)));
      const all = this.gucs.list().filter((v) => !v.def.placeholder).sort((a, b) => (a.def.name.toLowerCase() < b.def.name.toLowerCase() ? -1 : 1));
      return all.map((v) => [v.def.name, this.gucs.show(v.def.name) ?? '', v.def.shortDesc].map((s) => utf8Encode(s)));
    }
    const value = this.gucs.show(name);
    const canonical = this.gucs.registry.lookup(name)?.name ?? name;
    if (describe) sink.rowDescription([textField(canonical, formats[0] ?? 0)]);
    return [[value === null ? null : utf8Encode(value)]];
  }

  private explain(n: Record<string, any>, pos: ErrorPositioner, params: Datum[]): string[] {
    void params;
    for (const o of n.options ?? []) {
      const d = o.DefElem;
      if (d.defname === 'analyze' || d.defname === 'format' && d.arg?.String?.sval !== 'text') throw featureNotSupported(`EXPLAIN option ${d.defname.toUpperCase()}`);
    }
    const inner = n.query;
    if (Object.keys(inner)[0] !== 'SelectStmt') throw featureNotSupported('EXPLAIN of this statement');
    const q = new Analyzer(pos, { types: [] }).analyzeSelect(inner.SelectStmt);
    return explainLines(planQuery(q));
  }

  // ---- extended query protocol ----------------------------------------------------------------------

  /** Parse: a named ('' = unnamed) prepared statement; `paramTypeOids` 0 means "infer". */
  parse(name: string, sql: string, paramTypeOids: number[]): void {
    this.ensureTransaction(true);
    try {
      if (name !== '' && this.prepared.has(name)) throw new PgError(SqlState.DUPLICATE_PSTATEMENT, `prepared statement "${name}" already exists`);
      const raws = parseStatements(sql);
      if (raws.length > 1) throw new PgError(SqlState.SYNTAX_ERROR, 'cannot insert multiple commands into a prepared statement');
      const raw = raws[0] ?? null;
      this.checkNotFailed(raw);
      for (const t of paramTypeOids) {
        if (t !== 0 && !typeByOid(t)) throw featureNotSupported(`parameters of type ${t}`);
      }
      const stmt: PreparedStatement = { sql, raw, paramTypes: paramTypeOids.slice(), query: null, fields: null };
      if (raw && this.kind(raw) === 'SelectStmt') {
        this.analyzeInto(stmt, new ErrorPositioner(sql, this.ioContext()));
        stmt.fields = this.fieldsFor(stmt, []);
      } else if (raw && this.kind(raw) === 'VariableShowStmt') {
        const nm = raw.stmt.VariableShowStmt.name as string;
        stmt.fields = nm.toLowerCase() === 'all' ? ['name', 'setting', 'description'].map((c) => textField(c, 0)) : [textField(this.gucs.registry.lookup(nm)?.name ?? nm, 0)];
      }
      this.prepared.set(name, stmt);
    } catch (e) {
      this.abortOnError();
      throw e;
    }
  }

  /** Bind: a portal over a prepared statement with parameter values in text (0) or binary (1) format. */
  bind(portal: string, stmtName: string, paramFormats: number[], params: (Uint8Array | null)[], resultFormats: number[]): void {
    this.ensureTransaction(true);
    try {
      const stmt = this.prepared.get(stmtName);
      if (!stmt) throw new PgError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${stmtName}" does not exist`);
      this.checkNotFailed(stmt.raw);
      if (params.length !== stmt.paramTypes.length) {
        throw new PgError(SqlState.PROTOCOL_VIOLATION, `bind message supplies ${params.length} parameters, but prepared statement "${stmtName}" requires ${stmt.paramTypes.length}`);
      }
      if (portal !== '' && this.portals.has(portal)) throw new PgError(SqlState.DUPLICATE_CURSOR, `portal "${portal}" already exists`);
      const io = this.ioContext();
      const values = params.map((p, i) => {
        if (p === null) return null;
        const impl = typeByOid(stmt.paramTypes[i]!);
        if (!impl) throw featureNotSupported(`parameters of type ${stmt.paramTypes[i]}`);
        const fmt = paramFormats.length === 1 ? paramFormats[0] : paramFormats[i] ?? 0;
        return fmt === 1 ? impl.receive(p, -1, io) : impl.input(new TextDecoder().decode(p), -1, io);
      });
      const formats = resultFormats.map((f) => (f === 1 ? 1 : 0)) as (0 | 1)[];
      this.portals.set(portal, { stmt, params: values, formats, iterator: null, ec: null, done: false, utilityRan: false });
    } catch (e) {
      this.abortOnError();
      throw e;
    }
  }

  /** Describe (statement): parameter types and result columns (null: the statement returns no rows). */
  describeStatement(name: string): { paramTypes: number[]; fields: FieldDescription[] | null } {
    const stmt = this.prepared.get(name);
    if (!stmt) throw new PgError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${name}" does not exist`);
    return { paramTypes: stmt.paramTypes.slice(), fields: stmt.fields ?? NO_RESULT };
  }

  /** Describe (portal): result columns in the portal's formats, or null. */
  describePortal(name: string): FieldDescription[] | null {
    const p = this.portals.get(name);
    if (!p) throw new PgError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
    if (!p.stmt.fields) return null;
    if (p.stmt.query) return this.fieldsFor(p.stmt, p.formats);
    return p.stmt.fields.map((f, i) => ({ ...f, format: ((p.formats.length === 1 ? p.formats[0] : p.formats[i]) ?? 0) as 0 | 1 }));
  }

  /** Execute: up to `maxRows` rows (0 = all); 'suspended' when the portal has more. */
  async execute(portal: string, maxRows: number, sink: ResultSink, signal?: AbortSignal): Promise<'complete' | 'suspended'> {
    this.ensureTransaction(true);
    try {
      const p = this.portals.get(portal);
      if (!p) throw new PgError(SqlState.INVALID_CURSOR_NAME, `portal "${portal}" does not exist`);
      if (p.done) {
        sink.commandComplete('SELECT 0');
        return 'complete';
      }
      const result = await this.runPortal(p, maxRows, sink, signal, false);
      if (result === 'complete' && p.stmt.query === null) p.done = true;
      return result;
    } catch (e) {
      this.abortOnError();
      throw e;
    }
  }

  /** Close (statement 'S' or portal 'P'); closing what does not exist is not an error. */
  close(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') this.prepared.delete(name);
    else this.portals.delete(name);
  }

  /** Sync: ends the implicit transaction of an extended-protocol batch. */
  sync(): void {
    if (this.xact && !this.xact.explicit) this.endTransaction(!this.xact.failed);
    this.portals.delete('');
  }
}

function textField(name: string, format: 0 | 1): FieldDescription {
  return { name, tableOid: 0, columnNumber: 0, typeOid: T.text, typeSize: -1, typeModifier: -1, format };
}

function encodeRow(row: Row, encoders: Array<(v: Datum) => Uint8Array>): (Uint8Array | null)[] {
  const out = new Array<Uint8Array | null>(encoders.length);
  for (let i = 0; i < encoders.length; i++) {
    const v = row[i]!;
    out[i] = v === null ? null : encoders[i]!(v);
  }
  return out;
}

function statementName(kind: string): string {
  const names: Record<string, string> = {
    InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', CreateStmt: 'CREATE TABLE', DropStmt: 'DROP',
    CopyStmt: 'COPY', PrepareStmt: 'PREPARE', ExecuteStmt: 'EXECUTE', DeallocateStmt: 'DEALLOCATE', DeclareCursorStmt: 'DECLARE CURSOR',
    FetchStmt: 'FETCH', ClosePortalStmt: 'CLOSE', ListenStmt: 'LISTEN', NotifyStmt: 'NOTIFY', DoStmt: 'DO', CallStmt: 'CALL',
    CreateFunctionStmt: 'CREATE FUNCTION', ViewStmt: 'CREATE VIEW', IndexStmt: 'CREATE INDEX', VacuumStmt: 'VACUUM', CreateRoleStmt: 'CREATE ROLE',
    GrantStmt: 'GRANT', AlterTableStmt: 'ALTER TABLE', TruncateStmt: 'TRUNCATE', CreateSchemaStmt: 'CREATE SCHEMA', LockStmt: 'LOCK',
    MergeStmt: 'MERGE', CreateTableAsStmt: 'CREATE TABLE AS', DiscardStmt: 'DISCARD', CheckPointStmt: 'CHECKPOINT',
  };
  return `statement ${names[kind] ?? kind}`;
}

