import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { checkInteger } from '../checks/option-checks.js';
import { withDeadline } from '../deadline.js';
import { AgentError } from '../errors.js';
import { abortOn } from '../kube/abort-on.js';
import { describeKubeError } from '../kube/keep-watching.js';
import type { TokenReviewer, TokenReviewResult } from './pod-checker.js';

/** Default deadline of one TokenReview, milliseconds. */
export const DEFAULT_REVIEW_TIMEOUT_MS = 5_000;
/** The user-info extra in which the API server names the pod a bound token belongs to. */
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
/** The user-info extra in which the API server names the node of a token's pod (Kubernetes 1.30+). */
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

/** Options of {@link createKubeTokenReviewer}. */
export interface KubeTokenReviewerOptions {
  readonly kubeConfig: KubeConfig;
  /** The audience pod tokens are minted for (`--audience`); the review must confirm it. */
  readonly audience: string;
  /** Deadline per review, milliseconds. Default {@link DEFAULT_REVIEW_TIMEOUT_MS}. */
  readonly timeoutMs?: number | undefined;
}

/**
 * TokenReview (authentication.k8s.io/v1) with `spec.audiences = [audience]`. The API server checks
 * that a bound token's pod still exists. Per the API, an authenticated answer counts only when
 * `status.audiences` includes ours (else the server was not audience-aware).
 */
export function createKubeTokenReviewer(options: KubeTokenReviewerOptions): TokenReviewer {
  const { kubeConfig, audience } = options;
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS);
  const api = kubeConfig.makeApiClient(AuthenticationV1Api);

  return {
    async review(token): Promise<TokenReviewResult> {
      let deadline: AbortSignal | undefined;
      try {
        const answer = await withDeadline(timeoutMs, undefined, (signal) => {
          deadline = signal;
          return api.createTokenReview(
            {
              body: {
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenReview',
                spec: { token, audiences: [audience] },
              },
            },
            abortOn(signal),
          );
        });
        const status = answer.status;
        const authenticated = status?.authenticated === true && (status.audiences ?? []).includes(audience);
        const extra = status?.user?.extra;
        return {
          authenticated,
          podUid: extra?.[POD_UID_EXTRA]?.[0],
          nodeName: extra?.[NODE_NAME_EXTRA]?.[0],
        };
      } catch (cause) {
        // The client's error may quote the request body, which holds the token: keep only the status.
        const why = deadline?.aborted ? new Error(`TokenReview took over ${timeoutMs} ms`) : describe(cause);
        throw new AgentError('UpstreamUnavailable', { retryable: true, cause: why });
      }
    },
  };
}

function describe(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  // For 401 and 403, with the API server's reason (the verb and resource refused; never the token).
  if (typeof code === 'number') return new Error(`TokenReview failed with ${describeKubeError(error)}`);
  if (typeof code === 'string') return new Error(`TokenReview failed: ${code}`);
  return new Error('TokenReview failed');
}
