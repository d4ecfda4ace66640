import type { Credentials } from '@aws-sdk/client-sts';
import type { Clock } from '../clock.js';
import { AgentError, type AgentErrorCode } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RoleCredentials } from './credential-exchanger.js';
import { type RetryOptions, withRetry } from './retry.js';
import { fromStsError } from './sts-errors.js';

/** pino-compatible logger subset. */
export interface StsLogger {
  warn(obj: object, msg: string): void;
}

/** What every STS exchange needs besides its client. */
export interface StsCallDeps {
  readonly metrics: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration'>;
  readonly clock: Clock;
  /** Attempts, backoff and per-attempt deadline (`withRetry`). Defaults: 3 attempts, 100 ms base, 1.5 s per attempt. */
  readonly retry?: Omit<RetryOptions, 'signal'> | undefined;
  readonly logger?: StsLogger | undefined;
}

const OUTCOME: Readonly<Partial<Record<AgentErrorCode, string>>> = {
  AccessDenied: 'denied',
  Throttled: 'throttled',
  UpstreamUnavailable: 'unavailable',
};

/**
 * Runs one STS operation with `withRetry` (retryable failures only, jittered backoff); every attempt
 * is counted in `pod_identity_upstream_requests_total{api,outcome}` (`success`, `denied`, `throttled`,
 * `unavailable`, `error`, as for EKS Auth) and timed in `pod_identity_upstream_request_duration_seconds{api}`.
 * Failures become `AgentError`s (see `fromStsError`); only the error's type is logged.
 */
export function callSts<T>(
  api: string,
  deps: StsCallDeps,
  signal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const once = async (s: AbortSignal, n: number): Promise<T> => {
    const started = deps.clock.now();
    try {
      const result = await attempt(s);
      deps.metrics.upstreamRequests.inc({ api, outcome: 'success' });
      return result;
    } catch (error) {
      const mapped = fromStsError(error);
      const outcome = OUTCOME[mapped.code] ?? 'error';
      deps.metrics.upstreamRequests.inc({ api, outcome });
      deps.logger?.warn(
        {
          api,
          attempt: n,
          outcome,
          code: mapped.code,
          retryable: mapped.retryable,
          upstreamError: errorName(error),
        },
        'upstream credential call failed',
      );
      throw mapped;
    } finally {
      deps.metrics.upstreamDuration.observe({ api }, Math.max(0, deps.clock.now() - started) / 1000);
    }
  };
  return withRetry(once, { ...deps.retry, signal });
}

/** The error's type only: never its message (SDK messages can echo request data). */
function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return [name, code].filter((v) => typeof v === 'string').join(':') || undefined;
}

/**
 * Maps STS's `Credentials` + `AssumedRoleUser` to {@link RoleCredentials}; the account comes from the
 * assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
 */
export function toRoleCredentials(
  output: {
    Credentials?: Credentials | undefined;
    AssumedRoleUser?: { Arn?: string | undefined } | undefined;
  },
  roleArn: string,
): RoleCredentials {
  const c = output.Credentials;
  const accountId = output.AssumedRoleUser?.Arn?.split(':')[4];
  if (
    !c?.AccessKeyId ||
    !c.SecretAccessKey ||
    !c.SessionToken ||
    !(c.Expiration instanceof Date) ||
    Number.isNaN(c.Expiration.getTime()) ||
    accountId === undefined ||
    !/^\d{12}$/.test(accountId)
  )
    throw new AgentError('UpstreamUnavailable', {
      retryable: true,
      cause: new Error('STS answered without complete credentials or assumed-role ARN'),
    });
  return Object.freeze({
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    accountId,
    roleArn,
    expiration: c.Expiration.getTime(),
  });
}
