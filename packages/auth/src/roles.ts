// Roles as PostgreSQL 15 models them: attributes with their defaults (A34), the membership
// graph (GRANT role TO member [WITH ADMIN OPTION]), inheritance through INHERIT roles, and the
// questions the rest of the system asks: has_privs_of_role, is_member_of_role, SET ROLE,
// admin option. Pure data; the SQL engine stores it in pg_authid / pg_auth_members.
// Entry point: RoleGraph.

import { PgError, SqlState, assert, type Oid } from '@palisade/common';

/** Attributes of a role (pg_authid). */
export interface RoleAttributes {
  superuser: boolean;
  inherit: boolean;
  createRole: boolean;
  createDb: boolean;
  canLogin: boolean;
  replication: boolean;
  bypassRls: boolean;
  /** -1 means no limit. */
  connectionLimit: number;
  /** Stored secret (SCRAM or MD5), or null. */
  password: string | null;
  /** Password expiry in ms since the epoch; null means infinity. */
  validUntilMs: number | null;
}

/** Defaults of CREATE ROLE, or of CREATE USER with `login` (A34). */
export function defaultRoleAttributes(options: { login?: boolean } = {}): RoleAttributes {
  return {
    superuser: false, inherit: true, createRole: false, createDb: false, canLogin: options.login ?? false,
    replication: false, bypassRls: false, connectionLimit: -1, password: null, validUntilMs: null,
  };
}

/** A role. */
export interface Role {
  readonly id: Oid;
  readonly name: string;
  attributes: RoleAttributes;
}

/** One membership edge (pg_auth_members). */
export interface RoleMembership {
  readonly roleId: Oid;
  readonly memberId: Oid;
  readonly grantorId: Oid;
  adminOption: boolean;
}

/** Upper bound on roles, so that every traversal is bounded. */
export const ROLE_COUNT_MAX = 1_000_000;

/** The name of the role that cannot have explicit members. */
export const PG_DATABASE_OWNER = 'pg_database_owner';

/** Context for the PostgreSQL 15 rule that a role may administer itself. */
export interface AdminContext {
  /** The session user (the role that authenticated). */
  sessionUserId?: Oid;
  /** True inside SECURITY DEFINER functions or security-restricted operations. */
  inRestrictedContext?: boolean;
}

/**
 * Roles and their memberships. Lookups return membership in PostgreSQL 15's order: the role
 * itself, then breadth-first through memberships, each level in role-id order.
 */
export class RoleGraph {
  private readonly roles = new Map<Oid, Role>();
  private readonly byName = new Map<string, Oid>();
  /** member → role → edge */
  private readonly memberOf = new Map<Oid, Map<Oid, RoleMembership>>();

  /** Adds a role; ids and names must be new. */
  addRole(id: Oid, name: string, attributes: Partial<RoleAttributes> = {}): Role {
    assert(!this.roles.has(id), `role id ${id} exists`);
    assert(this.roles.size < ROLE_COUNT_MAX, 'too many roles');
    if (this.byName.has(name)) throw new PgError(SqlState.DUPLICATE_OBJECT, `role "${name}" already exists`);
    const role: Role = { id, name, attributes: { ...defaultRoleAttributes(), ...attributes } };
    this.roles.set(id, role);
    this.byName.set(name, id);
    return role;
  }

  /** Drops a role and every membership it is part of. */
  dropRole(id: Oid): void {
    const role = this.roles.get(id);
    if (!role) return;
    this.roles.delete(id);
    this.byName.delete(role.name);
    this.memberOf.delete(id);
    for (const edges of this.memberOf.values()) edges.delete(id);
  }

  role(id: Oid): Role | undefined { return this.roles.get(id); }
  roleByName(name: string): Role | undefined {
    const id = this.byName.get(name);
    return id === undefined ? undefined : this.roles.get(id);
  }
  nameOf(id: Oid): string | undefined { return this.roles.get(id)?.name; }
  idOf(name: string): Oid | undefined { return this.byName.get(name); }
  isSuperuser(id: Oid): boolean { return this.roles.get(id)?.attributes.superuser ?? false; }

  /** Memberships of `member` (the roles it was granted), in role-id order. */
  membershipsOf(member: Oid): RoleMembership[] {
    return [...(this.memberOf.get(member)?.values() ?? [])].sort((a, b) => a.roleId - b.roleId);
  }

