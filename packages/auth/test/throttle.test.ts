import { describe, expect, it } from 'vitest';
import { AuthFailureThrottle, ConnectionRateLimiter } from '../src/throttle.ts';

function clock(start = 0) {
  const c = { now: start, fn: () => c.now };
  return c;
}

describe('failure throttle', () => {
  it('[THR1][THR2] is on by default and doubles the delay per failure up to the cap', () => {
    const c = clock();
    const t = new AuthFailureThrottle({ baseDelayMs: 100, maxDelayMs: 1000 }, c.fn);
    expect(t.enabled).toBe(true);
    const delays: number[] = [t.delayMs('10.0.0.1', 'alice')];
    for (let i = 0; i < 6; i++) { t.recordFailure('10.0.0.1', 'alice'); delays.push(t.delayMs('10.0.0.1', 'alice')); }
    expect(delays).toEqual([0, 100, 200, 400, 800, 1000, 1000]);
  });

  it('[THR2] tracks addresses and roles separately: another address probing the same role is delayed too', () => {
    const t = new AuthFailureThrottle({ baseDelayMs: 100 }, clock().fn);
    for (let i = 0; i < 3; i++) t.recordFailure('10.0.0.1', 'alice');
    expect(t.delayMs('10.0.0.2', 'alice')).toBe(400);
    expect(t.delayMs('10.0.0.1', 'bob')).toBe(400);
    expect(t.delayMs('10.0.0.2', 'bob')).toBe(0);
  });

  it('[THR2] failures are forgotten after the window', () => {
    const c = clock();
    const t = new AuthFailureThrottle({ baseDelayMs: 100, windowMs: 60_000 }, c.fn);
    t.recordFailure('a', 'r');
    c.now = 59_999;
    expect(t.delayMs('a', 'r')).toBe(100);
    c.now = 60_000;
    expect(t.delayMs('a', 'r')).toBe(0);
  });

  it('[THR3] success clears the address and the role', () => {
    const t = new AuthFailureThrottle({}, clock().fn);
    t.recordFailure('a', 'r');
    t.recordSuccess('a', 'r');
    expect(t.delayMs('a', 'r')).toBe(0);
  });

  it('[THR5] memory is bounded: the least recently used entries are evicted', () => {
    const t = new AuthFailureThrottle({ entriesMax: 3 }, clock().fn);
    for (let i = 0; i < 10; i++) t.recordFailure(`10.0.0.${i}`, `role${i}`);
    expect(t.trackedEntries).toEqual({ addresses: 3, roles: 3 });
    expect(t.delayMs('10.0.0.0', 'role0')).toBe(0);
    expect(t.delayMs('10.0.0.9', 'x')).toBeGreaterThan(0);
  });

  it('[THR1] can be switched off', () => {
    const t = new AuthFailureThrottle({ enabled: false }, clock().fn);
    t.recordFailure('a', 'r');
    expect(t.delayMs('a', 'r')).toBe(0);
  });
});

describe('connection rate limiter', () => {
  it('[THR4] allows a burst, then the sustained rate per address', () => {
    const c = clock();
    const l = new ConnectionRateLimiter({ ratePerSecond: 2, burst: 3 }, c.fn);
    expect([1, 2, 3, 4].map(() => l.tryAcquire('a'))).toEqual([true, true, true, false]);
    expect(l.tryAcquire('b')).toBe(true);
    c.now = 500;
    expect([l.tryAcquire('a'), l.tryAcquire('a')]).toEqual([true, false]);
  });

  it('[THR5] remembers a bounded number of addresses', () => {
    const l = new ConnectionRateLimiter({ entriesMax: 2 }, clock().fn);
    for (let i = 0; i < 5; i++) l.tryAcquire(`a${i}`);
    expect(l.trackedAddresses).toBe(2);
  });
});
