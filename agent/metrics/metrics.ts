import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TalliedCounter } from './tallied-counter.js';
import { TalliedHistogram } from './tallied-histogram.js';

/** Latency buckets in seconds: the hit path is sub-millisecond, upstream calls take up to seconds. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const UPSTREAM_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The agent's metrics (docs/metrics.md), registered on an app-owned registry. */
export interface Metrics {
  readonly registry: Registry;
  /** Tallied: the hit path counts its 200s with a tally. */
  readonly requests: TalliedCounter<'code'>;
  /** Every series made once: the hit path observes into plain numbers. */
  readonly requestDuration: TalliedHistogram<'cache'>;
  /** Tallied: the hit path counts its hits with a tally. */
  readonly cacheEvents: TalliedCounter<'event'>;
  readonly cacheEntries: Gauge;
  readonly upstreamRequests: Counter<'api' | 'outcome'>;
  readonly upstreamDuration: Histogram<'api'>;
  /** Tallied: the hit path counts its memo hits with a tally. */
  readonly tokenValidations: TalliedCounter<'result'>;
  readonly jwksRefreshes: Counter<'result'>;
  readonly associationsReloads: Counter<'result'>;
  readonly logLinesDropped: Counter;
  readonly upstreamProblem: Gauge<'reason'>;
}

/** Creates every series of docs/metrics.md on `registry` (never prom-client's global one). */
export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  return {
    registry,
    requests: new TalliedCounter({
      name: 'pod_identity_requests_total',
      help: 'Credential requests answered, by HTTP status.',
      labelNames: ['code'],
      registers,
    }),
    requestDuration: new TalliedHistogram({
      name: 'pod_identity_request_duration_seconds',
      help: 'Time to answer a credential request, by cache outcome.',
      labelNames: ['cache'],
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    cacheEvents: new TalliedCounter({
      name: 'pod_identity_cache_events_total',
      help: 'Credential cache events.',
      labelNames: ['event'],
      registers,
    }),
    cacheEntries: new Gauge({
      name: 'pod_identity_cache_entries',
      help: 'Identities held in the credential cache.',
      registers,
    }),
    upstreamRequests: new Counter({
      name: 'pod_identity_upstream_requests_total',
      help: 'Calls to the credential service, by API and outcome.',
      labelNames: ['api', 'outcome'],
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'pod_identity_upstream_request_duration_seconds',
      help: 'Duration of calls to the credential service, by API.',
      labelNames: ['api'],
      buckets: UPSTREAM_BUCKETS,
      registers,
    }),
    tokenValidations: new TalliedCounter({
      name: 'pod_identity_token_validations_total',
      help: 'Token verifications, by result.',
      labelNames: ['result'],
      registers,
    }),
    jwksRefreshes: new Counter({
      name: 'pod_identity_jwks_refreshes_total',
      help: 'Token key set loads, by result.',
      labelNames: ['result'],
      registers,
    }),
    associationsReloads: createAssociationsReloads(registry),
    logLinesDropped: new Counter({
      name: 'pod_identity_log_lines_dropped_total',
      help: 'Log lines dropped because more than the log buffer holds was written in one event-loop turn.',
      registers,
    }),
    upstreamProblem: new Gauge({
      name: 'pod_identity_upstream_problem',
      help: 'Whether the last EKS Auth answer showed a problem that fails every pod of the node, by reason.',
      labelNames: ['reason'],
      registers,
    }),
  };
}

/** `pod_identity_associations_reloads_total{result}`: shared by the agent's and the webhook's registries. */
export function createAssociationsReloads(registry: Registry): Counter<'result'> {
  return new Counter({
    name: 'pod_identity_associations_reloads_total',
    help: 'Loads of the associations file, by result.',
    labelNames: ['result'],
    registers: [registry],
  });
}
