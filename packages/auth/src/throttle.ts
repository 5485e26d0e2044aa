// Brute-force throttling, beyond what PostgreSQL does: exponential delays after failed
// authentications per source address and per role, and a connection-rate limiter per address.
// Pure: the clock is injected, memory is bounded by LRU eviction. Entry points:
// AuthFailureThrottle, ConnectionRateLimiter.

import { assert } from '@palisade/common';

/** A Map used as a bounded LRU: reading an entry makes it most recent; the oldest is evicted. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity > 0, 'LRU capacity must be a positive integer');
  }
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void { this.map.delete(key); }
  get size(): number { return this.map.size; }
}

/** Settings of {@link AuthFailureThrottle}. */
export interface FailureThrottleOptions {
  /** Off switch; on by default (THR1). */
  enabled?: boolean;
  /** Delay after the first failure (default 250 ms); doubles with each further failure. */
  baseDelayMs?: number;
  /** Longest delay (default 30 s). */
  maxDelayMs?: number;
  /** Failures older than this are forgotten (default 15 min). */
  windowMs?: number;
  /** Most addresses and most roles remembered, each (default 10 000). */
  entriesMax?: number;
}

interface FailureState { failures: number; lastFailureMs: number }

/**
 * Tracks failed authentications per client address and per role name (existing or not, so that
 * the throttle reveals nothing about which roles exist). The delay before answering an attempt
 * is the larger of the two: base × 2^(failures−1), capped (THR2).
 */
export class AuthFailureThrottle {
  private readonly byAddress: Lru<FailureState>;
  private readonly byRole: Lru<FailureState>;
  readonly enabled: boolean;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly windowMs: number;

  constructor(options: FailureThrottleOptions = {}, private readonly nowMs: () => number = Date.now) {
    this.enabled = options.enabled ?? true;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    assert(this.baseDelayMs >= 0 && this.maxDelayMs >= this.baseDelayMs && this.windowMs > 0, 'invalid throttle settings');
    const entries = options.entriesMax ?? 10_000;
    this.byAddress = new Lru(entries);
    this.byRole = new Lru(entries);
  }

  private current(lru: Lru<FailureState>, key: string): number {
    const s = lru.get(key);
    if (!s) return 0;
    if (this.nowMs() - s.lastFailureMs >= this.windowMs) { lru.delete(key); return 0; }
    return s.failures;
  }

  private delayOf(failures: number): number {
    if (failures === 0) return 0;
    // 2^(n-1) overflows nothing: the exponent is capped once the cap is reached.
    const exponent = Math.min(failures - 1, 40);
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** exponent);
  }

  /** How long to wait before answering an authentication attempt from `address` as `role` (THR2). */
  delayMs(address: string, role: string): number {
    if (!this.enabled) return 0;
    return Math.max(this.delayOf(this.current(this.byAddress, address)), this.delayOf(this.current(this.byRole, role)));
  }

  /** Records a failed authentication. */
  recordFailure(address: string, role: string): void {
    if (!this.enabled) return;
    const now = this.nowMs();
    for (const [lru, key] of [[this.byAddress, address], [this.byRole, role]] as const) {
      const failures = this.current(lru, key);
      lru.set(key, { failures: Math.min(failures + 1, 1_000_000), lastFailureMs: now });
    }
  }

  /** Records a successful authentication: forgets the failures of this address and this role (THR3). */
  recordSuccess(address: string, role: string): void {
    this.byAddress.delete(address);
    this.byRole.delete(role);
  }

  /** Entries held (for tests and metrics). */
  get trackedEntries(): { addresses: number; roles: number } {
    return { addresses: this.byAddress.size, roles: this.byRole.size };
  }
}

/** Settings of {@link ConnectionRateLimiter}. */
export interface RateLimiterOptions {
  enabled?: boolean;
  /** Sustained connections per second per address (default 10). */
  ratePerSecond?: number;
  /** Burst size (default 20). */
  burst?: number;
  /** Most addresses remembered (default 10 000). */
  entriesMax?: number;
}

interface Bucket { tokens: number; updatedMs: number }

/** A token bucket per client address, refilled continuously (THR4). */
export class ConnectionRateLimiter {
  private readonly buckets: Lru<Bucket>;
  readonly enabled: boolean;
  readonly ratePerSecond: number;
  readonly burst: number;

  constructor(options: RateLimiterOptions = {}, private readonly nowMs: () => number = Date.now) {
    this.enabled = options.enabled ?? true;
    this.ratePerSecond = options.ratePerSecond ?? 10;
    this.burst = options.burst ?? 20;
    assert(this.ratePerSecond > 0 && this.burst >= 1, 'invalid rate limiter settings');
    this.buckets = new Lru(options.entriesMax ?? 10_000);
  }

  /** True if a new connection from `address` may proceed now (and takes a token). */
  tryAcquire(address: string): boolean {
    if (!this.enabled) return true;
    const now = this.nowMs();
    const b = this.buckets.get(address) ?? { tokens: this.burst, updatedMs: now };
    const elapsedMs = Math.max(0, now - b.updatedMs);
    const tokens = Math.min(this.burst, b.tokens + (elapsedMs / 1000) * this.ratePerSecond);
    const ok = tokens >= 1;
    this.buckets.set(address, { tokens: ok ? tokens - 1 : tokens, updatedMs: now });
    return ok;
  }

  get trackedAddresses(): number {
    return this.buckets.size;
  }
}
