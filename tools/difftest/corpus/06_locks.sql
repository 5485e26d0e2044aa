-- Two sessions: a row lock wait, NOWAIT, and a repeatable-read serialization failure.

CREATE TABLE counter (id int PRIMARY KEY, n int);
INSERT INTO counter VALUES (1, 0), (2, 0);

-- @session s1
BEGIN;

UPDATE counter SET n = n + 1 WHERE id = 1;

-- @session s2
BEGIN;

-- This waits for s1's row lock.
-- @async
UPDATE counter SET n = n + 10 WHERE id = 1 RETURNING n;

-- @session s1
SELECT id, n FROM counter ORDER BY id;

SELECT n FROM counter WHERE id = 1 FOR UPDATE NOWAIT;

COMMIT;

-- s2's update continues once s1 commits, and sees s1's row (read committed).
-- @await s2

-- @session s2
COMMIT;

SELECT n FROM counter WHERE id = 1;

-- Lock taken by s2; s1 tries NOWAIT and SKIP LOCKED.
BEGIN;

SELECT id FROM counter WHERE id = 2 FOR UPDATE;

-- @session s1
SELECT id FROM counter WHERE id = 2 FOR UPDATE NOWAIT;

SELECT id FROM counter ORDER BY id FOR UPDATE SKIP LOCKED;

-- @session s2
ROLLBACK;

-- Repeatable read: a concurrent committed update makes s1's update fail with 40001.
-- @session s1
BEGIN ISOLATION LEVEL REPEATABLE READ;

SELECT n FROM counter WHERE id = 2;

-- @session s2
UPDATE counter SET n = 5 WHERE id = 2;

-- @session s1
SELECT n FROM counter WHERE id = 2;

UPDATE counter SET n = n + 1 WHERE id = 2;

SELECT 1;

ROLLBACK;

-- An explicit table lock blocks a reader in another session until released.
-- @session s2
BEGIN;

LOCK TABLE counter IN ACCESS EXCLUSIVE MODE;

-- @session s1
-- @async
SELECT sum(n) FROM counter;

-- @session s2
UPDATE counter SET n = 100 WHERE id = 2;

COMMIT;

-- @await s1
-- @session s1
SELECT id, n FROM counter ORDER BY id;
