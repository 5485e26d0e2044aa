// GRANT and REVOKE on an object's ACL as PostgreSQL 15 executes them: choosing the grantor
// (select_best_grantor), restricting to the grant options held (with the 01007/01006
// warnings), merging per grantee (aclupdate), cascading revocation of dependent grants
// (recursive_revoke, 2BP01), the circularity check, ownership change (aclnewowner), and
// ALTER DEFAULT PRIVILEGES. Entry points: executeGrant, aclNewOwner, setDefaultAcl, defaultAclForNewObject.

import { PgError, SqlState, assert, type Oid } from '@palisade/common';
import {
  ACL_PUBLIC, aclDefault, aclEqual, aclMask, aclMaskDirect, allPrivileges, grantOptionFor, permissionDenied, sortAcl,
  type Acl, type AclItem, type AclMode, type AclObjectType, type AclRoleOracle,
} from './acl.ts';

/** Bound on the rewrites of one ACL in a single statement (each removes at least one bit). */
export const ACL_REWRITES_MAX = 1_000_000;

/** DROP behaviour of REVOKE. */
export type DropBehavior = 'restrict' | 'cascade';

/** One GRANT or REVOKE on one object. */
export interface GrantRequest {
  isGrant: boolean;
  objectType: AclObjectType;
  /** Name used in warnings and errors (the relation name for columns). */
  objectName: string;
  /** For column privileges, the column's name. */
  columnName?: string;
  /** The stored ACL, or null for the built-in default. */
  acl: Acl | null;
  owner: Oid;
  /** Privilege bits, or 'all' for ALL [PRIVILEGES]. */
  privileges: AclMode | 'all';
  /** Role ids; {@link ACL_PUBLIC} for PUBLIC. */
  grantees: readonly Oid[];
  /** WITH GRANT OPTION (GRANT) or GRANT OPTION FOR (REVOKE). */
  grantOption: boolean;
  behavior?: DropBehavior;
  /** The role executing the statement (current_user). */
  currentUser: Oid;
  /**
   * The ACL the grantor's grant options are looked up in, if not `acl`: for a column, the
   * relation's ACL followed by the column's (PostgreSQL's aclconcat).
   */
  grantorAcl?: Acl;
  /**
   * Whether the grantor holds any privilege on the object at all, for the hard 42501 when it has
   * no grant options; default: looked up in `grantorAcl ?? acl`.
   */
  grantorHasAnyPrivilege?: boolean;
}

/** Result of one {@link executeGrant}. */
export interface GrantResult {
  /** The new ACL to store. */
  acl: AclItem[];
  /** The role recorded as grantor. */
  grantor: Oid;
  /** WARNING 01007 / 01006 messages to send. */
  warnings: PgError[];
}

const packedOf = (i: AclItem) => ({ rights: i.privs | (i.grantOptions << 16) });
const fromRights = (grantee: Oid, grantor: Oid, rights: AclMode): AclItem => ({ grantee, grantor, privs: rights & 0xffff, grantOptions: (rights >>> 16) & 0xffff });

function bitCount(n: number): number {
  let c = 0;
  for (let x = n; x; x &= x - 1) c++;
  return c;
}

/**
 * select_best_grantor: owner and superusers act as the owner; otherwise the first role (self,
 * then roles whose privileges the user has) holding all needed grant options directly, or the
 * one holding the most.
 */
export function selectBestGrantor(currentUser: Oid, privileges: AclMode, acl: Acl, owner: Oid, roles: AclRoleOracle): { grantor: Oid; grantOptions: AclMode } {
  const needed = grantOptionFor(privileges);
  if (currentUser === owner || roles.isSuperuser(currentUser)) return { grantor: owner, grantOptions: needed };
  let best = { grantor: currentUser, grantOptions: 0 };
  let bestCount = 0;
  for (const other of roles.rolesIsMemberOf(currentUser, 'privs')) {
    const held = aclMaskDirect(acl, other, owner, needed, 'all');
    if (held === needed) return { grantor: other, grantOptions: held };
    if (held !== 0) {
      const n = bitCount(held);
      if (n > bestCount) { best = { grantor: other, grantOptions: held }; bestCount = n; }
    }
  }
  return best;
}

interface Budget { rewrites: number }

function spend(budget: Budget): void {
  budget.rewrites++;
  assert(budget.rewrites <= ACL_REWRITES_MAX, 'ACL rewrite bound exceeded');
}

