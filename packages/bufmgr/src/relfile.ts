// Naming of relation files: which relation (RelFileLocator), which fork, and the path of each
// 1 GiB segment under the data directory, as PostgreSQL's relpath.c names them.
// Entry points: `RelFileLocator`, `ForkName`, `relationPath`, `segmentPath`.

import { featureNotSupported, type Oid, type RelFileNumber } from '@palisade/common';

/** OID of the default tablespace `pg_default` (files under `base/`). */
export const DEFAULTTABLESPACE_OID = 1663 as Oid;
/** OID of the shared tablespace `pg_global` (files under `global/`). */
export const GLOBALTABLESPACE_OID = 1664 as Oid;

/** Identifies a relation's files: tablespace, database and relfilenumber (PostgreSQL's RelFileLocator). */
export interface RelFileLocator {
  /** Tablespace; omitted means pg_default. */
  readonly spcOid?: Oid;
  readonly dbOid: Oid;
  readonly relNumber: RelFileNumber;
}

/** The forks of a relation, in fork-number order (MAIN_FORKNUM = 0 … INIT_FORKNUM = 3). */
export const FORK_NAMES = ['main', 'fsm', 'vm', 'init'] as const;
/** A relation fork: main data, free space map, visibility map, or the unlogged relation's init fork. */
export type ForkName = (typeof FORK_NAMES)[number];

/** PostgreSQL's fork number of `fork` (0 = main). */
export function forkNumber(fork: ForkName): number {
  switch (fork) {
    case 'main': return 0;
    case 'fsm': return 1;
    case 'vm': return 2;
    case 'init': return 3;
  }
}

/** The fork with PostgreSQL's fork number `n`. */
export function forkFromNumber(n: number): ForkName {
  const fork = FORK_NAMES[n];
  if (fork === undefined) throw new RangeError(`no fork number ${n}`);
  return fork;
}

/**
 * The path of a relation fork's first segment relative to the data directory, as PostgreSQL
 * prints it in messages: `base/5/16384`, `base/5/16384_fsm`, `global/1262`.
 */
export function relationPath(rel: RelFileLocator, fork: ForkName = 'main'): string {
  const spc = rel.spcOid ?? DEFAULTTABLESPACE_OID;
  const suffix = fork === 'main' ? '' : `_${fork}`;
  if (spc === DEFAULTTABLESPACE_OID) return `base/${rel.dbOid}/${rel.relNumber}${suffix}`;
  if (spc === GLOBALTABLESPACE_OID) return `global/${rel.relNumber}${suffix}`;
  throw featureNotSupported('tablespaces other than pg_default and pg_global');
}

/** The path of segment `segmentNumber` of a fork: the fork path, then `.N` for N > 0. */
export function segmentPath(rel: RelFileLocator, fork: ForkName, segmentNumber: number): string {
  const base = relationPath(rel, fork);
  return segmentNumber === 0 ? base : `${base}.${segmentNumber}`;
}

/** A short key naming a relation (all forks), for maps: `spc/db/rel`. */
export function relationKey(rel: RelFileLocator): string {
  return `${rel.spcOid ?? DEFAULTTABLESPACE_OID}/${rel.dbOid}/${rel.relNumber}`;
}
