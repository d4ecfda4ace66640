import type { FastifyInstance } from 'fastify';
import type { Log } from '../log/logger.js';
import { admissionResponse, parseAdmissionReview } from './admission-review.js';
import type { MutationOptions } from './mutate-pod.js';
import { mutateWithRefresh, type RefreshOptions } from './mutate-with-refresh.js';
import { podLabelOf, serviceAccountOf } from './pod-shape.js';
import type { WebhookMetrics } from './webhook-metrics.js';

/** What `POST /mutate` needs. */
export interface MutateRouteOptions {
  readonly mutation: MutationOptions & RefreshOptions;
  readonly metrics: WebhookMetrics;
  readonly logger: Log;
}

/**
 * `POST /mutate`: answers an AdmissionReview v1 with the same `uid`, `allowed: true` and, when the pod
 * needs it, a base64 JSONPatch. The webhook never denies a pod: it only adds. Requests other than pod
 * CREATE are allowed unchanged (`result="skipped"`).
 */
export function registerMutateRoute(app: FastifyInstance, options: MutateRouteOptions): void {
  const { metrics, logger } = options;
  app.addHook('onResponse', async (request, reply) => {
    if (request.url.split('?', 1)[0] === '/mutate')
      metrics.admissionDuration.observe(reply.elapsedTime / 1000);
  });
  app.post('/mutate', async (request, reply) => {
    const review = parseAdmissionReview(request.body);
    if (review.pod === undefined) {
      metrics.admissions.inc({ result: 'skipped' });
      return reply.type('application/json').send(admissionResponse(review.uid, []));
    }
    const mutation = await mutateWithRefresh(review.pod, review.namespace, options.mutation);
    metrics.admissions.inc({ result: mutation.result });
    const fields = {
      uid: review.uid,
      namespace: review.namespace,
      pod: podLabelOf(review.pod),
      serviceAccount: serviceAccountOf(review.pod),
      reason: mutation.reason,
      refreshed: mutation.refreshed,
    };
    if (mutation.result === 'injected')
      logger.info(
        { ...fields, roleArn: mutation.association?.roleArn, ops: mutation.patch.length },
        'pod injected',
      );
    else logger.debug(fields, `pod ${mutation.result}`);
    return reply.type('application/json').send(admissionResponse(review.uid, mutation.patch));
  });
}
