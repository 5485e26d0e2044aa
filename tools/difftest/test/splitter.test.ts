import { describe, expect, it } from 'vitest';
import { SplitError, splitSql } from '../src/splitter.ts';

const sqls = (text: string): string[] => splitSql(text).statements.map((s) => s.sql);

describe('[DT2] splitSql', () => {
  it('splits at top-level semicolons and drops empty statements', () => {
    expect(sqls('SELECT 1; SELECT 2;;\n;SELECT 3')).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  it('keeps semicolons inside single-quoted strings, including doubled quotes', () => {
    expect(sqls("SELECT 'a;b'; SELECT 'it''s; fine';")).toEqual(["SELECT 'a;b'", "SELECT 'it''s; fine'"]);
  });

  it("honours backslash escapes in E'' strings only", () => {
    expect(sqls("SELECT E'a\\';b'; SELECT 2")).toEqual(["SELECT E'a\\';b'", 'SELECT 2']);
    expect(sqls("SELECT e'\\\\'; SELECT 2")).toEqual(["SELECT e'\\\\'", 'SELECT 2']);
    // In a standard string a backslash is an ordinary character: the quote ends the string.
    expect(sqls("SELECT 'a\\'; SELECT 2")).toEqual(["SELECT 'a\\'", 'SELECT 2']);
    // An identifier ending in e before a quote does not make an E'' string.
    expect(sqls("SELECT note'\\'; SELECT 2")).toEqual(["SELECT note'\\'", 'SELECT 2']);
  });

  it('keeps semicolons inside double-quoted identifiers', () => {
    expect(sqls('CREATE TABLE "a;b" ("c""; d" int); SELECT 1')).toEqual(['CREATE TABLE "a;b" ("c""; d" int)', 'SELECT 1']);
  });

  it('keeps dollar-quoted bodies whole, with or without tags', () => {
    const fn = 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql';
    const tagged = "DO $body$ BEGIN RAISE NOTICE 'x;'; PERFORM $$;$$; END $body$";
    expect(sqls(`${fn}; ${tagged}; SELECT 2`)).toEqual([fn, tagged, 'SELECT 2']);
  });

  it('does not take $1 parameters or $ inside identifiers for dollar quotes', () => {
    expect(sqls('PREPARE p AS SELECT $1; SELECT a$b$ FROM t; SELECT 3')).toEqual(['PREPARE p AS SELECT $1', 'SELECT a$b$ FROM t', 'SELECT 3']);
  });

  it('ignores semicolons in -- comments and in nested /* */ comments', () => {
    const text = 'SELECT 1 -- not; here\n, 2; /* outer /* inner; */ still; comment */ SELECT 3;';
    expect(sqls(text)).toEqual(['SELECT 1 -- not; here\n, 2', 'SELECT 3']);
  });

  it('records the line of each statement and the comment lines before it', () => {
    const result = splitSql('-- header\n\nSELECT 1;\n  -- @sort\nSELECT\n  2; -- trailing\n-- last\n');
    expect(result.statements).toEqual([
      { sql: 'SELECT 1', line: 3, leadingComments: [{ text: 'header', line: 1, ownLine: true }] },
      { sql: 'SELECT\n  2', line: 5, leadingComments: [{ text: '@sort', line: 4, ownLine: true }] },
    ]);
    expect(result.trailingComments).toEqual([{ text: 'trailing', line: 6, ownLine: false }, { text: 'last', line: 7, ownLine: true }]);
  });

  it('counts lines inside multi-line strings and comments', () => {
    const result = splitSql("SELECT 'a\nb';\n/* x\ny */\nSELECT $$\n$$;\nSELECT 3");
    expect(result.statements.map((s) => s.line)).toEqual([1, 5, 7]);
  });

  it('rejects unterminated quotes and comments with the line they start on', () => {
    expect(() => splitSql("SELECT 1;\nSELECT 'oops")).toThrow(SplitError);
    expect(() => splitSql("SELECT 1;\nSELECT 'oops")).toThrow(/unterminated quoted string \(starting at line 2\)/);
    expect(() => splitSql('SELECT "x')).toThrow(/unterminated quoted identifier/);
    expect(() => splitSql('SELECT $a$ body $b$')).toThrow(/unterminated dollar-quoted string \$a\$/);
    expect(() => splitSql('/* /* */ SELECT 1')).toThrow(/unterminated \/\* comment/);
  });
});
