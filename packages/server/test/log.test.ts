import { beforeAll, describe, expect, it } from 'vitest';
import { formatJson, formatPrefix, formatStderr, isLogged, prepareRedaction, redactPasswords, type LogRecord, type LogSource } from '../src/index.ts';

beforeAll(async () => prepareRedaction());

const rec: LogRecord = { severity: 'ERROR', message: 'relation "t" does not exist', sqlState: '42P01', timeMs: Date.UTC(2026, 10, 23, 16, 43, 56, 26), statement: 'select * from t' };
const session: LogSource = {
  pid: 28847, backendType: 'client backend',
  session: { user: 'alice', database: 'app', application: 'psql', remoteHost: '127.0.0.1', remotePort: 51234, startMs: Date.UTC(2026, 10, 23, 16, 40, 0), lineNumber: 3, commandTag: 'SELECT' },
};
const background: LogSource = { pid: 99, backendType: 'checkpointer' };

describe('log lines (PostgreSQL formats)', () => {
  it('[LOG2] expands log_line_prefix escapes, padding and %q', () => {
    expect(formatPrefix('%m [%p] ', rec, session)).toBe('2026-11-23 16:43:56.026 UTC [28847] ');
    expect(formatPrefix('%t %u@%d %a %r %h %e %l %i %%', rec, session)).toBe('2026-11-23 16:43:56 UTC alice@app psql 127.0.0.1(51234) 127.0.0.1 42P01 3 SELECT %');
    expect(formatPrefix('[%-8u|%8d]', rec, session)).toBe('[alice   |     app]');
    expect(formatPrefix('%p %q%u@%d ', rec, background)).toBe('99 ');
    expect(formatPrefix('%c', rec, session)).toBe(`${Math.floor(session.session!.startMs / 1000).toString(16)}.${(28847).toString(16)}`);
  });

  it('[LOG3] stderr lines carry severity, two spaces, and DETAIL/HINT/STATEMENT lines with the prefix', () => {
    expect(formatStderr('%m [%p] ', { ...rec, hint: 'Check the name.' }, session)).toBe(
      '2026-11-23 16:43:56.026 UTC [28847] ERROR:  relation "t" does not exist\n' +
        '2026-11-23 16:43:56.026 UTC [28847] HINT:  Check the name.\n' +
        '2026-11-23 16:43:56.026 UTC [28847] STATEMENT:  select * from t\n',
    );
  });

  it('[LOG4] jsonlog objects use PostgreSQL 15 keys', () => {
    const o = JSON.parse(formatJson(rec, session));
    expect(o).toMatchObject({ timestamp: '2026-11-23 16:43:56.026 UTC', user: 'alice', dbname: 'app', pid: 28847, remote_host: '127.0.0.1', remote_port: 51234, line_num: 3, error_severity: 'ERROR', state_code: '42P01', message: rec.message, statement: rec.statement, application_name: 'psql', backend_type: 'client backend' });
  });

  it('[LOG5] log_min_messages ranks LOG above ERROR', () => {
    expect(isLogged('LOG', 'error')).toBe(true);
    expect(isLogged('NOTICE', 'warning')).toBe(false);
    expect(isLogged('ERROR', 'warning')).toBe(true);
    expect(isLogged('DEBUG1', 'warning')).toBe(false);
  });

  it('[LOG1] passwords never reach a log line', () => {
    expect(redactPasswords("ALTER ROLE bob WITH PASSWORD 'se''cret' VALID UNTIL '2030-01-01'")).toBe("ALTER ROLE bob WITH PASSWORD '********' VALID UNTIL '2030-01-01'");
    expect(redactPasswords('create user a encrypted password $$x$$; select 1')).toBe("create user a encrypted password '********'; select 1");
    expect(redactPasswords("select 'password', 1")).toBe("select 'password', 1");
    expect(redactPasswords("alter role x password 'unterminated")).toBe("alter role x password '********'");
    expect(redactPasswords('select 1')).toBe('select 1');
  });
});
