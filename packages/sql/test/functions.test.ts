// Unit tests of built-in function implementations and aggregates.

import { describe, expect, it } from 'vitest';
import { T } from '../src/analyze/catalog.ts';
import { implementationFor, likeToRegExp, setImplementationFor, type FnContext } from '../src/functions/builtins.ts';
import { aggregateFor } from '../src/functions/aggregates.ts';
import { Numeric } from '../src/types/numeric.ts';
import { defaultIoContext } from '../src/types/datum.ts';

const fc: FnContext = {
  io: defaultIoContext, transactionStartUs: 0n, statementStartUs: 0n, user: 'u', database: 'd', backendPid: 1,
  getSetting: () => null, setSetting: (_n, v) => v,
};

describe('scalar functions', () => {
  it('[ENG7] int4 arithmetic checks overflow (22003) and division by zero (22012)', () => {
    const pl = implementationFor('int4pl', '+', [T.int4, T.int4], T.int4);
    expect(pl([1, 2], fc)).toBe(3);
    expect(() => pl([2147483647, 1], fc)).toThrow('integer out of range');
    const div = implementationFor('int4div', '/', [T.int4, T.int4], T.int4);
    expect(div([-7, 2], fc)).toBe(-3);
    expect(() => div([1, 0], fc)).toThrow('division by zero');
  });

  it('[ENG7] comparisons between integer widths and text use the types\' order', () => {
    expect(implementationFor('int48lt', '<', [T.int4, T.int8], T.bool)([1, 2n], fc)).toBe(true);
    expect(implementationFor('text_lt', '<', [T.text, T.text], T.bool)(['a', 'b'], fc)).toBe(true);
  });

  it('[ENG7] a pg_proc row without an implementation is refused with 0A000 only when called', () => {
    const f = implementationFor('no_such_src', 'obscure', [], T.int4);
    expect(() => f([], fc)).toThrow('function obscure is not supported');
  });

  it('[ENG7] LIKE translates % and _ and honours the backslash escape', () => {
    expect(likeToRegExp('a\\%b_', false).test('a%bc')).toBe(true);
    expect(likeToRegExp('a%', false).test('ba')).toBe(false);
  });

  it('[ENG7] text functions count characters, not UTF-16 units', () => {
    expect(implementationFor('textlen', 'length', [T.text], T.int4)(['h😀é'], fc)).toBe(3);
    expect(implementationFor('text_substr', 'substr', [T.text, T.int4, T.int4], T.text)(['h😀é', 2, 1], fc)).toBe('😀');
  });

  it('[ENG7] generate_series counts up and down and refuses a zero step', () => {
    const g = setImplementationFor('generate_series_step_int4', [T.int4, T.int4, T.int4], T.int4)!;
    expect([...g([5, 1, -2], fc)]).toEqual([5, 3, 1]);
    expect(() => [...g([1, 2, 0], fc)]).toThrow('step size cannot equal zero');
  });
});

describe('aggregates', () => {
  it('[ENG7] sum(int4) is bigint and avg(int4) numeric with PostgreSQL\'s scale', () => {
    const sum = aggregateFor('sum', [T.int4], T.int8, false);
    let s = sum.init();
    for (const v of [1, 2, 3]) s = sum.step(s, [v]);
    expect(sum.final(s)).toBe(6n);
    const avg = aggregateFor('avg', [T.int4], T.numeric, false);
    let a = avg.init();
    for (const v of [1, 2]) a = avg.step(a, [v]);
    expect((avg.final(a) as Numeric).toString()).toBe('1.5000000000000000');
  });

  it('[ENG7] aggregates over no rows: count is 0, the others NULL', () => {
    const count = aggregateFor('count', [], T.int8, true);
    expect(count.final(count.init())).toBe(0n);
    const max = aggregateFor('max', [T.int4], T.int4, false);
    expect(max.final(max.init())).toBeNull();
  });
});
