import { AgentError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PodChecker } from './pod-checker.js';
import type { ReviewMemo } from './review-memo.js';

/**
 * The live-pod check by TokenReview alone (`--pod-check tokenreview`, no watch): asked on each
 * request, answered from the memo for its TTL, so a pod costs about one review per TTL while it asks
 * and a deleted pod is refused at the latest one TTL later. Refusals count as `pod_not_found`.
 */
export function createReviewPodChecker(
  reviews: ReviewMemo,
  metrics: Pick<Metrics, 'tokenValidations'>,
): PodChecker {
  return {
    async check(verified) {
      if (await reviews.isAlive(verified)) return;
      metrics.tokenValidations.inc({ result: 'pod_not_found' });
      throw new AgentError('TokenNotBound', { cause: new Error('TokenReview did not confirm the pod') });
    },
    notReadyReason: () => undefined,
    close: async () => {},
  };
}
