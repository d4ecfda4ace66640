import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { errorBody } from '../errors.js';

/** Writes `body`; to HEAD, the headers of GET without the body. */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The metrics listener's handler: `GET|HEAD /metrics` in the Prometheus text format, from the app's
 * own registry; anything else 404 with the JSON error body. Plain `node:http`, not a fastify app,
 * for the reason the probe handler gives (`createProbeHandler`).
 */
export function createMetricsHandler(
  registry: Registry,
  /** Told when the registry cannot be read (answered 500); the caller logs it. */
  onError: (err: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || path !== '/metrics') {
      answer(
        req,
        res,
        404,
        'application/json',
        errorBody('NotFound', 'Not found. The metrics path is /metrics.'),
      );
      return;
    }
    registry.metrics().then(
      (text) => answer(req, res, 200, registry.contentType, text),
      (err: unknown) => {
        onError(err);
        answer(
          req,
          res,
          500,
          'application/json',
          errorBody('InternalError', 'Internal error reading the metrics.'),
        );
      },
    );
  };
}
