// Running a corpus file on one target: a fresh database, named sessions interleaved in file
// order, async statements for lock waits, and clean-up of the roles and databases the file
// created (DT5, DT6, DT7). Entry point: runFileOnTarget().

import { ConnectRefusedError, type DiffClient, type ErrorRecord, type StatementResult, type Target } from './target.ts';
import { DEFAULT_SESSION, type Step } from './corpus.ts';

/** What one step produced on one target. Session and await steps produce nothing unless the harness failed. */
export interface StepRecord {
  /** Statement steps: the server's answer. */
  result?: StatementResult;
  /** Connect steps: null when the session opened, else the server's refusal. */
  connectError?: ErrorRecord | null;
  /** The harness could not do the step (no such session, timeout, connection lost). */
  harness?: string;
}

/** Timeouts of the runner. */
export interface RunnerTimeouts {
  /** A synchronous statement is cancelled after this long. Default 30000. */
  statementTimeoutMs: number;
  /** `@await` cancels the pending statement after this long. Default 10000. */
  awaitTimeoutMs: number;
  /** After `@async`, the runner waits at most this long for the statement to block or finish. Default 3000. */
  asyncSettleMs: number;
}

export const DEFAULT_TIMEOUTS: RunnerTimeouts = { statementTimeoutMs: 30_000, awaitTimeoutMs: 10_000, asyncSettleMs: 3_000 };

const CANCEL_GRACE_MS = 5_000;
/** Sessions open at once in one file, the default one included. */
export const SESSIONS_MAX = 32;
const SETTLE_POLL_MS = 10;

interface Pending {
  readonly stepIndex: number;
  readonly promise: Promise<void>;
  settled: boolean;
}

interface Session {
  readonly client: DiffClient;
  pending: Pending | undefined;
}

/** Double-quotes an identifier for SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when `promise` settles within `ms`, false otherwise (the promise keeps running). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs admin SQL, throwing on any error (harness statements must succeed). */
export async function adminQuery(admin: DiffClient, sql: string): Promise<(string | null)[][]> {
  const result = await admin.execute(sql);
  if (result.error) throw new Error(`difftest: harness statement failed: ${sql}: ${result.error.code} ${result.error.message}`);
  return result.rows;
}

/** The cluster-wide names a file might create: roles and databases. */
export interface GlobalSnapshot {
  readonly roles: Set<string>;
  readonly databases: Set<string>;
}

export async function snapshotGlobals(admin: DiffClient): Promise<GlobalSnapshot> {
  const roles = await adminQuery(admin, 'SELECT rolname FROM pg_catalog.pg_roles');
  const databases = await adminQuery(admin, 'SELECT datname FROM pg_catalog.pg_database');
  return { roles: new Set(roles.map((r) => r[0]!)), databases: new Set(databases.map((r) => r[0]!)) };
}

