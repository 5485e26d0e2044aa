// Server log lines in PostgreSQL's formats: stderr lines prefixed by log_line_prefix, and
// jsonlog objects. The message fields follow PostgreSQL (severity, SQLSTATE, DETAIL, HINT,
// CONTEXT, STATEMENT lines); see README.md LOG2–LOG5.

/** What a log record says. */
export interface LogRecord {
  severity: 'DEBUG5' | 'DEBUG4' | 'DEBUG3' | 'DEBUG2' | 'DEBUG1' | 'LOG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'FATAL' | 'PANIC';
  message: string;
  sqlState?: string;
  detail?: string;
  hint?: string;
  context?: string;
  /** The statement that caused the message (already redacted). */
  statement?: string;
  timeMs: number;
}

/** Who logs it: the session or background process. */
export interface LogSource {
  pid: number;
  backendType: string;
  /** Present for client sessions (PostgreSQL's %q stops the prefix where these are absent). */
  session?: {
    user?: string;
    database?: string;
    application?: string;
    remoteHost?: string;
    remotePort?: number;
    startMs: number;
    lineNumber: number;
    commandTag?: string;
    vxid?: string;
    xid?: bigint;
    queryId?: bigint;
  };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** PostgreSQL's log timestamp: `2026-11-23 16:43:56.026 UTC` (%m) or without milliseconds (%t), in UTC. */
export function logTimestamp(ms: number, withMillis: boolean): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return withMillis ? `${base}.${String(d.getUTCMilliseconds()).padStart(3, '0')} UTC` : `${base} UTC`;
}

/** PostgreSQL's session id: hex start time (seconds) and hex pid, e.g. `6565f1c2.2a3f`. */
export function sessionId(startMs: number, pid: number): string {
  return `${Math.floor(startMs / 1000).toString(16)}.${pid.toString(16)}`;
}

/** LOG2: expands log_line_prefix escapes (%a %u %d %r %h %b %p %t %m %n %i %e %c %l %s %v %x %q %Q %%, with padding like %-10u). */
export function formatPrefix(prefix: string, rec: LogRecord, src: LogSource): string {
  let out = '';
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i]!;
    if (c !== '%' || i + 1 >= prefix.length) {
      out += c;
      continue;
    }
    let j = i + 1;
    let padText = '';
    while (j < prefix.length && /[-0-9]/.test(prefix[j]!)) padText += prefix[j++];
    const code = prefix[j];
    i = j;
    const s = src.session;
    let v: string;
    switch (code) {
      case 'a': v = s?.application ?? ''; break;
      case 'u': v = s?.user ?? ''; break;
      case 'd': v = s?.database ?? ''; break;
      case 'r': v = s?.remoteHost ? (s.remotePort !== undefined ? `${s.remoteHost}(${s.remotePort})` : s.remoteHost) : ''; break;
      case 'h': v = s?.remoteHost ?? ''; break;
      case 'b': v = src.backendType; break;
      case 'p': v = String(src.pid); break;
      case 'P': v = ''; break;
      case 't': v = logTimestamp(rec.timeMs, false); break;
      case 'm': v = logTimestamp(rec.timeMs, true); break;
      case 'n': v = (rec.timeMs / 1000).toFixed(3); break;
      case 'i': v = s?.commandTag ?? ''; break;
      case 'e': v = rec.sqlState ?? '00000'; break;
      case 'c': v = sessionId(s?.startMs ?? rec.timeMs, src.pid); break;
      case 'l': v = String(s?.lineNumber ?? 0); break;
      case 's': v = s ? logTimestamp(s.startMs, false) : ''; break;
      case 'v': v = s?.vxid ?? ''; break;
      case 'x': v = String(s?.xid ?? 0n); break;
      case 'Q': v = String(s?.queryId ?? 0n); break;
      case 'q':
        if (!s) return out;
        continue;
      case '%': v = '%'; break;
      default:
        // Unknown escapes are dropped, as PostgreSQL does.
        continue;
    }
    const width = padText === '' || padText === '-' ? 0 : Number.parseInt(padText, 10);
    out += width > 0 ? v.padStart(width) : width < 0 ? v.padEnd(-width) : v;
  }
  return out;
}

/**
 * LOG3: the stderr form — the message line and its DETAIL / HINT / CONTEXT / STATEMENT lines,
 * each with the prefix, severity followed by a colon and two spaces.
 */
export function formatStderr(prefix: string, rec: LogRecord, src: LogSource): string {
  const p = formatPrefix(prefix, rec, src);
  let out = `${p}${rec.severity}:  ${rec.message}\n`;
  if (rec.detail !== undefined) out += `${p}DETAIL:  ${rec.detail}\n`;
  if (rec.hint !== undefined) out += `${p}HINT:  ${rec.hint}\n`;
  if (rec.context !== undefined) out += `${p}CONTEXT:  ${rec.context}\n`;
  if (rec.statement !== undefined) out += `${p}STATEMENT:  ${rec.statement}\n`;
  return out;
}

/** LOG4: the jsonlog form — one JSON object per line with PostgreSQL 15's keys, absent fields omitted. */
export function formatJson(rec: LogRecord, src: LogSource): string {
  const s = src.session;
  const o: Record<string, unknown> = { timestamp: logTimestamp(rec.timeMs, true) };
  if (s?.user !== undefined) o.user = s.user;
  if (s?.database !== undefined) o.dbname = s.database;
  o.pid = src.pid;
  if (s?.remoteHost !== undefined) o.remote_host = s.remoteHost;
  if (s?.remotePort !== undefined) o.remote_port = s.remotePort;
  o.session_id = sessionId(s?.startMs ?? rec.timeMs, src.pid);
  o.line_num = s?.lineNumber ?? 0;
  if (s?.commandTag !== undefined) o.ps = s.commandTag;
  if (s) o.session_start = logTimestamp(s.startMs, false);
  if (s?.vxid !== undefined) o.vxid = s.vxid;
  if (s?.xid !== undefined) o.txid = Number(s.xid);
  o.error_severity = rec.severity;
  if (rec.sqlState !== undefined) o.state_code = rec.sqlState;
  o.message = rec.message;
  if (rec.detail !== undefined) o.detail = rec.detail;
  if (rec.hint !== undefined) o.hint = rec.hint;
  if (rec.context !== undefined) o.context = rec.context;
  if (rec.statement !== undefined) o.statement = rec.statement;
  if (s?.application !== undefined) o.application_name = s.application;
  o.backend_type = src.backendType;
  o.query_id = Number(s?.queryId ?? 0n);
  return `${JSON.stringify(o)}\n`;
}

/** Severity order for log_min_messages / client_min_messages comparisons. */
const ORDER = ['DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'LOG', 'FATAL', 'PANIC'] as const;

/** LOG5: whether a record of `severity` goes to the server log under `log_min_messages` (where LOG ranks above ERROR, as in PostgreSQL). */
export function isLogged(severity: LogRecord['severity'], logMinMessages: string): boolean {
  const min = logMinMessages.toUpperCase();
  const rank = (x: string) => ORDER.indexOf(x as (typeof ORDER)[number]);
  if (rank(min) < 0) return true;
  return rank(severity) >= rank(min);
}
