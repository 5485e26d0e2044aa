// Test support: power loss at a chosen operation comes from @palisade/common; a seeded PRNG for workloads.

export { CrashingFileSystem, type CrashPlan } from '@palisade/common';

/** mulberry32: a small seeded PRNG for workloads. */
export function prng(seed: number): { next(): number; int(maxExclusive: number): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (maxExclusive: number) => Math.floor(next() * maxExclusive) };
}
