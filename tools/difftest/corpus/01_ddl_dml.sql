-- DDL and DML: tables, constraints, defaults, RETURNING, UPDATE/DELETE, ALTER, views, upsert.

CREATE TABLE customers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  email text UNIQUE,
  created date DEFAULT '2024-01-01'
);

CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  amount numeric(10, 2) NOT NULL CHECK (amount >= 0),
  note text
);

INSERT INTO customers (id, name, email) VALUES
  (1, 'Ada', 'ada@example.com'),
  (2, 'Brian', 'brian@example.com'),
  (3, 'Chen', NULL)
RETURNING id, name, created;

INSERT INTO orders (customer_id, amount, note) VALUES
  (1, 10.50, 'first'),
  (1, 99.99, NULL),
  (2, 0, 'free sample'),
  (3, 1234.5, 'bulk')
RETURNING *;

UPDATE orders SET amount = amount * 2 WHERE customer_id = 1 RETURNING id, amount;

DELETE FROM orders WHERE amount = 0 RETURNING id, note;

-- Tags for statements without RETURNING, and one that touches nothing.
UPDATE customers SET email = lower(email);
DELETE FROM customers WHERE id > 100;

ALTER TABLE customers ADD COLUMN tier text DEFAULT 'standard';

ALTER TABLE customers RENAME COLUMN tier TO level;

SELECT id, name, email, created, level FROM customers ORDER BY id;

CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE VIEW customer_totals AS
  SELECT c.name, sum(o.amount) AS total, count(o.id) AS n
  FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
  GROUP BY c.name;

SELECT * FROM customer_totals ORDER BY name;

INSERT INTO customers (id, name, email) VALUES (2, 'Brian B.', 'bb@example.com')
ON CONFLICT (id) DO UPDATE SET name = excluded.name
RETURNING id, name, email;

INSERT INTO customers (id, name) VALUES (1, 'nobody') ON CONFLICT DO NOTHING;

-- Types as text: numerics, floats, booleans, dates, intervals, arrays, json, bytea.
SELECT 1::int2, 2::int4, 3::int8, 1.50::numeric, 0.1::float8, 1e100::float8, 1.0/3.0 AS third;

SELECT true, false, NULL::boolean, 'infinity'::float8, '-0'::float8, 'NaN'::numeric;

SELECT DATE '2024-02-29', INTERVAL '1 year 2 months 3 days 04:05:06', TIME '12:34:56.789', TIMESTAMP '2024-03-01 10:00:00';

SELECT ARRAY[1, 2, NULL], ARRAY['a b', 'c"d', ''], '{{1,2},{3,4}}'::int[], '{"a": [1, 2, {"b": null}]}'::jsonb, 'x'::bytea, E'\\x00ff'::bytea;

SELECT E'tab\there', 'it''s', $$dollar; quoted$$, $fn$nested $$ inside$fn$, U&'\0041BC';

-- Sequences behind serial columns.
SELECT currval('orders_id_seq'), nextval('orders_id_seq');

TRUNCATE orders;

SELECT count(*) FROM orders;

DROP VIEW customer_totals;
