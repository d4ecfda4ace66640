import type { CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters } from 'jose';
import { Registry } from 'prom-client';
import type { TokenKeySet } from '../../agent/auth/key-set.js';
import type { KeyFetcher, KeyFetchResult } from '../../agent/auth/key-sources.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';

/** Fixed, non-zero test epoch (ms). */
export const EPOCH = 1_790_000_000_000;
export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'pods.eks.amazonaws.com';

export { ManualClock } from '../fakes/manual-clock.js';

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
