import type { VerifiedToken } from '../auth/token-verifier.js';
import type { Clock } from '../clock.js';
import type { Log } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CredentialExchanger, RoleCredentials } from './credential-exchanger.js';
import {
  AssumeRoleForPodIdentityCommand,
  type AssumeRoleForPodIdentityCommandOutput,
} from './eks-auth-client.js';
import { classifyEksAuthError } from './eks-auth-errors.js';
import { EKS_AUTH_API, fromEksAuthResponse, MalformedResponseError } from './eks-auth-response.js';
import { type RetryOptions, resolveRetryOptions, withRetry } from './retry.js';
import { UPSTREAM_PROBLEMS, type UpstreamHealth, type UpstreamProblem } from './upstream-health.js';

/** The one method of `EksAuthClient` the exchanger uses, so tests pass a hand-written fake. */
export interface EksAuthSender {
  send(
    command: AssumeRoleForPodIdentityCommand,
    options?: { abortSignal?: AbortSignal | undefined },
  ): Promise<AssumeRoleForPodIdentityCommandOutput>;
}

/** pino-compatible logger subset. */
export type ExchangeLogger = Pick<Log, 'warn'>;

/** Options of {@link createEksAuthExchanger}. */
export interface EksAuthExchangerOptions {
  /** An `EksAuthClient` (or a fake). */
  readonly client: EksAuthSender;
  /** EKS cluster name, sent in the request path. */
  readonly clusterName: string;
  readonly metrics: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration'>;
  /** Times calls and checks that answers are not already expired. */
  readonly clock: Clock;
  /** Attempts, backoff and per-attempt deadline. Defaults: 3 attempts, 100 ms base, 1.5 s per attempt. */
  readonly retry?: Omit<RetryOptions, 'signal'> | undefined;
  readonly logger?: ExchangeLogger | undefined;
  /** Told of node-wide problems (cluster unknown, node credentials missing or refused) and of successes. */
  readonly health?: UpstreamHealth | undefined;
}

/**
 * The `--exchange eks-auth` exchanger: forwards the pod's token to EKS Auth
 * `AssumeRoleForPodIdentity`, retrying retryable failures with jittered backoff, and maps every
 * failure to an `AgentError` (see `classifyEksAuthError`). Counts one
 * `pod_identity_upstream_requests_total{api,outcome}` and one duration sample per attempt.
 */
export function createEksAuthExchanger(options: EksAuthExchangerOptions): CredentialExchanger {
  const { client, clusterName, metrics, clock, logger, health } = options;
  if (typeof client?.send !== 'function') throw new TypeError('"client" must have a send() method');
  if (typeof clusterName !== 'string' || !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(clusterName))
    throw new TypeError('"clusterName" must be a valid EKS cluster name');
  if (typeof clock?.now !== 'function') throw new TypeError('"clock" must have a now() method');
  const retry = resolveRetryOptions(options.retry);
  const api = EKS_AUTH_API;

  async function attempt(token: VerifiedToken, signal: AbortSignal, n: number): Promise<RoleCredentials> {
    const started = clock.now();
    try {
      const output = await client.send(
        new AssumeRoleForPodIdentityCommand({ clusterName, token: token.token }),
        {
          abortSignal: signal,
        },
      );
      const credentials = fromEksAuthResponse(output);
      // The credentials must be for the pod whose token was sent: an answer about another service
      // account (a confused proxy, a mixed-up response) is never cached or served.
      const { identity } = token;
      if (
        output.subject?.namespace !== identity.namespace ||
        output.subject?.serviceAccount !== identity.serviceAccount
      )
        throw new MalformedResponseError('subject');
      if (credentials.expiration <= clock.now()) throw new MalformedResponseError('credentials.expiration');
      metrics.upstreamRequests.inc({ api, outcome: 'success' });
      health?.report(undefined);
      return credentials;
    } catch (thrown) {
      const { error, outcome, reason } = classifyEksAuthError(thrown);
      metrics.upstreamRequests.inc({ api, outcome });
      if ((UPSTREAM_PROBLEMS as readonly string[]).includes(reason ?? ''))
        health?.report(reason as UpstreamProblem);
      logger?.warn(
        {
          api,
          attempt: n,
          outcome,
          ...(reason === undefined ? {} : { reason, detail: error.message }),
          code: error.code,
          retryable: error.retryable,
          upstreamError: errorName(thrown),
          namespace: token.identity.namespace,
          serviceAccount: token.identity.serviceAccount,
          tokenHash: token.tokenHash,
        },
        'upstream credential call failed',
      );
      throw error;
    } finally {
      metrics.upstreamDuration.observe({ api }, Math.max(0, clock.now() - started) / 1000);
    }
  }

  return {
    api,
    exchange(token, signal) {
      return withRetry((attemptSignal, n) => attempt(token, attemptSignal, n), { ...retry, signal });
    },
  };
}

/** The error's type only: never its message (SDK messages can echo request data). */
function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return [name, code].filter((v) => typeof v === 'string').join(':') || undefined;
}
