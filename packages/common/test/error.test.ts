import { describe, expect, it } from 'vitest';
import { PgError, SqlState, conditionNames, featureNotSupported, isPgError } from '../src/index.ts';

describe('PgError', () => {
  it('[ERR1][ERR2] carries the SQLSTATE, message and only the fields that were set', () => {
    const e = new PgError(SqlState.UNDEFINED_TABLE, 'relation "t" does not exist', { position: 15 });
    expect(e.code).toBe('42P01');
    expect(e.severity).toBe('ERROR');
    expect(e.position).toBe(15);
    expect(Object.keys(e)).not.toContain('hint');
    expect(isPgError(e)).toBe(true);
    expect(isPgError(new Error('x'))).toBe(false);
  });

  it('[ERR2] with() copies the error and replaces fields', () => {
    const e = new PgError(SqlState.SYNTAX_ERROR, 'syntax error at or near "x"', { hint: 'h' });
    const f = e.with({ position: 3 });
    expect(f).not.toBe(e);
    expect([f.code, f.message, f.hint, f.position]).toEqual(['42601', e.message, 'h', 3]);
  });

  it('[ERR4] names unsupported features with 0A000', () => {
    const e = featureNotSupported('MERGE');
    expect([e.code, e.message]).toEqual(['0A000', 'MERGE is not supported']);
  });

  it('[ERR1] knows the whole PostgreSQL 15 SQLSTATE table', () => {
    expect(Object.keys(SqlState).length).toBeGreaterThan(250);
    expect(SqlState.T_R_SERIALIZATION_FAILURE).toBe('40001');
    expect(SqlState.T_R_DEADLOCK_DETECTED).toBe('40P01');
    expect(SqlState.INVALID_PASSWORD).toBe('28P01');
    expect(conditionNames.get('unique_violation')).toBe('23505');
  });
});
