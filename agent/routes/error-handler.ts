import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AgentError, errorBody, isAgentError } from '../errors.js';
import type { LogBudget } from '../limits/log-budget.js';
import type { Log } from '../log/logger.js';

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
 * logged with the request id and answered with a generic 500. Upstream text and tokens are never
 * echoed. Lines go to `log`, not `request.log`: the credentials app is built without a fastify
 * logger (see `createRequestTimer`). Refusals and upstream failures are logged within `budget`: past
 * it they are counted, and the next line written says how many were dropped (`droppedLines`).
 */
export function registerErrorHandling(
  app: FastifyInstance,
  /** Called with each error answer once sent (the credentials app counts them). */
  onAnswered: (reply: FastifyReply) => void,
  /** How many refusal lines may be written; a flood must not push audit lines out of rotated logs. */
  budget: LogBudget,
  log: Log,
): void {
  app.setErrorHandler((raw, request, reply) => {
    const error = isAgentError(raw) ? raw : fromFastifyError(raw as FastifyError);
    if (error === undefined) {
      log.error({ err: raw, reqId: request.id }, 'unexpected error');
      reply
        .code(500)
        .type('application/json')
        .send(errorBody('InternalError', `Internal error (request ${request.id}).`));
      onAnswered(reply);
      return reply;
    }
    // A flood is throttled by the thousand per second: those refusals stay out of the info log.
    if (error.code === 'Throttled') log.debug({ code: error.code, reqId: request.id }, 'request throttled');
    else {
      // Within the budget only; the next line written counts the ones dropped meanwhile.
      const dropped = budget.take();
      if (dropped !== undefined) {
        const fields = { reqId: request.id, ...(dropped > 0 ? { droppedLines: dropped } : {}) };
        if (error.statusCode >= 500) log.warn({ err: error, ...fields }, 'request failed');
        else log.info({ code: error.code, ...fields }, 'request refused');
      }
    }
    reply.code(error.statusCode).type('application/json').send(errorBody(error.code, error.message));
    onAnswered(reply);
    return reply;
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const error = new AgentError(path === '/v1/credentials' ? 'MethodNotAllowed' : 'NotFound');
    if (error.code === 'MethodNotAllowed') reply.header('allow', 'GET, HEAD');
    reply.code(error.statusCode).type('application/json').send(errorBody(error.code, error.message));
    onAnswered(reply);
    return reply;
  });
}
