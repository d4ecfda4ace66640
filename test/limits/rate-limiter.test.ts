import { describe, expect, it } from 'vitest';
import { createRateLimiter, normaliseAddress } from '../../agent/limits/rate-limiter.js';
import { EPOCH } from '../fakes/fake-verifier.js';

/** A clock the test moves by hand. */
function fakeClock(start = EPOCH) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function takeMany(limiter: { take(a: string): boolean }, address: string, n: number): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (limiter.take(address)) allowed++;
  return allowed;
}

describe('createRateLimiter', () => {
  it('allows a burst of twice the rate, then refuses', () => {
    const limiter = createRateLimiter({ ratePerSecond: 50, clock: fakeClock() });
    expect(takeMany(limiter, '10.0.0.1', 150)).toBe(100);
  });

  it('earns the rate back per second, never more than the burst', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ ratePerSecond: 50, clock });
    takeMany(limiter, '10.0.0.1', 100);
    clock.advance(100);
    expect(takeMany(limiter, '10.0.0.1', 50)).toBe(5);
    clock.advance(60_000);
    expect(takeMany(limiter, '10.0.0.1', 500)).toBe(100);
  });

  it('sustains exactly the rate under a steady flood', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ ratePerSecond: 10, burst: 10, clock });
    takeMany(limiter, 'a', 10);
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms += 10) {
      clock.advance(10);
      allowed += takeMany(limiter, 'a', 5);
    }
    expect(allowed).toBe(100);
  });

  it('keeps one bucket per address', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 2, clock: fakeClock() });
    expect(takeMany(limiter, '10.0.0.1', 5)).toBe(2);
    expect(takeMany(limiter, '10.0.0.2', 5)).toBe(2);
  });

  it('bounds memory by the number of addresses, forgetting the least recently seen', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, clock: fakeClock(), maxAddresses: 100 });
    for (let i = 0; i < 5_000; i++) limiter.take(`10.1.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
  });

  it('forgets idle addresses once their bucket would be full again', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ ratePerSecond: 50, clock });
    for (let i = 0; i < 20; i++) limiter.take(`10.0.0.${i}`);
    expect(limiter.size).toBe(20);
    clock.advance(1_999);
    expect(limiter.size).toBe(20);
    clock.advance(2);
    expect(limiter.size).toBe(0);
  });

  it.each<[string, Record<string, number>, string]>([
    ['a zero rate', { ratePerSecond: 0 }, '"ratePerSecond"'],
    ['a fractional rate', { ratePerSecond: 1.5 }, '"ratePerSecond"'],
    ['a zero burst', { ratePerSecond: 1, burst: 0 }, '"burst"'],
    ['a zero address bound', { ratePerSecond: 1, maxAddresses: 0 }, '"maxAddresses"'],
    ['a negative idle time', { ratePerSecond: 1, idleMs: -1 }, '"idleMs"'],
  ])('refuses %s, naming the option', (_name, options, message) => {
    expect(() => createRateLimiter({ ratePerSecond: 1, clock: fakeClock(), ...options })).toThrow(message);
  });
});

describe('normaliseAddress', () => {
  it.each([
    ['::ffff:10.0.0.7', '10.0.0.7'],
    ['::FFFF:127.0.0.1', '127.0.0.1'],
    ['10.0.0.7', '10.0.0.7'],
    ['FD00:EC2::23', 'fd00:ec2::23'],
    ['::1', '::1'],
    [undefined, 'unknown'],
  ])('keys %s as %s', (raw, key) => {
    expect(normaliseAddress(raw)).toBe(key);
  });
});
