-- Privileges: a second role in its own session gets 42501 until granted; SET ROLE; RLS.

CREATE ROLE difftest_alice LOGIN;
CREATE ROLE difftest_nologin;

CREATE TABLE secrets (id int PRIMARY KEY, owner text, secret text);
INSERT INTO secrets VALUES (1, 'difftest_alice', 'a-secret'), (2, 'someone', 'b-secret');

-- @connect alice user=difftest_alice
SELECT current_user, session_user;

SELECT * FROM secrets;

INSERT INTO secrets VALUES (3, 'difftest_alice', 'c');

CREATE TABLE alice_table (x int);

-- @session main
GRANT SELECT (id, owner) ON secrets TO difftest_alice;
GRANT INSERT ON secrets TO difftest_alice;

-- @session alice
SELECT id, owner FROM secrets ORDER BY id;

SELECT secret FROM secrets;

INSERT INTO secrets VALUES (3, 'difftest_alice', 'c');

UPDATE secrets SET secret = 'x';

-- @session main
GRANT SELECT, UPDATE ON secrets TO difftest_alice;
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON secrets USING (owner = current_user);

-- @session alice
SELECT * FROM secrets ORDER BY id;

UPDATE secrets SET secret = 'changed' RETURNING *;

-- @session main
SELECT * FROM secrets ORDER BY id;

SET ROLE difftest_alice;

SELECT current_user, count(*) FROM secrets;

RESET ROLE;

REVOKE ALL ON secrets FROM difftest_alice;

-- @session alice
SELECT 1 FROM secrets;

-- A role without LOGIN cannot connect.
-- @connect nologin user=difftest_nologin

-- @connect ghost user=difftest_no_such_role

-- @session main
SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname LIKE 'difftest\_%' ORDER BY 1;

DROP ROLE difftest_alice;
