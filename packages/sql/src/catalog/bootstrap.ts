// The bootstrap contents of the system catalogs — PostgreSQL 15's built-in types, functions,
// operators, casts, access methods, namespaces and roles, with PostgreSQL's own OIDs — as
// generated from its postgres.bki by scripts/gen-bootstrap.mjs. initdb writes these rows into
// the catalog heaps; the engine also uses them to find built-in objects by OID.

import data from './bootstrap.json' with { type: 'json' };

/** One system catalog as postgres.bki declares it. */
export interface BootstrapCatalog {
  name: string;
  oid: number;
  /** A catalog created directly by bootstrap mode (pg_proc, pg_type, pg_attribute, pg_class). */
  bootstrap: boolean;
  /** Shared across databases (pg_database, pg_authid, …), stored under global/. */
  shared: boolean;
  rowtypeOid: number | null;
  columns: Array<{ name: string; type: string; forceNotNull?: boolean; forceNull?: boolean }>;
  /** Values as text in bki form; null is SQL NULL. Symbolic values (POSTGRES, ENCODING …) are filled in by initdb. */
  rows: Array<Array<string | null>>;
}

export interface BootstrapIndex {
  name: string;
  oid: number;
  table: string;
  unique: boolean;
  method: string;
  columns: Array<{ column: string; opclass: string }>;
}

const catalogs = data.catalogs as BootstrapCatalog[];
const byName = new Map(catalogs.map((c) => [c.name, c]));

/** Every system catalog, in postgres.bki's order. */
export const bootstrapCatalogs: readonly BootstrapCatalog[] = catalogs;
/** The catalog indexes postgres.bki declares. */
export const bootstrapIndexes: readonly BootstrapIndex[] = data.indexes as BootstrapIndex[];
/** TOAST tables of catalogs: table name → toast relation and index OIDs. */
export const bootstrapToast: readonly { table: string; toastOid: number; indexOid: number }[] = data.toast;

/** A catalog by name; throws if it is not one of PostgreSQL 15's. */
export function bootstrapCatalog(name: string): BootstrapCatalog {
  const c = byName.get(name);
  if (!c) throw new Error(`no system catalog named ${name}`);
  return c;
}

/** The rows of a catalog as objects keyed by column name (convenient, slower; for lookups at start-up and tests). */
export function bootstrapRows(name: string): Array<Record<string, string | null>> {
  const c = bootstrapCatalog(name);
  return c.rows.map((r) => Object.fromEntries(c.columns.map((col, i) => [col.name, r[i] ?? null])));
}
