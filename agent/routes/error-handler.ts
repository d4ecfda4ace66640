import type { FastifyError, FastifyInstance } from 'fastify';
import { AgentError, errorBody, isAgentError } from '../errors.js';

/** Fastify's own client errors that can reach the handler, mapped to the agent's error codes. */
function fromFastifyError(error: FastifyError): AgentError | undefined {
  if (error.statusCode === 413) return new AgentError('PayloadTooLarge', { cause: error });
  if (error.statusCode === 431) return new AgentError('HeadersTooLarge', { cause: error });
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AgentError('InvalidRequest', { cause: error });
  }
  return undefined;
}

/**
 * The one root error handler: `AgentError`s become their status and fixed JSON body; anything else is
 * logged with the request id and answered with a generic 500. Upstream text and tokens are never echoed.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw, request, reply) => {
    const error = isAgentError(raw) ? raw : fromFastifyError(raw as FastifyError);
    if (error === undefined) {
      request.log.error({ err: raw, reqId: request.id }, 'unexpected error');
      return reply
        .code(500)
        .type('application/json')
        .send(errorBody('InternalError', `Internal error (request ${request.id}).`));
    }
    if (error.statusCode >= 500) request.log.warn({ err: error, reqId: request.id }, 'request failed');
    // A flood is throttled by the thousand per second: those refusals stay out of the info log.
    else if (error.code === 'Throttled')
      request.log.debug({ code: error.code, reqId: request.id }, 'request throttled');
    else request.log.info({ code: error.code, reqId: request.id }, 'request refused');
    return reply.code(error.statusCode).type('application/json').send(errorBody(error.code, error.message));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const error = new AgentError(path === '/v1/credentials' ? 'MethodNotAllowed' : 'NotFound');
    if (error.code === 'MethodNotAllowed') reply.header('allow', 'GET, HEAD');
    return reply.code(error.statusCode).type('application/json').send(errorBody(error.code, error.message));
  });
}
