// Captures PostgreSQL 15's behaviour for the scenarios in test/fixtures/rls-scenarios.json into
// test/fixtures/pg15-semantics.json, which test/semantic.test.ts replays without a server.
// Usage: node scripts/capture-pg15-fixture.mjs postgres://postgres@127.0.0.1:PORT/postgres
// The database must be a throw-away one: the script creates roles and tables in it.

import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';

const here = new URL('../test/fixtures/', import.meta.url);
const spec = JSON.parse(readFileSync(new URL('rls-scenarios.json', here), 'utf8'));
const client = new pg.Client({ connectionString: process.argv[2] });
await client.connect();

const q = (sql) => client.query(sql);
const lit = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

// Re-runnable: the table goes first, since its owner is one of the roles.
await q('DROP TABLE IF EXISTS docs');
for (const role of ['alice', 'bob', 'carol', 'dave', 'erin', 'managers']) await q(`DROP ROLE IF EXISTS ${role}`);
await q('CREATE ROLE managers NOLOGIN');
for (const role of ['alice', 'bob', 'carol', 'erin']) await q(`CREATE ROLE ${role}`);
await q('CREATE ROLE dave BYPASSRLS');
await q('GRANT managers TO bob');

const results = [];
for (const scenario of spec.scenarios) {
  await q('DROP TABLE IF EXISTS docs');
  await q('CREATE TABLE docs (id int PRIMARY KEY, owner text, level int, dept text)');
  for (const row of spec.rows) await q(`INSERT INTO docs VALUES (${row.map(lit).join(', ')})`);
  await q('ALTER TABLE docs OWNER TO erin');
  await q('GRANT ALL ON docs TO PUBLIC');
  await q('ALTER TABLE docs ENABLE ROW LEVEL SECURITY');
  if (scenario.force) await q('ALTER TABLE docs FORCE ROW LEVEL SECURITY');
  for (const p of scenario.policies) {
    const sql = `CREATE POLICY ${p.name} ON docs AS ${p.permissive === false ? 'RESTRICTIVE' : 'PERMISSIVE'}`
      + ` FOR ${(p.command ?? 'all').toUpperCase()} TO ${(p.roles ?? ['public']).join(', ')}`
      + (p.using === undefined ? '' : ` USING (${p.using})`)
      + (p.withCheck === undefined ? '' : ` WITH CHECK (${p.withCheck})`);
    await q(sql);
  }
  for (const role of spec.roles) {
    for (const stmt of spec.statements) {
      await q('BEGIN');
      await q(`SET LOCAL ROLE ${role}`);
      let outcome;
      try {
        const res = await q(stmt.sql);
        outcome = stmt.op.type === 'select'
          ? { ids: res.rows.map((r) => r.id), error: null }
          : { count: res.rowCount, error: null };
      } catch (e) {
        outcome = { error: { code: e.code, message: e.message } };
      }
      await q('ROLLBACK');
      results.push({ scenario: scenario.name, role, statement: stmt.id, ...outcome });
    }
  }
}
const version = `PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version}`;
await client.end();
// One outcome per line: small, and a re-capture diffs line by line.
const lines = results.map((r) => JSON.stringify(r)).join(',\n');
writeFileSync(new URL('pg15-semantics.json', here), `{"capturedFrom":${JSON.stringify(version)},"results":[\n${lines}\n]}\n`);
console.log(`captured ${results.length} outcomes`);
