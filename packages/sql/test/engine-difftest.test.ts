// Differential test (ENG9): every statement of packages/sql/test/corpus/sql-*.sql (one statement per line) runs on a fresh
// PostgreSQL 15 cluster and on a Session; command tags, column names and type OIDs, rows as
// text, notices, errors (SQLSTATE, message, position) and the transaction status must match.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type RunningCluster } from '@palisade/pgcluster';
import { Session, type ResultSink } from '../src/engine/session.ts';

const corpusDir = fileURLToPath(new URL('./corpus/', import.meta.url));
const files = readdirSync(corpusDir).filter((f) => /^sql-.*\.sql$/.test(f)).sort();

/**
 * Statements end with ';' at the end of a line; '--' lines are comments. A statement after a
 * `-- refused` line is one Palisade refuses (ENG1): it must fail with 0A000 there, whatever
 * PostgreSQL answers, and the session must stay usable.
 */
function splitCorpus(text: string): Array<{ sql: string; refused: boolean }> {
  const out: Array<{ sql: string; refused: boolean }> = [];
  let cur: string[] = [];
  let refused = false;
  for (const line of text.split('\n')) {
    if (cur.length === 0 && line.trim() === '-- refused') { refused = true; continue; }
    if (cur.length === 0 && (line.trim() === '' || line.trim().startsWith('--'))) continue;
    cur.push(line);
    if (line.trimEnd().endsWith(';')) {
      out.push({ sql: cur.join('\n'), refused });
      cur = [];
      refused = false;
    }
  }
  if (cur.length > 0) out.push({ sql: cur.join('\n'), refused });
  return out;
}

interface Outcome {
  tag: string | null;
  columns: string[] | null;
  rows: (string | null)[][];
  notices: string[];
  error: string | null;
  status: string;
}

const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

class PgSide {
  private current: Outcome | null = null;
  private ready: (() => void) | null = null;
  constructor(private readonly client: pg.Client) {
    const c = (client as unknown as { connection: { on(e: string, f: (m: any) => void): void } }).connection;
    c.on('commandComplete', (m) => { if (this.current) this.current.tag = m.text; });
    c.on('rowDescription', (m) => { if (this.current) this.current.columns = m.fields.map((f: any) => `${f.name}:${f.dataTypeID}`); });
    c.on('dataRow', (m) => { if (this.current) this.current.rows.push(m.fields); });
    c.on('readyForQuery', (m) => {
      if (this.current) this.current.status = m.status;
      const r = this.ready;
      this.ready = null;
      r?.();
    });
    client.on('notice', (m: any) => this.current?.notices.push(`${m.severity} ${m.code} ${m.message}`));
  }
  async run(sql: string): Promise<Outcome> {
    const o: Outcome = { tag: null, columns: null, rows: [], notices: [], error: null, status: '' };
    this.current = o;
    const done = new Promise<void>((resolve) => { this.ready = resolve; });
    try {
      await this.client.query({ text: sql, types: TEXT_TYPES, rowMode: 'array', queryMode: 'simple' } as any);
    } catch (e: any) {
      o.error = `${e.code} ${e.message}${e.position ? ` @${e.position}` : ''}`;
    }
    await done;
    this.current = null;
    return normalize(o);
  }
}

/** On an error the row description (sent or not before execution failed) is not compared. */
function normalize(o: Outcome): Outcome {
  if (o.error) return { ...o, columns: null, rows: [], tag: null };
  return o;
}

async function runSession(s: Session, sql: string): Promise<Outcome> {
  const o: Outcome = { tag: null, columns: null, rows: [], notices: [], error: null, status: '' };
  const dec = new TextDecoder();
  const sink: ResultSink = {
    rowDescription: (f) => { o.columns = f.map((x) => `${x.name}:${x.typeOid}`); },
    dataRow: (v) => { o.rows.push(v.map((x) => (x === null ? null : dec.decode(x)))); },
    commandComplete: (t) => { o.tag = t; },
    emptyQuery: () => { o.tag = null; },
    notice: (n) => { o.notices.push(`${n.severity} ${n.code} ${n.message}`); },
  };
  try {
    await s.simpleQuery(sql, sink);
  } catch (e: any) {
    if (typeof e?.code !== 'string') throw e;
    o.error = `${e.code} ${e.message}${e.position ? ` @${e.position}` : ''}`;
  }
  o.status = s.transactionStatus();
  return normalize(o);
}

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('[ENG9] differential corpus against PostgreSQL 15', () => {
  for (const file of files) {
    it(`[ENG9] ${file}: every statement matches PostgreSQL 15`, async () => {
      const statements = splitCorpus(readFileSync(corpusDir + file, 'utf8'));
      const client = new pg.Client({ connectionString: cluster.connectionString() });
      await client.connect();
      const pgSide = new PgSide(client);
      const session = await Session.create({ user: cluster.superuser, database: 'postgres' });
      const mismatches: string[] = [];
      try {
        for (const { sql, refused } of statements) {
          const expected = await pgSide.run(sql);
          const actual = await runSession(session, sql);
          if (refused) {
            if (!actual.error?.startsWith('0A000 ')) mismatches.push(`${sql}\n  expected 0A000 from palisade, got ${JSON.stringify(actual)}`);
            continue;
          }
          try {
            expect(actual).toEqual(expected);
          } catch {
            mismatches.push(`${sql}\n  postgres: ${JSON.stringify(expected)}\n  palisade: ${JSON.stringify(actual)}`);
          }
        }
      } finally {
        await client.end();
      }
      expect(statements.length).toBeGreaterThan(0);
      expect(mismatches, mismatches.join('\n')).toEqual([]);
    }, 120_000);
  }
});
