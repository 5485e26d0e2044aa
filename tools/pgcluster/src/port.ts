// Free TCP port discovery on loopback. The port can be taken between this call and the server's
// bind(); startPostgres() therefore retries with a new port when the bind fails (PGC2).

import { createServer } from 'node:net';

/** A TCP port that is free on 127.0.0.1 right now (the kernel's choice of an ephemeral port). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('pgcluster: could not determine a free port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
