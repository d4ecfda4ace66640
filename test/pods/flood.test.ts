import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_REVIEWS_PER_ACCOUNT_PER_SECOND,
  DEFAULT_MAX_REVIEWS_PER_SECOND,
} from '../../agent/pods/review-memo.js';
import { prepareFlood } from '../../test-support/pod-flood.js';

/** Moderate, so `npm test` stays quick on two cores; `bench/pod-flood.ts` sends 100,000. */
const TOKENS = 10_000;
const BOUNDS = { verifierMemo: 1_000, reviewMemo: 1_000, cacheEntries: 100 };

describe('a flood of well-signed tokens for pods that do not exist, with the pod check on', () => {
  it(`refuses all ${TOKENS} (TokenNotBound, or Throttled once the TokenReview budget is spent), makes no upstream call and keeps every memo within its bound`, async () => {
    const flood = await prepareFlood(TOKENS, BOUNDS);
    try {
      const result = await flood.run();
      // The flood's clock stands still, and every token is of one service account: the API server sees
      // at most that account's review burst, well under the node's.
      const burst = 5 * DEFAULT_MAX_REVIEWS_PER_ACCOUNT_PER_SECOND;
      expect(burst).toBeLessThan(2 * DEFAULT_MAX_REVIEWS_PER_SECOND);
      expect(result.statuses).toEqual({ 403: burst, 429: TOKENS - burst });
      expect(result.upstreamCalls).toBe(0);
      expect(result.cacheSize).toBe(0);
      expect(result.tokenReviews).toBe(burst);
      expect(result.reviewMemoSize).toBeLessThanOrEqual(BOUNDS.reviewMemo);
    } finally {
      await flood.close();
    }
  }, 300_000);
});
