-- Transactions, savepoints, the aborted-transaction state (25P02), isolation levels.

CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0));
INSERT INTO acct VALUES (1, 100), (2, 50);

BEGIN;
UPDATE acct SET balance = balance - 30 WHERE id = 1;
UPDATE acct SET balance = balance + 30 WHERE id = 2;
COMMIT;

SELECT * FROM acct ORDER BY id;

BEGIN;
UPDATE acct SET balance = 0 WHERE id = 1;
ROLLBACK;

SELECT balance FROM acct WHERE id = 1;

-- An error aborts the block; everything until the end of the block is refused with 25P02.
BEGIN;
INSERT INTO acct VALUES (3, 10);
INSERT INTO acct VALUES (1, 10);
SELECT * FROM acct;
SAVEPOINT too_late;
COMMIT;

SELECT count(*) FROM acct;

-- Savepoints: ROLLBACK TO recovers from an error inside the block.
BEGIN;
INSERT INTO acct VALUES (3, 10);
SAVEPOINT s1;
UPDATE acct SET balance = -5 WHERE id = 3;
SELECT 1;
ROLLBACK TO SAVEPOINT s1;
UPDATE acct SET balance = 15 WHERE id = 3;
SAVEPOINT s2;
DELETE FROM acct WHERE id = 2;
RELEASE SAVEPOINT s2;
COMMIT;

SELECT * FROM acct ORDER BY id;

ROLLBACK TO SAVEPOINT nowhere;

SAVEPOINT outside;

BEGIN ISOLATION LEVEL REPEATABLE READ;
SHOW transaction_isolation;
SELECT sum(balance) FROM acct;
COMMIT;

BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SHOW transaction_isolation;
SET TRANSACTION READ ONLY;
INSERT INTO acct VALUES (9, 9);
ROLLBACK;

BEGIN READ ONLY;
SELECT count(*) FROM acct;
BEGIN;
END;

START TRANSACTION;
SET LOCAL search_path = nowhere;
SELECT * FROM acct;
ROLLBACK;

SHOW search_path;
