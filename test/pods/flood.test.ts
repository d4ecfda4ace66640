import { describe, expect, it } from 'vitest';
import { prepareFlood } from '../../test-support/pod-flood.js';

/** Moderate, so `npm test` stays quick on two cores; `bench/pod-flood.ts` sends 100,000. */
const TOKENS = 10_000;
const BOUNDS = { verifierMemo: 1_000, reviewMemo: 1_000, cacheEntries: 100 };

describe('a flood of well-signed tokens for pods that do not exist, with the pod check on', () => {
  it(`refuses all ${TOKENS} with TokenNotBound, makes no upstream call and keeps every memo within its bound`, async () => {
    const flood = await prepareFlood(TOKENS, BOUNDS);
    try {
      const result = await flood.run();
      expect(result.statuses).toEqual({ 403: TOKENS });
      expect(result.upstreamCalls).toBe(0);
      expect(result.cacheSize).toBe(0);
      expect(result.tokenReviews).toBeLessThanOrEqual(TOKENS);
      expect(result.reviewMemoSize).toBeLessThanOrEqual(BOUNDS.reviewMemo);
    } finally {
      await flood.close();
    }
  }, 300_000);
});
