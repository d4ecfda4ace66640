import { inject } from 'light-my-request';
import { describe, expect, it } from 'vitest';
import { createProbeHandler } from '../../agent/probes/probe-handler.js';

const probes = (reasons: (string | undefined)[]) =>
  createProbeHandler(() => reasons.map((reason) => () => reason));

describe('createProbeHandler', () => {
  it('answers /readyz 503 with every reason, and 200 once there is none', async () => {
    const notReady = await inject(probes(['keys not loaded', undefined, 'address in use']), '/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not ready', reasons: ['keys not loaded', 'address in use'] });
    const ready = await inject(probes([undefined]), '/readyz?verbose=1');
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('answers /healthz 200 while not ready, and HEAD with the headers of GET and no body', async () => {
    const handler = probes(['keys not loaded']);
    const live = await inject(handler, '/healthz');
    expect([live.statusCode, live.headers['content-type'], live.json()]).toEqual([
      200,
      'application/json',
      { status: 'ok' },
    ]);
    const head = await inject(handler, { method: 'HEAD', url: '/readyz' });
    expect([head.statusCode, head.body]).toEqual([503, '']);
  });

  it('answers an unknown path or method 404 with the JSON error body every listener uses', async () => {
    for (const request of [{ url: '/metrics' }, { method: 'POST' as const, url: '/readyz' }]) {
      const response = await inject(probes([]), request);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.json()).toEqual({
        code: 'NotFound',
        message: 'Not found. The probe paths are /healthz and /readyz.',
      });
    }
  });
});