/**
 * aclupdate: applies one item's rights (ADD / DEL) for its grantee and grantor, in place of an
 * existing entry or appended; drops entries left without rights; cascades lost grant options.
 */
export function aclUpdate(acl: Acl, mod: AclItem, mode: 'add' | 'del', owner: Oid, behavior: DropBehavior, roles: AclRoleOracle, budget: Budget = { rewrites: 0 }): AclItem[] {
  spend(budget);
  if (mode === 'add' && mod.grantOptions !== 0) checkCircularity(acl, mod, owner, roles, budget);
  const out = [...acl];
  let dst = out.findIndex((i) => i.grantee === mod.grantee && i.grantor === mod.grantor);
  if (dst < 0) {
    out.push({ grantee: mod.grantee, grantor: mod.grantor, privs: 0, grantOptions: 0 });
    dst = out.length - 1;
  }
  const old = out[dst]!;
  const oldRights = packedOf(old).rights;
  const modRights = packedOf(mod).rights;
  const newRights = mode === 'add' ? oldRights | modRights : oldRights & ~modRights;
  const updated = fromRights(old.grantee, old.grantor, newRights);
  if (newRights === 0) out.splice(dst, 1);
  else out[dst] = updated;
  const lostOptions = old.grantOptions & ~updated.grantOptions;
  if (lostOptions !== 0) {
    assert(mod.grantee !== ACL_PUBLIC, 'PUBLIC cannot hold grant options');
    return recursiveRevoke(out, mod.grantee, lostOptions, owner, behavior, roles, budget);
  }
  return out;
}

function checkCircularity(acl: Acl, mod: AclItem, owner: Oid, roles: AclRoleOracle, budget: Budget): void {
  if (mod.grantor === owner) return;
  let work: AclItem[] = [...acl];
  for (;;) {
    const i = work.findIndex((x) => x.grantee === mod.grantee && x.grantOptions !== 0);
    if (i < 0) break;
    work = aclUpdate(work, work[i]!, 'del', owner, 'cascade', roles, budget);
  }
  const own = aclMask(work, mod.grantor, owner, grantOptionFor(mod.grantOptions), 'all', roles) >>> 16;
  if ((mod.grantOptions & ~own) !== 0) {
    throw new PgError(SqlState.INVALID_GRANT_OPERATION, 'grant options cannot be granted back to your own grantor');
  }
}

function recursiveRevoke(acl: AclItem[], grantee: Oid, revokePrivs: AclMode, owner: Oid, behavior: DropBehavior, roles: AclRoleOracle, budget: Budget): AclItem[] {
  if (grantee === owner) return acl;
  const stillHas = aclMask(acl, grantee, owner, grantOptionFor(revokePrivs), 'all', roles) >>> 16;
  const privs = revokePrivs & ~stillHas;
  if (privs === 0) return acl;
  let work = acl;
  for (;;) {
    const i = work.findIndex((x) => x.grantor === grantee && (x.privs & privs) !== 0);
    if (i < 0) return work;
    if (behavior === 'restrict') {
      throw new PgError(SqlState.DEPENDENT_OBJECTS_STILL_EXIST, 'dependent privileges exist', { hint: 'Use CASCADE to revoke them too.' });
    }
    work = aclUpdate(work, { grantee: work[i]!.grantee, grantor: grantee, privs, grantOptions: privs }, 'del', owner, behavior, roles, budget);
  }
}

/**
 * merge_acl_with_grant: applies a GRANT or REVOKE of `privileges` by `grantor` for each grantee.
 * Plain REVOKE removes privileges and their grant options; REVOKE GRANT OPTION FOR only the options.
 */
export function mergeAclWithGrant(acl: Acl, isGrant: boolean, grantOption: boolean, behavior: DropBehavior, grantees: readonly Oid[], privileges: AclMode, grantor: Oid, owner: Oid, roles: AclRoleOracle): AclItem[] {
  let out: AclItem[] = [...acl];
  const budget: Budget = { rewrites: 0 };
  for (const grantee of grantees) {
    if (isGrant && grantOption && grantee === ACL_PUBLIC) {
      throw new PgError(SqlState.INVALID_GRANT_OPERATION, 'grant options can only be granted to roles');
    }
    const item: AclItem = {
      grantee, grantor,
      privs: isGrant || !grantOption ? privileges : 0,
      grantOptions: !isGrant || grantOption ? privileges : 0,
    };
    out = aclUpdate(out, item, isGrant ? 'add' : 'del', owner, behavior, roles, budget);
  }
  return out;
}

