/** What a verified service-account token tells us about the pod that holds it. */
export interface PodIdentity {
  /** Token issuer (`iss`). */
  readonly issuer: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly serviceAccountUid: string;
  readonly podName: string;
  readonly podUid: string;
  /** `kubernetes.io.node.name`; absent on clusters before 1.30. */
  readonly nodeName?: string | undefined;
  /** Token expiry, milliseconds since the epoch. */
  readonly tokenExpiresAt: number;
}

/** A token that passed verification, with the identity it proves. */
export interface VerifiedToken {
  readonly identity: PodIdentity;
  /** The raw token, needed by exchanges that forward it (EKS Auth, web identity). Never logged. */
  readonly token: string;
  /** SHA-256 of the token, hex. Safe to log and to use as a key. */
  readonly tokenHash: string;
}

/** What the request tells about its sender, for checks that bind a token to its pod (docs/security.md threat 4). */
export interface VerifyContext {
  /** Source address of the request as the socket reports it (IPv4 may come IPv4-mapped, `::ffff:a.b.c.d`). */
  readonly sourceAddress?: string | undefined;
}

/** Role: verifies a raw token or throws an `AgentError` (`MalformedToken`, `InvalidToken`, `ExpiredToken`, `TokenNotBound`). */
export interface TokenVerifier {
  /** `context` is optional: verifiers that only look at the token ignore it. */
  verify(token: string, context?: VerifyContext): Promise<VerifiedToken>;
  /**
   * The verified token for `token` when this verifier has already checked it against the current keys
   * and it is still usable, counted as a memo hit; undefined otherwise (then call `verify`, which
   * also answers the refusals). Synchronous: the cache-hit road of the credentials route.
   */
  memoized?(token: string | undefined): VerifiedToken | undefined;
  /** True once token keys are loaded (readiness). */
  isReady(): boolean;
}

/** Keys made so far, per identity object (a memoized token gives the same identity object each time). */
const keys = new WeakMap<PodIdentity, string>();

/**
 * The cache key of an identity: verified claims only (docs/security.md threat 2). Made once per
 * identity object: a cache hit looks its entry up without joining five strings into a new one and
 * hashing it again (identities are never changed once made).
 */
export function identityKey(identity: PodIdentity): string {
  let key = keys.get(identity);
  if (key === undefined) {
    key = [
      identity.issuer,
      identity.namespace,
      identity.serviceAccount,
      identity.serviceAccountUid,
      identity.podUid,
    ].join('\u0000');
    keys.set(identity, key);
  }
  return key;
}