  /**
   * Roles `start` is a member of, itself first, breadth-first in PostgreSQL's order. With
   * 'privs' the expansion stops at roles without INHERIT (roles_is_member_of ROLERECURSE_PRIVS).
   */
  rolesIsMemberOf(start: Oid, mode: 'privs' | 'members'): Oid[] {
    const out: Oid[] = [start];
    const seen = new Set<Oid>(out);
    for (let i = 0; i < out.length; i++) {
      assert(i < ROLE_COUNT_MAX, 'membership traversal exceeded the role count');
      const current = out[i]!;
      if (mode === 'privs' && !(this.roles.get(current)?.attributes.inherit ?? false)) continue;
      for (const edge of this.membershipsOf(current)) {
        if (!seen.has(edge.roleId)) { seen.add(edge.roleId); out.push(edge.roleId); }
      }
    }
    return out;
  }

  /** has_privs_of_role: `member` holds `role`'s privileges (itself, superuser, or an INHERIT chain). */
  hasPrivsOfRole(member: Oid, role: Oid): boolean {
    if (member === role) return true;
    if (this.isSuperuser(member)) return true;
    return this.rolesIsMemberOf(member, 'privs').includes(role);
  }

  /** is_member_of_role: any membership chain, INHERIT or not; superusers are members of everything. */
  isMemberOfRole(member: Oid, role: Oid): boolean {
    if (member === role) return true;
    if (this.isSuperuser(member)) return true;
    return this.rolesIsMemberOf(member, 'members').includes(role);
  }

  /** is_member_of_role_nosuper: as {@link isMemberOfRole} but superuser is not implied (pg_hba `+role`, A5). */
  isMemberOfRoleNoSuper(member: Oid, role: Oid): boolean {
    if (member === role) return true;
    return this.rolesIsMemberOf(member, 'members').includes(role);
  }

  /** SET ROLE is allowed iff the session user is a member of the role (PostgreSQL 15; P14). */
  canSetRole(member: Oid, role: Oid): boolean {
    return this.isMemberOfRole(member, role);
  }

  /** is_admin_of_role: superuser, a chain to a membership WITH ADMIN OPTION, or (15) the session user itself outside restricted contexts. */
  isAdminOfRole(member: Oid, role: Oid, context: AdminContext = {}): boolean {
    if (this.isSuperuser(member)) return true;
    if (member === role) return context.sessionUserId === member && !context.inRestrictedContext;
    const list: Oid[] = [member];
    const seen = new Set<Oid>(list);
    for (let i = 0; i < list.length; i++) {
      assert(i < ROLE_COUNT_MAX, 'membership traversal exceeded the role count');
      for (const edge of this.membershipsOf(list[i]!)) {
        if (edge.roleId === role && edge.adminOption) return true;
        if (!seen.has(edge.roleId)) { seen.add(edge.roleId); list.push(edge.roleId); }
      }
    }
    return false;
  }

  /**
   * GRANT role TO member [WITH ADMIN OPTION] by `grantor` (PostgreSQL 15's AddRoleMems checks and
   * messages). Returns the notices to send; throws on refusal.
   */
  grantMembership(roleId: Oid, memberId: Oid, options: { admin?: boolean; grantorId: Oid; context?: AdminContext }): PgError[] {
    const role = this.mustRole(roleId);
    const member = this.mustRole(memberId);
    const grantor = this.mustRole(options.grantorId);
    this.checkMembershipPermission(role, grantor, options.context);
    if (role.name === PG_DATABASE_OWNER) throw new PgError(SqlState.INVALID_GRANT_OPERATION, `role "${role.name}" cannot have explicit members`);
    if (member.name === PG_DATABASE_OWNER) throw new PgError(SqlState.INVALID_GRANT_OPERATION, `role "${member.name}" cannot be a member of any role`);
    // Refuse loops, including a role made a member of itself; superuserness is ignored here.
    if (this.isMemberOfRoleNoSuper(roleId, memberId)) {
      throw new PgError(SqlState.INVALID_GRANT_OPERATION, `role "${role.name}" is a member of role "${member.name}"`);
    }
    let edges = this.memberOf.get(memberId);
    const existing = edges?.get(roleId);
    if (existing && (!options.admin || existing.adminOption)) {
      return [new PgError(SqlState.SUCCESSFUL_COMPLETION, `role "${member.name}" is already a member of role "${role.name}"`, { severity: 'NOTICE' })];
    }
    if (!edges) { edges = new Map(); this.memberOf.set(memberId, edges); }
    if (existing) existing.adminOption = true;
    else edges.set(roleId, { roleId, memberId, grantorId: options.grantorId, adminOption: options.admin ?? false });
    return [];
  }

