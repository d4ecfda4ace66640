import { inject } from 'light-my-request';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsHandler } from '../../agent/metrics/metrics-handler.js';

const registryWith = (value: number) => {
  const registry = new Registry();
  new Counter({ name: 'test_things_total', help: 'Things.', registers: [registry] }).inc(value);
  return registry;
};

describe('createMetricsHandler', () => {
  it('answers GET /metrics with the registry in the Prometheus text format, and HEAD without a body', async () => {
    const registry = registryWith(3);
    const handler = createMetricsHandler(registry, () => undefined);
    const response = await inject(handler, '/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(registry.contentType);
    expect(response.body).toContain('test_things_total 3');
    const head = await inject(handler, { method: 'HEAD', url: '/metrics' });
    expect([head.statusCode, head.body, head.headers['content-length']]).toEqual([
      200,
      '',
      String(Buffer.byteLength(response.body)),
    ]);
  });

  it('answers another path or method 404 with the JSON error body', async () => {
    const handler = createMetricsHandler(registryWith(1), () => undefined);
    for (const request of [{ url: '/' }, { method: 'POST' as const, url: '/metrics' }]) {
      const response = await inject(handler, request);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        code: 'NotFound',
        message: 'Not found. The metrics path is /metrics.',
      });
    }
  });

  it('answers 500 and tells its caller when the registry cannot be read', async () => {
    const registry = new Registry();
    new Counter({
      name: 'test_broken_total',
      help: 'Broken.',
      registers: [registry],
      collect() {
        throw new Error('collector failed');
      },
    });
    const errors: unknown[] = [];
    const response = await inject(
      createMetricsHandler(registry, (err) => errors.push(err)),
      '/metrics',
    );
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'InternalError' });
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('collector failed');
  });
});
