import type { Clock } from '../clock.js';
import type { AgentError } from '../errors.js';
import type { Log } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { type RetryOptions, withRetry } from './retry.js';

/** `outcome` label of `pod_identity_upstream_requests_total`. */
export type UpstreamOutcome = 'success' | 'denied' | 'throttled' | 'unavailable' | 'error';

/** An upstream failure as the agent answers it, how the metric counts it, and its cause when known. */
export interface ClassifiedError {
  readonly error: AgentError;
  readonly outcome: UpstreamOutcome;
  /** A cause an operator must tell apart (e.g. `cluster-not-found`); logged with the error's message. */
  readonly reason?: string | undefined;
}

/** What every upstream exchange (EKS Auth, STS) needs besides its client. */
export interface UpstreamCallDeps {
  readonly metrics: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration'>;
  /** Times each attempt. */
  readonly clock: Clock;
  /** Attempts, backoff and per-attempt deadline; defaults in {@link RetryOptions}. */
  readonly retry?: Omit<RetryOptions, 'signal'> | undefined;
  readonly logger?: Pick<Log, 'warn'> | undefined;
}

/** One upstream operation. */
export interface UpstreamCall<T> {
  /** API name for metrics and logs, e.g. `AssumeRole`. */
  readonly api: string;
  /** Turns anything an attempt throws into the agent's error and its metric outcome. */
  readonly classify: (thrown: unknown) => ClassifiedError;
  /** One attempt; `signal` aborts at the attempt's deadline or when the caller's signal aborts. */
  readonly attempt: (signal: AbortSignal) => Promise<T>;
  /** Told after an attempt succeeds. */
  readonly onSuccess?: (() => void) | undefined;
  /** Told of each failed attempt, classified. */
  readonly onFailure?: ((failure: ClassifiedError) => void) | undefined;
  /** Extra fields of the failure log line: names and hashes, never a token or a secret. */
  readonly logFields?: Readonly<Record<string, string>> | undefined;
}

/** The error's type only, `name:code`: never its message (SDK messages can echo request data). */
export function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return [name, code].filter((v) => typeof v === 'string').join(':') || undefined;
}

/**
 * Runs `call` with `withRetry` (retryable failures only, jittered backoff). Every attempt is counted
 * in `pod_identity_upstream_requests_total{api,outcome}` and timed in
 * `pod_identity_upstream_request_duration_seconds{api}`; a failed one is logged with its outcome,
 * code and error type, and thrown as the classified `AgentError`.
 */
export function callUpstream<T>(
  call: UpstreamCall<T>,
  deps: UpstreamCallDeps,
  signal: AbortSignal | undefined,
): Promise<T> {
  const { api } = call;
  const once = async (attemptSignal: AbortSignal, n: number): Promise<T> => {
    const started = deps.clock.now();
    try {
      const result = await call.attempt(attemptSignal);
      deps.metrics.upstreamRequests.inc({ api, outcome: 'success' });
      call.onSuccess?.();
      return result;
    } catch (thrown) {
      const classified = call.classify(thrown);
      const { error, outcome, reason } = classified;
      deps.metrics.upstreamRequests.inc({ api, outcome });
      call.onFailure?.(classified);
      deps.logger?.warn(
        {
          api,
          attempt: n,
          outcome,
          ...(reason === undefined ? {} : { reason, detail: error.message }),
          code: error.code,
          retryable: error.retryable,
          upstreamError: errorName(thrown),
          ...call.logFields,
        },
        'upstream credential call failed',
      );
      throw error;
    } finally {
      deps.metrics.upstreamDuration.observe({ api }, Math.max(0, deps.clock.now() - started) / 1000);
    }
  };
  return withRetry(once, { ...deps.retry, signal });
}
