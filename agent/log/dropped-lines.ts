import type { Log } from './logger.js';

/** Message of the one warning about dropped log lines. */
export const DROPPED_LINES_MESSAGE =
  'log lines dropped: more than the log buffer holds was written in one turn';

/**
 * Reports log lines the turn-batched stream dropped: every one is added to `counter`
 * (`pod_identity_log_lines_dropped_total`), and the first drop is said once in the log, so a flood
 * of them does not flood the log in turn.
 */
export function createDroppedLinesReport(
  log: Pick<Log, 'warn'>,
  counter: { inc(value: number): void },
): (lines: number) => void {
  let said = false;
  return (lines) => {
    counter.inc(lines);
    if (said) return;
    said = true;
    log.warn(
      { dropped: lines },
      `${DROPPED_LINES_MESSAGE}; pod_identity_log_lines_dropped_total counts them`,
    );
  };
}
