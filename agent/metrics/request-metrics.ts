import type { Metrics } from './metrics.js';

/** How a credentials request was answered, for the duration histogram. */
export type RequestOutcome = 'hit' | 'miss' | 'none';

/** Counts one answered credentials request: `requests{code}` and `request_duration{cache}`. */
export type ObserveRequest = (statusCode: number, outcome: RequestOutcome, elapsedMs: number) => void;

/**
 * Builds the per-request counting of the credentials app over series made once, so that a cache hit
 * builds no label object: the 200 tally and the three duration series from the start, other status
 * codes on first use.
 */
export function createRequestMetrics(metrics: Pick<Metrics, 'requests' | 'requestDuration'>): ObserveRequest {
  const byCode = new Map<number, { inc(): void }>();
  const ok = metrics.requests.tally({ code: '200' });
  byCode.set(200, ok);
  const durations = {
    hit: metrics.requestDuration.series({ cache: 'hit' }),
    miss: metrics.requestDuration.series({ cache: 'miss' }),
    none: metrics.requestDuration.series({ cache: 'none' }),
  };
  return (statusCode, outcome, elapsedMs) => {
    let requests = statusCode === 200 ? ok : byCode.get(statusCode);
    if (requests === undefined) {
      requests = metrics.requests.labels(String(statusCode));
      byCode.set(statusCode, requests);
    }
    requests.inc();
    durations[outcome].observe(elapsedMs / 1000);
  };
}
