// How file-system failures become PgErrors: PostgreSQL's errcode_for_file_access mapping and
// its "%m" strerror texts, so that messages read exactly as PostgreSQL's.

import { PgError, SqlState, type PgErrorFields, type SqlStateCode } from '@palisade/common';

const STRERROR: Record<string, string> = {
  ENOSPC: 'No space left on device',
  EIO: 'Input/output error',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
};

/** The errno code of a Node-style error, if any. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** PostgreSQL's errcode_for_file_access. */
export function sqlStateForFileAccess(code: string | undefined): SqlStateCode {
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

/** `could not <verb> file "<path>": <strerror>` as a PgError with the file-access SQLSTATE. */
export function fileAccessError(verb: string, path: string, err: unknown, fields: PgErrorFields = {}): PgError {
  const code = errnoCode(err);
  const text = (code !== undefined ? STRERROR[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
  return new PgError(sqlStateForFileAccess(code), `could not ${verb} file "${path}": ${text}`, { ...fields, cause: err });
}
