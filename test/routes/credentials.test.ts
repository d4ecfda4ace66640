import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import { AgentError, type AgentErrorCode } from '../../agent/errors.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';
import { FakeCache } from '../fakes/fake-cache.js';
import { FakeVerifier } from '../fakes/fake-verifier.js';
import { captureLogger } from '../fakes/log-capture.js';
import { serverConfig } from '../fakes/server-config.js';

const HOST = '127.0.0.1:8080';

describe('GET /v1/credentials', () => {
  let agent: Agent;
  let cache: FakeCache;
  let verifier: FakeVerifier;
  let metrics: Metrics;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(() => {
    cache = new FakeCache();
    verifier = new FakeVerifier();
    metrics = createMetrics(new Registry());
    log = captureLogger();
    agent = createApp(serverConfig(), { verifier, cache, metrics, logger: log.logger });
  });
  afterEach(async () => {
    await agent.close();
  });

  const get = (
    headers: Record<string, string>,
    method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' = 'GET',
    url = '/v1/credentials',
  ) => agent.credentials.inject({ method, url, headers: { host: HOST, ...headers } });

  it('answers a verified token with exactly the five container-credential fields', async () => {
    const res = await get({ authorization: 'good.s3-access-pod.sig' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(Object.keys(body)).toEqual(['AccessKeyId', 'SecretAccessKey', 'Token', 'AccountId', 'Expiration']);
    expect(body.AccessKeyId).toBe(cache.credentials.accessKeyId);
    expect(body.AccountId).toBe('123456789012');
    expect(body.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(body.Expiration)).toBe(cache.credentials.expiration);
  });

  it('tells every cache on the way not to store the credentials', async () => {
    const res = await get({ authorization: 'good.s3-access-pod.sig' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await get({ authorization: 'good.s3-access-pod.sig' }, 'HEAD');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('hands the cache only verified tokens', async () => {
    await get({ authorization: 'forged' });
    expect(cache.seen).toHaveLength(0);
  });

  it.each<[string, Record<string, string>, number, AgentErrorCode]>([
    ['no Authorization header', {}, 401, 'MissingToken'],
    ['a token that fails verification', { authorization: 'forged' }, 401, 'InvalidToken'],
    [
      'a Host that names something else',
      { authorization: 'good.p.sig', host: 'evil.example' },
      403,
      'InvalidHost',
    ],
    ['a Host with another port', { authorization: 'good.p.sig', host: '127.0.0.1:81' }, 403, 'InvalidHost'],
    [
      'a body',
      { authorization: 'good.p.sig', 'content-length': '2', 'content-type': 'application/json' },
      413,
      'PayloadTooLarge',
    ],
  ])('refuses %s', async (_name, headers, status, code) => {
    const res = await agent.credentials.inject({
      method: 'GET',
      url: '/v1/credentials',
      headers: { host: HOST, ...headers },
      ...(headers['content-length'] === undefined ? {} : { payload: '{}' }),
    });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json().code).toBe(code);
  });

  it.each<[AgentErrorCode, number]>([
    ['NoAssociation', 403],
    ['AccessDenied', 403],
    ['Throttled', 429],
    ['UpstreamUnavailable', 503],
    ['TokenNotBound', 403],
    ['ExpiredToken', 401],
  ])('maps %s from the cache to its status with its fixed message', async (code, status) => {
    cache.failWith = new AgentError(code, { cause: new Error('upstream said: secret text eyJhbGciOi.x.y') });
    const res = await get({ authorization: 'good.p.sig' });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ code, message: new AgentError(code).message });
  });

  it('answers an unexpected error with a generic 500 that echoes nothing', async () => {
    cache.failWith = new Error('database password is hunter2');
    const res = await get({ authorization: 'good.p.sig' });
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('InternalError');
    expect(res.body).not.toContain('hunter2');
    expect(log.records().some((r) => r.msg === 'unexpected error' && typeof r.reqId === 'string')).toBe(true);
  });

  it.each(['POST', 'PUT', 'DELETE'] as const)('answers %s with 405', async (method) => {
    const res = await get({ authorization: 'good.p.sig' }, method);
    expect(res.statusCode).toBe(405);
    expect(res.json().code).toBe('MethodNotAllowed');
  });

  it.each(['/', '/v1/credentials/x', '/latest/meta-data', '/v2/credentials'])(
    'answers %s with a JSON 404',
    async (url) => {
      const res = await get({ authorization: 'good.p.sig' }, 'GET', url);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NotFound');
    },
  );

  it('refuses a Transfer-Encoding request', async () => {
    const res = await get({ authorization: 'good.p.sig', 'transfer-encoding': 'chunked' });
    expect([400, 413]).toContain(res.statusCode);
  });

  it('writes one audit line per issuance with identity, role, key id and expiry, and no secret', async () => {
    await get({ authorization: 'good.s3-access-pod.sig' });
    const audit = log.records().filter((r) => r.msg === 'credentials issued');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      podName: 's3-access-pod',
      roleArn: cache.credentials.roleArn,
      accessKeyId: cache.credentials.accessKeyId,
      cache: 'hit',
    });
    const all = log.lines.join('\n');
    expect(all).not.toContain(cache.credentials.secretAccessKey);
    expect(all).not.toContain(cache.credentials.sessionToken);
    expect(all).not.toContain('good.s3-access-pod.sig');
  });

  it("times each answer from the route's first step on the injected monotonic clock", async () => {
    await agent.close();
    // Every read of the clock is 2 ms after the one before: start, then the answer.
    let now = 0;
    const monotonic = () => (now += 2);
    agent = createApp(serverConfig(), { verifier, cache, metrics, logger: log.logger, monotonic });
    expect((await get({ authorization: 'good.p.sig' })).statusCode).toBe(200);
    expect((await get({})).statusCode).toBe(401);
    const duration = await metrics.requestDuration.get();
    const sample = (cacheLabel: string, suffix: string, le?: number) =>
      duration.values.find(
        (v) =>
          v.metricName?.endsWith(suffix) &&
          v.labels.cache === cacheLabel &&
          (le === undefined || v.labels.le === le),
      )?.value;
    for (const cacheLabel of ['hit', 'none']) {
      expect(sample(cacheLabel, '_sum')).toBeCloseTo(0.002, 9);
      expect(sample(cacheLabel, '_bucket', 0.001)).toBe(0);
      expect(sample(cacheLabel, '_bucket', 0.0025)).toBe(1);
    }
  });

  it('counts requests by status and observes duration by cache outcome', async () => {
    await get({ authorization: 'good.p.sig' });
    await get({});
    const requests = await metrics.requests.get();
    expect(requests.values.find((v) => String(v.labels.code) === '200')?.value).toBe(1);
    expect(requests.values.find((v) => String(v.labels.code) === '401')?.value).toBe(1);
    const duration = await metrics.requestDuration.get();
    const count = (cacheLabel: string) =>
      duration.values.find((v) => v.metricName?.endsWith('_count') && v.labels.cache === cacheLabel)?.value;
    expect(count('hit')).toBe(1);
    expect(count('none')).toBe(1);
  });
});
