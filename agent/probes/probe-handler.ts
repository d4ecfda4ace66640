import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '../errors.js';

/** A readiness condition: returns why the agent is not ready, or undefined when it is. */
export type ReadinessCheck = () => string | undefined;

/** Writes `body` as JSON; to HEAD, the headers of GET without the body. */
function answer(req: IncomingMessage, res: ServerResponse, status: number, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The probe listener's handler. `GET|HEAD /healthz`: 200 while the process serves. `/readyz`: 200
 * only when every check passes, else 503 with the reasons. Anything else: 404 with the JSON error
 * body. Plain `node:http`, not a fastify app: requests of a second fastify app in the process make
 * the code it shares with the credentials app slower on every cache hit (docs/performance.md).
 */
export function createProbeHandler(
  checks: () => readonly ReadinessCheck[],
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && path === '/healthz') return answer(req, res, 200, '{"status":"ok"}');
    if (read && path === '/readyz') {
      const reasons = checks()
        .map((check) => check())
        .filter((reason): reason is string => reason !== undefined);
      return answer(
        req,
        res,
        reasons.length === 0 ? 200 : 503,
        JSON.stringify(reasons.length === 0 ? { status: 'ready' } : { status: 'not ready', reasons }),
      );
    }
    answer(req, res, 404, errorBody('NotFound', 'Not found. The probe paths are /healthz and /readyz.'));
  };
}
