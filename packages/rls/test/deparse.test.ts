import { beforeAll, describe, expect, it } from 'vitest';
import { isPgError } from '@palisade/common';
import { deparseExpression, ensureParser, nodesEqual, parseExpression } from '../src/index.ts';

// Expressions of the kinds policies use; each must deparse to text that parses back to the same tree.
const corpus = [
  'a = 1', 'owner = current_user', 'a <> b AND NOT c', 'a IS NULL OR b IS NOT NULL', "dept = 'it''s'",
  "x LIKE 'a%'", "x NOT ILIKE 'b'", "x SIMILAR TO 'c'", 'a BETWEEN 1 AND 2', 'a NOT BETWEEN SYMMETRIC 2 AND 1',
  'a IN (1, 2, 3)', 'a NOT IN (1)', 'a = ANY (ARRAY[1, 2])', 'a > ALL (ARRAY[1])', 'a IS DISTINCT FROM b',
  'a IS NOT DISTINCT FROM NULL', 'NULLIF(a, 0) > 1', 'COALESCE(a, b, 0) = 1', 'GREATEST(a, b) < LEAST(c, 1)',
  'CASE WHEN a > 0 THEN true ELSE false END', 'CASE a WHEN 1 THEN b END', 'a::text = $$x$$', 'CAST(a AS numeric(10, 2)) > 1.5',
  'f(a, b) AND s.g()', 'EXISTS (SELECT 1 FROM u WHERE u.id = t.id)', 'a IN (SELECT id FROM ONLY s.u AS x WHERE x.b)',
  '(SELECT max(x) FROM u) > a', 'a = ANY (ARRAY(SELECT id FROM u))', 'b IS TRUE', 'b IS NOT UNKNOWN', '-a > -1',
  'session_user = current_role', '"Mixed Case" = "select"', 'ROW(a, b) = ROW(1, 2)', "a || 'x' = b", 'a OPERATOR(pg_catalog.=) 1',
  "E'back\\\\slash' = a", 'a = 1.5e3', "B'101' = x", '(a).f = 1', 'a[1] = 2', 'x COLLATE "C" < y',
  'EXISTS (SELECT 1 FROM u JOIN v ON u.a = v.a WHERE v.b = t.b)', "current_setting('app.tenant') = tenant",
];

describe('deparseExpression', () => {
  beforeAll(async () => {
    await ensureParser();
  });

  for (const sql of corpus) {
    it(`[RLS21] round-trips ${sql}`, () => {
      const tree = parseExpression(sql);
      const text = deparseExpression(tree);
      expect(nodesEqual(parseExpression(text), tree)).toBe(true);
    });
  }

  it('[RLS21] parenthesises every operator, so precedence never changes meaning', () => {
    expect(deparseExpression(parseExpression('a = 1 OR b = 2 AND c = 3'))).toBe('((a = 1) OR ((b = 2) AND (c = 3)))');
  });

  it('[RLS21] refuses what it cannot print with 0A000 instead of guessing', () => {
    let caught: unknown;
    try {
      deparseExpression(parseExpression('EXISTS (SELECT 1 UNION SELECT 2)'));
    } catch (e) {
      caught = e;
    }
    expect(isPgError(caught) && caught.code === '0A000').toBe(true);
  });
});

describe('parseExpression', () => {
  beforeAll(async () => {
    await ensureParser();
  });

  for (const text of ['a) FROM t WHERE (b', '1); DROP TABLE t; SELECT (1', 'a AS b', 'a) AS x, (b']) {
    it(`[RLS21] refuses text that is not one expression: ${text}`, () => {
      let caught: unknown;
      try {
        parseExpression(text);
      } catch (e) {
        caught = e;
      }
      expect(isPgError(caught) && caught.code === '42601').toBe(true);
    });
  }

  it('[RLS21] reports a syntax error as 42601 with PostgreSQL\'s message', () => {
    let caught: unknown;
    try {
      parseExpression('a = = 1');
    } catch (e) {
      caught = e;
    }
    expect(isPgError(caught) ? [caught.code, caught.message] : caught).toEqual(['42601', 'syntax error at or near "="']);
  });
});
