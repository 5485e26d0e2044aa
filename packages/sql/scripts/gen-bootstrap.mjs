// Generates src/catalog/bootstrap.json from PostgreSQL 15's postgres.bki: the contents of the
// system catalogs at bootstrap (built-in types, functions, operators, casts, access methods,
// namespaces, roles …) with PostgreSQL's own OIDs, plus the catalog indexes it declares.
// Run: node scripts/gen-bootstrap.mjs [/usr/share/postgresql/15/postgres.bki]
import { readFileSync, writeFileSync } from 'node:fs';

const source = process.argv[2] ?? '/usr/share/postgresql/15/postgres.bki';
const text = readFileSync(source, 'utf8');

/** Splits a bki line into tokens: bare words, '…' strings (with '' and \ escapes), parentheses. */
function tokens(line) {
  const out = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === ',') { i++; continue; }
    if (c === '(' || c === ')' || c === '=') { out.push({ t: c }); i++; continue; }
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < line.length) {
        if (line[i] === '\\' && i + 1 < line.length) { s += line[i + 1]; i += 2; continue; }
        if (line[i] === c) {
          if (line[i + 1] === c) { s += c; i += 2; continue; }
          i++;
          break;
        }
        s += line[i++];
      }
      out.push({ q: s });
      continue;
    }
    let s = '';
    while (i < line.length && !' \t,()='.includes(line[i])) s += line[i++];
    out.push({ w: s });
  }
  return out;
}

const catalogs = [];
const indexes = [];
const toast = [];
let current = null;
let inColumns = false;
for (const raw of text.split('\n')) {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) continue;
  if (line.startsWith('create ')) {
    const parts = line.split(/\s+/);
    current = { name: parts[1], oid: Number(parts[2]), bootstrap: parts.includes('bootstrap'), shared: parts.includes('shared_relation'), rowtypeOid: parts.includes('rowtype_oid') ? Number(parts[parts.indexOf('rowtype_oid') + 1]) : null, columns: [], rows: [] };
    catalogs.push(current);
    inColumns = false;
    continue;
  }
  if (line === '(' && current) { inColumns = true; continue; }
  if (line === ')' && inColumns) { inColumns = false; continue; }
  if (inColumns) {
    const m = /^(\w+)\s*=\s*(\w+)\s*(FORCE NOT NULL|FORCE NULL)?/.exec(line);
    if (!m) throw new Error(`bad column line: ${line}`);
    current.columns.push({ name: m[1], type: m[2], ...(m[3] === 'FORCE NOT NULL' ? { forceNotNull: true } : {}), ...(m[3] === 'FORCE NULL' ? { forceNull: true } : {}) });
    continue;
  }
  if (line.startsWith('open ')) { current = catalogs.find((c) => c.name === line.split(/\s+/)[1]); continue; }
  if (line.startsWith('close ')) continue;
  if (line.startsWith('insert ')) {
    const toks = tokens(line.slice(7));
    const values = toks.filter((t) => t.t === undefined).map((t) => (t.w === '_null_' ? null : t.w ?? t.q));
    if (values.length !== current.columns.length) throw new Error(`${current.name}: ${values.length} values for ${current.columns.length} columns: ${line}`);
    current.rows.push(values);
    continue;
  }
  if (line.startsWith('declare toast ')) {
    const [, , toastOid, indexOid, , table] = line.split(/\s+/);
    toast.push({ table, toastOid: Number(toastOid), indexOid: Number(indexOid) });
    continue;
  }
  let m = /^declare (unique )?index (\w+) (\d+) on (\w+) using (\w+)\((.*)\)$/.exec(line);
  if (m) {
    indexes.push({ name: m[2], oid: Number(m[3]), table: m[4], unique: Boolean(m[1]), method: m[5], columns: m[6].split(',').map((c) => { const [col, opclass] = c.trim().split(/\s+/); return { column: col, opclass }; }) });
    continue;
  }
  if (line === 'build indices') continue;
  throw new Error(`unrecognized bki line: ${line}`);
}
const out = { source: 'PostgreSQL 15 postgres.bki', version: readFileSync(source, 'utf8').split('\n')[0].replace('# ', ''), catalogs, indexes, toast };
writeFileSync(new URL('../src/catalog/bootstrap.json', import.meta.url), JSON.stringify(out));
console.log(`${catalogs.length} catalogs, ${catalogs.reduce((n, c) => n + c.rows.length, 0)} rows, ${indexes.length} indexes`);
