import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, formatSetting, liveClusterCount, postgresBinDir, startPostgres, type RunningCluster } from '../src/index.ts';
import { isAlive } from '../src/proc.ts';

async function query(connectionString: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await sleep(50);
  }
  return predicate();
}

describe('pgcluster', () => {
  let cluster: RunningCluster;

  beforeAll(async () => {
    cluster = await startPostgres({ settings: { shared_buffers: '16MB', application_name: "it's quoted", log_checkpoints: true } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('finds the PostgreSQL 15 binaries', () => {
    expect(existsSync(join(postgresBinDir(), 'postgres'))).toBe(true);
    expect(cluster.version).toMatch(/^15\.\d+$/);
  });

  it('[PGC1] starts a server that pg can connect to, listening on 127.0.0.1 only', async () => {
    expect(cluster.kind).toBe('postgres');
    expect(cluster.host).toBe('127.0.0.1');
    const rows = await query(cluster.connectionString(), "SELECT current_setting('listen_addresses') AS listen, current_setting('server_version') AS version, current_user AS usr, current_database() AS db");
    expect(rows).toEqual([{ listen: '127.0.0.1', version: expect.stringMatching(/^15\./), usr: 'postgres', db: 'postgres' }]);
  });

  it('[PGC3] has a private Unix socket directory in its temp directory', async () => {
    expect(existsSync(join(cluster.socketDir, `.s.PGSQL.${cluster.port}`))).toBe(true);
    const client = new pg.Client({ host: cluster.socketDir, port: cluster.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    const rows = (await client.query("SELECT current_setting('unix_socket_directories') AS dirs")).rows;
    await client.end();
    expect(rows).toEqual([{ dirs: cluster.socketDir }]);
  });

  it('applies settings from the options, quoted as postgresql.conf requires', async () => {
    const rows = await query(cluster.connectionString(), "SELECT current_setting('shared_buffers') AS sb, current_setting('application_name') AS app, current_setting('log_checkpoints') AS lc");
    expect(rows).toEqual([{ sb: '16MB', app: "it's quoted", lc: 'on' }]);
  });

  it('[PGC4] the pid is the postmaster, running as the postgres OS user when we are root', () => {
    const comm = readFileSync(`/proc/${cluster.pid}/comm`, 'utf8').trim();
    expect(comm).toBe('postgres');
    const status = readFileSync(`/proc/${cluster.pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (process.getuid?.() === 0) expect(uid).not.toBe(0);
    else expect(uid).toBe(process.getuid?.());
  });

  it('[PGC8] reports the RSS of the postmaster and its children', async () => {
    expect(await cluster.rssBytes()).toBeGreaterThan(1024 * 1024);
  });

  it('exposes the server log', async () => {
    expect(await cluster.log()).toContain('database system is ready to accept connections');
  });

  it('builds connection strings for other roles and databases', () => {
    expect(cluster.connectionString({ user: 'al ice', database: 'db/1', password: 'p@ss' }))
      .toBe(`postgresql://al%20ice:p%40ss@127.0.0.1:${cluster.port}/db%2F1`);
  });
});

// Each test starts its own servers; on a loaded machine initdb alone can take many seconds.
describe('pgcluster lifecycle', { timeout: 180_000 }, () => {
  it('[PGC7] stop() stops by PID, waits for every process, and removes the temp directory', async () => {
    const before = liveClusterCount();
    const cluster = await startPostgres();
    expect(liveClusterCount()).toBe(before + 1);
    const pid = cluster.pid;
    await query(cluster.connectionString(), 'SELECT 1');
    await cluster.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(cluster.dataDir)).toBe(false);
    expect(liveClusterCount()).toBe(before);
    await cluster.stop(); // idempotent
    expect(existsSync(cluster.dataDir)).toBe(false);
  });

  it('[PGC7] kill() crashes the server; restart() recovers committed data from WAL', async () => {
    const cluster = await startPostgres();
    try {
      await query(cluster.connectionString(), 'CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)');
      const oldPid = cluster.pid;
      await cluster.kill();
      expect(isAlive(oldPid)).toBe(false);
      await expect(query(cluster.connectionString(), 'SELECT 1')).rejects.toThrow();
      await cluster.restart();
      expect(cluster.pid).not.toBe(oldPid);
      expect(await query(cluster.connectionString(), 'SELECT count(*)::int AS n FROM t')).toEqual([{ n: 100 }]);
      expect(await cluster.log()).toMatch(/was interrupted|not properly shut down/);
    } finally {
      await cluster.stop();
    }
  });

  it('[PGC2] restart() moves to a new free port when the old one has been taken', async () => {
    const cluster = await startPostgres();
    let squatter: Server | undefined;
    try {
      const oldPort = cluster.port;
      await cluster.stop({ keep: true });
      expect(existsSync(cluster.dataDir)).toBe(true);
      squatter = createServer();
      await new Promise<void>((resolve) => squatter!.listen({ host: '127.0.0.1', port: oldPort }, resolve));
      await cluster.restart();
      expect(cluster.port).not.toBe(oldPort);
      expect(await query(cluster.connectionString(), 'SELECT 2 AS x')).toEqual([{ x: 2 }]);
    } finally {
      squatter?.close();
      await cluster.stop();
    }
  });

  it('initdb options and a superuser password: scram-sha-256 with data checksums', async () => {
    const cluster = await startPostgres({
      superuser: 'boss',
      superuserPassword: "s3cret'pw",
      initdbArgs: ['--auth=scram-sha-256', '--data-checksums'],
    });
    try {
      expect(cluster.connectionString()).toContain("boss:s3cret'pw@");
      expect(await query(cluster.connectionString(), "SELECT current_user AS u, current_setting('data_checksums') AS c")).toEqual([{ u: 'boss', c: 'on' }]);
      await expect(query(cluster.connectionString({ user: 'boss', password: 'wrong' }), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await cluster.stop();
    }
  });

  it('a custom pg_hba.conf replaces the default', async () => {
    const cluster = await startPostgres({ hba: 'local all all trust\nhost all all 127.0.0.1/32 reject\n' });
    try {
      await expect(query(cluster.connectionString(), 'SELECT 1')).rejects.toMatchObject({ code: '28000' });
      const client = new pg.Client({ host: cluster.socketDir, port: cluster.port, user: 'postgres', database: 'postgres' });
      await client.connect();
      expect((await client.query('SELECT 3 AS x')).rows).toEqual([{ x: 3 }]);
      await client.end();
    } finally {
      await cluster.stop();
    }
  });

  it('[PGC1] refuses to let settings override the harness-managed listen_addresses and port', async () => {
    await expect(startPostgres({ settings: { listen_addresses: '*' } })).rejects.toThrow(/managed by the harness/);
    await expect(startPostgres({ settings: { port: 5432 } })).rejects.toThrow(/managed by the harness/);
  });

  it('[PGC9] clusters with the same initdb options are copied from one template; initdbCache: false runs initdb', async () => {
    const sysid = async (c: RunningCluster): Promise<unknown> => (await query(c.connectionString(), 'SELECT system_identifier::text AS id FROM pg_control_system()'))[0]!['id'];
    const [one, two, fresh] = await Promise.all([
      startPostgres({ initdbArgs: ['--data-checksums'] }),
      startPostgres({ initdbArgs: ['--data-checksums'] }),
      startPostgres({ initdbArgs: ['--data-checksums'], initdbCache: false }),
    ]);
    try {
      expect(await sysid(one)).toBe(await sysid(two));
      expect(await sysid(fresh)).not.toBe(await sysid(one));
      expect(await query(two.connectionString(), "SELECT current_setting('data_checksums') AS c")).toEqual([{ c: 'on' }]);
    } finally {
      await Promise.all([one.stop(), two.stop(), fresh.stop()]);
    }
  });

  it('[PGC3] a server that fails to start reports its log and leaves no directory behind', async () => {
    const error = await startPostgres({ settings: { shared_buffers: 'lots' } }).then(() => undefined, (err: unknown) => err as Error);
    expect(error?.message).toMatch(/PostgreSQL did not start \(data directory .*\)/);
    expect(error?.message).toContain('invalid value for parameter "shared_buffers": "lots"');
    const dataDir = /data directory (\S+)\)/.exec(error!.message)![1]!;
    expect(existsSync(dataDir)).toBe(false);
  });

  it('formats setting values in postgresql.conf syntax', () => {
    expect(formatSetting(true)).toBe('on');
    expect(formatSetting(false)).toBe('off');
    expect(formatSetting(42)).toBe('42');
    expect(formatSetting("a'b\\c")).toBe("'a''b\\\\c'");
  });

  it('findFreePort returns a port that can be bound on loopback', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, resolve);
    });
    server.close();
  });
});

// The three children are independent processes: run them at once.
describe.concurrent('[PGC5] nothing outlives the process that started it', { timeout: 180_000 }, () => {
  const scriptDir = mkdtempSync(join(tmpdir(), 'pgcluster-test-'));
  const indexPath = join(import.meta.dirname, '..', 'src', 'index.ts');
  afterAll(() => rmSync(scriptDir, { recursive: true, force: true }));

  /** Runs a child node process that starts a cluster and prints "pid dataDir", then does `ending`. */
  function runChild(ending: string): Promise<{ pid: number; dataDir: string; exit: Promise<void>; childPid: number }> {
    const script = join(scriptDir, `child-${Math.random().toString(36).slice(2)}.mts`);
    writeFileSync(script, [
      `import { startPostgres } from ${JSON.stringify(indexPath)};`,
      'const c = await startPostgres();',
      'process.stdout.write(`${c.pid} ${c.dataDir}\\n`);',
      ending,
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: join(import.meta.dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /^(\d+) (\S+)\n/.exec(out);
        if (line) resolve({ pid: Number(line[1]), dataDir: line[2]!, exit, childPid: child.pid! });
      });
      void exit.then(() => reject(new Error(`child exited before starting a cluster: ${err}`)));
    });
  }

  it('kills and removes its clusters when the process exits without stopping them', async ({ expect }) => {
    const { pid, dataDir, exit } = await runChild('process.exit(0);');
    await exit;
    expect(await waitUntil(() => !isAlive(pid), 10_000)).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('kills them on SIGTERM', async ({ expect }) => {
    const { pid, dataDir, exit, childPid } = await runChild('setInterval(() => {}, 1000);');
    process.kill(childPid, 'SIGTERM');
    await exit;
    expect(await waitUntil(() => !isAlive(pid), 10_000)).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('the watchdog kills them even when the process is SIGKILLed', async ({ expect }) => {
    const { pid, dataDir, exit, childPid } = await runChild('setInterval(() => {}, 1000);');
    process.kill(childPid, 'SIGKILL');
    await exit;
    expect(await waitUntil(() => !isAlive(pid) && !existsSync(dataDir), 20_000)).toBe(true);
  });
});
