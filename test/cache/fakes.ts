import { Registry } from 'prom-client';
import type { PodIdentity, VerifiedToken } from '../../agent/auth/token-verifier.js';
import type { CredentialCacheOptions } from '../../agent/cache/cache-options.js';
import { createCredentialCache } from '../../agent/cache/create-credential-cache.js';
import type { Clock } from '../../agent/clock.js';
import { AgentError } from '../../agent/errors.js';
import type { CredentialExchanger, RoleCredentials } from '../../agent/exchange/credential-exchanger.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';
import { FakeTime, flush } from '../fakes/fake-time.js';

export { FakeTime, flush };

/** Fixed, non-zero epoch for every cache test. */
export const EPOCH = 1_790_000_000_000;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A hand-written exchanger: counts calls, can fail, can be held on a gate. */
export class FakeExchanger implements CredentialExchanger {
  readonly api = 'FakeAssumeRole';
  /** When each call happened, and with which token. */
  readonly calls: { at: number; token: VerifiedToken; signal: AbortSignal | undefined }[] = [];
  /** When set, calls reject with it. */
  failWith: AgentError | Error | undefined;
  /** When set, calls wait for it before answering. */
  gate: Promise<void> | undefined;
  lifetimeMs = 6 * HOUR;

  constructor(private readonly clock: Clock) {}

  async exchange(token: VerifiedToken, signal?: AbortSignal): Promise<RoleCredentials> {
    this.calls.push({ at: this.clock.now(), token, signal });
    const n = this.calls.length;
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    return {
      accessKeyId: `ASIAFAKE${n}`,
      secretAccessKey: `secret-${n}`,
      sessionToken: `session-${n}`,
      accountId: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/Fake',
      expiration: this.clock.now() + this.lifetimeMs,
    };
  }
}

/** A promise the test resolves by hand. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export const unavailable = (): AgentError => new AgentError('UpstreamUnavailable', { retryable: true });
export const throttled = (): AgentError => new AgentError('Throttled', { retryable: true });

/** A verified token for pod `podUid`; `serial` makes a rotated token of the same pod. */
export function podToken(
  podUid: string,
  options: { serial?: number; tokenExpiresAt?: number } = {},
): VerifiedToken {
  const serial = options.serial ?? 1;
  const identity: PodIdentity = {
    issuer: 'https://issuer.example',
    namespace: 'default',
    serviceAccount: 'app',
    serviceAccountUid: 'sa-uid-1',
    podName: `pod-${podUid}`,
    podUid,
    nodeName: 'node-1',
    tokenExpiresAt: options.tokenExpiresAt ?? EPOCH + 24 * HOUR * serial,
  };
  return { identity, token: `jwt-${podUid}-${serial}`, tokenHash: `hash-${podUid}-${serial}` };
}

/**
 * Builds a cache on fake time with test-friendly defaults (no jitter unless asked); `time` when other
 * parts of the test must share its clock.
 */
export function setup(overrides: Partial<CredentialCacheOptions> = {}, time = new FakeTime()) {
  const exchanger = new FakeExchanger(time);
  const metrics = newMetrics();
  const cache = createCredentialCache({
    exchanger,
    clock: time,
    metrics,
    timers: time,
    maxEntries: 100,
    minRemainingMs: 15 * MINUTE,
    refreshAheadMs: 25 * MINUTE,
    refreshJitterMs: 0,
    random: () => 0.5,
    ...overrides,
  });
  return { time, exchanger, metrics, cache };
}

/** A fresh registry and metrics. */
export function newMetrics(): Metrics {
  return createMetrics(new Registry());
}

/** The value of `pod_identity_cache_events_total{event}`. */
export async function cacheEvents(metrics: Metrics, event: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric('pod_identity_cache_events_total');
  const data = await metric?.get();
  return data?.values.find((v) => v.labels.event === event)?.value ?? 0;
}

/** The value of `pod_identity_cache_entries`. */
export async function cacheEntries(metrics: Metrics): Promise<number> {
  const data = await metrics.registry.getSingleMetric('pod_identity_cache_entries')?.get();
  return data?.values[0]?.value ?? 0;
}
