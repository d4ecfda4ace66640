import type { CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters } from 'jose';
import { Registry } from 'prom-client';
import { createJwtVerifier, type JwtVerifierOptions } from '../../agent/auth/jwt-verifier.js';
import type { KeyFetcher, KeyFetchResult } from '../../agent/auth/key-fetcher.js';
import { createKeySet, type KeySet, type TokenKeySet } from '../../agent/auth/key-set.js';
import type { TokenVerifier } from '../../agent/auth/token-verifier.js';
import type { Clock } from '../../agent/clock.js';
import { AgentError } from '../../agent/errors.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';
import type { TokenClaims } from '../../test-support/cluster-keys.js';

/** Fixed, non-zero test epoch (ms). */
export const EPOCH = 1_790_000_000_000;
export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'pods.eks.amazonaws.com';

export { ManualClock } from '../fakes/manual-clock.js';

/** The claims of a valid token of pod `default/s3-access-pod`, issued at {@link EPOCH}. */
export const BASE_CLAIMS: TokenClaims = Object.freeze({
  issuer: ISSUER,
  audience: AUDIENCE,
  namespace: 'default',
  serviceAccount: 's3-access-sa',
  podName: 's3-access-pod',
  now: EPOCH,
});

/** `accepted`, the `AgentError` code a verification failed with, or `unexpected …`. */
export async function outcomeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof AgentError ? error.code : `unexpected ${String(error)}`;
  }
}

/** A loaded key set over `fetcher`, wrapped to count signature checks, and the verifier over it. */
export async function createCountingVerifier(
  fetcher: KeyFetcher,
  clock: Clock,
  metrics: Metrics,
  options: Partial<JwtVerifierOptions> = {},
): Promise<{ verifier: TokenVerifier; keySet: KeySet; counting: CountingKeySet }> {
  const keySet = createKeySet({ fetcher, clock, metrics, refreshIntervalMs: 0 });
  await keySet.load();
  const counting = new CountingKeySet(keySet);
  const verifier = createJwtVerifier({
    keySet: counting,
    issuer: ISSUER,
    audience: AUDIENCE,
    clock,
    metrics,
    ...options,
  });
  return { verifier, keySet, counting };
}

export function newMetrics(): Metrics {
  return createMetrics(new Registry());
}

/** Value of a counter for one label set (0 when never incremented). */
export async function counterValue(
  counter: Metrics['tokenValidations'] | Metrics['jwksRefreshes'],
  result: string,
): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

/** A key fetcher answering from a script: each call takes the next answer (the last one repeats). */
export class ScriptedFetcher {
  calls = 0;
  private answers: Array<JSONWebKeySet | unknown | Error>;
  constructor(...answers: Array<JSONWebKeySet | unknown | Error>) {
    this.answers = answers;
  }
  /** Replaces the script. */
  answer(...answers: Array<JSONWebKeySet | unknown | Error>): void {
    this.answers = answers;
  }
  readonly fetch: KeyFetcher = async (): Promise<KeyFetchResult> => {
    this.calls++;
    const next = this.answers.length > 1 ? this.answers.shift() : this.answers[0];
    if (next instanceof Error) throw next;
    return { document: next };
  };
}

/** Wraps a key set and counts `getKey` calls: one call is one signature check. */
export class CountingKeySet implements TokenKeySet {
  getKeyCalls = 0;
  constructor(private readonly inner: TokenKeySet) {}
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    this.getKeyCalls++;
    return this.inner.getKey(header, token);
  }
  isLoaded(): boolean {
    return this.inner.isLoaded();
  }
  issuer(): string | undefined {
    return this.inner.issuer();
  }
  generation(): number {
    return this.inner.generation();
  }
}
