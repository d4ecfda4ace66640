import { afterEach, describe, expect, it } from 'vitest';
import type { CachedCredentials } from '../../agent/cache/cached-credentials.js';
import type { CredentialCache } from '../../agent/cache/credential-cache.js';
import { cacheEvents, HOUR, MINUTE, podToken, setup } from './fakes.js';

let cache: CredentialCache | undefined;
afterEach(() => cache?.close());

describe('createCredentialCache over a simulated day (the economy targets of docs/performance.md)', () => {
  it('costs a botocore-like pod with 6 h credentials at most 5 upstream calls in 24 h, token rotation included', async () => {
    // Production defaults apart from the injected time: 15 min minimum, refresh 25 min ahead, 5 min jitter.
    const t = setup({ refreshAheadMs: undefined, refreshJitterMs: undefined, random: () => 0.5 });
    cache = t.cache;
    let held: CachedCredentials | undefined;
    const start = t.time.now();
    // The pod makes an AWS call every minute; botocore asks the agent when < 15 min are left.
    for (let minute = 0; minute < 24 * 60; minute += 1) {
      const serial = minute < 19 * 60 ? 1 : 2;
      if (held === undefined || held.expiration - t.time.now() < 15 * MINUTE) {
        held = (await t.cache.get(podToken('busy', { serial }))).credentials;
        expect(held.expiration - t.time.now()).toBeGreaterThan(15 * MINUTE);
      }
      await t.time.advance(MINUTE);
    }
    expect(t.time.now() - start).toBe(24 * HOUR);
    expect(t.exchanger.calls.length).toBeGreaterThanOrEqual(4);
    expect(t.exchanger.calls.length).toBeLessThanOrEqual(5);
  });

  it('costs a pod that asks several times per credential lifetime no misses after its first', async () => {
    const t = setup({ refreshAheadMs: undefined, refreshJitterMs: undefined, random: () => 0.5 });
    cache = t.cache;
    for (let hour = 0; hour < 24; hour += 1) {
      await t.cache.get(podToken('chatty', { serial: hour < 19 ? 1 : 2 }));
      await t.time.advance(HOUR);
    }
    expect(t.exchanger.calls).toHaveLength(5);
    expect(await cacheEvents(t.metrics, 'miss')).toBe(1);
    expect(await cacheEvents(t.metrics, 'refresh')).toBe(4);
  });

  it('costs an idle pod its first call only', async () => {
    const t = setup({ refreshAheadMs: undefined, refreshJitterMs: undefined });
    cache = t.cache;
    await t.cache.get(podToken('idle'));
    await t.time.advance(24 * HOUR);
    expect(t.exchanger.calls).toHaveLength(1);
    expect(t.cache.size).toBe(0);
  });
});
