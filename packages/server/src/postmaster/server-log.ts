// The server log: records formatted by src/log (log_line_prefix, stderr format) and written to a
// sink. Severity filtering follows log_min_messages (LOG ranks above ERROR, LOG5).
// Entry point: ServerLog.

import type { PgError } from '@palisade/common';
import { formatStderr, isLogged, type LogRecord, type LogSource } from '../log/format.ts';

/** Where log lines go (one call per line, without the trailing newline). */
export type LogSink = (line: string) => void;

export type LogSeverity = LogRecord['severity'];

/** Session facts that the prefix escapes (%u %d %a %r …) show. */
export type LogSession = NonNullable<LogSource['session']>;

export class ServerLog {
  constructor(
    private readonly sink: LogSink,
    private prefix: () => string,
    private minMessages: () => string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Writes one record; `source` says which process (backend, postmaster) it comes from. */
  write(source: LogSource, severity: LogSeverity, message: string, fields: { sqlState?: string; detail?: string; hint?: string; context?: string } = {}): void {
    if (!isLogged(severity, this.minMessages())) return;
    // PostgreSQL's append_with_tabs: continuation lines of a multi-line field start with a tab.
    const tabbed = (t: string) => t.replaceAll('\n', '\n\t');
    const record: LogRecord = { severity, message: tabbed(message), timeMs: this.nowMs() };
    if (fields.sqlState !== undefined) record.sqlState = fields.sqlState;
    if (fields.detail !== undefined) record.detail = tabbed(fields.detail);
    if (fields.hint !== undefined) record.hint = tabbed(fields.hint);
    if (fields.context !== undefined) record.context = tabbed(fields.context);
    if (source.session) source.session.lineNumber++;
    // formatStderr ends with a newline per line; the sink gets lines.
    for (const line of formatStderr(this.prefix(), record, source).split('\n')) if (line !== '') this.sink(line);
  }

  /** Logs a PgError with its SQLSTATE and DETAIL/HINT. */
  error(source: LogSource, e: PgError, extra: { detail?: string } = {}): void {
    const severity: LogSeverity = e.severity === 'FATAL' || e.severity === 'PANIC' || e.severity === 'ERROR' || e.severity === 'WARNING' || e.severity === 'NOTICE' || e.severity === 'LOG' || e.severity === 'INFO' ? e.severity : 'ERROR';
    this.write(source, severity, e.message, {
      sqlState: e.code,
      ...(extra.detail ?? e.detail ? { detail: extra.detail ?? e.detail } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
      ...(e.where ? { context: e.where } : {}),
    });
  }
}
