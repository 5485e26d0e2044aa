// The PgErrors this package raises, with PostgreSQL's SQLSTATEs and exact message texts.

import { PgError, SqlState } from '@palisade/common';

const RETRY_HINT = 'The transaction might succeed if retried.';

/** 40001 raised by SSI, with PostgreSQL's `Reason code: …` detail. */
export function serializationFailureRw(reason: string): PgError {
  return new PgError(SqlState.T_R_SERIALIZATION_FAILURE, 'could not serialize access due to read/write dependencies among transactions', {
    detail: `Reason code: ${reason}`,
    hint: RETRY_HINT,
  });
}

/** 40001 for a concurrent update or delete met under REPEATABLE READ / SERIALIZABLE (M21). */
export function serializationFailureConcurrent(what: 'update' | 'delete'): PgError {
  return new PgError(SqlState.T_R_SERIALIZATION_FAILURE, `could not serialize access due to concurrent ${what}`);
}

/** 40P01 with one DETAIL line per edge of the cycle (M25). */
export function deadlockDetected(detailLines: readonly string[]): PgError {
  return new PgError(SqlState.T_R_DEADLOCK_DETECTED, 'deadlock detected', {
    detail: detailLines.join('\n'),
    hint: 'See server log for query details.',
  });
}

/** 55P03 for NOWAIT on a row lock (M17). */
export function rowLockNotAvailable(relationName: string): PgError {
  return new PgError(SqlState.LOCK_NOT_AVAILABLE, `could not obtain lock on row in relation "${relationName}"`);
}

/** 55P03 for NOWAIT on a table lock (`LOCK TABLE … NOWAIT`). */
export function relationLockNotAvailable(relationName: string): PgError {
  return new PgError(SqlState.LOCK_NOT_AVAILABLE, `could not obtain lock on relation "${relationName}"`);
}

/** 55P03 when lock_timeout expires. */
export function lockTimeout(): PgError {
  return new PgError(SqlState.LOCK_NOT_AVAILABLE, 'canceling statement due to lock timeout');
}

/** 57014 for a cancel request. */
export function queryCanceled(): PgError {
  return new PgError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
}

/** 57014 when statement_timeout expires. */
export function statementTimeout(): PgError {
  return new PgError(SqlState.QUERY_CANCELED, 'canceling statement due to statement timeout');
}

/** 53200 when a bounded shared table is full, with the GUC to raise as HINT. */
export function outOfSharedMemory(hintSetting?: string): PgError {
  return new PgError(SqlState.OUT_OF_MEMORY, 'out of shared memory', hintSetting === undefined ? {} : { hint: `You might need to increase ${hintSetting}.` });
}

/** 25P02: statements other than ROLLBACK in an aborted transaction block (M8). */
export function inFailedTransaction(): PgError {
  return new PgError(SqlState.IN_FAILED_SQL_TRANSACTION, 'current transaction is aborted, commands ignored until end of transaction block');
}

/** 3B001 for ROLLBACK TO / RELEASE of an unknown savepoint. */
export function savepointDoesNotExist(name: string): PgError {
  return new PgError(SqlState.S_E_INVALID_SPECIFICATION, `savepoint "${name}" does not exist`);
}

/** 53300 when every proc-array slot is in use. */
export function tooManyClients(): PgError {
  return new PgError(SqlState.TOO_MANY_CONNECTIONS, 'sorry, too many clients already');
}

/** The error to raise when a wait is aborted through an AbortSignal: its reason if that is a PgError. */
export function abortReasonError(reason: unknown): PgError {
  if (reason instanceof PgError) return reason;
  return queryCanceled();
}
