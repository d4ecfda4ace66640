import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialCache } from '../../agent/cache/credential-cache.js';
import { AgentError } from '../../agent/errors.js';
import {
  cacheEntries,
  cacheEvents,
  deferred,
  flush,
  HOUR,
  MINUTE,
  podToken,
  setup,
  throttled,
  unavailable,
} from './fakes.js';

let cache: CredentialCache | undefined;
afterEach(() => cache?.close());

describe('createCredentialCache: hits and misses', () => {
  it('answers the first request with a miss and the next with a hit, calling upstream once', async () => {
    const t = setup();
    cache = t.cache;
    const first = await t.cache.get(podToken('a'));
    const second = await t.cache.get(podToken('a'));
    expect(first.outcome).toBe('miss');
    expect(second.outcome).toBe('hit');
    expect(second.credentials).toEqual(first.credentials);
    expect(t.exchanger.calls).toHaveLength(1);
    expect(await cacheEvents(t.metrics, 'miss')).toBe(1);
    expect(await cacheEvents(t.metrics, 'hit')).toBe(1);
    expect(await cacheEntries(t.metrics)).toBe(1);
    expect(t.cache.size).toBe(1);
  });

  it('answers hit() synchronously for a cached identity, counting a hit, and counts nothing when it has none', async () => {
    const t = setup();
    cache = t.cache;
    expect(t.cache.hit(podToken('a'))).toBeUndefined();
    expect(await cacheEvents(t.metrics, 'miss')).toBe(0);
    const { credentials } = await t.cache.get(podToken('a'));
    expect(t.cache.hit(podToken('a'))).toBe(credentials);
    expect(await cacheEvents(t.metrics, 'hit')).toBe(1);
    expect(t.cache.hit(podToken('b'))).toBeUndefined();
  });

  it('treats a rotated token of the same pod as a hit', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a', { serial: 1 }));
    const rotated = await t.cache.get(podToken('a', { serial: 2 }));
    expect(rotated.outcome).toBe('hit');
    expect(t.exchanger.calls).toHaveLength(1);
  });

  it('keeps different pods apart', async () => {
    const t = setup();
    cache = t.cache;
    const a = await t.cache.get(podToken('a'));
    const b = await t.cache.get(podToken('b'));
    expect(b.outcome).toBe('miss');
    expect(b.credentials.accessKeyId).not.toBe(a.credentials.accessKeyId);
    expect(t.exchanger.calls).toHaveLength(2);
  });

  it('never passes a client signal upstream, so a disconnecting client cannot cancel the call', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    expect(t.exchanger.calls[0]?.signal).toBeUndefined();
  });

  it('serves credentials only while more than minRemaining is left, then misses', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.time.advance(6 * HOUR - 15 * MINUTE);
    const late = await t.cache.get(podToken('a'));
    expect(late.outcome).toBe('miss');
    expect(late.credentials.expiration - t.time.now()).toBe(6 * HOUR);
    expect(t.exchanger.calls).toHaveLength(2);
  });

  it('lets a miss at the minRemaining edge join the background refresh already in flight', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    const gate = deferred();
    t.exchanger.gate = gate.promise;
    await t.time.advance(6 * HOUR - 15 * MINUTE - 1);
    expect((await t.cache.get(podToken('a'))).outcome).toBe('hit');
    await t.time.advance(1);
    const late = t.cache.get(podToken('a'));
    gate.resolve();
    expect((await late).outcome).toBe('miss');
    expect(t.exchanger.calls).toHaveLength(2);
    expect(await cacheEvents(t.metrics, 'refresh')).toBe(1);
  });
});