function warning(isGrant: boolean, none: boolean, objectName: string, columnName?: string): PgError {
  const target = columnName !== undefined ? `column "${columnName}" of relation "${objectName}"` : `"${objectName}"`;
  const text = isGrant
    ? `${none ? 'no privileges were granted' : 'not all privileges were granted'} for ${target}`
    : `${none ? 'no privileges could be revoked' : 'not all privileges could be revoked'} for ${target}`;
  return new PgError(isGrant ? SqlState.WARNING_PRIVILEGE_NOT_GRANTED : SqlState.WARNING_PRIVILEGE_NOT_REVOKED, text, { severity: 'WARNING' });
}

/**
 * Executes GRANT / REVOKE on one object (P8–P10): picks the grantor, restricts the request to
 * the grant options it holds (hard 42501 if it holds nothing at all on the object, WARNING
 * 01007/01006 when some or all of the request is dropped) and merges the result.
 */
export function executeGrant(req: GrantRequest, roles: AclRoleOracle): GrantResult {
  const whole = allPrivileges(req.objectType);
  const allPrivs = req.privileges === 'all';
  const privileges = allPrivs ? whole : (req.privileges as AclMode);
  assert((privileges & ~whole) === 0, 'privileges not valid for the object type; check with privilegesFromNames');
  const oldAcl = req.acl ?? aclDefault(req.objectType, req.owner);
  const lookupAcl = req.grantorAcl ?? oldAcl;
  const { grantor, grantOptions } = selectBestGrantor(req.currentUser, privileges, lookupAcl, req.owner, roles);
  const warnings: PgError[] = [];
  if (grantOptions === 0) {
    const any = req.grantorHasAnyPrivilege
      ?? (roles.isSuperuser(grantor) || aclMask(lookupAcl, grantor, req.owner, whole | grantOptionFor(whole), 'any', roles) !== 0);
    if (!any) throw permissionDenied(req.objectType, req.objectName, req.columnName);
  }
  const thisPrivileges = privileges & (grantOptions >>> 16);
  if (thisPrivileges === 0) warnings.push(warning(req.isGrant, true, req.objectName, req.columnName));
  else if (!allPrivs && thisPrivileges !== privileges) warnings.push(warning(req.isGrant, false, req.objectName, req.columnName));
  const acl = mergeAclWithGrant(oldAcl, req.isGrant, req.grantOption, req.behavior ?? 'restrict', req.grantees, thisPrivileges, grantor, req.owner, roles);
  return { acl, grantor, warnings };
}

/**
 * The column privileges a table-level REVOKE also removes from every column (P6): the
 * revoked privileges that apply to columns. GRANT on a table never touches column ACLs.
 */
export function columnPrivilegesOfTableRevoke(privileges: AclMode | 'all'): AclMode {
  const p = privileges === 'all' ? allPrivileges('table') : privileges;
  return p & allPrivileges('column');
}

/**
 * aclnewowner: the ACL after ownership moves from `oldOwner` to `newOwner` (P7): every mention
 * of the old owner becomes the new owner, and entries that then coincide are merged.
 */
export function aclNewOwner(acl: Acl, oldOwner: Oid, newOwner: Oid): AclItem[] {
  let newPresent = false;
  const replaced = acl.map((i) => {
    const grantor = i.grantor === oldOwner ? newOwner : i.grantor;
    let grantee = i.grantee;
    if (grantee === oldOwner) grantee = newOwner;
    else if (grantee === newOwner) newPresent = true;
    return { grantee, grantor, privs: i.privs, grantOptions: i.grantOptions };
  });
  if (!newPresent) return replaced;
  const rights = replaced.map((i) => packedOf(i).rights);
  const out: AclItem[] = [];
  for (let t = 0; t < replaced.length; t++) {
    if (rights[t] === 0) continue;
    for (let s = t + 1; s < replaced.length; s++) {
      if (rights[s] === 0) continue;
      if (replaced[s]!.grantee === replaced[t]!.grantee && replaced[s]!.grantor === replaced[t]!.grantor) {
        rights[t] = rights[t]! | rights[s]!;
        rights[s] = 0;
      }
    }
    out.push(fromRights(replaced[t]!.grantee, replaced[t]!.grantor, rights[t]!));
  }
  return out;
}

// ---- default privileges ---------------------------------------------------------------------

