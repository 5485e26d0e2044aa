// The object classes and permissions SE-PostgreSQL knows (S1, S2): internal class codes and
// permission bits, independent of any policy. A policy provider translates them to the loaded
// policy's values by name (S2) and applies handle_unknown to what is missing (S3).
// Entry points: SEPG_CLASS, SEPG_CLASSES, permissionBits, permissionNames.

import { PgError, SqlState, assert } from '@palisade/common';

/** Internal class codes (sepgsql.h). */
export const SEPG_CLASS = {
  process: 0,
  file: 1,
  dir: 2,
  lnk_file: 3,
  chr_file: 4,
  blk_file: 5,
  sock_file: 6,
  fifo_file: 7,
  db_database: 8,
  db_schema: 9,
  db_table: 10,
  db_sequence: 11,
  db_procedure: 12,
  db_column: 13,
  db_tuple: 14,
  db_blob: 15,
  db_language: 16,
  db_view: 17,
} as const;

/** Name of an object class SE-PostgreSQL uses. */
export type SepgClassName = keyof typeof SEPG_CLASS;

/** One class: its internal code, SELinux name and permissions in bit order (bit i = 1 << i). */
export interface SepgClassInfo {
  readonly code: number;
  readonly name: SepgClassName;
  readonly permissions: readonly string[];
}

const COMMON_DB = ['create', 'drop', 'getattr', 'setattr', 'relabelfrom', 'relabelto'] as const;
const COMMON_FILE = ['read', 'write', 'create', 'getattr', 'unlink', 'rename'] as const;

function cls(name: SepgClassName, permissions: readonly string[]): SepgClassInfo {
  return { code: SEPG_CLASS[name], name, permissions };
}

/** The catalogue, indexed by internal code (selinux.c's selinux_catalog). */
export const SEPG_CLASSES: readonly SepgClassInfo[] = [
  cls('process', ['transition', 'dyntransition', 'setcurrent']),
  cls('file', [...COMMON_FILE, 'append']),
  cls('dir', [...COMMON_FILE, 'search', 'add_name', 'remove_name', 'rmdir', 'reparent']),
  cls('lnk_file', COMMON_FILE),
  cls('chr_file', COMMON_FILE),
  cls('blk_file', COMMON_FILE),
  cls('sock_file', COMMON_FILE),
  cls('fifo_file', COMMON_FILE),
  cls('db_database', [...COMMON_DB, 'access', 'load_module']),
  cls('db_schema', [...COMMON_DB, 'search', 'add_name', 'remove_name']),
  cls('db_table', [...COMMON_DB, 'select', 'update', 'insert', 'delete', 'lock', 'truncate']),
  cls('db_sequence', [...COMMON_DB, 'get_value', 'next_value', 'set_value']),
  cls('db_procedure', [...COMMON_DB, 'execute', 'entrypoint', 'install']),
  cls('db_column', [...COMMON_DB, 'select', 'update', 'insert']),
  cls('db_tuple', ['relabelfrom', 'relabelto', 'select', 'update', 'insert', 'delete']),
  cls('db_blob', [...COMMON_DB, 'read', 'write', 'import', 'export']),
  cls('db_language', [...COMMON_DB, 'implement', 'execute']),
  cls('db_view', [...COMMON_DB, 'expand']),
];

for (const [i, c] of SEPG_CLASSES.entries()) {
  assert(c.code === i && c.permissions.length <= 32, 'class catalogue out of order');
}

/** The class with internal code or name `cls`. */
export function classInfo(cls: number | SepgClassName): SepgClassInfo {
  const info = typeof cls === 'number' ? SEPG_CLASSES[cls] : SEPG_CLASSES[SEPG_CLASS[cls]];
  assert(info !== undefined, () => `unknown internal class ${String(cls)}`);
  return info;
}

/** Internal bits of the named permissions; an unknown name is a bug in the caller (0A000 is for users). */
export function permissionBits(cls: number | SepgClassName, names: readonly string[]): number {
  const info = classInfo(cls);
  let bits = 0;
  for (const name of names) {
    const i = info.permissions.indexOf(name);
    if (i < 0) throw new PgError(SqlState.INVALID_PARAMETER_VALUE, `SELinux: unknown permission "${name}" for class ${info.name}`);
    bits |= 1 << i;
  }
  return bits >>> 0;
}

/** Names of the set bits of `bits`, in bit order. */
export function permissionNames(cls: number | SepgClassName, bits: number): string[] {
  const info = classInfo(cls);
  const names: string[] = [];
  for (let i = 0; i < info.permissions.length; i++) if ((bits >>> i) & 1) names.push(info.permissions[i]!);
  return names;
}

/** All permission bits of a class. */
export function allPermissionBits(cls: number | SepgClassName): number {
  const n = classInfo(cls).permissions.length;
  return n === 32 ? 0xffffffff : ((1 << n) - 1) >>> 0;
}
