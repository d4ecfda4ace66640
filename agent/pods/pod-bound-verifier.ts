import type { TokenVerifier, VerifiedToken } from '../auth/token-verifier.js';
import type { PodChecker } from './pod-checker.js';

/**
 * Wraps a verifier so that every verified token also passes the live-pod check (docs/security.md threat
 * 4): the route's straight road stays verify → cache. The check runs on every request, cache hit or
 * not, after the signature check (so unsigned junk never reaches the API server): for the informer it
 * is a Map lookup, for TokenReview a memo hit most of the time.
 */
export function createPodBoundVerifier(inner: TokenVerifier, checker: PodChecker): TokenVerifier {
  return {
    async verify(token, context = {}): Promise<VerifiedToken> {
      const verified = await inner.verify(token, context);
      await checker.check(verified, context);
      return verified;
    },
    isReady: () => inner.isReady(),
  };
}
