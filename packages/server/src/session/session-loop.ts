// The session loop (SESS rules in README.md): after authentication it reads messages and drives
// the engine's SessionBackend — simple Query, the extended protocol with PostgreSQL's error
// recovery (after an error, skip to Sync), Flush, Terminate — and enforces statement_timeout,
// cancel and idle_in_transaction_session_timeout through AbortSignals.
// Entry point: runSessionLoop.

import { PgError, SqlState, isPgError } from '@palisade/common';
import {
  bindComplete, closeComplete, commandComplete, dataRow, emptyQueryResponse, errorFieldsOf, noData, noticeResponse, parameterDescription,
  parameterStatus, parseComplete, portalSuspended, readyForQuery, rowDescription, type BackendConnection, type FrontendMessage,
} from '@palisade/protocol';
import type { QueryContext, ResultSink, SessionBackend } from './engine.ts';

/** Bytes of responses built before they are written out and the loop waits for the socket to drain. */
const RESPONSE_FLUSH_BYTES = 256 * 1024;

export const queryCanceledByUser = () => new PgError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
export const statementTimeoutError = () => new PgError(SqlState.QUERY_CANCELED, 'canceling statement due to statement timeout');
export const idleInTransactionTimeoutError = () =>
  new PgError(SqlState.IDLE_IN_TRANSACTION_SESSION_TIMEOUT, 'terminating connection due to idle-in-transaction timeout', { severity: 'FATAL' });

/** The session's control surface for the postmaster: cancel (CancelRequest) and terminate (shutdown). */
export class SessionControl {
  private running: AbortController | undefined;
  /** Set when the session must end with this FATAL error at the next opportunity. */
  fatal: PgError | undefined;
  private wakeIdle: (() => void) | undefined;

  /** Starts a statement; the signal aborts on cancel, timeout or termination. */
  beginStatement(timeoutMs: number): { ctx: QueryContext; end: () => void } {
    const controller = new AbortController();
    this.running = controller;
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(statementTimeoutError()), timeoutMs) : undefined;
    if (this.fatal) controller.abort(this.fatal);
    return {
      ctx: { signal: controller.signal },
      end: () => {
        if (timer) clearTimeout(timer);
        if (this.running === controller) this.running = undefined;
      },
    };
  }

  /** CancelRequest: aborts the running statement, if any (an idle session ignores it, as in PostgreSQL). */
  cancel(): void {
    this.running?.abort(queryCanceledByUser());
  }

  /** Ends the session with a FATAL error (shutdown, timeouts), interrupting a statement or an idle wait. */
  terminate(error: PgError): void {
    this.fatal ??= error;
    this.running?.abort(error);
    this.wakeIdle?.();
  }

  /** Waits for `p`, or until terminated / `timeoutMs` passes (0 = no timeout): 'timeout' | 'terminated' | the value. */
  async waitIdle<T>(p: Promise<T>, timeoutMs: number): Promise<{ value: T } | 'timeout' | 'terminated'> {
    if (this.fatal) return 'terminated';
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<'timeout' | 'terminated'>((resolve) => {
      this.wakeIdle = () => resolve('terminated');
      if (timeoutMs > 0) timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      return await Promise.race([p.then((value) => ({ value })), stop]);
    } finally {
      if (timer) clearTimeout(timer);
      this.wakeIdle = undefined;
    }
  }
}

export interface SessionLoopHooks {
  /** A FATAL error that ends the session is logged here. */
  logError(e: PgError): void;
}

function sinkFor(conn: BackendConnection): ResultSink {
  return {
    rowDescription: (fields) => void rowDescription(conn.writer, fields),
    dataRow: async (values) => {
      dataRow(conn.writer, values);
      if (conn.writer.sizeBytes >= RESPONSE_FLUSH_BYTES) {
        conn.flush();
        await conn.drained();
      }
    },
    commandComplete: (tag) => void commandComplete(conn.writer, tag),
    emptyQuery: () => void emptyQueryResponse(conn.writer),
    notice: (n) => void noticeResponse(conn.writer, errorFieldsOf(n)),
    parameterStatus: (name, value) => void parameterStatus(conn.writer, name, value),
  };
}

function asPgError(e: unknown): PgError {
  if (isPgError(e)) return e;
  // An engine bug must not take the server down: the session reports it as an internal error and continues.
  return new PgError(SqlState.INTERNAL_ERROR, e instanceof Error ? e.message : String(e), { cause: e });
}

/**
 * Runs the session until Terminate, disconnect or a FATAL error. Returns the FATAL error that
 * ended it (already sent to the client), or undefined for a normal end.
 */
