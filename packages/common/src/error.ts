// PgError: an error a user or the world can cause, carried with every field of PostgreSQL's
// ErrorResponse / NoticeResponse so that the protocol layer can send it unchanged and
// clients can branch on the SQLSTATE.

import { SqlState, type SqlStateCode } from './sqlstate.ts';

/** Severity as PostgreSQL sends it in the non-localized `V` field. */
export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

/** The optional fields of an ErrorResponse, named after PostgreSQL's `PG_DIAG_*` fields. */
export interface PgErrorFields {
  severity?: Severity;
  detail?: string;
  hint?: string;
  /** 1-based character position in the query string (`P`). */
  position?: number;
  /** Position in an internally generated query (`p`) and that query (`q`). */
  internalPosition?: number;
  internalQuery?: string;
  /** Call-stack context (`W`). */
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  /** Source location inside the server (`F`, `L`, `R`). */
  file?: string;
  line?: number;
  routine?: string;
  /** The error that caused this one (not sent to clients). */
  cause?: unknown;
}

/**
 * An error with a SQLSTATE, sent to the client as PostgreSQL would send it.
 * `code` is always one of PostgreSQL 15's SQLSTATEs.
 */
export class PgError extends Error implements PgErrorFields {
  override readonly name = 'PgError';
  readonly code: SqlStateCode;
  readonly severity: Severity;
  declare readonly detail?: string;
  declare readonly hint?: string;
  declare readonly position?: number;
  declare readonly internalPosition?: number;
  declare readonly internalQuery?: string;
  declare readonly where?: string;
  declare readonly schema?: string;
  declare readonly table?: string;
  declare readonly column?: string;
  declare readonly dataType?: string;
  declare readonly constraint?: string;
  declare readonly file?: string;
  declare readonly line?: number;
  declare readonly routine?: string;

  constructor(code: SqlStateCode, message: string, fields: PgErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.severity = fields.severity ?? 'ERROR';
    // Only own the fields that are set, so that spreading or logging the error stays small.
    for (const key of FIELD_KEYS) {
      const value = fields[key];
      if (value !== undefined) (this as Record<string, unknown>)[key] = value;
    }
  }

  /** A copy of this error with some fields replaced (e.g. adding `position` at the protocol layer). */
  with(fields: PgErrorFields): PgError {
    const merged: PgErrorFields = { severity: this.severity };
    for (const key of FIELD_KEYS) {
      const value = (this as PgErrorFields)[key];
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    return new PgError(this.code, this.message, { ...merged, ...fields });
  }
}

const FIELD_KEYS = [
  'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where', 'schema', 'table',
  'column', 'dataType', 'constraint', 'file', 'line', 'routine',
] as const satisfies readonly (keyof PgErrorFields)[];

/** True if `value` is a {@link PgError}, also one made by another copy of this package. */
export function isPgError(value: unknown): value is PgError {
  return value instanceof PgError || (value instanceof Error && value.name === 'PgError' && typeof (value as { code?: unknown }).code === 'string');
}

/** `0A000 feature not supported`, naming the feature: what Palisade does not do yet. */
export function featureNotSupported(feature: string, fields: PgErrorFields = {}): PgError {
  return new PgError(SqlState.FEATURE_NOT_SUPPORTED, `${feature} is not supported`, fields);
}

/** SQLSTATE class (first two characters), e.g. `'42'` for syntax errors or access rule violations. */
export function sqlStateClass(code: string): string {
  return code.slice(0, 2);
}
