// Deadlock detection (PostgreSQL's deadlock.c, lmgr README "Deadlock Detection"), run by a
// waiter after deadlock_timeout. The waits-for graph has hard edges (the waiter's request
// conflicts with a lock another proc holds) and soft edges (it conflicts with the request of
// a proc queued ahead of it). A cycle through the checking proc made only of hard edges is a
// deadlock. A cycle that uses soft edges may be broken by reordering wait queues: we search
// for a set of "move waiter W ahead of blocker B" constraints under which no cycle through the
// checker (or through any constrained waiter) remains; if found, the queues are rearranged.

import { assert } from '@palisade/common';
import { conflictTable, lockBit, type LockMode } from './lock-tag.ts';

/** The detector's read-only view of the lock table. */
export interface WaitGraph {
  waitingFor(proc: number): { lockKey: string; mode: LockMode } | undefined;
  holders(lockKey: string): readonly { proc: number; holdMask: number }[];
  queue(lockKey: string): readonly { proc: number; mode: LockMode }[];
  procCount: number;
}

export interface WaitEdge {
  readonly waiter: number;
  readonly blocker: number;
  readonly soft: boolean;
  readonly lockKey: string;
}

export type DeadlockResult = { kind: 'none' } | { kind: 'deadlock'; edges: WaitEdge[] } | { kind: 'rearranged'; queues: Map<string, number[]> };

interface Constraint {
  lockKey: string;
  /** Must be queued ahead of `blocker`. */
  waiter: number;
  blocker: number;
}

/** Configurations tested before giving up and reporting a deadlock (bounds the search). */
const TEST_BUDGET = 10_000;

/** Looks for a deadlock involving `start`, which is waiting. */
export function findDeadlock(graph: WaitGraph, start: number): DeadlockResult {
  const constraints: Constraint[] = [];
  let budget = TEST_BUDGET;

  const queueOrder = (lockKey: string, queues: Map<string, number[]> | undefined): { proc: number; mode: LockMode }[] => {
    const base = graph.queue(lockKey);
    const order = queues?.get(lockKey);
    if (order === undefined) return [...base];
    const byProc = new Map(base.map((w) => [w.proc, w] as const));
    return order.map((p) => byProc.get(p)!);
  };

  const outEdges = (proc: number, queues: Map<string, number[]> | undefined): WaitEdge[] => {
    const w = graph.waitingFor(proc);
    if (w === undefined) return [];
    const conflicts = conflictTable[w.mode]!;
    const edges: WaitEdge[] = [];
    for (const h of graph.holders(w.lockKey)) {
      if (h.proc !== proc && (h.holdMask & conflicts) !== 0) edges.push({ waiter: proc, blocker: h.proc, soft: false, lockKey: w.lockKey });
    }
    for (const q of queueOrder(w.lockKey, queues)) {
      if (q.proc === proc) break;
      if ((conflicts & lockBit(q.mode)) !== 0 && !edges.some((e) => e.blocker === q.proc)) {
        edges.push({ waiter: proc, blocker: q.proc, soft: true, lockKey: w.lockKey });
      }
    }
    return edges;
  };

  const findCycle = (from: number, queues: Map<string, number[]> | undefined): WaitEdge[] | undefined => {
    const visited = new Set<number>([from]);
    const path: WaitEdge[] = [];
    const dfs = (p: number): boolean => {
      assert(path.length <= graph.procCount, 'waits-for path longer than the number of procs');
      for (const e of outEdges(p, queues)) {
        if (e.blocker === from) {
          path.push(e);
          return true;
        }
        if (visited.has(e.blocker)) continue;
        visited.add(e.blocker);
        path.push(e);
        if (dfs(e.blocker)) return true;
        path.pop();
      }
      return false;
    };
    return dfs(from) ? path : undefined;
  };

  const expand = (): Map<string, number[]> | undefined => {
    const byLock = new Map<string, Constraint[]>();
    for (const c of constraints) {
      const list = byLock.get(c.lockKey) ?? [];
      list.push(c);
      byLock.set(c.lockKey, list);
    }
    const result = new Map<string, number[]>();
    for (const [lockKey, list] of byLock) {
      const original = graph.queue(lockKey).map((w) => w.proc);
      const mustPrecede = new Map<number, Set<number>>();
      for (const c of list) {
        if (!original.includes(c.waiter) || !original.includes(c.blocker)) return undefined;
        const s = mustPrecede.get(c.blocker) ?? new Set<number>();
        s.add(c.waiter);
        mustPrecede.set(c.blocker, s);
      }
      const placed = new Set<number>();
      const order: number[] = [];
      while (order.length < original.length) {
        const next = original.find((p) => !placed.has(p) && [...(mustPrecede.get(p) ?? [])].every((q) => placed.has(q)));
        if (next === undefined) return undefined; // contradictory constraints
        placed.add(next);
        order.push(next);
      }
      result.set(lockKey, order);
    }
    return result;
  };

  /** -1: deadlock under this configuration; []: none; else the soft edges of a cycle found. */
  const test = (): -1 | WaitEdge[] => {
    budget--;
    const queues = expand();
    if (queues === undefined) return -1;
    let soft: WaitEdge[] = [];
    for (const p of [...constraints.map((c) => c.waiter), start]) {
      const cycle = findCycle(p, queues);
      if (cycle === undefined) continue;
      const s = cycle.filter((e) => e.soft);
      if (s.length === 0) return -1;
      soft = s;
    }
    return soft;
  };

  const recurse = (): boolean => {
    if (budget <= 0) return true;
    const r = test();
    if (r === -1) return true;
    if (r.length === 0) return false;
    if (constraints.length >= graph.procCount) return true;
    for (const e of r) {
      // Reverse the soft edge: queue the waiter ahead of the proc it waits behind.
      constraints.push({ lockKey: e.lockKey, waiter: e.waiter, blocker: e.blocker });
      if (!recurse()) return false;
      constraints.pop();
    }
    return true;
  };

  if (recurse()) {
    const cycle = findCycle(start, undefined);
    assert(cycle !== undefined, 'deadlock reported without a cycle');
    return { kind: 'deadlock', edges: cycle };
  }
  if (constraints.length === 0) return { kind: 'none' };
  const queues = expand();
  assert(queues !== undefined, 'accepted constraints must be consistent');
  return { kind: 'rearranged', queues };
}
