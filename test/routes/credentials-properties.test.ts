/**
 * Property-based tests of the credentials app: whatever the method, path, headers
 * and token bytes, the answer is one of the contract's statuses with a JSON body whose `code` is in
 * the contract table, and never a 500. The real JWT verifier over a test key set; a fake cache.
 */
import * as fc from 'fast-check';
import { base64url } from 'jose';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createApp } from '../../agent/app.js';
import { createJwtVerifier } from '../../agent/auth/jwt-verifier.js';
import { createKeySet } from '../../agent/auth/key-set.js';
import { ERROR_TABLE } from '../../agent/errors.js';
import { createMetrics } from '../../agent/metrics/metrics.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import { AUDIENCE, EPOCH, ISSUER, ManualClock, ScriptedFetcher } from '../auth/fixtures.js';
import { FakeCache } from '../fakes/fake-cache.js';
import { captureLogger } from '../fakes/log-capture.js';
import { serverConfig } from '../fakes/server-config.js';

const HOST = '127.0.0.1:8080';
const keys = await createClusterKeys({ alg: 'ES256', kid: 'prop-1' });
const CONTRACT_STATUSES = new Set([200, 400, 401, 403, 404, 405, 413, 429, 431, 503]);
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'SEARCH'];
const RUNS = 300;
/**
 * Every response header the app may send (docs/security.md threats 5 and 6): nothing from the request is
 * echoed into a header, and there is no CORS header for a browser to act on.
 */
const RESPONSE_HEADERS = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'allow',
  'cache-control',
]);

let agent: Agent;
/** Every status seen, so that a generator that stopped reaching some branch fails the last test. */
const seen = new Set<number>();
let goodToken: string;
const log = captureLogger('debug');

beforeAll(async () => {
  const clock = new ManualClock();
  const metrics = createMetrics(new Registry());
  const keySet = createKeySet({
    fetcher: new ScriptedFetcher(keys.jwks).fetch,
    clock,
    metrics,
    refreshIntervalMs: 0,
  });
  await keySet.load();
  const verifier = createJwtVerifier({ keySet, issuer: ISSUER, audience: AUDIENCE, clock, metrics });
  agent = createApp(serverConfig(), { verifier, cache: new FakeCache(), metrics, logger: log.logger });
  goodToken = await keys.mintToken({
    issuer: ISSUER,
    audience: AUDIENCE,
    namespace: 'default',
    serviceAccount: 's3-access-sa',
    podName: 'prop-pod',
    now: EPOCH,
  });
});
afterAll(async () => {
  await agent.close();
});

