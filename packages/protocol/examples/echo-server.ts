// A PostgreSQL-speaking echo server in ~60 lines: every simple query returns one row whose
// single text column is the query text. It shows the whole life of a connection with
// @palisade/protocol — SSL refusal, startup, authentication, queries, errors, termination.
// It accepts anyone (no authentication), so it listens on loopback only.

import { createServer, type Server } from 'node:net';
import { featureNotSupported } from '@palisade/common';
import {
  BackendConnection, authenticationOk, backendKeyData, commandComplete, dataRow, emptyQueryResponse, parameterStatus,
  readyForQuery, rowDescription,
} from '@palisade/protocol';

const TEXT_OID = 25;

async function serve(conn: BackendConnection, processId: number): Promise<void> {
  const w = conn.writer;
  for (;;) {
    const item = await conn.next();
    if (!item) return;
    if (item.kind === 'startup') {
      const p = item.packet;
      if (p.kind === 'ssl-request' || p.kind === 'gssenc-request') {
        conn.refuseEncryption();
        continue;
      }
      if (p.kind === 'cancel-request') return conn.close();
      authenticationOk(w);
      parameterStatus(w, 'server_version', '15.0 (echo)');
      parameterStatus(w, 'client_encoding', 'UTF8');
      parameterStatus(w, 'integer_datetimes', 'on');
      backendKeyData(w, processId, 0);
      readyForQuery(w, 'I');
      conn.flush();
      continue;
    }
    const m = item.message;
    if (m.type === 'Terminate') return conn.close();
    if (m.type === 'Query') {
      if (m.sql.trim() === '') emptyQueryResponse(w);
      else {
        rowDescription(w, [{ name: 'echo', tableOid: 0, columnNumber: 0, typeOid: TEXT_OID, typeSize: -1, typeModifier: -1, format: 0 }]);
        dataRow(w, [new TextEncoder().encode(m.sql)]);
        commandComplete(w, 'SELECT 1');
      }
      readyForQuery(w, 'I');
      conn.flush();
    } else if (m.type === 'Sync') {
      readyForQuery(w, 'I');
      conn.flush();
    } else if (m.type !== 'Flush') {
      conn.sendError(featureNotSupported(`${m.type} messages in the echo server`));
    }
  }
}

/** Starts the echo server on 127.0.0.1 and a free port. */
export async function startEchoServer(): Promise<{ server: Server; port: number }> {
  let nextPid = 1;
  const server = createServer((socket) => {
    const conn = new BackendConnection(socket);
    serve(conn, nextPid++).catch((e) => {
      if (e && typeof e === 'object' && 'code' in e) conn.sendError(e as never);
      conn.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}
