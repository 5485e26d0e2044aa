// An embedded Palisade server with the smallest possible engine: one role, one database, and
// sessions that answer `SELECT 1` and nothing else. It shows the EngineBackend port that a real
// SQL engine implements; run it with `npx tsx examples/embedded-server.ts <data directory>`
// (the directory needs a pg_hba.conf and mode 0700), then `psql -h 127.0.0.1 -p 5433 -U app`.

import { PgError, SqlState } from '@palisade/common';
import { scramVerifier } from '@palisade/auth';
import { startPostmaster, type EngineBackend, type RoleRecord, type SessionBackend } from '@palisade/server';

const app: RoleRecord = {
  rolname: 'app', oid: 16384, rolpassword: scramVerifier('app-password'), rolcanlogin: true, rolsuper: false, rolreplication: false,
  rolvaliduntil: null, rolconnlimit: -1, memberships: [],
};

const unsupported = () => new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'this example only answers SELECT 1');

function selectOneSession(): SessionBackend {
  return {
    transactionStatus: () => 'I',
    timeouts: () => ({ statementTimeoutMs: 0, idleInTransactionSessionTimeoutMs: 0 }),
    async simpleQuery(sql, sink) {
      if (sql.trim().replace(/;$/, '').toLowerCase() !== 'select 1') throw unsupported();
      sink.rowDescription([{ name: '?column?', tableOid: 0, columnNumber: 0, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 }]);
      await sink.dataRow([new TextEncoder().encode('1')]);
      sink.commandComplete('SELECT 1');
    },
    parse: async () => { throw unsupported(); },
    bind: async () => { throw unsupported(); },
    describeStatement: async () => { throw unsupported(); },
    describePortal: async () => { throw unsupported(); },
    execute: async () => { throw unsupported(); },
    close: async () => undefined,
    sync: async () => undefined,
    end: async () => undefined,
  };
}

/** The example's engine: exported so that the package's tests run it. */
export const exampleEngine: EngineBackend = {
  lookupRole: (name) => (name === 'app' ? app : undefined),
  databaseExists: (name) => name === 'app',
  canConnect: () => true,
  mockAuthenticationNonce: () => new TextEncoder().encode('replace with 32 random bytes kept with the cluster'),
  openSession: async () => selectOneSession(),
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const dataDir = process.argv[2] ?? 'data';
  const pm = await startPostmaster({ dataDir, engine: exampleEngine, settings: { port: 5433, unix_socket_directories: '' } });
  process.on('SIGINT', () => void pm.stop('fast').then(() => process.exit(0)));
  process.on('SIGHUP', () => void pm.reload());
}
