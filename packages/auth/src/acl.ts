// Access control lists as PostgreSQL 15 keeps them: aclitem (grantee, grantor, privileges,
// grant options), its text form, the privilege letters and ALL per object type, the built-in
// defaults (acldefault), and the privilege test (aclmask). Entry points: parseAclItem,
// formatAclItem, aclDefault, aclMask, hasPrivilege, privilegesFromNames.

import { PgError, SqlState, assert, type Oid } from '@palisade/common';

/** A set of privileges, one bit per privilege (PostgreSQL's AclMode). */
export type AclMode = number;

/** The grantee id meaning PUBLIC. */
export const ACL_PUBLIC = 0 as Oid;

/** Privilege bits, in PostgreSQL 15's order (which is also the order of the letters in text). */
export const Privilege = {
  INSERT: 1 << 0,
  SELECT: 1 << 1,
  UPDATE: 1 << 2,
  DELETE: 1 << 3,
  TRUNCATE: 1 << 4,
  REFERENCES: 1 << 5,
  TRIGGER: 1 << 6,
  EXECUTE: 1 << 7,
  USAGE: 1 << 8,
  CREATE: 1 << 9,
  TEMPORARY: 1 << 10,
  CONNECT: 1 << 11,
  SET: 1 << 12,
  ALTER_SYSTEM: 1 << 13,
} as const;

