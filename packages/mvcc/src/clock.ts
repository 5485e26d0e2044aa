// Time as the lock manager sees it: deadlock_timeout and lock_timeout timers go through an
// injectable Clock so that tests drive time explicitly (ManualClock) instead of sleeping.

import { assert } from '@palisade/common';

/** Opaque handle of a scheduled timer. */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  nowMs(): number;
  /** Runs `fn` once after `delayMs`. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = (() => {
  const handles = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    nowMs: () => performance.now(),
    setTimer(delayMs, fn) {
      const id = nextId++;
      const t = setTimeout(() => {
        handles.delete(id);
        fn();
      }, delayMs);
      if (typeof t === 'object' && t !== null && 'unref' in t) (t as { unref(): void }).unref();
      handles.set(id, t);
      return { id };
    },
    clearTimer(handle) {
      const t = handles.get(handle.id);
      if (t !== undefined) clearTimeout(t);
      handles.delete(handle.id);
    },
  };
})();

/** A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in order. */
export class ManualClock implements Clock {
  private now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { dueMs: number; fn: () => void }>();
  static readonly timerCountMax = 100_000;

  nowMs(): number {
    return this.now;
  }
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    assert(delayMs >= 0, 'timer delay must not be negative');
    assert(this.timers.size < ManualClock.timerCountMax, 'too many pending timers');
    const id = this.nextId++;
    this.timers.set(id, { dueMs: this.now + delayMs, fn });
    return { id };
  }
  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }
  /** Number of timers not yet fired. */
  pendingTimerCount(): number {
    return this.timers.size;
  }
  /** Moves time forward by `ms`, firing due timers in due-time order (ties in creation order). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let best: [number, { dueMs: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].dueMs <= target && (best === undefined || entry[1].dueMs < best[1].dueMs)) best = entry;
      }
      if (best === undefined) break;
      this.timers.delete(best[0]);
      this.now = Math.max(this.now, best[1].dueMs);
      best[1].fn();
    }
    this.now = target;
  }
}