export async function runSessionLoop(conn: BackendConnection, backend: SessionBackend, control: SessionControl, hooks: SessionLoopHooks): Promise<PgError | undefined> {
  const sink = sinkFor(conn);
  let skipUntilSync = false;
  const sendFatal = (e: PgError): PgError => {
    const fatal = e.severity === 'FATAL' ? e : e.with({ severity: 'FATAL' });
    hooks.logError(fatal);
    conn.sendError(fatal);
    conn.close();
    return fatal;
  };

  /** Runs one engine call under the statement's AbortSignal; an error in extended mode skips to Sync. */
  const run = async (extended: boolean, body: (ctx: QueryContext) => Promise<void>): Promise<PgError | undefined> => {
    const { ctx, end } = control.beginStatement(backend.timeouts().statementTimeoutMs);
    try {
      await body(ctx);
      return undefined;
    } catch (e) {
      const err = asPgError(control.fatal ?? e);
      if (err.severity === 'FATAL' || err.severity === 'PANIC') return err;
      conn.sendError(err);
      if (extended) skipUntilSync = true;
      return undefined;
    } finally {
      end();
    }
  };

  for (;;) {
    if (control.fatal) return sendFatal(control.fatal);
    const status = backend.transactionStatus();
    const idleTimeoutMs = status === 'I' ? 0 : backend.timeouts().idleInTransactionSessionTimeoutMs;
    let item;
    try {
      const waited = await control.waitIdle(conn.next(), idleTimeoutMs);
      if (waited === 'terminated') return sendFatal(control.fatal!);
      if (waited === 'timeout') return sendFatal(idleInTransactionTimeoutError());
      item = waited.value;
    } catch (e) {
      // Protocol violation (08P01): FATAL for this connection only.
      return sendFatal(asPgError(e));
    }
    if (item === undefined) return undefined;
    if (item.kind === 'startup') return sendFatal(new PgError(SqlState.PROTOCOL_VIOLATION, 'unexpected startup packet after startup', { severity: 'FATAL' }));
    const m: FrontendMessage = item.message;
    if (skipUntilSync && m.type !== 'Sync' && m.type !== 'Terminate') continue;
    let fatal: PgError | undefined;
    switch (m.type) {
      case 'Query':
        skipUntilSync = false;
        fatal = await run(false, async (ctx) => {
          if (m.sql.trim() === '') sink.emptyQuery();
          else await backend.simpleQuery(m.sql, sink, ctx);
        });
        if (!fatal) readyForQuery(conn.writer, backend.transactionStatus());
        break;
      case 'Parse':
        fatal = await run(true, async (ctx) => {
          await backend.parse(m.statement, m.sql, m.paramTypes, ctx);
          parseComplete(conn.writer);
        });
        break;
      case 'Bind':
        fatal = await run(true, async (ctx) => {
          await backend.bind(m.portal, m.statement, m.params, m.paramFormats, m.resultFormats, ctx);
          bindComplete(conn.writer);
        });
        break;
      case 'Describe':
        fatal = await run(true, async () => {
          if (m.target === 'statement') {
            const d = await backend.describeStatement(m.name);
            parameterDescription(conn.writer, d.paramTypes);
            if (d.fields) rowDescription(conn.writer, d.fields);
            else noData(conn.writer);
          } else {
            const fields = await backend.describePortal(m.name);
            if (fields) rowDescription(conn.writer, fields);
            else noData(conn.writer);
          }
        });
        break;
      case 'Execute':
        fatal = await run(true, async (ctx) => {
          if ((await backend.execute(m.portal, m.maxRows, sink, ctx)) === 'suspended') portalSuspended(conn.writer);
        });
        break;
      case 'Close':
        fatal = await run(true, async () => {
          await backend.close(m.target, m.name);
          closeComplete(conn.writer);
        });
        break;
      case 'Sync':
        skipUntilSync = false;
        fatal = await run(false, () => backend.sync());
        if (!fatal) readyForQuery(conn.writer, backend.transactionStatus());
        break;
      case 'Flush':
        break;
      case 'Terminate':
        conn.close();
        return undefined;
      case 'CopyData':
      case 'CopyDone':
      case 'CopyFail':
        // Outside COPY these are ignored, as the protocol specifies (a COPY may have failed already).
        continue;
      case 'FunctionCall':
        fatal = await run(false, async () => {
          throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'the function call protocol is not supported');
        });
        if (!fatal) readyForQuery(conn.writer, backend.transactionStatus());
        break;
      case 'AuthResponse':
        return sendFatal(new PgError(SqlState.PROTOCOL_VIOLATION, 'invalid frontend message type 112', { severity: 'FATAL' }));
    }
    if (fatal) return sendFatal(fatal);
    // Responses are written at ReadyForQuery and Flush, and when the batch is large; pipelined
    // extended-protocol messages are answered together at Sync.
    if (m.type === 'Query' || m.type === 'Sync' || m.type === 'Flush' || m.type === 'FunctionCall' || conn.writer.sizeBytes >= RESPONSE_FLUSH_BYTES) {
      conn.flush();
      await conn.drained();
    }
  }
}
