// Process inspection through /proc (Linux): liveness, descendants, resident set size.
// Entry points: isAlive(), descendantsOf(), rssBytesOf(), waitForExit().

import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_INTERVAL_MS = 20;

interface ProcStat {
  readonly state: string;
  readonly ppid: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …" — comm may contain spaces and parentheses, so split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', ppid: Number.parseInt(rest[1] ?? '0', 10) };
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie (a zombie has exited; only its exit status remains). */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  if (stat !== undefined) return stat.state !== 'Z' && stat.state !== 'X';
  if (hasProcFs()) return false;
  // No /proc (not Linux): signal 0 tells whether the PID exists.
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let procFs: boolean | undefined;
function hasProcFs(): boolean {
  if (procFs === undefined) {
    try {
      readdirSync('/proc/self');
      procFs = true;
    } catch {
      procFs = false;
    }
  }
  return procFs;
}

/** Every live descendant of `pid` (children, their children, …), found by walking /proc parent links. */
export function descendantsOf(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const child = Number.parseInt(entry, 10);
    const stat = readStat(child);
    if (stat === undefined || stat.state === 'Z') continue;
    const list = childrenOf.get(stat.ppid);
    if (list === undefined) childrenOf.set(stat.ppid, [child]);
    else list.push(child);
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of childrenOf.get(next) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

/** Resident set size of one process in bytes (VmRSS), 0 if it is gone. */
export async function rssBytesOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number.parseInt(match[1]!, 10) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Waits until none of `pids` is alive; false if some still are after `timeoutMs`. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isAlive(pid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Sends `signal` to `pid`, ignoring "no such process". */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
