-- Errors with every field PostgreSQL sends, and notices/warnings.

CREATE TABLE items (id int PRIMARY KEY, code text UNIQUE NOT NULL, qty int CHECK (qty >= 0));
CREATE TABLE item_tags (item_id int REFERENCES items (id), tag text);

INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2);

-- syntax_error with a position
SELEC 1;

SELECT 1 +;

SELECT * FROM items WHERE;

-- undefined_table, undefined_column (with hint), undefined_function
SELECT * FROM no_such_table;

SELECT cod FROM items;

SELECT no_such_function(1);

-- unique_violation with detail
INSERT INTO items VALUES (1, 'c', 3);

INSERT INTO items VALUES (3, 'a', 3);

-- not_null_violation, check_violation, foreign_key_violation
INSERT INTO items VALUES (4, NULL, 1);

UPDATE items SET qty = -1 WHERE id = 1;

INSERT INTO item_tags VALUES (42, 'x');

DELETE FROM items WHERE id = 1 RETURNING id;

INSERT INTO item_tags VALUES (2, 'ok');

DELETE FROM items WHERE id = 2;

-- data exceptions
SELECT 1 / 0;

SELECT 1.0 / 0;

SELECT 'abc'::int;

SELECT 2147483647::int + 1;

SELECT '2024-02-30'::date;

SELECT (ARRAY[1, 2])[1:1], (ARRAY[1, 2])[5];

-- The error comes from the executor after some rows: clients see only the error.
SELECT 10 / (3 - g) FROM generate_series(1, 5) AS g;

-- Notices: IF EXISTS on something missing, and RAISE from PL/pgSQL.
DROP TABLE IF EXISTS no_such_table;

DROP TABLE IF EXISTS no_such_table, items_missing;

CREATE TABLE IF NOT EXISTS items (id int);

DO $$
BEGIN
  RAISE NOTICE 'hello from %', 'plpgsql';
  RAISE WARNING 'careful: % items', (SELECT count(*) FROM items);
END
$$;

DO $body$
BEGIN
  RAISE EXCEPTION 'custom failure %', 42 USING ERRCODE = 'P0001', DETAIL = 'some detail', HINT = 'some hint';
END
$body$;

DO $$ BEGIN RAISE SQLSTATE '22012' USING MESSAGE = 'my own division error'; END $$;

-- Ambiguity and type errors
SELECT id FROM items, item_tags;

SELECT 'a' + 1;

SELECT * FROM items WHERE id = 'x';

CREATE TABLE items (id int);

-- The transaction-status warnings.
COMMIT;

ROLLBACK;
