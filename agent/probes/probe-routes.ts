import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';

/** A readiness condition: returns why the agent is not ready, or undefined when it is. */
export type ReadinessCheck = () => string | undefined;

/**
 * `/healthz`: 200 while the process serves. `/readyz`: 200 only when every check passes, else 503
 * with the reasons. Any other path: 404 with the JSON error body.
 */
export function registerProbeRoutes(app: FastifyInstance, checks: () => readonly ReadinessCheck[]): void {
  // Any other path: the same {"code","message"} body as every other error the agent answers.
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(errorBody('NotFound', 'Not found. The probe paths are /healthz and /readyz.')),
  );
  app.get('/healthz', async (_request, reply) => reply.type('application/json').send('{"status":"ok"}'));
  app.get('/readyz', async (_request, reply) => {
    const reasons = checks()
      .map((check) => check())
      .filter((reason): reason is string => reason !== undefined);
    return reply
      .code(reasons.length === 0 ? 200 : 503)
      .type('application/json')
      .send(JSON.stringify(reasons.length === 0 ? { status: 'ready' } : { status: 'not ready', reasons }));
  });
}
