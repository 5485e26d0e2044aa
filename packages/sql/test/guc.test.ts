import { describe, expect, it } from 'vitest';
import { PgError } from '@palisade/common';
import { GucRegistry, GucSession, parseBool } from '../src/index.ts';

function session(superuser = false, reports: Array<[string, string]> = []): GucSession {
  return new GucSession(new GucRegistry(), { isSuperuser: () => superuser, onReport: (n, v) => reports.push([n, v]) });
}
function errorOf(f: () => unknown): { code: string; message: string; hint?: string; detail?: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof PgError) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.detail ? { detail: e.detail } : {}) };
    throw e;
  }
  throw new Error('expected an error');
}

describe('configuration parameters (values as PostgreSQL 15 shows them)', () => {
  it('[GUC5] SHOW prints integers with the largest exact unit and reals with %g', () => {
    const s = session();
    expect(['shared_buffers', 'work_mem', 'checkpoint_timeout', 'cpu_tuple_cost', 'autovacuum_vacuum_cost_delay', 'vacuum_cost_delay', 'log_rotation_size', 'max_wal_size', 'maintenance_work_mem', 'statement_timeout'].map((n) => s.show(n)))
      .toEqual(['128MB', '4MB', '5min', '0.01', '2ms', '0', '10MB', '1GB', '64MB', '0']);
  });

  it('[GUC2] parses units, fractions and hex into the base unit', () => {
    const s = session();
    s.newNestLevel();
    expect(s.set('work_mem', '1.5MB')).toBe('1536kB');
    expect(s.set('work_mem', '0x100')).toBe('256kB');
    expect(s.set('work_mem', '0100')).toBe('64kB'); // octal, as strtol with base 0
    const mode = s.registry.lookup('unix_socket_permissions')!;
    expect(s.registry.parse(mode, '0770')).toBe(0o770);
    expect(s.registry.show(mode, 0o770)).toBe('0770');
    expect(s.show('unix_socket_permissions')).toBe('0777');
    expect(() => s.set('work_mem', '089')).toThrow('invalid value for parameter "work_mem": "089"');
    expect(s.set('seq_page_cost', '010')).toBe('10');
    expect(s.set('work_mem', '1 GB')).toBe('1GB');
    expect(s.set('statement_timeout', '1.5s')).toBe('1500ms');
    expect(s.set('vacuum_cost_delay', '1.5ms')).toBe('1500us');
    expect(s.set('vacuum_cost_delay', '1500us')).toBe('1500us');
    expect(s.get('statement_timeout')).toBe(1500);
  });

  it('[GUC2] refuses bad values with PostgreSQL messages', () => {
    const s = session();
    expect(errorOf(() => s.set('work_mem', '1'))).toEqual({ code: '22023', message: '1 kB is outside the valid range for parameter "work_mem" (64 .. 2147483647)' });
    expect(errorOf(() => s.set('work_mem', '10 parsecs'))).toEqual({
      code: '22023', message: 'invalid value for parameter "work_mem": "10 parsecs"', hint: 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".',
    });
    expect(errorOf(() => s.set('client_min_messages', 'bogus'))).toEqual({
      code: '22023', message: 'invalid value for parameter "client_min_messages": "bogus"', hint: 'Available values: debug5, debug4, debug3, debug2, debug1, log, notice, warning, error.',
    });
    expect(errorOf(() => s.set('enable_seqscan', 'o'))).toEqual({ code: '22023', message: 'parameter "enable_seqscan" requires a Boolean value' });
    expect(errorOf(() => s.set('seq_page_cost', '-1'))).toEqual({ code: '22023', message: '-1 is outside the valid range for parameter "seq_page_cost" (0 .. 1.79769e+308)' });
    expect(errorOf(() => s.set('vacuum_cost_delay', '1000'))).toEqual({ code: '22023', message: '1000 ms is outside the valid range for parameter "vacuum_cost_delay" (0 .. 100)' });
  });

  it('[GUC1] unknown names fail; dotted custom names become placeholders', () => {
    const s = session();
    expect(errorOf(() => s.set('nosuch', '1'))).toEqual({ code: '42704', message: 'unrecognized configuration parameter "nosuch"' });
    expect(errorOf(() => s.show('app.tenant'))).toEqual({ code: '42704', message: 'unrecognized configuration parameter "app.tenant"' });
    expect(s.show('app.tenant', true)).toBeNull();
    s.set('app.tenant', 'acme');
    expect(s.show('app.tenant')).toBe('acme');
    expect(s.show('APP.TENANT')).toBe('acme');
  });

  it('[GUC8] reserved prefixes refuse placeholders', () => {
    const r = new GucRegistry();
    r.reservePrefix('sepgsql');
    const s = new GucSession(r, { isSuperuser: () => true });
    expect(errorOf(() => s.set('sepgsql.nosuch', 'on'))).toEqual({ code: '42602', message: 'invalid configuration parameter name "sepgsql.nosuch"', detail: '"sepgsql" is a reserved prefix.' });
  });

  it('[GUC3] context rules: postmaster, sighup, superuser, backend', () => {
    const user = session(false);
    expect(errorOf(() => user.set('shared_buffers', '1MB'))).toEqual({ code: '55P02', message: 'parameter "shared_buffers" cannot be changed without restarting the server' });
    expect(errorOf(() => user.set('checkpoint_timeout', '1min'))).toEqual({ code: '55P02', message: 'parameter "checkpoint_timeout" cannot be changed now' });
    expect(errorOf(() => user.set('lc_messages', 'C'))).toEqual({ code: '42501', message: 'permission denied to set parameter "lc_messages"' });
    expect(errorOf(() => user.set('server_version', '1'))).toEqual({ code: '55P02', message: 'parameter "server_version" cannot be changed' });
    expect(errorOf(() => user.set('log_connections', 'on'))).toEqual({ code: '55P02', message: 'parameter "log_connections" cannot be set after connection start' });
    const su = session(true);
    su.newNestLevel();
    expect(su.set('lc_messages', 'C')).toBe('C');
  });

  it('[GUC6] SET is undone by ROLLBACK and kept by COMMIT; SET LOCAL ends with the transaction', () => {
    const s = session();
    let lvl = s.newNestLevel();
    s.set('work_mem', '8MB');
    s.endNestLevel(lvl, false);
    expect(s.show('work_mem')).toBe('4MB');
    lvl = s.newNestLevel();
    s.set('work_mem', '8MB');
    s.endNestLevel(lvl, true);
    expect(s.show('work_mem')).toBe('8MB');
    lvl = s.newNestLevel();
    s.set('work_mem', '16MB', 'local');
    expect(s.show('work_mem')).toBe('16MB');
    s.endNestLevel(lvl, true);
    expect(s.show('work_mem')).toBe('8MB');
    lvl = s.newNestLevel();
    s.set('work_mem', '32MB');
    s.set('work_mem', '64MB', 'local');
    s.endNestLevel(lvl, true);
    expect(s.show('work_mem')).toBe('32MB');
  });

  it('[GUC7] ROLLBACK TO SAVEPOINT undoes SETs of the subtransaction only; function SET clauses are restored', () => {
    const s = session();
    const xact = s.newNestLevel();
    s.set('work_mem', '1MB');
    const sub = s.newNestLevel();
    s.set('work_mem', '2MB');
    s.endNestLevel(sub, false);
    expect(s.show('work_mem')).toBe('1MB');
    const sub2 = s.newNestLevel();
    s.set('work_mem', '3MB', 'local');
    s.endNestLevel(sub2, true); // RELEASE: SET LOCAL survives until the top-level transaction ends
    expect(s.show('work_mem')).toBe('3MB');
    const fn = s.newNestLevel();
    s.set('work_mem', '5MB', 'save');
    s.endNestLevel(fn, true);
    expect(s.show('work_mem')).toBe('3MB');
    s.endNestLevel(xact, true);
    expect(s.show('work_mem')).toBe('1MB');
  });

  it('[GUC4] RESET and SET … TO DEFAULT go back to the reset value; RESET ALL too', () => {
    const s = session();
    s.setAtStartup('application_name', 'psql');
    const lvl = s.newNestLevel();
    s.set('application_name', 'other');
    s.set('work_mem', '8MB');
    s.reset('application_name');
    expect(s.show('application_name')).toBe('psql');
    s.resetAll();
    expect(s.show('work_mem')).toBe('4MB');
    s.endNestLevel(lvl, true);
  });

  it('reports GUC_REPORT parameters when they change', () => {
    const reports: Array<[string, string]> = [];
    const s = session(false, reports);
    const lvl = s.newNestLevel();
    s.set('DateStyle', 'ISO, DMY');
    s.set('work_mem', '8MB');
    s.endNestLevel(lvl, false);
    expect(reports).toEqual([['DateStyle', 'ISO, DMY'], ['DateStyle', 'ISO, MDY']]);
  });

  it('[GUC2] parse_bool accepts PostgreSQL spellings and prefixes', () => {
    expect(['on', 'OFF', 'of', 't', 'TRUE', 'y', 'no', '1', '0', 'fal'].map(parseBool)).toEqual([true, false, false, true, true, true, false, true, false, false]);
    expect(['o', '', 'maybe', '2'].map(parseBool)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
