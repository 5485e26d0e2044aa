// Turning file-system errors into the PgErrors PostgreSQL reports for them
// (errcode_for_file_access). Entry point: `fileAccessError`.

import { PgError, SqlState, isPgError, type SqlStateCode, type Severity } from '@palisade/common';

/** The SQLSTATE PostgreSQL reports for an errno (errcode_for_file_access). */
export function sqlStateForErrno(code: string | undefined): SqlStateCode {
  switch (code) {
    case 'EPERM': case 'EACCES': case 'EROFS': return SqlState.INSUFFICIENT_PRIVILEGE;
    case 'ENOENT': return SqlState.UNDEFINED_FILE;
    case 'EEXIST': return SqlState.DUPLICATE_FILE;
    case 'ENOTDIR': case 'EISDIR': case 'ENOTEMPTY': return SqlState.WRONG_OBJECT_TYPE;
    case 'ENOSPC': return SqlState.DISK_FULL;
    case 'ENFILE': case 'EMFILE': return SqlState.INSUFFICIENT_RESOURCES;
    case 'EIO': return SqlState.IO_ERROR;
    default: return SqlState.INTERNAL_ERROR;
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'No space left on device', EIO: 'Input/output error', EACCES: 'Permission denied',
  EROFS: 'Read-only file system', ENOENT: 'No such file or directory', EEXIST: 'File exists',
};

/**
 * A PgError for a failed file operation, worded as PostgreSQL words it:
 * `could not extend file "base/5/16384": No space left on device`. A PgError passes through.
 */
export function fileAccessError(err: unknown, what: string, severity: Severity = 'ERROR'): PgError {
  if (isPgError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = (code !== undefined ? ERRNO_TEXT[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
  const hint = code === 'ENOSPC' ? 'Check free disk space.' : undefined;
  return new PgError(sqlStateForErrno(code), `${what}: ${text}`, { severity, cause: err, ...(hint ? { hint } : {}) });
}
