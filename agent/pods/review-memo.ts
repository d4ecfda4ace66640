import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from '../auth/token-verifier.js';
import { checkInteger } from '../checks/option-checks.js';
import type { Clock } from '../clock.js';
import { AgentError } from '../errors.js';
import { createRateLimiter } from '../limits/rate-limiter.js';
import type { TokenReviewer } from './pod-checker.js';

/** Default time a TokenReview answer is reused, milliseconds. */
export const DEFAULT_REVIEW_TTL_MS = 30_000;
/** Default bound on remembered TokenReview answers. */
export const DEFAULT_REVIEW_MEMO_SIZE = 10_000;
/** Default most TokenReviews in flight at once; more are answered `Throttled` (the API server is shared). */
export const DEFAULT_MAX_REVIEWS_IN_FLIGHT = 16;
/**
 * Default most new TokenReviews per second, node-wide (burst twice that). A flood of well-signed tokens
 * for pods the informer never saw must not become a flood on the API server (docs/security.md threat 9).
 */
export const DEFAULT_MAX_REVIEWS_PER_SECOND = 20;

/**
 * Default most new TokenReviews per second for one service account (burst five times that): one pod
 * presenting many distinct tokens spends its account's share, not the node's budget.
 */
export const DEFAULT_MAX_REVIEWS_PER_ACCOUNT_PER_SECOND = 2;

/** Options of {@link createReviewMemo}. */
export interface ReviewMemoOptions {
  readonly reviewer: TokenReviewer;
  readonly clock: Clock;
  /** Milliseconds an answer is reused. Default {@link DEFAULT_REVIEW_TTL_MS}. */
  readonly ttlMs?: number | undefined;
  /** Answers remembered (LRU). Default {@link DEFAULT_REVIEW_MEMO_SIZE}. */
  readonly maxEntries?: number | undefined;
  /** Reviews in flight at once. Default {@link DEFAULT_MAX_REVIEWS_IN_FLIGHT}. */
  readonly maxInFlight?: number | undefined;
  /** New reviews started per second. Default {@link DEFAULT_MAX_REVIEWS_PER_SECOND}. */
  readonly maxPerSecond?: number | undefined;
  /** New reviews started per second per service account. Default {@link DEFAULT_MAX_REVIEWS_PER_ACCOUNT_PER_SECOND}. */
  readonly maxPerAccountPerSecond?: number | undefined;
  /**
   * This node (`--node-name`): a review confirms a pod only when it establishes that the pod runs
   * here, by the review's node name or, when the review names none, by the token's own node claim.
   * Undefined: no node rule.
   */
  readonly nodeName?: string | undefined;
}

/** Asks "is this token's pod alive?" through TokenReview, at most once per token per TTL. */
export interface ReviewMemo {
  /** True when the API server authenticates the token for the pod uid it claims. */
  isAlive(verified: VerifiedToken): Promise<boolean>;
  /** Remembered answers (bounded by `maxEntries`). */
  readonly size: number;
}

interface Answer {
  readonly alive: boolean;
  readonly until: number;
}

/**
 * Creates the memo: answers keyed by token hash (never the token), concurrent asks for one token
 * share one review, failures are not remembered (the next request asks again).
 */
export function createReviewMemo(options: ReviewMemoOptions): ReviewMemo {
  const { reviewer, clock } = options;
  const ttlMs = checkInteger('ttlMs', options.ttlMs ?? DEFAULT_REVIEW_TTL_MS);
  const maxInFlight = checkInteger('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_REVIEWS_IN_FLIGHT);
  const answers = new LRUCache<string, Answer>({
    max: checkInteger('maxEntries', options.maxEntries ?? DEFAULT_REVIEW_MEMO_SIZE),
  });
  const inFlight = new Map<string, Promise<boolean>>();
  const budget = createRateLimiter({
    ratePerSecond: checkInteger('maxPerSecond', options.maxPerSecond ?? DEFAULT_MAX_REVIEWS_PER_SECOND),
    clock,
    maxAddresses: 1,
  });
  const perAccount = checkInteger(
    'maxPerAccountPerSecond',
    options.maxPerAccountPerSecond ?? DEFAULT_MAX_REVIEWS_PER_ACCOUNT_PER_SECOND,
  );
  const accountBudget = createRateLimiter({ ratePerSecond: perAccount, burst: 5 * perAccount, clock });
  const accountOf = ({ identity }: VerifiedToken) =>
    `${identity.issuer}\u0000${identity.namespace}\u0000${identity.serviceAccount}`;

  const ask = async (verified: VerifiedToken): Promise<boolean> => {
    const result = await reviewer.review(verified.token);
    const { identity } = verified;
    const node = result.nodeName ?? identity.nodeName;
    const alive =
      result.authenticated &&
      (result.podUid === undefined || result.podUid === identity.podUid) &&
      (options.nodeName === undefined || node === options.nodeName);
    answers.set(verified.tokenHash, { alive, until: clock.now() + ttlMs });
    return alive;
  };

  return {
    isAlive(verified) {
      const known = answers.get(verified.tokenHash);
      if (known !== undefined && clock.now() < known.until) return Promise.resolve(known.alive);
      const pending = inFlight.get(verified.tokenHash);
      if (pending !== undefined) return pending;
      // The account's share first, so that a throttled account spends nothing of the node's budget.
      if (
        inFlight.size >= maxInFlight ||
        !accountBudget.take(accountOf(verified)) ||
        !budget.take('api-server')
      )
        return Promise.reject(new AgentError('Throttled', { retryable: true }));
      const promise = ask(verified).finally(() => inFlight.delete(verified.tokenHash));
      inFlight.set(verified.tokenHash, promise);
      return promise;
    },
    get size() {
      return answers.size;
    },
  };
}
