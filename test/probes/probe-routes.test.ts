import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerProbeRoutes } from '../../agent/probes/probe-routes.js';

function probes(reasons: (string | undefined)[]) {
  const app = Fastify();
  registerProbeRoutes(app, () => reasons.map((reason) => () => reason));
  return app;
}

describe('registerProbeRoutes', () => {
  it('answers /readyz 503 with every reason, and 200 once there is none', async () => {
    const notReady = await probes(['keys not loaded', undefined, 'address in use']).inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not ready', reasons: ['keys not loaded', 'address in use'] });
    const ready = await probes([undefined]).inject('/readyz');
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('answers an unknown path 404 with the JSON error body every listener uses', async () => {
    const response = await probes([]).inject('/metrics');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json()).toEqual({
      code: 'NotFound',
      message: 'Not found. The probe paths are /healthz and /readyz.',
    });
  });
});
