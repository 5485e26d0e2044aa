// MLS/MCS levels and ranges: `s0`, `s0:c0.c3,c7`, `s0-s3:c0.c1023`; their parsing, canonical
// formatting (as the kernel prints them) and the dominance relations used by constraints
// (`dom`, `domby`, `eq`, `incomp`). Entry points: parseMlsRange, formatMlsRange, levelDominates,
// compareLevels, rangeContains.
//
// A level is a sensitivity value (1-based, ordered as the policy's `dominance` statement) and a
// set of category values (bit = value - 1). Names map to values through an MlsNaming: the
// loaded policy's symbol tables, or the canonical `sN`/`cN` naming every reference policy uses.

import { Bitmap } from './bitmap.ts';

/** A sensitivity with its categories. */
export interface MlsLevel {
  /** Sensitivity value, 1-based (s0 is 1 in the canonical naming). */
  readonly sens: number;
  /** Category bits: bit i is the category with value i + 1. */
  readonly cats: Bitmap;
}

/** A range `low-high`; `high` dominates `low` in every valid range. */
export interface MlsRange {
  readonly low: MlsLevel;
  readonly high: MlsLevel;
}

/** Maps sensitivity and category names to values and back. */
export interface MlsNaming {
  sensitivityValue(name: string): number | undefined;
  categoryValue(name: string): number | undefined;
  sensitivityName(value: number): string;
  categoryName(value: number): string;
}

/** Largest `N` accepted in canonical names `sN` / `cN` (the kernel's category limit is far lower in practice). */
export const CANONICAL_INDEX_MAX = 65_535;

function canonicalIndex(prefix: string, name: string): number | undefined {
  if (name.length < 2 || name[0] !== prefix) return undefined;
  const digits = name.slice(1);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
  const n = Number(digits);
  return n <= CANONICAL_INDEX_MAX ? n + 1 : undefined;
}

/** `sN` ↔ value N+1, `cN` ↔ value N+1: the naming of every reference and MCS policy. */
export const canonicalMlsNaming: MlsNaming = {
  sensitivityValue: (name) => canonicalIndex('s', name),
  categoryValue: (name) => canonicalIndex('c', name),
  sensitivityName: (value) => `s${value - 1}`,
  categoryName: (value) => `c${value - 1}`,
};

/** Parses one level (`s0`, `s1:c0.c5,c9`); undefined when malformed or a name is unknown. */
export function parseMlsLevel(text: string, naming: MlsNaming = canonicalMlsNaming): MlsLevel | undefined {
  const colon = text.indexOf(':');
  const sensName = colon < 0 ? text : text.slice(0, colon);
  const sens = naming.sensitivityValue(sensName);
  if (sens === undefined) return undefined;
  const cats = new Bitmap();
  if (colon >= 0) {
    const list = text.slice(colon + 1);
    if (list === '') return undefined;
    for (const item of list.split(',')) {
      const dot = item.indexOf('.');
      if (dot < 0) {
        const v = naming.categoryValue(item);
        if (v === undefined) return undefined;
        cats.set(v - 1);
        continue;
      }
      const lo = naming.categoryValue(item.slice(0, dot));
      const hi = naming.categoryValue(item.slice(dot + 1));
      // As the kernel: a range must go strictly upwards (c3.c3 and c5.c2 are invalid).
      if (lo === undefined || hi === undefined || lo >= hi) return undefined;
      for (let v = lo; v <= hi; v++) cats.set(v - 1);
    }
  }
  return { sens, cats };
}

/** Parses `low[-high]`; a missing high equals low. Undefined when malformed. */
export function parseMlsRange(text: string, naming: MlsNaming = canonicalMlsNaming): MlsRange | undefined {
  const dash = text.indexOf('-');
  const low = parseMlsLevel(dash < 0 ? text : text.slice(0, dash), naming);
  if (low === undefined) return undefined;
  if (dash < 0) return { low, high: low };
  const high = parseMlsLevel(text.slice(dash + 1), naming);
  if (high === undefined) return undefined;
  return { low, high };
}

/** Formats a level as the kernel does: runs of three or more categories as `a.b`, pairs as `a,b`. */
export function formatMlsLevel(level: MlsLevel, naming: MlsNaming = canonicalMlsNaming): string {
  let out = naming.sensitivityName(level.sens);
  let head = -2;
  let prev = -2;
  let first = true;
  const flush = (): void => {
    if (head !== prev) out += (prev > head + 1 ? '.' : ',') + naming.categoryName(prev + 1);
  };
  for (const bit of level.cats) {
    if (bit !== prev + 1) {
      if (!first) flush();
      out += (first ? ':' : ',') + naming.categoryName(bit + 1);
      first = false;
      head = bit;
    }
    prev = bit;
  }
  if (!first) flush();
  return out;
}

/** Formats `low` or `low-high` (high omitted when equal to low, as the kernel prints it). */
export function formatMlsRange(range: MlsRange, naming: MlsNaming = canonicalMlsNaming): string {
  const low = formatMlsLevel(range.low, naming);
  return levelEquals(range.low, range.high) ? low : `${low}-${formatMlsLevel(range.high, naming)}`;
}

/** `l1 dom l2`: sensitivity at least as high and a superset of the categories. */
export function levelDominates(l1: MlsLevel, l2: MlsLevel): boolean {
  return l1.sens >= l2.sens && l1.cats.containsAll(l2.cats);
}

export function levelEquals(l1: MlsLevel, l2: MlsLevel): boolean {
  return l1.sens === l2.sens && l1.cats.equals(l2.cats);
}

/** Neither level dominates the other. */
export function levelIncomparable(l1: MlsLevel, l2: MlsLevel): boolean {
  return !levelDominates(l1, l2) && !levelDominates(l2, l1);
}

/** The relation of `l1` to `l2`. */
export type LevelRelation = 'eq' | 'dom' | 'domby' | 'incomp';

export function compareLevels(l1: MlsLevel, l2: MlsLevel): LevelRelation {
  const d12 = levelDominates(l1, l2);
  const d21 = levelDominates(l2, l1);
  if (d12 && d21) return 'eq';
  if (d12) return 'dom';
  if (d21) return 'domby';
  return 'incomp';
}

/** `outer` contains `inner`: inner.low dom outer.low and outer.high dom inner.high. */
export function rangeContains(outer: MlsRange, inner: MlsRange): boolean {
  return levelDominates(inner.low, outer.low) && levelDominates(outer.high, inner.high);
}

/** A range is well formed when its high level dominates its low level. */
export function rangeIsOrdered(range: MlsRange): boolean {
  return levelDominates(range.high, range.low);
}

export function rangeEquals(a: MlsRange, b: MlsRange): boolean {
  return levelEquals(a.low, b.low) && levelEquals(a.high, b.high);
}