/** Letters of the privileges, bit i ↔ letter i (P1). */
export const PRIVILEGE_LETTERS = 'arwdDxtXUCTcsA';
const PRIVILEGE_COUNT = PRIVILEGE_LETTERS.length;
const PRIVILEGE_NAMES = ['INSERT', 'SELECT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'EXECUTE', 'USAGE', 'CREATE', 'TEMPORARY', 'CONNECT', 'SET', 'ALTER SYSTEM'];
/** Bits of grant options sit 16 above their privileges when a mask mixes both (ACL_GRANT_OPTION_FOR). */
const GOPTION_SHIFT = 16;
const ALL_PRIV_BITS = (1 << PRIVILEGE_COUNT) - 1;

/** Grant-option bits for privileges, for masks passed to {@link aclMask}. */
export const grantOptionFor = (privs: AclMode): AclMode => (privs & ALL_PRIV_BITS) << GOPTION_SHIFT;

/** One ACL entry. */
export interface AclItem {
  readonly grantee: Oid;
  readonly grantor: Oid;
  readonly privs: AclMode;
  /** Subset of `privs` the grantee may grant on. */
  readonly grantOptions: AclMode;
}

/** An ACL, in stored order. */
export type Acl = readonly AclItem[];

/** Object types with ACLs. */
export type AclObjectType =
  | 'table' | 'view' | 'materialized view' | 'foreign table' | 'sequence' | 'column' | 'database'
  | 'function' | 'procedure' | 'routine' | 'language' | 'large object' | 'schema' | 'tablespace'
  | 'foreign-data wrapper' | 'foreign server' | 'type' | 'domain' | 'parameter';

const P = Privilege;
const ALL_RIGHTS: Record<'relation' | 'sequence' | 'column' | 'database' | 'function' | 'language' | 'large object' | 'schema' | 'tablespace' | 'foreign-data wrapper' | 'foreign server' | 'type' | 'parameter', AclMode> = {
  relation: P.INSERT | P.SELECT | P.UPDATE | P.DELETE | P.TRUNCATE | P.REFERENCES | P.TRIGGER,
  sequence: P.USAGE | P.SELECT | P.UPDATE,
  column: P.SELECT | P.INSERT | P.UPDATE | P.REFERENCES,
  database: P.CREATE | P.TEMPORARY | P.CONNECT,
  function: P.EXECUTE,
  language: P.USAGE,
  'large object': P.SELECT | P.UPDATE,
  schema: P.USAGE | P.CREATE,
  tablespace: P.CREATE,
  'foreign-data wrapper': P.USAGE,
  'foreign server': P.USAGE,
  type: P.USAGE,
  parameter: P.SET | P.ALTER_SYSTEM,
};

function rightsClass(t: AclObjectType): keyof typeof ALL_RIGHTS {
  switch (t) {
    case 'table': case 'view': case 'materialized view': case 'foreign table': return 'relation';
    case 'procedure': case 'routine': case 'function': return 'function';
    case 'domain': case 'type': return 'type';
    default: return t;
  }
}

/** Every privilege that applies to an object type: what ALL means (P2). */
export function allPrivileges(objectType: AclObjectType): AclMode {
  return ALL_RIGHTS[rightsClass(objectType)];
}

/** Text of a privilege set as letters, e.g. `arw` (no grant options). */
export function privilegeLetters(privs: AclMode): string {
  let s = '';
  for (let i = 0; i < PRIVILEGE_COUNT; i++) if (privs & (1 << i)) s += PRIVILEGE_LETTERS[i];
  return s;
}

/** SQL name of one privilege bit (e.g. `SELECT`). */
export function privilegeName(bit: AclMode): string {
  const i = Math.log2(bit);
  assert(Number.isInteger(i) && i < PRIVILEGE_COUNT, 'not a single privilege bit');
  return PRIVILEGE_NAMES[i]!;
}

const NAME_TO_BIT: Record<string, AclMode> = {
  insert: P.INSERT, select: P.SELECT, update: P.UPDATE, delete: P.DELETE, truncate: P.TRUNCATE,
  references: P.REFERENCES, trigger: P.TRIGGER, execute: P.EXECUTE, usage: P.USAGE, create: P.CREATE,
  temporary: P.TEMPORARY, temp: P.TEMPORARY, connect: P.CONNECT, set: P.SET, 'alter system': P.ALTER_SYSTEM,
  rule: 0,
};

const GRANT_OBJECT_WORD: Partial<Record<AclObjectType, string>> = {
  table: 'relation', view: 'relation', 'materialized view': 'relation', 'foreign table': 'relation',
};

/**
 * Privilege names of a GRANT/REVOKE (lower case) to bits, checked against the object type
 * (`invalid privilege type %s for %s`, 0LP01; unknown names 42601). RULE is accepted and ignored.
 */
export function privilegesFromNames(objectType: AclObjectType, names: readonly string[]): AclMode {
  const all = allPrivileges(objectType);
  let mask = 0;
  for (const raw of names) {
    const name = raw.toLowerCase();
    const bit = NAME_TO_BIT[name];
    if (bit === undefined) throw new PgError(SqlState.SYNTAX_ERROR, `unrecognized privilege type "${raw}"`);
    if (bit & ~all) {
      throw new PgError(SqlState.INVALID_GRANT_OPERATION, `invalid privilege type ${privilegeName(bit)} for ${GRANT_OBJECT_WORD[objectType] ?? objectType}`);
    }
    mask |= bit;
  }
  return mask;
}

/**
 * acldefault: the ACL an object has while its stored ACL is NULL (P3). PUBLIC's entry first,
 * then the owner's (all privileges, no grant options: the owner's options are implicit).
 */
export function aclDefault(objectType: AclObjectType, owner: Oid): AclItem[] {
  const cls = rightsClass(objectType);
  let world = 0;
  let ownerRights = ALL_RIGHTS[cls];
  if (cls === 'column') ownerRights = 0;
  if (cls === 'database') world = P.TEMPORARY | P.CONNECT;
  if (cls === 'function') world = P.EXECUTE;
  if (cls === 'language' || cls === 'type') world = P.USAGE;
  const out: AclItem[] = [];
  if (world) out.push({ grantee: ACL_PUBLIC, grantor: owner, privs: world, grantOptions: 0 });
  if (ownerRights) out.push({ grantee: owner, grantor: owner, privs: ownerRights, grantOptions: 0 });
  return out;
}

/** What ACL checks need to know about roles. */
export interface AclRoleOracle {
  isSuperuser(role: Oid): boolean;
  /** has_privs_of_role (member holds role's privileges through INHERIT chains, or is it). */
  hasPrivsOfRole(member: Oid, role: Oid): boolean;
  /** Roles whose privileges `role` has: itself first, then PostgreSQL's breadth-first order. */
  rolesIsMemberOf(role: Oid, mode: 'privs' | 'members'): Oid[];
}

const packed = (item: AclItem): AclMode => item.privs | (item.grantOptions << GOPTION_SHIFT);

/**
 * aclmask: which of `mask` (privilege bits and/or {@link grantOptionFor} bits) `role` holds in
 * `acl` directly, through PUBLIC, or through roles whose privileges it has. The owner's grant
 * options are implicit. With how='all' it stops once all are found, with 'any' at the first.
 */
export function aclMask(acl: Acl, role: Oid, owner: Oid, mask: AclMode, how: 'all' | 'any', roles: AclRoleOracle): AclMode {
  let result = 0;
  const done = () => (how === 'all' ? result === mask : result !== 0);
  const goptionBits = mask & (ALL_PRIV_BITS << GOPTION_SHIFT);
  if (goptionBits && roles.hasPrivsOfRole(role, owner)) {
    result = goptionBits;
    if (done()) return result;
  }
  for (const item of acl) {
    if (item.grantee === ACL_PUBLIC || item.grantee === role) {
      result |= packed(item) & mask;
      if (done()) return result;
    }
  }
  for (const item of acl) {
    if (item.grantee === ACL_PUBLIC || item.grantee === role) continue;
    if ((packed(item) & (mask & ~result)) === 0) continue;
    if (roles.hasPrivsOfRole(role, item.grantee)) {
      result |= packed(item) & mask;
      if (done()) return result;
    }
  }
  return result;
}

/** aclmask_direct: as {@link aclMask} but only entries naming `role` itself (no PUBLIC, no membership). */
export function aclMaskDirect(acl: Acl, role: Oid, owner: Oid, mask: AclMode, how: 'all' | 'any'): AclMode {
  let result = 0;
  const done = () => (how === 'all' ? result === mask : result !== 0);
  const goptionBits = mask & (ALL_PRIV_BITS << GOPTION_SHIFT);
  if (goptionBits && role === owner) {
    result = goptionBits;
    if (done()) return result;
  }
  for (const item of acl) {
    if (item.grantee === role) {
      result |= packed(item) & mask;
      if (done()) return result;
    }
  }
  return result;
}

/**
 * Does `role` hold all of `privs` on an object (P5)? Superusers hold everything; a NULL
 * stored ACL means {@link aclDefault}.
 */
export function hasPrivilege(acl: Acl | null, objectType: AclObjectType, owner: Oid, role: Oid, privs: AclMode, roles: AclRoleOracle): boolean {
  if (roles.isSuperuser(role)) return true;
  const effective = acl ?? aclDefault(objectType, owner);
  return aclMask(effective, role, owner, privs, 'all', roles) === privs;
}

/**
 * Column access (P6): allowed with the privilege on the column or on its table. Returns the
 * privileges of `privs` the role holds through either.
 */
export function columnPrivileges(tableAcl: Acl | null, columnAcl: Acl | null, owner: Oid, role: Oid, privs: AclMode, roles: AclRoleOracle): AclMode {
  if (roles.isSuperuser(role)) return privs;
  const fromTable = aclMask(tableAcl ?? aclDefault('table', owner), role, owner, privs, 'all', roles);
  if (fromTable === privs) return privs;
  return fromTable | aclMask(columnAcl ?? [], role, owner, privs & ~fromTable, 'all', roles);
}

const OBJECT_WORD_FOR_DENIED: Record<AclObjectType, string> = {
  table: 'table', view: 'view', 'materialized view': 'materialized view', 'foreign table': 'foreign table',
  sequence: 'sequence', column: 'column', database: 'database', function: 'function', procedure: 'procedure',
  routine: 'routine', language: 'language', 'large object': 'large object', schema: 'schema', tablespace: 'tablespace',
  'foreign-data wrapper': 'foreign-data wrapper', 'foreign server': 'foreign server', type: 'type', domain: 'domain', parameter: 'parameter',
};

/** 42501 `permission denied for <type> <name>` or, for a column, `permission denied for column "%s" of relation "%s"` (P11). */
export function permissionDenied(objectType: AclObjectType, name: string, columnName?: string): PgError {
  if (objectType === 'column' || columnName !== undefined) {
    return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `permission denied for column "${columnName}" of relation "${name}"`);
  }
  return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `permission denied for ${OBJECT_WORD_FOR_DENIED[objectType]} ${name}`);
}

