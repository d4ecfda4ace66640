import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../agent/app.js';
import { createMetrics } from '../agent/metrics/metrics.js';
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

  it.each(['probes', 'metricsApp', 'credentials'] as const)(
    'refuses to get ready when a route of the %s app declares a JSON schema (no schema compilers are built)',
    async (app) => {
      agent = build();
      agent[app].get('/schema', { schema: { querystring: { type: 'object' } } }, async () => 'ok');
      await expect(agent[app].ready()).rejects.toThrow(/no JSON schema/);
    },
  );

  it('serves a route without a schema', async () => {
    agent = build();
    agent.probes.get('/plain', async () => 'ok');
    const response = await agent.probes.inject({ method: 'GET', url: '/plain' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ok');
  });
});
