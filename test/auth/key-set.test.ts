import type { FlattenedJWSInput, JWSHeaderParameters } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeySet, type KeySet, type KeySetOptions } from '../../agent/auth/key-set.js';
import type { Metrics } from '../../agent/metrics/metrics.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { FakeTime } from '../fakes/fake-time.js';
import { counterValue, ManualClock, newMetrics, ScriptedFetcher } from './fixtures.js';

const first = await createClusterKeys({ kid: 'key-1' });
const second = await createClusterKeys({ kid: 'key-2', alg: 'ES256' });
const NO_TOKEN = {} as FlattenedJWSInput;
const header = (kid: string, alg = 'RS256'): JWSHeaderParameters => ({ alg, kid });

let clock: ManualClock;
let metrics: Metrics;
let fetcher: ScriptedFetcher;
let keySet: KeySet | undefined;

function build(options: Partial<KeySetOptions> = {}): KeySet {
  keySet = createKeySet({ fetcher: fetcher.fetch, clock, metrics, refreshIntervalMs: 0, ...options });
  return keySet;
}

async function found(set: KeySet, kid: string, alg?: string): Promise<boolean> {
  try {
    await set.getKey(header(kid, alg), NO_TOKEN);
    return true;
  } catch {
    return false;
  }
}

beforeEach(() => {
  clock = new ManualClock();
  metrics = newMetrics();
  fetcher = new ScriptedFetcher(first.jwks);
});

afterEach(() => keySet?.close());

describe('createKeySet', () => {
  it('is loaded once the first fetch succeeds, and counts it', async () => {
    const set = build();
    expect(set.isLoaded()).toBe(false);
    expect(await set.load()).toBe(true);
    expect(set.isLoaded()).toBe(true);
    expect(await found(set, 'key-1')).toBe(true);
    expect(await counterValue(metrics.jwksRefreshes, 'success')).toBe(1);
  });

  it('refuses a key whose alg does not match the token header', async () => {
    const set = build();
    await set.load();
    expect(await found(set, 'key-1', 'ES256')).toBe(false);
    expect(await found(set, 'key-1', 'HS256')).toBe(false);
  });

  it('refetches once on an unknown kid and finds a rotated-in key', async () => {
    const set = build();
    await set.load();
    fetcher.answer({ keys: [...first.jwks.keys, ...second.jwks.keys] });
    clock.advance(30_000);
    expect(await found(set, 'key-2', 'ES256')).toBe(true);
    expect(fetcher.calls).toBe(2);
  });

  it('refetches for unknown kids at most once per 30 s', async () => {
    const set = build();
    await set.load();
    clock.advance(30_000);
    expect(await found(set, 'nope-1')).toBe(false);
    expect(await found(set, 'nope-2')).toBe(false);
    clock.advance(29_999);
    expect(await found(set, 'nope-3')).toBe(false);
    expect(fetcher.calls).toBe(2);
    clock.advance(1);
    expect(await found(set, 'nope-4')).toBe(false);
    expect(fetcher.calls).toBe(3);
  });

  it('honours a configured refetch interval', async () => {
    const set = build({ minRefetchIntervalMs: 5000 });
    await set.load();
    clock.advance(5000);
    await found(set, 'nope');
    expect(fetcher.calls).toBe(2);
  });

  it('shares one fetch among concurrent unknown-kid lookups', async () => {
    const set = build();
    await set.load();
    clock.advance(30_000);
    await Promise.all([found(set, 'a'), found(set, 'b'), found(set, 'c')]);
    expect(fetcher.calls).toBe(2);
  });

  it.each<[string, unknown]>([
    ['is down', new Error('connect ECONNREFUSED')],
    ['answers junk', { hello: 'world' }],
    ['answers only a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'key-1' }] }],
  ])('keeps the last good keys when the endpoint %s', async (_, answer) => {
    const set = build();
    await set.load();
    fetcher.answer(answer);
    expect(await set.refresh()).toBe(false);
    expect(set.isLoaded()).toBe(true);
    expect(await found(set, 'key-1')).toBe(true);
    expect(await counterValue(metrics.jwksRefreshes, 'error')).toBe(1);
  });

  it('is not loaded while the first fetches fail, and retries every retry interval until one succeeds', async () => {
    const time = new FakeTime();
    fetcher.answer(new Error('down'), new Error('down'), first.jwks);
    const set = build({ clock: time, timers: time, retryIntervalMs: 10_000 });
    expect(await set.load()).toBe(false);
    await time.advance(9_999);
    expect(fetcher.calls).toBe(1);
    await time.advance(1);
    expect([set.isLoaded(), fetcher.calls]).toEqual([false, 2]);
    await time.advance(10_000);
    expect([set.isLoaded(), fetcher.calls]).toEqual([true, 3]);
  });

  it('refreshes every refresh interval in the background and stops when closed', async () => {
    const time = new FakeTime();
    const set = build({ clock: time, timers: time, refreshIntervalMs: 600_000 });
    await set.load();
    await time.advance(600_000);
    await time.advance(600_000);
    expect(fetcher.calls).toBe(3);
    set.close();
    expect(time.timerCount).toBe(0);
    await time.advance(1_800_000);
    expect(fetcher.calls).toBe(3);
  });

  it('bumps its generation only when the keys change', async () => {
    const set = build();
    await set.load();
    const generation = set.generation();
    await set.refresh();
    expect(set.generation()).toBe(generation);
    fetcher.answer(second.jwks);
    await set.refresh();
    expect(set.generation()).toBe(generation + 1);
    expect(await found(set, 'key-1')).toBe(false);
  });

  it('reports the issuer its source discovered', async () => {
    const set = createKeySet({
      fetcher: async () => ({ document: first.jwks, issuer: 'https://kubernetes.default.svc.cluster.local' }),
      clock,
      metrics,
      refreshIntervalMs: 0,
    });
    expect(set.issuer()).toBeUndefined();
    await set.load();
    expect(set.issuer()).toBe('https://kubernetes.default.svc.cluster.local');
  });

  it.each(['refreshIntervalMs', 'retryIntervalMs', 'minRefetchIntervalMs'])(
    'refuses a negative %s',
    (name) => {
      expect(() => build({ [name]: -1 })).toThrow(name);
    },
  );
});
