import type { VerifiedToken, VerifyContext } from '../auth/token-verifier.js';

/**
 * Role: confirms that a verified token belongs to a live pod of this node (docs/security.md threat 4) and,
 * when source binding is on, that the request comes from that pod's IP. Throws `AgentError`
 * (`TokenNotBound` when the pod is gone or the address is wrong, `UpstreamUnavailable` or `Throttled`
 * when the API server cannot answer now).
 */
export interface PodChecker {
  check(verified: VerifiedToken, context: VerifyContext): Promise<void>;
  /**
   * The same check when it can be answered at once: true when the pod is known live (and the address
   * is its own, when that is checked); false when only `check` can tell (it would wait or ask the API
   * server). Throws `AgentError` like `check` on a refusal known at once.
   */
  known?(verified: VerifiedToken, sourceAddress: string | undefined): boolean;
  /** Undefined when ready, else why not (e.g. the pod informer has not listed the node's pods yet). */
  notReadyReason(): string | undefined;
  /** Stops watches and timers. */
  close(): Promise<void>;
}

/** What the agent keeps about one pod of this node. */
export interface PodRecord {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string | undefined;
  /** `status.podIPs` (or `status.podIP`); empty until the pod has an address. */
  readonly ips: readonly string[];
  readonly hostNetwork: boolean;
  /** Graceful deletion has started; the pod keeps its credentials until it is gone. */
  readonly terminating: boolean;
  readonly phase: string | undefined;
}

/** What a TokenReview said about a token. */
export interface TokenReviewResult {
  /** The API server authenticated the token for our audience (a bound token's pod still exists). */
  readonly authenticated: boolean;
  /** `status.user.extra["authentication.kubernetes.io/pod-uid"]`, when the API server sets it. */
  readonly podUid?: string | undefined;
  /** `status.user.extra["authentication.kubernetes.io/node-name"]`, set by API servers 1.30+. */
  readonly nodeName?: string | undefined;
}

/** Role: asks the API server about a token (authentication.k8s.io/v1 TokenReview). */
export interface TokenReviewer {
  /** Resolves with the review, or rejects with `AgentError('UpstreamUnavailable', {retryable: true})`. */
  review(token: string): Promise<TokenReviewResult>;
}
