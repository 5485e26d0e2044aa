-- Queries: joins, aggregates, grouping, ordering with NULLS, windows, CTEs, set operations.

CREATE TABLE dept (id int PRIMARY KEY, name text);
CREATE TABLE emp (id int PRIMARY KEY, name text, dept_id int REFERENCES dept, salary int, boss int);

INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'empty');
INSERT INTO emp VALUES
  (1, 'alice', 1, 120, NULL),
  (2, 'bob', 1, 100, 1),
  (3, 'carol', 2, 90, 1),
  (4, 'dave', 2, NULL, 3),
  (5, 'erin', NULL, 70, 3),
  (6, 'frank', 1, 100, 2);

SELECT e.name, d.name AS dept FROM emp e JOIN dept d ON d.id = e.dept_id ORDER BY e.id;

SELECT e.name, d.name AS dept FROM emp e LEFT JOIN dept d ON d.id = e.dept_id ORDER BY e.name;

SELECT e.name, d.name AS dept FROM emp e FULL JOIN dept d ON d.id = e.dept_id ORDER BY d.name NULLS FIRST, e.name NULLS LAST;

SELECT a.name, b.name AS boss FROM emp a JOIN emp b ON b.id = a.boss ORDER BY 1;

SELECT d.name, count(e.id), count(e.salary), sum(e.salary), avg(e.salary), min(e.salary), max(e.salary)
FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY d.name;

SELECT dept_id, string_agg(name, ',' ORDER BY name), array_agg(salary ORDER BY salary DESC NULLS LAST)
FROM emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;

SELECT dept_id, sum(salary) FROM emp GROUP BY dept_id HAVING sum(salary) > 150 ORDER BY 1;

SELECT name, salary FROM emp ORDER BY salary DESC NULLS FIRST, name;

SELECT name, salary FROM emp ORDER BY salary ASC NULLS LAST, name DESC;

SELECT name, salary,
  rank() OVER (ORDER BY salary DESC NULLS LAST),
  row_number() OVER (PARTITION BY dept_id ORDER BY salary DESC NULLS LAST, name),
  sum(salary) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
FROM emp ORDER BY id;

WITH RECURSIVE chain(id, name, depth) AS (
  SELECT id, name, 0 FROM emp WHERE boss IS NULL
  UNION ALL
  SELECT e.id, e.name, c.depth + 1 FROM emp e JOIN chain c ON e.boss = c.id
)
SELECT * FROM chain ORDER BY depth, name;

SELECT DISTINCT ON (dept_id) dept_id, name, salary FROM emp ORDER BY dept_id, salary DESC NULLS LAST, name;

SELECT name FROM emp ORDER BY id LIMIT 2 OFFSET 3;

-- @sort
SELECT dept_id FROM emp UNION SELECT id FROM dept;

-- @sort
SELECT name FROM emp WHERE salary >= 100 INTERSECT SELECT name FROM emp WHERE dept_id = 1;

-- @sort
SELECT dept_id, count(*) FROM emp GROUP BY dept_id;

SELECT count(*) FILTER (WHERE salary > 95) AS high, count(*) FILTER (WHERE salary IS NULL) AS unknown FROM emp;

SELECT g, g % 3 AS m, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END FROM generate_series(1, 6) AS g ORDER BY m, g DESC;

SELECT coalesce(NULL, NULL, 'x'), nullif(1, 1), greatest(1, 5, 3), least('b', 'a'), length('héllo'), upper('straße'), substr('abcdef', 2, 3);

SELECT name FROM emp WHERE dept_id IN (SELECT id FROM dept WHERE name LIKE 'e%') AND EXISTS (SELECT 1 FROM emp b WHERE b.boss = emp.id) ORDER BY 1;

SELECT round(2.5), round(-2.5), round(2.345, 2), 7 / 2, 7 % 3, 7.0 / 2, 2 ^ 10, sqrt(2::numeric), abs(-3);
