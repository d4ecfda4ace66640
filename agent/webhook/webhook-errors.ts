import type { FastifyError, FastifyInstance } from 'fastify';
import { AgentError, errorBody, isAgentError } from '../errors.js';
import type { WebhookMetrics } from './webhook-metrics.js';

/** Fastify's client errors before the route runs, with messages that say what the API server must send. */
function fromFastifyError(error: FastifyError): AgentError | undefined {
  const status = error.statusCode;
  if (status === 413)
    return new AgentError('PayloadTooLarge', { message: 'The AdmissionReview is too large.' });
  if (status === 415)
    return new AgentError('InvalidRequest', { message: 'The body must be application/json.' });
  if (status !== undefined && status >= 400 && status < 500)
    return new AgentError('InvalidRequest', { message: 'The body must be a JSON AdmissionReview.' });
  return undefined;
}

/**
 * Root error handler of the admission server: a bad review is a 400 with a fixed JSON message and is
 * counted as `result="error"`; anything unexpected is logged and answered 500 (the API server then
 * applies the webhook's `failurePolicy: Ignore`). Never echoes the request.
 */
export function registerWebhookErrorHandling(app: FastifyInstance, metrics: WebhookMetrics): void {
  app.setErrorHandler((raw, request, reply) => {
    metrics.admissions.inc({ result: 'error' });
    const error = isAgentError(raw) ? raw : fromFastifyError(raw as FastifyError);
    if (error === undefined) {
      request.log.error({ err: raw }, 'admission failed');
      return reply
        .code(500)
        .type('application/json')
        .send(errorBody('InternalError', `Internal error (request ${request.id}).`));
    }
    request.log.warn({ code: error.code, reason: error.message }, 'admission refused');
    return reply.code(error.statusCode).type('application/json').send(errorBody(error.code, error.message));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const error =
      path === '/mutate'
        ? new AgentError('MethodNotAllowed', { message: 'Only POST is allowed on /mutate.' })
        : new AgentError('NotFound', { message: 'Not found. The admission path is POST /mutate.' });
    if (path === '/mutate') reply.header('allow', 'POST');
    return reply.code(error.statusCode).type('application/json').send(errorBody(error.code, error.message));
  });
}
