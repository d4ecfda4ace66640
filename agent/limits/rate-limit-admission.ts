import type { FastifyRequest } from 'fastify';
import { AgentError } from '../errors.js';
import { normaliseAddress, type RateLimiter } from './rate-limiter.js';

/**
 * The credentials route's admission check (`Deps.admit`): one token per request from the bucket of
 * the request's source address (the socket's peer, never a header such as `X-Forwarded-For`, which
 * any pod could set).
 *
 * @throws AgentError `Throttled` (429) when the address's bucket is empty.
 */
export function createRateLimitAdmission(limiter: RateLimiter): (request: FastifyRequest) => void {
  return (request) => {
    if (!limiter.take(normaliseAddress(request.socket.remoteAddress))) throw new AgentError('Throttled');
  };
}
