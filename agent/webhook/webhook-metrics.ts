import { Counter, Histogram, type Registry } from 'prom-client';
import { createAssociationsReloads } from '../metrics/metrics.js';

/** Latency buckets in seconds: a mutation takes well under a millisecond; a miss re-reads the file. */
const ADMISSION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** `result` label values of `pod_identity_webhook_admissions_total`. */
export type AdmissionResult = 'injected' | 'skipped' | 'unchanged' | 'error';

/** The webhook's metrics, registered on an app-owned registry. */
export interface WebhookMetrics {
  readonly registry: Registry;
  /** Admission reviews answered, by result; `error` counts 4xx/5xx answers. */
  readonly admissions: Counter<'result'>;
  /** Time from request to answer of `POST /mutate`, seconds. */
  readonly admissionDuration: Histogram;
  /** TLS certificate/key loads after start, by result (`success`, `error`). */
  readonly tlsReloads: Counter<'result'>;
  /** Same series as the agent's, fed by the associations store. */
  readonly associationsReloads: Counter<'result'>;
}

/** Creates the webhook series on `registry` (never prom-client's global one). */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  return {
    registry,
    admissions: new Counter({
      name: 'pod_identity_webhook_admissions_total',
      help: 'Pod admission reviews answered, by result (injected, skipped, unchanged, error).',
      labelNames: ['result'],
      registers,
    }),
    admissionDuration: new Histogram({
      name: 'pod_identity_webhook_admission_duration_seconds',
      help: 'Time to answer a pod admission review.',
      buckets: ADMISSION_BUCKETS,
      registers,
    }),
    tlsReloads: new Counter({
      name: 'pod_identity_webhook_tls_reloads_total',
      help: 'Reloads of the webhook serving certificate and key, by result.',
      labelNames: ['result'],
      registers,
    }),
    associationsReloads: createAssociationsReloads(registry),
  };
}