  /** REVOKE [ADMIN OPTION FOR] role FROM member (PostgreSQL 15's DelRoleMems). Returns warnings. */
  revokeMembership(roleId: Oid, memberId: Oid, options: { adminOptionOnly?: boolean; grantorId: Oid; context?: AdminContext }): PgError[] {
    const role = this.mustRole(roleId);
    const member = this.mustRole(memberId);
    this.checkMembershipPermission(role, this.mustRole(options.grantorId), options.context);
    const edges = this.memberOf.get(memberId);
    const existing = edges?.get(roleId);
    if (!existing) {
      return [new PgError(SqlState.WARNING, `role "${member.name}" is not a member of role "${role.name}"`, { severity: 'WARNING' })];
    }
    if (options.adminOptionOnly) existing.adminOption = false;
    else edges!.delete(roleId);
    return [];
  }

  private checkMembershipPermission(role: Role, grantor: Role, context?: AdminContext): void {
    if (role.attributes.superuser) {
      if (!grantor.attributes.superuser) throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, 'must be superuser to alter superusers');
    } else if (!grantor.attributes.createRole && !this.isAdminOfRole(grantor.id, role.id, context)) {
      throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, `must have admin option on role "${role.name}"`);
    }
  }

  private mustRole(id: Oid): Role {
    const r = this.roles.get(id);
    if (!r) throw new PgError(SqlState.UNDEFINED_OBJECT, `role with OID ${id} does not exist`);
    return r;
  }

  /** The membership oracle pg_hba.conf matching uses (names; superuser not implied; unknown names never match). */
  hbaOracle(): { isMemberOf(user: string, role: string): boolean } {
    return {
      isMemberOf: (user, role) => {
        const u = this.byName.get(user);
        const r = this.byName.get(role);
        return u !== undefined && r !== undefined && this.isMemberOfRoleNoSuper(u, r);
      },
    };
  }
}

/** Checks PostgreSQL 15's CREATE ROLE attribute rules for `actor` (A35). */
export function checkCreateRoleAttributes(actor: RoleAttributes, requested: Partial<RoleAttributes>): void {
  if (requested.superuser) {
    if (!actor.superuser) throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, 'must be superuser to create superusers');
  } else if (requested.replication) {
    if (!actor.superuser) throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, 'must be superuser to create replication users');
  } else if (requested.bypassRls) {
    if (!actor.superuser) throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, 'must be superuser to create bypassrls users');
  } else if (!actor.superuser && !actor.createRole) {
    throw new PgError(SqlState.INSUFFICIENT_PRIVILEGE, 'permission denied to create role');
  }
}

/**
 * Whether a password-based login may proceed with this role's secret (A36): null secret or an
 * expired VALID UNTIL make the secret unusable; the reason is for the log only.
 */
export function usablePassword(role: Role | undefined, nowMs: number): { secret: string | null; reason?: 'role-does-not-exist' | 'no-password' | 'password-expired' } {
  if (!role) return { secret: null, reason: 'role-does-not-exist' };
  const { password, validUntilMs } = role.attributes;
  if (password === null || password === '') return { secret: null, reason: 'no-password' };
  if (validUntilMs !== null && validUntilMs < nowMs) return { secret: null, reason: 'password-expired' };
  return { secret: password };
}

/**
 * The role checks after authentication (A19, A21): the role must exist and may log in, a
 * replication connection needs REPLICATION (or superuser), and CONNECTION LIMIT applies to
 * non-superusers. `connectionsOfRole` counts the role's other regular backends.
 */
export function checkRoleLogin(role: Role | undefined, user: string, options: { replication?: boolean; connectionsOfRole?: number } = {}): PgError | null {
  const fatal = (code: typeof SqlState[keyof typeof SqlState], message: string) => new PgError(code, message, { severity: 'FATAL' });
  if (!role) return fatal(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, `role "${user}" does not exist`);
  const a = role.attributes;
  if (!a.canLogin) return fatal(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, `role "${user}" is not permitted to log in`);
  if (!a.superuser && a.connectionLimit >= 0 && (options.connectionsOfRole ?? 0) >= a.connectionLimit) {
    return fatal(SqlState.TOO_MANY_CONNECTIONS, `too many connections for role "${user}"`);
  }
  if (options.replication && !a.superuser && !a.replication) return fatal(SqlState.INSUFFICIENT_PRIVILEGE, 'permission denied to start WAL sender');
  return null;
}
