import type { Clock } from '../clock.js';
import { createRateLimiter } from './rate-limiter.js';

/** Default refusal lines written per second (burst five times that). */
export const DEFAULT_LOG_LINES_PER_SECOND = 20;

/** A budget of log lines: past it, lines are counted instead of written. */
export interface LogBudget {
  /**
   * Returns undefined when the line may not be written, else how many lines were dropped since the
   * last one written (0 when none), to be written with it.
   */
  take(): number | undefined;
}

/**
 * Creates a log budget of `perSecond` lines per second (burst five times that). A flood of refused
 * requests must not push the audit lines of issued credentials out of the node's rotated logs.
 */
export function createLogBudget(clock: Clock, perSecond = DEFAULT_LOG_LINES_PER_SECOND): LogBudget {
  const bucket = createRateLimiter({
    ratePerSecond: perSecond,
    burst: 5 * perSecond,
    clock,
    maxAddresses: 1,
  });
  let dropped = 0;
  return {
    take() {
      if (!bucket.take('log')) {
        dropped += 1;
        return undefined;
      }
      const before = dropped;
      dropped = 0;
      return before;
    },
  };
}
