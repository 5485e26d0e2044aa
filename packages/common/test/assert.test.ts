import { describe, expect, it } from 'vitest';
import { AssertionError, PgError, assert, assertNever, isPgError, SqlState } from '../src/index.ts';

describe('assertions and error kinds', () => {
  it('[ERR5] assert throws AssertionError with the (lazily built) message and passes when true', () => {
    expect(() => assert(1 + 1 === 2, 'math')).not.toThrow();
    expect(() => assert(false, 'page LSN ahead of flush')).toThrow(new AssertionError('page LSN ahead of flush'));
    let built = 0;
    assert(true, () => `${++built}`);
    expect(built).toBe(0);
    expect(() => assert(0, () => 'lazy')).toThrow(/lazy/);
    expect(() => assertNever('x' as never, 'record kind')).toThrow('unexpected record kind: x');
  });

  it('[ERR3] isPgError recognizes a PgError from another copy of the package, not a look-alike without code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'PgError', code: '42P01' });
    expect(isPgError(foreign)).toBe(true);
    expect(isPgError(Object.assign(new Error('x'), { name: 'PgError' }))).toBe(false);
    expect(isPgError(new PgError(SqlState.UNDEFINED_TABLE, 'x'))).toBe(true);
    expect(isPgError(new AssertionError('bug'))).toBe(false);
  });
});