/** Sends one request and checks the contract's invariants; returns the status. */
async function expectContractAnswer(
  method: string,
  url: string,
  headers: Record<string, string>,
): Promise<number> {
  const res = await agent.credentials.inject({
    method: method as 'GET',
    url,
    headers,
  });
  const context = `${method} ${url} ${JSON.stringify(headers).slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
  seen.add(res.statusCode);
  expect(CONTRACT_STATUSES.has(res.statusCode), context).toBe(true);
  expect(res.headers['content-type'], context).toBe('application/json');
  for (const name of Object.keys(res.headers))
    expect(RESPONSE_HEADERS, `${context} header ${name}`).toContain(name);
  if (res.headers.allow !== undefined) expect(res.headers.allow).toBe('GET, HEAD');
  if (method !== 'HEAD') {
    const body = JSON.parse(res.body) as Record<string, unknown>;
    if (res.statusCode === 200) {
      expect(Object.keys(body).sort(), context).toEqual([
        'AccessKeyId',
        'AccountId',
        'Expiration',
        'SecretAccessKey',
        'Token',
      ]);
    } else {
      expect(Object.keys(body).sort(), context).toEqual(['code', 'message']);
      expect(body.code as string, context).toBeOneOf(Object.keys(ERROR_TABLE));
      expect(ERROR_TABLE[body.code as keyof typeof ERROR_TABLE].statusCode, context).toBe(res.statusCode);
    }
  }
  return res.statusCode;
}

/** Header names: common ones, and arbitrary tokens. */
const headerName = fc.oneof(
  fc.constantFrom(
    'x-forwarded-for',
    'x-forwarded-host',
    'origin',
    'cookie',
    'accept',
    'connection',
    'expect',
    'range',
    'te',
    'upgrade',
    'content-type',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);
/** Header values as a client could put them on the wire: visible ASCII, spaces, tabs, and latin1. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[\x20-\x7e\t\x80-\xff]{0,200}$/),
);
const host = fc.oneof(
  { weight: 4, arbitrary: fc.constant(HOST) },
  fc.constantFrom(
    '127.0.0.1',
    '127.0.0.1:80',
    'evil.example',
    'localhost:8080',
    '[::1]:8080',
    '',
    '169.254.170.23',
  ),
  headerValue,
);
/** A well-signed token with mutations: flipped, cut, doubled, with garbage, or another payload. */
const tokenBytes = fc.oneof(
  fc.constant('GOOD'),
  fc
    .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))
    .map(([i, c]) => ({ flip: i, c })),
  fc.nat().map((n) => ({ cut: n })),
  fc.string({ maxLength: 200 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,60}$/),
  fc.constantFrom('Bearer GOOD', 'bearer GOOD', ' GOOD', 'GOOD ', 'GOOD.GOOD', 'GOOD\t', 'null', '...'),
);

function materialize(token: string | { flip: number; c: string } | { cut: number }): string {
  if (typeof token === 'string') return token.replaceAll('GOOD', goodToken);
  if ('cut' in token) return goodToken.slice(0, token.cut % goodToken.length);
  const i = token.flip % goodToken.length;
  return `${goodToken.slice(0, i)}${token.c}${goodToken.slice(i + 1)}`;
}

describe('the credentials app under generated input', () => {
  it('answers any method, path and headers with a contract status, JSON code and fixed headers, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant('/v1/credentials') },
          fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
          fc.string({ maxLength: 40 }).map((p) => `/${encodeURIComponent(p)}`),
          fc.constantFrom(
            '/v1/credentials?x=1',
            '/v1/credentials/',
            '//v1/credentials',
            '/v1/%2e%2e/credentials',
            '/V1/CREDENTIALS',
            '/v1/credentials#f',
          ),
        ),
        host,
        fc.option(tokenBytes, { nil: undefined }),
        fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
        async (method, url, hostHeader, token, extra) => {
          const headers: Record<string, string> = { ...extra, host: hostHeader };
          if (token !== undefined) headers.authorization = materialize(token);
          await expectContractAnswer(method, url, headers);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers any bytes in the Authorization of a GET with 200 or a 4xx token code, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(tokenBytes, async (token) => {
        const status = await expectContractAnswer('GET', '/v1/credentials', {
          host: HOST,
          authorization: materialize(token),
        });
        expect([200, 400, 401]).toContain(status);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a well-signed token with any JSON payload with 200 or a token error, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }),
          fc.record(
            {
              iss: fc.oneof(fc.constant(ISSUER), fc.jsonValue()),
              aud: fc.oneof(fc.constant([AUDIENCE]), fc.constant(AUDIENCE), fc.jsonValue()),
              sub: fc.oneof(fc.constant('system:serviceaccount:default:sa'), fc.string()),
              // Finite: a JWT is JSON, and jose refuses to sign NaN or Infinity.
              exp: fc.oneof(
                fc.constant(EPOCH / 1000 + 3600),
                fc.double({ noNaN: true, noDefaultInfinity: true }),
                fc.jsonValue(),
              ),
              iat: fc.oneof(fc.constant(EPOCH / 1000), fc.integer(), fc.jsonValue()),
              nbf: fc.oneof(fc.constant(EPOCH / 1000), fc.integer()),
              'kubernetes.io': fc.jsonValue({ maxDepth: 4 }),
            },
            { requiredKeys: ['iss', 'aud', 'exp', 'iat'] },
          ),
        ),
        async (payload) => {
          const token = await keys.signPayload(payload as Record<string, unknown>);
          const status = await expectContractAnswer('GET', '/v1/credentials', {
            host: HOST,
            authorization: token,
          });
          expect([200, 400, 401, 403]).toContain(status);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers a token with arbitrary header and payload JSON and any signature bytes without a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 6 }),
        fc.uint8Array({ maxLength: 300 }),
        async (header, payload, signature) => {
          const token = [JSON.stringify(header), JSON.stringify(payload)]
            .map((part) => base64url.encode(part))
            .concat(base64url.encode(signature))
            .join('.');
          const status = await expectContractAnswer('GET', '/v1/credentials', {
            host: HOST,
            authorization: token,
          });
          expect([400, 401]).toContain(status);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reached success and every request-level refusal across the runs, and logged no unexpected error or token', () => {
    for (const status of [200, 400, 401, 403, 404, 405]) expect(seen).toContain(status);
    const text = log.lines.join('\n');
    expect(text).not.toContain('unexpected error');
    expect(text).not.toContain(goodToken);
    expect(text).not.toContain(goodToken.split('.')[2]);
  });
});
