import { describe, expect, it } from 'vitest';
import {
  type CredentialCacheOptions,
  DEFAULT_MAX_REFRESHES_PER_SECOND,
  DEFAULT_MIN_REMAINING_MS,
  DEFAULT_REFRESH_JITTER_MS,
  DEFAULT_REFRESH_RETRY_MS,
  resolveCacheOptions,
} from '../../agent/cache/cache-options.js';
import { createCredentialCache } from '../../agent/cache/create-credential-cache.js';
import { FakeExchanger, FakeTime, MINUTE, newMetrics } from './fakes.js';

function base(): CredentialCacheOptions {
  const time = new FakeTime();
  return { exchanger: new FakeExchanger(time), clock: time, metrics: newMetrics(), maxEntries: 10 };
}

describe('resolveCacheOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveCacheOptions(base());
    expect(resolved).toMatchObject({
      minRemainingMs: DEFAULT_MIN_REMAINING_MS,
      refreshAheadMs: DEFAULT_MIN_REMAINING_MS + 10 * MINUTE,
      refreshJitterMs: DEFAULT_REFRESH_JITTER_MS,
      maxRefreshesPerSecond: DEFAULT_MAX_REFRESHES_PER_SECOND,
      refreshRetryMs: DEFAULT_REFRESH_RETRY_MS,
    });
    expect(DEFAULT_MIN_REMAINING_MS).toBe(15 * MINUTE);
  });

  it('derives refreshAheadMs from a custom minRemainingMs', () => {
    expect(resolveCacheOptions({ ...base(), minRemainingMs: 5 * MINUTE }).refreshAheadMs).toBe(15 * MINUTE);
  });

  it.each<[string, Partial<Record<keyof CredentialCacheOptions, unknown>>]>([
    ['maxEntries', { maxEntries: 0 }],
    ['maxEntries', { maxEntries: 1.5 }],
    ['maxEntries', { maxEntries: undefined }],
    ['minRemainingMs', { minRemainingMs: -1 }],
    ['minRemainingMs', { minRemainingMs: Number.NaN }],
    ['refreshAheadMs', { minRemainingMs: 10 * MINUTE, refreshAheadMs: 10 * MINUTE }],
    ['refreshJitterMs', { refreshJitterMs: -5 }],
    ['maxRefreshesPerSecond', { maxRefreshesPerSecond: 0 }],
    ['maxRefreshesPerSecond', { maxRefreshesPerSecond: Number.POSITIVE_INFINITY }],
    ['refreshRetryMs', { refreshRetryMs: -1 }],
    ['exchanger', { exchanger: {} }],
    ['clock', { clock: undefined }],
    ['metrics', { metrics: {} }],
    ['timers', { timers: { setTimeout: () => 1 } }],
    ['random', { random: 0.5 }],
    ['logger', { logger: { info: () => {} } }],
  ])('rejects a bad "%s" with a message naming it', (name, override) => {
    const options = { ...base(), ...override } as CredentialCacheOptions;
    expect(() => createCredentialCache(options)).toThrow(TypeError);
    expect(() => createCredentialCache(options)).toThrow(`"${name}"`);
  });
});
