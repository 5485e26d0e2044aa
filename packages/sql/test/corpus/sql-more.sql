-- Assorted combinations: typed literals, nested sub-queries, expressions in every clause, NULL handling.
SELECT date '2024-01-31', int '42', numeric '1.50', text 'x', timestamp '2024-01-02 03:04:05', boolean 't';
SELECT '2024-01-31'::timestamp + interval '1 month', '2024-01-31'::date + interval '1 day', '2024-03-01'::timestamp - interval '1 day';
SELECT '2024-01-01 10:00'::timestamp + interval '1 day 2 hours 30 minutes', '2024-01-01'::timestamp - interval '1 year';
SELECT interval '1 day' * 2, interval '3 hours' / 3, 2 * interval '1 minute';
SELECT k, v FROM (VALUES (1, 'b'), (2, 'a'), (3, NULL)) t(k, v) ORDER BY CASE WHEN v IS NULL THEN 0 ELSE 1 END, v;
SELECT k FROM generate_series(1, 10) k WHERE k % 2 = 0 AND k NOT IN (SELECT 4) ORDER BY k DESC;
SELECT (SELECT max(g) FROM generate_series(1, k) g) AS m FROM generate_series(1, 3) k ORDER BY m;
SELECT sum(k) FILTER (WHERE k > 2) * 2, count(*) - 1 FROM generate_series(1, 5) k;
SELECT upper(v), length(v), v || '!' FROM (VALUES ('abc'), (NULL)) t(v) ORDER BY 1 NULLS FIRST;
SELECT coalesce(sum(k), 0) FROM generate_series(1, 0) k;
SELECT k % 2 = 0 AS even, array_agg(k ORDER BY k DESC) FROM generate_series(1, 6) k GROUP BY k % 2 = 0 ORDER BY even;
SELECT string_agg(DISTINCT v, ',' ORDER BY v) FROM (VALUES ('b'), ('a'), ('b')) t(v);
SELECT count(*) FROM (SELECT DISTINCT k % 4 FROM generate_series(1, 100) k) s;
SELECT * FROM (SELECT k, k * k AS sq FROM generate_series(1, 5) k) s WHERE sq > 5 ORDER BY k DESC LIMIT 2;
-- refused
SELECT x, y FROM (VALUES (1, 2), (3, 4)) a(x, y) WHERE (x, y) = (1, 2);
SELECT min(k), max(k), sum(k), avg(k)::numeric(10,2) FROM generate_series(-5, 5) k;
SELECT avg(k) FROM generate_series(1, 3) k;
SELECT avg(k::float8), sum(k::float4) FROM generate_series(1, 3) k;
SELECT 1 WHERE 1 IN (SELECT k FROM generate_series(1, 3) k WHERE k > 0);
SELECT CASE WHEN k > 2 THEN 'big' WHEN k > 1 THEN 'mid' ELSE 'small' END AS size, count(*) FROM generate_series(1, 5) k GROUP BY 1 ORDER BY 1;
SELECT greatest(k, 3), least(k, 3) FROM generate_series(1, 5) k ORDER BY k;
SELECT k, k::text || 'x', lpad(k::text, 3, '0') FROM generate_series(8, 11) k;
SELECT ARRAY(SELECT k FROM generate_series(1, 3) k ORDER BY k DESC);
-- refused
SELECT array_agg(ARRAY[k]) FROM generate_series(1, 2) k;
SELECT unnest(ARRAY['x', 'y']) AS letter, 1 AS one ORDER BY letter DESC;
SELECT count(*) FROM generate_series(1, 3) a, generate_series(1, 3) b WHERE a < b;
SELECT a.k, count(b.k) FROM generate_series(1, 3) a(k) LEFT JOIN generate_series(2, 3) b(k) ON b.k <= a.k GROUP BY a.k ORDER BY a.k;
SELECT 'a' < 'B', 'a' < 'b', 'Z' < 'a', 'é' > 'z';
SELECT 1 WHERE 'abc' LIKE '%b%' AND 'ABC' ~* 'b' AND NOT 'x' ~ 'y';
SELECT nullif(k, 2) FROM generate_series(1, 3) k ORDER BY 1 NULLS LAST;
SELECT k FROM generate_series(1, 3) k ORDER BY k IS DISTINCT FROM 2, k;
SELECT DISTINCT k % 3 AS r FROM generate_series(1, 9) k ORDER BY r DESC;
SELECT x.a, y.b FROM (SELECT 1 AS a) x JOIN (SELECT 1 AS b) y ON true;
SELECT 'a' = ANY(string_to_array('a,b', ',')), array_to_string(ARRAY(SELECT unnest(ARRAY[3,1,2]) ORDER BY 1), '-');
SELECT position('b' in v), substr(v, 2) FROM (VALUES ('abc'), ('xbz')) t(v) ORDER BY v;
-- refused
SELECT sum(v) OVER () FROM (VALUES (1)) t(v);
-- refused
SELECT k FROM generate_series(1, 3) k, LATERAL (SELECT k * 2) s;
-- refused
SELECT 'a' SIMILAR TO 'a';
-- refused
SELECT * FROM (VALUES (1)) a(x) JOIN (VALUES (1)) b(x) USING (x);
-- refused
SELECT ROW(1, 2);
-- refused
SELECT 'a' COLLATE "C";
-- refused
SELECT 2.0 ^ 3;
SELECT interval '1 month' * 1.5, interval '1 day' * 0.5, interval '1 hour' / 7, interval '2 days 3 hours' * -1;
SELECT interval '1 day' / 0;
SELECT '2024-02-29'::date + interval '1 year', '2024-03-31'::date - interval '1 month', '2024-01-01 00:00'::timestamp + interval '-1 minute';
SELECT '2024-03-10 12:00+00'::timestamptz + interval '1 day', '2024-05-17 10:00+00'::timestamptz - interval '1 month 1 hour';
SELECT date_trunc('day', '2024-05-17 10:11:12+00'::timestamptz), extract(hour from '2024-05-17 10:11:12+00'::timestamptz);
SELECT quote_ident('user'), quote_ident('between'), quote_ident('left'), quote_ident('name'), quote_ident('int'), quote_ident('abort'), quote_ident('join'), quote_ident('a1_$'), quote_ident('1a');
SELECT format('%I.%I', 'public', 'Order');
SELECT E'a\nb' ~ 'a.b', E'a\nb' ~ '^b', 'abc' ~ '(b|x)c$', 'aaa' ~ '^a{2,3}$', 'AbC' ~* '^abc$';
SELECT regexp_replace('a1b22', '\d+', '#', 'g'), regexp_replace('abc', 'B', 'x', 'i');
-- refused
SELECT 'abc' ~ '[[:alpha:]]';
-- refused
SELECT 'abc' ~ '\mabc';