describe('createCredentialCache: single-flight', () => {
  it('makes one upstream call for 20 concurrent misses and gives all of them its result', async () => {
    const t = setup();
    cache = t.cache;
    const gate = deferred();
    t.exchanger.gate = gate.promise;
    const pending = Array.from({ length: 20 }, (_, i) => t.cache.get(podToken('a', { serial: i + 1 })));
    await flush();
    expect(t.exchanger.calls).toHaveLength(1);
    gate.resolve();
    const results = await Promise.all(pending);
    expect(new Set(results.map((r) => r.credentials.accessKeyId)).size).toBe(1);
    expect(results.every((r) => r.outcome === 'miss')).toBe(true);
    expect(await cacheEvents(t.metrics, 'miss')).toBe(20);
  });

  it('shares a failed call with every waiter and does not cache the error', async () => {
    const t = setup();
    cache = t.cache;
    const gate = deferred();
    t.exchanger.gate = gate.promise;
    t.exchanger.failWith = unavailable();
    const pending = Array.from({ length: 5 }, () => t.cache.get(podToken('a')));
    gate.resolve();
    const settled = await Promise.allSettled(pending);
    expect(t.exchanger.calls).toHaveLength(1);
    for (const result of settled) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBe(t.exchanger.failWith);
    }
    t.exchanger.failWith = undefined;
    t.exchanger.gate = undefined;
    expect((await t.cache.get(podToken('a'))).outcome).toBe('miss');
    expect(t.exchanger.calls).toHaveLength(2);
  });

  it.each([
    ['UpstreamUnavailable', unavailable(), 503],
    ['Throttled', throttled(), 429],
    ['AccessDenied', new AgentError('AccessDenied'), 403],
  ])('propagates the upstream %s error of a miss unchanged', async (code, error, status) => {
    const t = setup();
    cache = t.cache;
    t.exchanger.failWith = error;
    await expect(t.cache.get(podToken('a'))).rejects.toMatchObject({ code, statusCode: status });
    expect(t.cache.size).toBe(0);
  });

  it('keeps a miss going when its caller gives up, so the retry finds the result', async () => {
    const t = setup();
    cache = t.cache;
    const gate = deferred();
    t.exchanger.gate = gate.promise;
    void t.cache.get(podToken('a')).catch(() => {});
    gate.resolve();
    await flush();
    t.exchanger.gate = undefined;
    expect((await t.cache.get(podToken('a'))).outcome).toBe('hit');
    expect(t.exchanger.calls).toHaveLength(1);
  });
});

describe('createCredentialCache: bounds and drop', () => {
  it('evicts the least recently used identity beyond maxEntries and counts it', async () => {
    const t = setup({ maxEntries: 2 });
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('b'));
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('c'));
    expect(t.cache.size).toBe(2);
    expect(await cacheEvents(t.metrics, 'evict')).toBe(1);
    expect(await cacheEntries(t.metrics)).toBe(2);
    expect((await t.cache.get(podToken('a'))).outcome).toBe('hit');
    expect((await t.cache.get(podToken('b'))).outcome).toBe('miss');
  });

  it('drops matching entries, cancels their timers and reports how many', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('b'));
    const timersBefore = t.time.timerCount;
    const dropped = t.cache.drop((identity) => identity.podUid === 'a');
    expect(dropped).toBe(1);
    expect(t.cache.size).toBe(1);
    expect(t.time.timerCount).toBe(timersBefore - 1);
    expect(await cacheEntries(t.metrics)).toBe(1);
    expect(await cacheEvents(t.metrics, 'evict')).toBe(0);
    expect((await t.cache.get(podToken('a'))).outcome).toBe('miss');
  });

  it('does not store the result of a miss in flight when its identity is dropped', async () => {
    const t = setup();
    cache = t.cache;
    const gate = deferred();
    t.exchanger.gate = gate.promise;
    const pending = t.cache.get(podToken('a'));
    expect(t.cache.drop((identity) => identity.podUid === 'a')).toBe(1);
    gate.resolve();
    expect((await pending).outcome).toBe('miss');
    expect(t.cache.size).toBe(0);
  });

  it('stops every timer on close', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('b'));
    expect(t.time.timerCount).toBe(2);
    t.cache.close();
    expect(t.time.timerCount).toBe(0);
  });
});
