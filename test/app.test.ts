import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../agent/app.js';
import { createMetrics } from '../agent/metrics/metrics.js';
import { freePorts } from '../test-support/loopback.js';
import { FakeCache } from './fakes/fake-cache.js';
import { FakeVerifier } from './fakes/fake-verifier.js';
import { captureLogger } from './fakes/log-capture.js';
import { serverConfig } from './fakes/server-config.js';

describe('createApp', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.close();
  });

  const build = (): Agent =>
    createApp(serverConfig(), {
      verifier: new FakeVerifier(),
      cache: new FakeCache(),
      metrics: createMetrics(new Registry()),
      logger: captureLogger().logger,
    });

  it('refuses to get ready when a credentials route declares a JSON schema (no schema compilers are built)', async () => {
    agent = build();
    agent.credentials.get('/schema', { schema: { querystring: { type: 'object' } } }, async () => 'ok');
    await expect(agent.credentials.ready()).rejects.toThrow(/no JSON schema/);
  });

  it('serves a route without a schema', async () => {
    agent = build();
    agent.credentials.get('/plain', async () => 'ok');
    const response = await agent.credentials.inject({ method: 'GET', url: '/plain' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ok');
  });

  it('serves probes and metrics on their own listeners, and closes them', async () => {
    const [port, probePort, metricsPort] = (await freePorts(3)) as [number, number, number];
    const config = { ...serverConfig(), port, probePort, metricsPort };
    const started = createApp(config, {
      verifier: new FakeVerifier(),
      cache: new FakeCache(),
      metrics: createMetrics(new Registry()),
      logger: captureLogger().logger,
    });
    await started.start();
    try {
      const ready = await fetch(`http://127.0.0.1:${config.probePort}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
      const metrics = await fetch(`http://127.0.0.1:${config.metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('pod_identity_requests_total');
    } finally {
      await started.close();
    }
    await expect(fetch(`http://127.0.0.1:${config.probePort}/healthz`)).rejects.toThrow();
  });
});
