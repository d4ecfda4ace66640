import { afterEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import { AUDIT_MESSAGE, REPEAT_MESSAGE } from '../../agent/log/audit-log.js';
import { setup } from '../cache/fakes.js';
import { captureLogger } from '../fakes/log-capture.js';
import { MemoVerifier } from '../fakes/memo-verifier.js';
import { serverConfig } from '../fakes/server-config.js';

const HOST = '127.0.0.1:8080';

describe('GET /v1/credentials on a cached identity', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.close();
  });

  const build = () => {
    const { cache, exchanger, metrics } = setup();
    const verifier = new MemoVerifier();
    const log = captureLogger();
    const app = createApp(serverConfig(), { verifier, cache, metrics, logger: log.logger });
    agent = app;
    const get = (authorization: string) =>
      app.credentials.inject({
        method: 'GET',
        url: '/v1/credentials',
        headers: { host: HOST, authorization },
      });
    const sample = async (name: string, labels: Record<string, string>, series = name) => {
      const data = await metrics.registry.getSingleMetric(name)?.get();
      const match = data?.values.find(
        (v) =>
          ((v as { metricName?: string }).metricName ?? name) === series &&
          Object.entries(labels).every(([k, value]) => v.labels[k] === value),
      );
      return match?.value ?? 0;
    };
    return { get, exchanger, verifier, log, sample };
  };

  it('answers a repeat with the same bytes without verifying or exchanging again', async () => {
    const { get, exchanger, verifier } = build();
    const first = await get('good.web.sig');
    const second = await get('good.web.sig');
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(second.headers['content-type']).toBe('application/json');
    expect(exchanger.calls).toHaveLength(1);
    expect(verifier.calls).toBe(1);
  });

  it('counts hits, misses and refusals by status and cache outcome, without hooks', async () => {
    const { get, sample } = build();
    const durations = (cache: string) =>
      sample(
        'pod_identity_request_duration_seconds',
        { cache },
        'pod_identity_request_duration_seconds_count',
      );
    await get('good.web.sig');
    await get('good.web.sig');
    await get('good.web.sig');
    expect((await get('forged')).statusCode).toBe(401);
    expect(await sample('pod_identity_requests_total', { code: '200' })).toBe(3);
    expect(await sample('pod_identity_requests_total', { code: '401' })).toBe(1);
    expect(await durations('hit')).toBe(2);
    expect(await durations('miss')).toBe(1);
    expect(await durations('none')).toBe(1);
  });

  it('writes the issuance line once; a repeat of the same token writes a debug line', async () => {
    const { get, log } = build();
    await get('good.web.sig');
    await get('good.web.sig');
    await new Promise((resolve) => setImmediate(resolve));
    const answers = log.records().filter((r) => r.msg === AUDIT_MESSAGE || r.msg === REPEAT_MESSAGE);
    expect(answers.map((r) => [r.msg, r.level, r.cache, r.podName])).toEqual([
      [AUDIT_MESSAGE, 'info', 'miss', 'web'],
      [REPEAT_MESSAGE, 'debug', 'hit', 'web'],
    ]);
  });
});
