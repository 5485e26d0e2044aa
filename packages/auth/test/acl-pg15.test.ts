// Replays the GRANT/REVOKE scripts of test/fixtures/acl-cases.mjs through the ACL model and
// compares every resulting ACL (order included), error and warning with what PostgreSQL 15
// produced (acl-pg15.json). A small interpreter maps the statements to the library calls the
// SQL engine will make; role ids follow creation order, as PostgreSQL's OIDs do.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isPgError, PgError, SqlState, type Oid } from '@palisade/common';
import { RoleGraph } from '../src/roles.ts';
import { ACL_PUBLIC, formatAclItem, privilegesFromNames, allPrivileges, type Acl, type AclItem, type AclObjectType } from '../src/acl.ts';
import {
  executeGrant, aclNewOwner, columnPrivilegesOfTableRevoke, setDefaultAcl, defaultAclForNewObject, DEFAULT_ACL_LETTER,
  type DefaultAclEntry, type DefaultAclObjectType,
} from '../src/grant.ts';

interface Step { sql: string; error: { code: string; message: string; hint?: string } | null; notices: { code: string; message: string }[]; acl: unknown[]; query?: string }
interface Case { name: string; setup: string[]; query: string; steps: Step[] }
const cases = JSON.parse(readFileSync(new URL('./fixtures/acl-pg15.json', import.meta.url), 'utf8')) as Case[];

// Statements the model leaves to the SQL engine (catalog lookups), checked elsewhere.
const ENGINE_ONLY = new Set(['grant usage on sequence t to acl_a']);
const SYSTEM_COLUMNS = ['tableoid', 'cmax', 'xmax', 'cmin', 'xmin', 'ctid'];

interface Obj { type: AclObjectType; owner: Oid; acl: Acl | null; columns?: Map<string, Acl | null>; schema?: string }

class World {
  roles = new RoleGraph();
  objects = new Map<string, Obj>();
  schemas = new Map<string, Oid>();
  defaults: DefaultAclEntry[] = [];
  nextOid = 16384;
  notices: { code: string; message: string }[] = [];
  constructor() {
    this.roles.addRole(10 as Oid, 'postgres', { superuser: true });
    this.objects.set('acltest', { type: 'database', owner: 10 as Oid, acl: null });
  }
  id(name: string): Oid {
    if (name === 'public') return ACL_PUBLIC;
    const id = this.roles.idOf(name);
    if (id === undefined) throw new Error(`unknown role ${name}`);
    return id;
  }
  names = { nameOf: (id: Oid) => this.roles.nameOf(id), idOf: (n: string) => this.roles.idOf(n) };
  text(acl: Acl | null): string[] | null { return acl === null ? null : acl.map((i: AclItem) => formatAclItem(i, this.names)); }