/** 42501 `must be owner of <type> <name>` (P11). */
export function mustBeOwner(objectType: AclObjectType, name: string): PgError {
  return new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `must be owner of ${OBJECT_WORD_FOR_DENIED[objectType]} ${name}`);
}

// ---- text form ------------------------------------------------------------------------------

/** Role names for the text form; unknown ids print as numbers, as in PostgreSQL. */
export interface RoleNames {
  nameOf(id: Oid): string | undefined;
  idOf(name: string): Oid | undefined;
}

function putId(name: string): string {
  const safe = name.length > 0 && /^[A-Za-z0-9_\u0080-\uffff]*$/.test(name);
  return safe ? name : `"${name.replace(/"/g, '""')}"`;
}

/** aclitemout: `grantee=privs/grantor` with `*` after grantable privileges; PUBLIC is an empty grantee (P1). */
export function formatAclItem(item: AclItem, names: RoleNames): string {
  const who = (id: Oid) => {
    const n = names.nameOf(id);
    return n === undefined ? String(id) : putId(n);
  };
  let s = item.grantee === ACL_PUBLIC ? '' : who(item.grantee);
  s += '=';
  for (let i = 0; i < PRIVILEGE_COUNT; i++) {
    if (item.privs & (1 << i)) s += PRIVILEGE_LETTERS[i];
    if (item.grantOptions & (1 << i)) s += '*';
  }
  return `${s}/${who(item.grantor)}`;
}

