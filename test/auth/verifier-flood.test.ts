/**
 * Flood limits of the verifier (docs/security.md threat 9): a flood of one bad token
 * costs one signature check, and the memo and negative cache stay bounded.
 */
import { base64url } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JwtVerifierOptions } from '../../agent/auth/jwt-verifier.js';
import type { TokenVerifier } from '../../agent/auth/token-verifier.js';
import type { Metrics } from '../../agent/metrics/metrics.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import {
  BASE_CLAIMS,
  type CountingKeySet,
  counterValue,
  createCountingVerifier,
  ManualClock,
  newMetrics,
  outcomeOf,
  ScriptedFetcher,
} from './fixtures.js';

const keys = await createClusterKeys({ alg: 'ES256', kid: 'ec-1' });
const stranger = await createClusterKeys({ alg: 'ES256', kid: 'ec-1' });
let clock: ManualClock;
let metrics: Metrics;
let counting: CountingKeySet;

async function setUp(options: Partial<JwtVerifierOptions> = {}): Promise<TokenVerifier> {
  const built = await createCountingVerifier(new ScriptedFetcher(keys.jwks).fetch, clock, metrics, options);
  counting = built.counting;
  return built.verifier;
}

const codeOf = outcomeOf;

beforeEach(() => {
  clock = new ManualClock();
  metrics = newMetrics();
});

describe('the verifier under a flood', () => {
  it('checks the signature of one forged token once for 5,000 requests, 500 of them at the same time', async () => {
    const verifier = await setUp();
    const forged = await stranger.mintToken(BASE_CLAIMS);
    const concurrent = await Promise.all(Array.from({ length: 500 }, () => codeOf(verifier.verify(forged))));
    expect(new Set(concurrent)).toEqual(new Set(['InvalidToken']));
    for (let i = 0; i < 4_500; i++) expect(await codeOf(verifier.verify(forged))).toBe('InvalidToken');
    expect(counting.getKeyCalls).toBe(1);
    expect(await counterValue(metrics.tokenValidations, 'invalid')).toBe(1);
  });

  it('checks the signature of one good token once for 500 concurrent first requests', async () => {
    const verifier = await setUp();
    const token = await keys.mintToken(BASE_CLAIMS);
    const results = await Promise.all(Array.from({ length: 500 }, () => verifier.verify(token)));
    expect(new Set(results.map((r) => r.identity.podUid)).size).toBe(1);
    expect(counting.getKeyCalls).toBe(1);
  });

  it('refuses each of a flood of distinct forged tokens without growing past the negative-cache bound', async () => {
    const verifier = await setUp({ negativeSize: 50 });
    const forged = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stranger.mintToken({ ...BASE_CLAIMS, podName: `p-${i}` })),
    );
    for (const token of forged) expect(await codeOf(verifier.verify(token))).toBe('InvalidToken');
    const checks = counting.getKeyCalls;
    // The most recent 50 are still remembered; the first ones were forgotten and cost a check again.
    for (const token of forged.slice(-50)) await codeOf(verifier.verify(token));
    expect(counting.getKeyCalls).toBe(checks);
    await codeOf(verifier.verify(forged[0] as string));
    expect(counting.getKeyCalls).toBe(checks + 1);
  });

  it('keeps at most memoSize verified tokens, re-checking the oldest', async () => {
    const verifier = await setUp({ memoSize: 50 });
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => keys.mintToken({ ...BASE_CLAIMS, podName: `p-${i}` })),
    );
    for (const token of tokens) await verifier.verify(token);
    expect(counting.getKeyCalls).toBe(200);
    for (const token of tokens.slice(-50)) await verifier.verify(token);
    expect(counting.getKeyCalls).toBe(200);
    await verifier.verify(tokens[0] as string);
    expect(counting.getKeyCalls).toBe(201);
  });

  const header = base64url.encode('{"alg":"ES256","kid":"ec-1"}');
  it.each<[string, () => string]>([
    ['a 16 KiB payload segment', () => `${header}.${'A'.repeat(16_000)}.c2ln`],
    ['a payload that is not base64url JSON', () => `${header}.e30ZZZ.c2ln`],
    ['a header that is not JSON', () => `${base64url.encode('{"alg":')}.e30.c2ln`],
    ['an empty payload segment', () => `${header}..c2ln`],
  ])('refuses %s as MalformedToken without a signature check', async (_name, make) => {
    const verifier = await setUp();
    expect(await codeOf(verifier.verify(make()))).toBe('MalformedToken');
    expect(counting.getKeyCalls).toBe(0);
  });

  it.each<[string, string]>([
    ['arrays nested as deep as 16 KiB allows', `{"a":${'['.repeat(6_000)}${']'.repeat(6_000)}}`],
    ['objects nested 2,000 deep', `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`],
    ['a 2,000-element audience array', `{"aud":[${Array.from({ length: 2_000 }, () => '"x"').join(',')}]}`],
  ])(
    'refuses a badly signed token whose payload is %s with one check, then from the negative cache',
    async (_name, payload) => {
      const verifier = await setUp();
      const token = `${header}.${base64url.encode(payload)}.${'A'.repeat(86)}`;
      expect(token.length).toBeLessThanOrEqual(16 * 1024);
      for (let i = 0; i < 100; i++) expect(await codeOf(verifier.verify(token))).toBe('InvalidToken');
      expect(counting.getKeyCalls).toBeLessThanOrEqual(1);
    },
  );
});
