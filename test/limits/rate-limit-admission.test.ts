import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import { createRateLimitAdmission } from '../../agent/limits/rate-limit-admission.js';
import { createRateLimiter } from '../../agent/limits/rate-limiter.js';
import { createMetrics } from '../../agent/metrics/metrics.js';
import { FakeCache } from '../fakes/fake-cache.js';
import { EPOCH, FakeVerifier } from '../fakes/fake-verifier.js';
import { captureLogger } from '../fakes/log-capture.js';
import { serverConfig } from '../fakes/server-config.js';

describe('the rate limit on the credentials route', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.close();
  });

  function build(ratePerSecond: number) {
    let now = EPOCH;
    const clock = { now: () => now };
    const verifier = new FakeVerifier();
    agent = createApp(serverConfig(), {
      verifier,
      cache: new FakeCache(),
      metrics: createMetrics(new Registry()),
      logger: captureLogger().logger,
      admit: createRateLimitAdmission(createRateLimiter({ ratePerSecond, clock })),
    });
    const app = agent.credentials;
    const get = (remoteAddress: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/credentials',
        remoteAddress,
        headers: { host: '127.0.0.1:8080', authorization: 'good.pod.sig' },
      });
    return {
      get,
      verifier,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('answers 429 Throttled with the JSON body once an address spends its burst, before verifying', async () => {
    const { get, verifier } = build(2);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('10.0.0.9')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = await get('10.0.0.9');
    expect(refused.headers['content-type']).toBe('application/json');
    expect(refused.json()).toMatchObject({ code: 'Throttled' });
    expect(verifier.calls).toBe(4);
  });

  it('keeps serving other addresses while one is throttled', async () => {
    const { get } = build(1);
    for (let i = 0; i < 10; i++) await get('10.0.0.66');
    expect((await get('10.0.0.66')).statusCode).toBe(429);
    expect((await get('10.0.0.7')).statusCode).toBe(200);
  });

  it('serves the address again once time has refilled its bucket', async () => {
    const { get, advance } = build(1);
    for (let i = 0; i < 3; i++) await get('10.0.0.5');
    expect((await get('10.0.0.5')).statusCode).toBe(429);
    advance(1_000);
    expect((await get('10.0.0.5')).statusCode).toBe(200);
  });

  it('counts an IPv4-mapped IPv6 peer and its IPv4 form as one client', async () => {
    const { get } = build(1);
    expect((await get('::ffff:10.0.0.8')).statusCode).toBe(200);
    expect((await get('10.0.0.8')).statusCode).toBe(200);
    expect((await get('::ffff:10.0.0.8')).statusCode).toBe(429);
  });

  it('ignores X-Forwarded-For, which any pod could set', async () => {
    const { get } = build(1);
    const app = agent?.credentials;
    for (let i = 0; i < 2; i++) await get('10.0.0.3');
    const spoofed = await app?.inject({
      method: 'GET',
      url: '/v1/credentials',
      remoteAddress: '10.0.0.3',
      headers: { host: '127.0.0.1:8080', authorization: 'good.pod.sig', 'x-forwarded-for': '10.9.9.9' },
    });
    expect(spoofed?.statusCode).toBe(429);
  });
});