/** An ACL as PostgreSQL prints aclitem[] (`{a=r/b,"x y"=w/b}`). */
export function formatAcl(acl: Acl, names: RoleNames): string {
  return `{${acl.map((i) => {
    const t = formatAclItem(i, names);
    return /[{},"\\\s]/.test(t) ? `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : t;
  }).join(',')}}`;
}

function aclSyntax(message: string): PgError {
  return new PgError(SqlState.INVALID_TEXT_REPRESENTATION, message);
}

function getId(text: string, pos: number): { name: string; pos: number } {
  let i = pos;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  let name = '';
  let inQuote = false;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      if (inQuote && text[i + 1] === '"') { name += '"'; i++; continue; }
      inQuote = !inQuote;
      continue;
    }
    if (!inQuote && !/[A-Za-z0-9_\u0080-\uffff]/.test(c)) break;
    name += c;
    if (name.length >= 64) throw aclSyntax('identifier too long');
  }
  if (inQuote) throw aclSyntax('unterminated name');
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return { name, pos: i };
}

/**
 * aclitemin: parses `[group|user] grantee=privs[/grantor]`. A missing grantor defaults to
 * `defaultGrantor` (PostgreSQL: the bootstrap superuser, with a warning). Unknown roles are
 * 42704 `role "%s" does not exist`.
 */
export function parseAclItem(text: string, names: RoleNames, defaultGrantor: Oid): AclItem {
  let r = getId(text, 0);
  if (r.name === 'group' || r.name === 'user') {
    if (text[r.pos] !== '=') r = getId(text, r.pos);
  }
  if (text[r.pos] !== '=') throw aclSyntax(r.name === '' ? 'missing name' : 'missing "=" sign');
  const lookup = (name: string): Oid => {
    const id = names.idOf(name);
    if (id === undefined) throw new PgError(SqlState.UNDEFINED_OBJECT, `role "${name}" does not exist`);
    return id;
  };
  const grantee = r.name === '' ? ACL_PUBLIC : lookup(r.name);
  let i = r.pos + 1;
  let privs = 0;
  let goptions = 0;
  let last = -1;
  for (; i < text.length && text[i] !== '/' && !/\s/.test(text[i]!); i++) {
    const c = text[i]!;
    if (c === '*') {
      if (last < 0) throw aclSyntax(`invalid mode character: must be one of "${PRIVILEGE_LETTERS}"`);
      goptions |= 1 << last;
      continue;
    }
    const idx = PRIVILEGE_LETTERS.indexOf(c);
    if (idx < 0) throw aclSyntax(`invalid mode character: must be one of "${PRIVILEGE_LETTERS}"`);
    privs |= 1 << idx;
    last = idx;
  }
  while (i < text.length && /\s/.test(text[i]!)) i++;
  let grantor = defaultGrantor;
  if (text[i] === '/') {
    const g = getId(text, i + 1);
    if (g.name === '') throw aclSyntax('a name must follow the "/" sign');
    grantor = lookup(g.name);
    i = g.pos;
  }
  if (i < text.length) throw aclSyntax('extra garbage at the end of the ACL specification');
  return { grantee, grantor, privs, grantOptions: goptions };
}

/** aclitem order (grantee, grantor, privileges) as aclitemsort uses. */
export function compareAclItems(a: AclItem, b: AclItem): number {
  return (a.grantee - b.grantee) || (a.grantor - b.grantor) || (packed(a) - packed(b));
}

/** Sorted copy of an ACL. */
export function sortAcl(acl: Acl): AclItem[] {
  return [...acl].sort(compareAclItems);
}

/** True if two ACLs hold the same items in the same order. */
export function aclEqual(a: Acl, b: Acl): boolean {
  return a.length === b.length && a.every((x, i) => compareAclItems(x, b[i]!) === 0);
}