  run(sql: string, user: Oid): void {
    let m: RegExpMatchArray | null;
    const s = sql.trim();
    if ((m = /^create role (\w+)$/.exec(s))) { this.roles.addRole(this.nextOid++ as Oid, m[1]!); return; }
    if ((m = /^grant (acl_\w+) to (acl_\w+)$/.exec(s))) { this.roles.grantMembership(this.id(m[1]!), this.id(m[2]!), { grantorId: user }); return; }
    if ((m = /^create table (?:(\w+)\.)?(\w+) \(([^)]*)\)$/.exec(s))) {
      const cols = m[3]!.split(',').map((c) => c.trim().split(' ')[0]!);
      const acl = m[1] ? defaultAclForNewObject(this.defaults, 'tables', user, this.schemas.get(m[1])!, this.roles) : null;
      this.objects.set(m[2]!, { type: 'table', owner: user, acl, columns: new Map(cols.map((c) => [c, null])) });
      return;
    }
    if ((m = /^create sequence (\w+)$/.exec(s))) { this.objects.set(m[1]!, { type: 'sequence', owner: user, acl: null }); return; }
    if ((m = /^create function (?:(\w+)\.)?(\w+)\(\)/.exec(s))) {
      const acl = m[1] ? defaultAclForNewObject(this.defaults, 'functions', user, this.schemas.get(m[1])!, this.roles) : null;
      this.objects.set(m[2]!, { type: 'function', owner: user, acl });
      return;
    }
    if ((m = /^create schema (\w+) authorization (\w+)$/.exec(s))) {
      this.schemas.set(m[1]!, this.nextOid++ as Oid);
      this.objects.set(m[1]!, { type: 'schema', owner: this.id(m[2]!), acl: null });
      return;
    }
    if ((m = /^alter (?:table|function|sequence) (\w+)(?:\(\))? owner to (\w+)$/.exec(s))) {
      const o = this.objects.get(m[1]!)!;
      const to = this.id(m[2]!);
      if (o.acl) o.acl = aclNewOwner(o.acl, o.owner, to);
      for (const [c, a] of o.columns ?? []) if (a) o.columns!.set(c, aclNewOwner(a, o.owner, to));
      o.owner = to;
      return;
    }
    if ((m = /^alter default privileges for role (\w+)(?: in schema (\w+))? (grant|revoke) (.+) on (tables|functions|schemas|sequences|types) (?:to|from) (\w+)$/.exec(s))) {
      const role = this.id(m[1]!);
      const schema = m[2] ? this.schemas.get(m[2])! : null;
      const objectType = m[5] as DefaultAclObjectType;
      const privText = m[4]!;
      const hasColumns = privText.includes('(');
      const objType = ({ tables: 'table', functions: 'function', schemas: 'schema', sequences: 'sequence', types: 'type' } as const)[objectType];
      const privileges = privText === 'all' ? 'all' as const : hasColumns ? 0 : privilegesFromNames(objType, privText.split(',').map((p) => p.trim()));
      const existing = this.defaults.find((d) => d.role === role && d.schema === schema && d.objectType === objectType) ?? null;
      const entry = setDefaultAcl(existing, { role, schema, objectType, isGrant: m[3] === 'grant', privileges, grantees: [this.id(m[6]!)], grantOption: false, hasColumns }, this.roles);
      this.defaults = this.defaults.filter((d) => d !== existing);
      if (entry) this.defaults.push(entry);
      return;
    }
    if ((m = /^(grant|revoke) (grant option for )?(.+?) on (?:(table|function|schema|sequence|database) )?(\w+)(?:\(\))? (?:to|from) ([\w, ]+?)( with grant option)?( granted by \w+)?( cascade| restrict)?$/.exec(s))) {
      this.grant(m, user);
      return;
    }
    throw new Error(`interpreter cannot run: ${s}`);
  }

  grant(m: RegExpMatchArray, user: Oid): void {
    const isGrant = m[1] === 'grant';
    if (m[8]) {
      const grantedBy = this.id(m[8].trim().split(' ')[2]!);
      if (grantedBy !== user) throw new PgError(SqlState.FEATURE_NOT_SUPPORTED, 'grantor must be current user');
    }
    const obj = this.objects.get(m[5]!)!;
    const name = m[5]!;
    const grantees = m[6]!.split(',').map((g) => this.id(g.trim()));
    const grantOption = !!m[2] || !!m[7];
    const behavior = m[9]?.trim() === 'cascade' ? 'cascade' as const : 'restrict' as const;
    // Split "select (c1), update (c1, c2)" into table-level privileges and per-column privileges.
    const tablePrivNames: string[] = [];
    const colPrivs = new Map<string, number>();
    let all = false;
    for (const part of m[3]!.match(/\w+(?: \([^)]*\))?/g)!) {
      const pm = /^(\w+)(?: \(([^)]*)\))?$/.exec(part)!;
      if (pm[2]) {
        const bits = pm[1] === 'all' ? allPrivileges('column') : privilegesFromNames('column', [pm[1]!]);
        for (const c of pm[2].split(',').map((x) => x.trim())) colPrivs.set(c, (colPrivs.get(c) ?? 0) | bits);
      } else if (pm[1] === 'all') all = true;
      else tablePrivNames.push(pm[1]!);
    }
    const tablePrivs = all ? 'all' as const : privilegesFromNames(obj.type, tablePrivNames);
    const oldRelAcl = obj.acl;
    if (all || (tablePrivs as number) !== 0) {
      const r = executeGrant({ isGrant, objectType: obj.type, objectName: name, acl: obj.acl, owner: obj.owner, privileges: tablePrivs, grantees, grantOption, behavior, currentUser: user }, this.roles);
      obj.acl = r.acl;
      this.notices.push(...r.warnings.map((w) => ({ code: w.code, message: w.message })));
      if (!isGrant && obj.columns) {
        const implied = columnPrivilegesOfTableRevoke(tablePrivs);
        if (implied) {
          for (const c of SYSTEM_COLUMNS) colPrivs.set(c, (colPrivs.get(c) ?? 0) | implied);
          for (const c of obj.columns.keys()) colPrivs.set(c, (colPrivs.get(c) ?? 0) | implied);
        }
      }
    }
    const order = [...SYSTEM_COLUMNS, ...(obj.columns?.keys() ?? [])];
    for (const col of order) {
      const privs = colPrivs.get(col);
      if (!privs) continue;
      const colAcl = obj.columns!.get(col) ?? null;
      const relAcl = oldRelAcl ?? [];
      const r = executeGrant({
        isGrant, objectType: 'column', objectName: name, columnName: col, acl: colAcl ?? [], owner: obj.owner, privileges: privs,
        grantees, grantOption, behavior, currentUser: user, grantorAcl: [...relAcl, ...(colAcl ?? [])], grantorHasAnyPrivilege: true,
      }, this.roles);
      this.notices.push(...r.warnings.map((w) => ({ code: w.code, message: w.message })));
      if (obj.columns!.has(col)) obj.columns!.set(col, r.acl.length > 0 ? r.acl : null);
    }
  }

  query(q: string): unknown[] {
    if (q.includes('union all')) {
      return [this.text(this.objects.get('s')!.acl), this.text(this.objects.get('sq')!.acl), this.text(this.objects.get('acltest')!.acl)];
    }
    let m: RegExpMatchArray | null;
    if ((m = /relname = '(\w+)'/.exec(q)) || (m = /proname = '(\w+)'/.exec(q))) return [this.text(this.objects.get(m[1]!)?.acl ?? null)];
    if (q.includes('from pg_attribute')) {
      return [...this.objects.get('t')!.columns!].map(([c, a]) => `${c}:${a === null ? 'NULL' : `{${this.text(a)!.join(',')}}`}`);
    }
    if (q.includes('pg_default_acl')) {
      const schemaName = (id: Oid | null) => (id === null ? '-' : [...this.schemas].find(([, v]) => v === id)![0]);
      return this.defaults.map((d) => `${this.roles.nameOf(d.role)}:${schemaName(d.schema)}:${DEFAULT_ACL_LETTER[d.objectType]}:{${this.text(d.acl)!.join(',')}}`).sort();
    }
    throw new Error(`interpreter cannot query: ${q}`);
  }
}

describe('GRANT/REVOKE against PostgreSQL 15', () => {
  for (const c of cases) {
    it(`[P1][P2][P3][P8][P9][P10] ${c.name}`, () => {
      const w = new World();
      for (const sql of c.setup) w.run(sql, 10 as Oid);
      for (const step of c.steps) {
        let user = 10 as Oid;
        let sql = step.sql;
        const sr = /^set role (\w+); (.*)$/.exec(sql);
        if (sr) { user = w.id(sr[1]!); sql = sr[2]!; }
        if (ENGINE_ONLY.has(sql)) continue;
        w.notices = [];
        let error: Step['error'] = null;
        try {
          w.run(sql, user);
        } catch (err) {
          if (!isPgError(err)) throw err;
          error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
        }
        const label = `${c.name} / ${step.sql}`;
        expect(error, label).toEqual(step.error ? { code: step.error.code, message: step.error.message, ...(step.error.hint ? { hint: step.error.hint } : {}) } : null);
        expect(w.notices, label).toEqual(step.notices);
        expect(w.query(step.query ?? c.query), label).toEqual(step.acl);
      }
    });
  }
});
