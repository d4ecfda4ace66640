import type { VerifiedToken } from '../auth/token-verifier.js';
import type { CredentialExchanger, RoleCredentials } from './credential-exchanger.js';
import {
  AssumeRoleForPodIdentityCommand,
  type AssumeRoleForPodIdentityCommandOutput,
} from './eks-auth-client.js';
import { classifyEksAuthError } from './eks-auth-errors.js';
import { EKS_AUTH_API, fromEksAuthResponse, MalformedResponseError } from './eks-auth-response.js';
import { resolveRetryOptions } from './retry.js';
import { callUpstream, type UpstreamCallDeps } from './upstream-call.js';
import { UPSTREAM_PROBLEMS, type UpstreamHealth, type UpstreamProblem } from './upstream-health.js';

/** The one method of `EksAuthClient` the exchanger uses, so tests pass a hand-written fake. */
export interface EksAuthSender {
  send(
    command: AssumeRoleForPodIdentityCommand,
    options?: { abortSignal?: AbortSignal | undefined },
  ): Promise<AssumeRoleForPodIdentityCommandOutput>;
}

/** Options of {@link createEksAuthExchanger}. */
export interface EksAuthExchangerOptions extends UpstreamCallDeps {
  /** An `EksAuthClient` (or a fake). */
  readonly client: EksAuthSender;
  /** EKS cluster name, sent in the request path. */
  readonly clusterName: string;
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

  const attempt = async (token: VerifiedToken, signal: AbortSignal): Promise<RoleCredentials> => {
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
    return credentials;
  };

  return {
    api,
    exchange(token, signal) {
      return callUpstream(
        {
          api,
          classify: classifyEksAuthError,
          attempt: (attemptSignal) => attempt(token, attemptSignal),
          onSuccess: () => health?.report(undefined),
          onFailure: ({ reason }) => {
            if ((UPSTREAM_PROBLEMS as readonly string[]).includes(reason ?? ''))
              health?.report(reason as UpstreamProblem);
          },
          logFields: {
            namespace: token.identity.namespace,
            serviceAccount: token.identity.serviceAccount,
            tokenHash: token.tokenHash,
          },
        },
        { metrics, clock, logger, retry },
        signal,
      );
    },
  };
}
