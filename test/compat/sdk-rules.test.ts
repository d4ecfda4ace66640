/**
 * The server side of every rule in docs/compatibility.md that the SDKs we cannot run here (Go v2, Java v2,
 * Rust) impose, checked on the credentials app with `inject()`. docs/compatibility.md points here.
 */
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import type { ServerConfig } from '../../agent/config/parse-config.js';
import { AgentError, type AgentErrorCode, ERROR_TABLE } from '../../agent/errors.js';
import { createMetrics } from '../../agent/metrics/metrics.js';
import { FakeCache, roleCredentials } from '../fakes/fake-cache.js';
import { EPOCH, FakeVerifier } from '../fakes/fake-verifier.js';
import { captureLogger } from '../fakes/log-capture.js';
import { serverConfig } from '../fakes/server-config.js';

const TOKEN = 'good.s3-access-pod.sig';
/** Go's `ecscreds` caps the body it reads; stay far under the smallest cap any SDK documents. */
const BODY_CAP_BYTES = 10 * 1024;
/** Errors of the token and exchange path: what a pod's SDK can get back for a request that reached the route. */
const AUTH_AND_UPSTREAM: readonly AgentErrorCode[] = [
  'MissingToken',
  'MalformedToken',
  'InvalidToken',
  'ExpiredToken',
  'TokenNotBound',
  'NoAssociation',
  'AccessDenied',
  'Throttled',
  'UpstreamUnavailable',
  'InternalError',
];

/** The agent as the DaemonSet runs it: both link-local addresses, port 80. */
const linkLocalConfig = (): ServerConfig =>
  serverConfig(['--bind-hosts', '169.254.170.23,[fd00:ec2::23]', '--port', '80']);

describe('the server side of the SDK rules in docs/compatibility.md', () => {
  let agent: Agent;
  let cache: FakeCache;

  beforeEach(() => {
    cache = new FakeCache();
    agent = createApp(linkLocalConfig(), {
      verifier: new FakeVerifier(),
      cache,
      metrics: createMetrics(new Registry()),
      logger: captureLogger().logger,
    });
  });
  afterEach(async () => {
    await agent.close();
  });

  const get = (headers: Record<string, string>, method: 'GET' | 'POST' = 'GET', url = '/v1/credentials') =>
    agent.credentials.inject({ method, url, headers: { host: '169.254.170.23', ...headers } });

  describe('Java v2: never 404 for an auth or upstream failure (404 means "no metadata here")', () => {
    it.each(AUTH_AND_UPSTREAM)('%s is answered with its own status, never 404', async (code) => {
      cache.failWith = new AgentError(code);
      const res = await get({ authorization: TOKEN });
      expect(res.statusCode).toBe(ERROR_TABLE[code].statusCode);
      expect(res.statusCode).not.toBe(404);
      expect(res.json()).toMatchObject({ code });
    });

    it.each([
      ['no Authorization header', {}, 'MissingToken'],
      ['an empty Authorization header', { authorization: '' }, 'MissingToken'],
      ['a forged token', { authorization: 'forged.token.sig' }, 'InvalidToken'],
    ])('a request with %s is refused without 404', async (_name, headers, code) => {
      const res = await get(headers);
      expect(res.statusCode).not.toBe(404);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.json()).toMatchObject({ code });
    });
  });

  describe('Go v2 and Java v2: lowercase code and message, Content-Type exactly application/json', () => {
    it.each<[string, () => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>]>([
      ['an auth failure', () => get({})],
      [
        'an upstream failure',
        () => {
          cache.failWith = new AgentError('UpstreamUnavailable');
          return get({ authorization: TOKEN });
        },
      ],
      ['a wrong path', () => get({ authorization: TOKEN }, 'GET', '/v1/other')],
      ['a wrong method', () => get({ authorization: TOKEN }, 'POST')],
      ['a foreign Host header', () => get({ authorization: TOKEN, host: 'evil.example' })],
    ])('%s', async (_name, send) => {
      const res = await send();
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.headers['content-type']).toBe('application/json');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'message']);
      expect(typeof body.code).toBe('string');
      expect(typeof body.message).toBe('string');
      expect(Buffer.byteLength(res.body)).toBeLessThan(BODY_CAP_BYTES);
    });
  });

  describe('every SDK: a success body they all accept', () => {
    it('has the four required fields as non-empty strings, Content-Type application/json', async () => {
      const res = await get({ authorization: TOKEN });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const body = res.json() as Record<string, unknown>;
      for (const field of ['AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration'])
        expect(body[field], field).toEqual(expect.stringMatching(/.+/));
    });

    it.each([0, 1, 999, 500_123])(
      'writes Expiration in UTC ending in Z, whole seconds (expiry +%i ms)',
      async (extraMs) => {
        cache.credentials = roleCredentials({ expiration: EPOCH + 3_600_000 + extraMs });
        const body = (await get({ authorization: TOKEN })).json() as { Expiration: string };
        expect(body.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(body.Expiration).not.toContain('+00:00');
        expect(Date.parse(body.Expiration)).toBe(Math.floor((EPOCH + 3_600_000 + extraMs) / 1000) * 1000);
      },
    );

    it('stays under 10 KB with the largest session token STS issues', async () => {
      // STS session tokens are documented as variable length; real ones with session tags and
      // policies reach ~2-3 KB. Use 4 KB of base64 to keep a margin.
      cache.credentials = roleCredentials({ sessionToken: 'A'.repeat(4096) });
      const res = await get({ authorization: TOKEN });
      expect(res.statusCode).toBe(200);
      expect(Buffer.byteLength(res.body)).toBeLessThan(BODY_CAP_BYTES);
    });

    it('answers a request with no User-Agent and no Accept (the JS SDK sends neither)', async () => {
      const res = await agent.credentials.inject({
        method: 'GET',
        url: '/v1/credentials',
        headers: { host: '169.254.170.23', authorization: TOKEN },
      });
      expect(res.statusCode).toBe(200);
    });
  });

  describe('Host headers the SDKs send for the link-local addresses on port 80', () => {
    it.each(['169.254.170.23', '169.254.170.23:80', '[fd00:ec2::23]', '[fd00:ec2::23]:80'])(
      'accepts Host %s',
      async (host) => {
        const res = await get({ authorization: TOKEN, host });
        expect(res.statusCode).toBe(200);
      },
    );
  });
});
