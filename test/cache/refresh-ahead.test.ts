import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialCache } from '../../agent/cache/credential-cache.js';
import { AgentError } from '../../agent/errors.js';
import { cacheEntries, cacheEvents, EPOCH, HOUR, MINUTE, podToken, setup, unavailable } from './fakes.js';

let cache: CredentialCache | undefined;
afterEach(() => cache?.close());

/** With the test defaults (6 h credentials, refresh 25 min ahead, no jitter), the refresh is due here. */
const REFRESH_AT = EPOCH + 6 * HOUR - 25 * MINUTE;
/** ...and the credentials reach the minimum-remaining zone here. */
const LAPSE_AT = EPOCH + 6 * HOUR - 15 * MINUTE;

describe('createCredentialCache: refresh ahead', () => {
  it('refreshes an entry that was used since it was issued, before it reaches minRemaining', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.time.advance(HOUR);
    await t.cache.get(podToken('a'));
    await t.time.advance(REFRESH_AT - t.time.now());
    expect(t.exchanger.calls.map((c) => c.at)).toEqual([EPOCH, REFRESH_AT]);
    expect(await cacheEvents(t.metrics, 'refresh')).toBe(1);
    await t.time.advance(LAPSE_AT - t.time.now() + MINUTE);
    const result = await t.cache.get(podToken('a'));
    expect(result).toMatchObject({ outcome: 'hit', credentials: { accessKeyId: 'ASIAFAKE2' } });
  });

  it('lets an entry nobody used lapse without any upstream call', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.time.advance(24 * HOUR);
    expect(t.exchanger.calls).toHaveLength(1);
    expect(t.cache.size).toBe(0);
    expect(await cacheEntries(t.metrics)).toBe(0);
    expect(t.time.timerCount).toBe(0);
  });

  it('refreshes an idle entry as soon as it is used inside the refresh window', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.time.advance(REFRESH_AT - EPOCH + 5 * MINUTE);
    expect(t.exchanger.calls).toHaveLength(1);
    expect((await t.cache.get(podToken('a'))).outcome).toBe('hit');
    expect(t.exchanger.calls.map((c) => c.at)).toEqual([EPOCH, REFRESH_AT + 5 * MINUTE]);
  });

  it('refreshes with the latest token seen for the identity', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a', { serial: 1 }));
    await t.cache.get(podToken('a', { serial: 2 }));
    await t.time.advance(REFRESH_AT - EPOCH);
    expect(t.exchanger.calls[1]?.token.tokenHash).toBe('hash-a-2');
  });

  it('drops the entry instead of refreshing when its latest token has expired', async () => {
    const t = setup();
    cache = t.cache;
    const token = podToken('a', { tokenExpiresAt: EPOCH + 5 * HOUR });
    await t.cache.get(token);
    await t.cache.get(token);
    await t.time.advance(REFRESH_AT - EPOCH);
    expect(t.exchanger.calls).toHaveLength(1);
    expect(t.cache.size).toBe(0);
    expect(await cacheEntries(t.metrics)).toBe(0);
  });

  it.each([0, 0.25, 0.999])('starts the refresh within the jitter window (random() = %s)', async (r) => {
    const t = setup({ refreshJitterMs: 10 * MINUTE, random: () => r });
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('a'));
    await t.time.advance(6 * HOUR);
    const at = t.exchanger.calls[1]?.at ?? Number.NaN;
    expect(at).toBe(Math.round(REFRESH_AT - r * 10 * MINUTE));
    expect(at).toBeGreaterThan(REFRESH_AT - 10 * MINUTE);
    expect(at).toBeLessThanOrEqual(REFRESH_AT);
  });

  it('starts at most maxRefreshesPerSecond background refreshes a second', async () => {
    const t = setup({ maxRefreshesPerSecond: 2 });
    cache = t.cache;
    const pods = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const pod of pods) await t.cache.get(podToken(pod));
    for (const pod of pods) await t.cache.get(podToken(pod));
    await t.time.advance(REFRESH_AT - EPOCH + 10_000);
    const starts = t.exchanger.calls.slice(10).map((c) => c.at - REFRESH_AT);
    expect(starts).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]);
    expect(await cacheEvents(t.metrics, 'refresh')).toBe(10);
  });
});

describe('createCredentialCache: upstream down', () => {
  it('keeps serving cached credentials after a failed refresh, then misses and propagates the error', async () => {
    const t = setup();
    cache = t.cache;
    const first = await t.cache.get(podToken('a'));
    await t.cache.get(podToken('a'));
    t.exchanger.failWith = unavailable();
    await t.time.advance(REFRESH_AT - EPOCH);
    expect(t.exchanger.calls).toHaveLength(2);
    const stale = await t.cache.get(podToken('a'));
    expect(stale).toMatchObject({ outcome: 'hit', credentials: first.credentials });
    expect(await cacheEvents(t.metrics, 'stale_served')).toBe(1);
    expect(await cacheEvents(t.metrics, 'hit')).toBe(1);
    await t.time.advance(LAPSE_AT - t.time.now());
    await expect(t.cache.get(podToken('a'))).rejects.toMatchObject({
      code: 'UpstreamUnavailable',
      statusCode: 503,
    });
    expect(await cacheEvents(t.metrics, 'miss')).toBe(2);
  });

  it('retries a failed refresh on a use once refreshRetryMs has passed, and recovers', async () => {
    const t = setup({ refreshRetryMs: MINUTE });
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('a'));
    t.exchanger.failWith = unavailable();
    await t.time.advance(REFRESH_AT - EPOCH);
    await t.cache.get(podToken('a'));
    expect(t.exchanger.calls).toHaveLength(2);
    t.exchanger.failWith = undefined;
    await t.time.advance(MINUTE);
    await t.cache.get(podToken('a'));
    expect(t.exchanger.calls).toHaveLength(3);
    const after = await t.cache.get(podToken('a'));
    expect(after).toMatchObject({ outcome: 'hit', credentials: { accessKeyId: 'ASIAFAKE3' } });
    expect(await cacheEvents(t.metrics, 'hit')).toBe(2);
  });

  it('drops the entry when a refresh is refused for good (not retryable)', async () => {
    const t = setup();
    cache = t.cache;
    await t.cache.get(podToken('a'));
    await t.cache.get(podToken('a'));
    t.exchanger.failWith = new AgentError('AccessDenied');
    await t.time.advance(REFRESH_AT - EPOCH);
    expect(t.cache.size).toBe(0);
    await expect(t.cache.get(podToken('a'))).rejects.toMatchObject({ code: 'AccessDenied' });
  });
});