/** Drops the file's database and every role and database that appeared since `before` (DT6). */
export async function dropCreatedGlobals(admin: DiffClient, before: GlobalSnapshot, database: string): Promise<void> {
  const after = await snapshotGlobals(admin);
  const databases = [...after.databases].filter((d) => !before.databases.has(d));
  if (after.databases.has(database) && !databases.includes(database)) databases.push(database);
  for (const db of databases) await adminQuery(admin, `DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
  const roles = [...after.roles].filter((r) => !before.roles.has(r));
  if (roles.length > 0) {
    await adminQuery(admin, `DROP OWNED BY ${roles.map(quoteIdent).join(', ')}`);
    await adminQuery(admin, `DROP ROLE ${roles.map(quoteIdent).join(', ')}`);
  }
}

/**
 * Runs `steps` on `target` in the (already created) database `database`, returning one record
 * per step. Never throws for what the server does; harness failures are recorded per step.
 */
export async function runSteps(target: Target, admin: DiffClient, steps: readonly Step[], database: string, timeouts: RunnerTimeouts): Promise<StepRecord[]> {
  const records: StepRecord[] = steps.map(() => ({}));
  const sessions = new Map<string, Session>();
  let current = DEFAULT_SESSION;

  const open = async (name: string, opts: { user?: string; database?: string; password?: string }): Promise<ErrorRecord | null> => {
    await closeSession(name);
    if (sessions.size >= SESSIONS_MAX) throw new Error(`difftest: more than ${SESSIONS_MAX} sessions open at once`);
    try {
      const client = await target.connect({ database, ...opts });
      sessions.set(name, { client, pending: undefined });
      return null;
    } catch (err) {
      if (err instanceof ConnectRefusedError) return err.error;
      throw err;
    }
  };

  /** Waits for a session's pending statement, cancelling it after `timeoutMs`. */
  const finishPending = async (name: string, timeoutMs: number): Promise<void> => {
    const session = sessions.get(name);
    const pending = session?.pending;
    if (!session || !pending) return;
    if (!(await settlesWithin(pending.promise, timeoutMs))) {
      await session.client.cancel();
      if (!(await settlesWithin(pending.promise, CANCEL_GRACE_MS))) {
        records[pending.stepIndex] = { harness: `statement did not finish within ${timeoutMs} ms and could not be cancelled` };
        sessions.delete(name);
        await session.client.close();
        return;
      }
      const record = records[pending.stepIndex]!;
      record.harness = `statement did not finish within ${timeoutMs} ms; cancelled`;
    }
    session.pending = undefined;
  };

  const closeSession = async (name: string): Promise<void> => {
    const session = sessions.get(name);
    if (!session) return;
    await finishPending(name, timeouts.awaitTimeoutMs);
    sessions.delete(name);
    await session.client.close();
  };

  /** Starts a statement and stores its outcome in records[index]. */
  const start = (session: Session, index: number, sql: string): Pending => {
    const pending: Pending = {
      stepIndex: index,
      settled: false,
      promise: session.client.execute(sql).then(
        (result) => { records[index] = { ...records[index], result }; },
        (err: unknown) => { records[index] = { harness: `session failed: ${(err as Error).message}` }; },
      ).finally(() => { pending.settled = true; }),
    };
    session.pending = pending;
    return pending;
  };

  /** After @async: wait until the statement waits for a lock (pg_blocking_pids) or finishes (DT7). */
  const settle = async (session: Session, pending: Pending): Promise<void> => {
    const deadline = Date.now() + timeouts.asyncSettleMs;
    const pid = session.client.backendPid;
    while (!pending.settled && Date.now() < deadline) {
      if (pid !== undefined) {
        const rows = await adminQuery(admin, `SELECT pg_catalog.cardinality(pg_catalog.pg_blocking_pids(${pid}))`);
        if (rows[0]?.[0] !== '0') return;
      }
      await sleep(SETTLE_POLL_MS);
    }
  };

  try {
    const refused = await open(DEFAULT_SESSION, {});
    if (refused) throw new Error(`difftest: could not open the default session on ${target.name}: ${refused.message}`);
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index]!;
      switch (step.kind) {
        case 'session':
          current = step.name;
          if (!sessions.has(step.name)) {
            const error = await open(step.name, {});
            if (error) records[index] = { harness: `could not open session ${step.name}: ${error.message}` };
          }
          break;
        case 'connect': {
          current = step.name;
          const opts: { user: string; database?: string; password?: string } = { user: step.user };
          if (step.database !== undefined) opts.database = step.database;
          if (step.password !== undefined) opts.password = step.password;
          records[index] = { connectError: await open(step.name, opts) };
          break;
        }
        case 'await':
          if (!sessions.get(step.name)?.pending) records[index] = { harness: `@await ${step.name}: no statement is pending on that session` };
          else await finishPending(step.name, timeouts.awaitTimeoutMs);
          break;
        case 'statement': {
          const session = sessions.get(current);
          if (!session) {
            records[index] = { harness: `session ${current} is not open` };
            break;
          }
          // A statement sent to a session that is still busy waits for the earlier one first.
          await finishPending(current, timeouts.awaitTimeoutMs);
          if (!sessions.has(current)) {
            records[index] = { harness: `session ${current} was closed after a timeout` };
            break;
          }
          const pending = start(session, index, step.sql);
          if (step.async) await settle(session, pending);
          else await finishPending(current, timeouts.statementTimeoutMs);
          break;
        }
      }
    }
  } finally {
    for (const name of [...sessions.keys()]) await closeSession(name);
  }
  return records;
}