/** Object kinds ALTER DEFAULT PRIVILEGES supports in PostgreSQL 15, with pg_default_acl's letter. */
export type DefaultAclObjectType = 'tables' | 'sequences' | 'functions' | 'types' | 'schemas';
export const DEFAULT_ACL_LETTER: Record<DefaultAclObjectType, string> = { tables: 'r', sequences: 'S', functions: 'f', types: 'T', schemas: 'n' };
const DEFAULT_ACL_OBJECT: Record<DefaultAclObjectType, AclObjectType> = { tables: 'table', sequences: 'sequence', functions: 'function', types: 'type', schemas: 'schema' };

/** A pg_default_acl entry. `schema` null means global (all schemas). */
export interface DefaultAclEntry {
  readonly role: Oid;
  readonly schema: Oid | null;
  readonly objectType: DefaultAclObjectType;
  readonly acl: readonly AclItem[];
}

/** One ALTER DEFAULT PRIVILEGES [FOR ROLE r] [IN SCHEMA s] GRANT|REVOKE … statement, for one role and schema. */
export interface DefaultAclRequest {
  role: Oid;
  schema: Oid | null;
  objectType: DefaultAclObjectType;
  isGrant: boolean;
  privileges: AclMode | 'all';
  grantees: readonly Oid[];
  grantOption: boolean;
  behavior?: DropBehavior;
  /** True if the statement named columns (always refused). */
  hasColumns?: boolean;
}

/**
 * SetDefaultACL (P15): the new entry for (role, schema, type), or null when the result equals
 * the default (global: acldefault; per schema: empty) and the entry is to be removed. The
 * grantor is always the target role.
 */
export function setDefaultAcl(existing: DefaultAclEntry | null, req: DefaultAclRequest, roles: AclRoleOracle): DefaultAclEntry | null {
  if (req.hasColumns) throw new PgError(SqlState.INVALID_GRANT_OPERATION, 'default privileges cannot be set for columns');
  if (req.objectType === 'schemas' && req.schema !== null) {
    throw new PgError(SqlState.INVALID_GRANT_OPERATION, 'cannot use IN SCHEMA clause when using GRANT/REVOKE ON SCHEMAS');
  }
  const objType = DEFAULT_ACL_OBJECT[req.objectType];
  const privileges = req.privileges === 'all' ? allPrivileges(objType) : req.privileges;
  const defaultAcl = req.schema === null ? aclDefault(objType, req.role) : [];
  const oldAcl = existing?.acl ?? defaultAcl;
  const merged = mergeAclWithGrant(oldAcl, req.isGrant, req.grantOption, req.behavior ?? 'restrict', req.grantees, privileges, req.role, req.role, roles);
  const sorted = sortAcl(merged);
  if (aclEqual(sorted, sortAcl(defaultAcl))) return null;
  return { role: req.role, schema: req.schema, objectType: req.objectType, acl: sorted };
}

/**
 * get_user_default_acl: the ACL a new object gets from default privileges (global entry, or
 * the built-in default, plus the schema's entry), or null when that equals the built-in
 * default (the object then stores NULL). Only objects created by `owner` are affected.
 */
export function defaultAclForNewObject(entries: readonly DefaultAclEntry[], objectType: DefaultAclObjectType, owner: Oid, schema: Oid | null, roles: AclRoleOracle): AclItem[] | null {
  const globalEntry = entries.find((e) => e.role === owner && e.schema === null && e.objectType === objectType);
  const schemaEntry = schema === null ? undefined : entries.find((e) => e.role === owner && e.schema === schema && e.objectType === objectType);
  if (!globalEntry && !schemaEntry) return null;
  const objType = DEFAULT_ACL_OBJECT[objectType];
  const def = aclDefault(objType, owner);
  const left = globalEntry?.acl ?? def;
  let result: AclItem[];
  if (left.length === 0) result = [...(schemaEntry?.acl ?? [])];
  else if (!schemaEntry || schemaEntry.acl.length === 0) result = [...left];
  else {
    result = [...left];
    const budget: Budget = { rewrites: 0 };
    for (const item of schemaEntry.acl) result = aclUpdate(result, item, 'add', owner, 'restrict', roles, budget);
  }
  // As in PostgreSQL, an empty merge result yields NULL, which means the built-in default: a
  // global REVOKE ALL from the owner alone does not take the owner's rights on new objects.
  if (result.length === 0) return null;
  const sorted = sortAcl(result);
  return aclEqual(sorted, sortAcl(def)) ? null : sorted;
}
