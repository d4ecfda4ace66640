/**
 * Hostile HTTP input against the built agent on loopback (docs/security.md threats 5-7 and
 * 9): smuggling attempts, odd request targets, oversized and slow headers, pipelining, bad bytes in
 * Authorization, absurd JWTs and thousands of idle connections. Each is answered with a contract
 * error or a closed socket; the agent never crashes, never answers 5xx, and good clients keep being
 * served meanwhile. Each case connects from its own loopback address so the rate limit does not
 * mix them up.
 */
import { request } from 'node:http';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../agent/errors.js';
import { type LocalAgent, startLocalAgent } from '../../test-support/local-agent.js';
import { openIdleSockets, type RawExchange, sendRaw } from '../../test-support/raw-http.js';

let local: LocalAgent;
let token: string;
let nextAddress = 10;
/** A fresh source address per case (127.0.1.10, .11, ...). */
const source = () => `127.0.1.${nextAddress++}`;

beforeAll(async () => {
  local = await startLocalAgent(['--rate-limit', '20']);
  token = await local.token();
}, 60_000);
afterAll(async () => {
  await local?.stop();
});

/** A good client's GET through node:http, from 127.0.0.1. */
function goodRequest(timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      local.agent.url,
      { headers: { authorization: token }, timeout: timeoutMs, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('good client timed out')));
    req.on('error', reject).end();
  });
}

function expectContractError(exchange: RawExchange, status: number, code: string): void {
  const [response] = exchange.responses;
  expect(response?.status, exchange.text.slice(0, 300)).toBe(status);
  expect(response?.headers['content-type']).toBe('application/json');
  const body = JSON.parse(response?.body ?? '') as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(body.code in ERROR_TABLE).toBe(true);
}

const req = (lines: readonly string[], end = '\r\n\r\n') => `${lines.join('\r\n')}${end}`;

describe('hostile HTTP input against the agent process', () => {
  const CASES: [string, (host: string, token: string) => string | Buffer, number, string][] = [
    [
      'Content-Length together with Transfer-Encoding',
      (h) =>
        `${req([
          'GET /v1/credentials HTTP/1.1',
          `Host: ${h}`,
          'Content-Length: 5',
          'Transfer-Encoding: chunked',
        ])}0\r\n\r\n`,
      400,
      'InvalidRequest',
    ],
    [
      'Transfer-Encoding: chunked on a GET',
      (h) => `${req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, 'Transfer-Encoding: chunked'])}0\r\n\r\n`,
      400,
      'InvalidRequest',
    ],
    [
      'duplicate Content-Length',
      (h) =>
        req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, 'Content-Length: 0', 'Content-Length: 5']) +
        'hello',
      400,
      'InvalidRequest',
    ],
    [
      'a body on a GET',
      (h) => `${req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, 'Content-Length: 5'])}hello`,
      413,
      'PayloadTooLarge',
    ],
    [
      'an obs-folded Authorization header',
      (h, t) =>
        req([
          'GET /v1/credentials HTTP/1.1',
          `Host: ${h}`,
          `Authorization: ${t.slice(0, 30)}`,
          ` ${t.slice(30)}`,
        ]),
      400,
      'InvalidRequest',
    ],
    [
      'bare LF line endings',
      (h, t) => `GET /v1/credentials HTTP/1.1\nHost: ${h}\nAuthorization: ${t}\n\n`,
      400,
      'InvalidRequest',
    ],
    [
      'a bare LF inside the header section',
      (h, t) => `GET /v1/credentials HTTP/1.1\r\nHost: ${h}\nAuthorization: ${t}\r\n\r\n`,
      400,
      'InvalidRequest',
    ],
    [
      'an absolute-form target naming another authority',
      (h, t) => req(['GET http://evil.example/v1/credentials HTTP/1.1', `Host: ${h}`, `Authorization: ${t}`]),
      403,
      'InvalidHost',
    ],
    ['an asterisk-form target', (h) => req(['OPTIONS * HTTP/1.1', `Host: ${h}`]), 404, 'NotFound'],
    ['a GET of *', (h) => req(['GET * HTTP/1.1', `Host: ${h}`]), 404, 'NotFound'],
    [
      'no Host header',
      (_h, t) => req(['GET /v1/credentials HTTP/1.1', `Authorization: ${t}`]),
      403,
      'InvalidHost',
    ],
    [
      'two Host headers, ours first',
      (h, t) =>
        req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, 'Host: evil.example', `Authorization: ${t}`]),
      400,
      'InvalidRequest',
    ],
    [
      'two Authorization headers',
      (h, t) =>
        req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, `Authorization: ${t}`, 'Authorization: a.b.c']),
      400,
      'MalformedToken',
    ],
    [
      'a 20 KiB header section',
      (h) => req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, `X-Pad: ${'a'.repeat(20 * 1024)}`]),
      431,
      'HeadersTooLarge',
    ],
    [
      '3,000 small headers',
      (h) =>
        req([
          'GET /v1/credentials HTTP/1.1',
          `Host: ${h}`,
          ...Array.from({ length: 3_000 }, (_, i) => `X-${i}: 1`),
        ]),
      431,
      'HeadersTooLarge',
    ],
    [
      'UTF-8 and 0xFF bytes in Authorization',
      (h) =>
        Buffer.concat([
          Buffer.from(`GET /v1/credentials HTTP/1.1\r\nHost: ${h}\r\nAuthorization: eyJ`),
          Buffer.from([0xe2, 0x82, 0xac, 0xff, 0xfe]),
          Buffer.from('.e30.c2ln\r\n\r\n'),
        ]),
      400,
      'MalformedToken',
    ],
    [
      'control bytes (NUL, DEL, SOH) in Authorization',
      (h) =>
        Buffer.concat([
          Buffer.from(`GET /v1/credentials HTTP/1.1\r\nHost: ${h}\r\nAuthorization: eyJ`),
          Buffer.from([0x00, 0x01, 0x7f]),
          Buffer.from('.e30.c2ln\r\n\r\n'),
        ]),
      400,
      'InvalidRequest',
    ],
    [
      'a tab inside Authorization',
      (h) => req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, 'Authorization: eyJh\tbGc.e30.c2ln']),
      400,
      'MalformedToken',
    ],
    [
      'a Bearer prefix',
      (h, t) => req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, `Authorization: Bearer ${t}`]),
      400,
      'MalformedToken',
    ],
    [
      'a token just over 16 KiB (under the header cap)',
      (h) =>
        req([
          'GET /v1/credentials HTTP/1.1',
          `Host: ${h}`,
          `Authorization: eyJ${'A'.repeat(16_300)}.e30.c2ln`,
        ]),
      400,
      'MalformedToken',
    ],
    [
      'a JWT whose segments are not base64url JSON',
      (h) => req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, 'Authorization: eyJhbGciOi.!!!!.c2ln']),
      400,
      'MalformedToken',
    ],
    [
      'a badly signed JWT whose payload nests 5,000 arrays',
      (h) => {
        const header = base64url.encode('{"alg":"RS256","kid":"local-key-1"}');
        const payload = base64url.encode(`{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}`);
        return req([
          'GET /v1/credentials HTTP/1.1',
          `Host: ${h}`,
          `Authorization: ${header}.${payload}.${'A'.repeat(342)}`,
        ]);
      },
      401,
      'InvalidToken',
    ],
    [
      'an unsigned JWT (alg none) with a valid-looking payload',
      (h) => {
        const header = base64url.encode('{"alg":"none"}');
        const payload = base64url.encode('{"sub":"system:serviceaccount:default:s3-access-sa"}');
        return req(['GET /v1/credentials HTTP/1.1', `Host: ${h}`, `Authorization: ${header}.${payload}.`]);
      },
      401,
      'InvalidToken',
    ],
    [
      'a lower-case method',
      (h) => req(['get /v1/credentials HTTP/1.1', `Host: ${h}`]),
      400,
      'InvalidRequest',
    ],
    ['an HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'InvalidRequest'],
    [
      'a TLS ClientHello',
      () => Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]),
      400,
      'InvalidRequest',
    ],
  ];
  /** Refused by Node's parser or for carrying a body: nothing after them on the connection is trusted. */
  const CLOSES = new Set([
    'Content-Length together with Transfer-Encoding',
    'Transfer-Encoding: chunked on a GET',
    'duplicate Content-Length',
    'a body on a GET',
    'an obs-folded Authorization header',
    'bare LF line endings',
    'a bare LF inside the header section',
    'a 20 KiB header section',
    '3,000 small headers',
    'control bytes (NUL, DEL, SOH) in Authorization',
    'a lower-case method',
    'an HTTP/2 preface',
    'a TLS ClientHello',
  ]);

  it.each(CASES.map(([name, make, status, code]) => [name, status, code, make] as const))(
    'answers %s with a JSON %i %s while good clients are served',
    async (name, status, code, make) => {
      const exchange = await sendRaw(local.agent.port, make(local.host, token), {
        localAddress: source(),
        ...(CLOSES.has(name) ? {} : { responses: 1 }),
      });
      expectContractError(exchange, status, code);
      if (CLOSES.has(name)) expect(exchange.closed).toBe(true);
      expect(await goodRequest()).toBe(200);
    },
  );

  it('answers an absolute-form target naming this agent like the origin form', async () => {
    const exchange = await sendRaw(
      local.agent.port,
      req([
        `GET http://${local.host}/v1/credentials HTTP/1.1`,
        `Host: ${local.host}`,
        `Authorization: ${token}`,
      ]),
      { localAddress: source(), responses: 1 },
    );
    expect(exchange.responses[0]?.status).toBe(200);
  });

  it('answers pipelined requests in order, each on its own merits, then closes on Connection: close', async () => {
    const exchange = await sendRaw(
      local.agent.port,
      req(['GET /v1/credentials HTTP/1.1', `Host: ${local.host}`, `Authorization: ${token}`]) +
        req(['GET /latest/meta-data/ HTTP/1.1', `Host: ${local.host}`]) +
        req(['GET /v1/credentials HTTP/1.1', 'Host: evil.example', `Authorization: ${token}`]) +
        req(['GET /v1/credentials HTTP/1.1', `Host: ${local.host}`, 'Connection: close']),
      { localAddress: source() },
    );
    expect(exchange.responses.map((r) => r.status)).toEqual([200, 404, 403, 401]);
    expect(exchange.responses.slice(1).map((r) => JSON.parse(r.body).code)).toEqual([
      'NotFound',
      'InvalidHost',
      'MissingToken',
    ]);
    expect(exchange.closed).toBe(true);
  });

  it('serves a good pipelined request, then refuses a smuggled one behind it and closes', async () => {
    const exchange = await sendRaw(
      local.agent.port,
      req(['GET /v1/credentials HTTP/1.1', `Host: ${local.host}`, `Authorization: ${token}`]) +
        req([
          'GET /v1/credentials HTTP/1.1',
          `Host: ${local.host}`,
          'Content-Length: 40',
          'Transfer-Encoding: chunked',
        ]) +
        '0\r\n\r\nGET /v1/credentials HTTP/1.1\r\nHost: x\r\n\r\n',
      { localAddress: source() },
    );
    expect(exchange.responses.map((r) => r.status)).toEqual([200, 400]);
    expect(JSON.parse(exchange.responses[1]?.body ?? '').code).toBe('InvalidRequest');
    expect(exchange.closed).toBe(true);
  });

  it.each<[string, string]>([
    ['sends nothing', ''],
    ['stops half-way through its headers', 'GET /v1/credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n'],
  ])(
    'closes the socket of a client that %s within a few seconds',
    async (_name, data) => {
      const exchange = await sendRaw(local.agent.port, data, { localAddress: source(), waitMs: 15_000 });
      expect(exchange.closed).toBe(true);
      expect(exchange.ms).toBeLessThan(9_000);
      expect(exchange.responses).toEqual([]);
    },
    20_000,
  );

  it('closes a slowloris client that trickles one header byte every 300 ms', async () => {
    const { connect } = await import('node:net');
    const started = Date.now();
    const socket = connect({ port: local.agent.port, host: '127.0.0.1', localAddress: source() });
    socket.on('error', () => {});
    const line = `GET /v1/credentials HTTP/1.1\r\nHost: ${local.host}\r\nX-Slow: ${'a'.repeat(200)}`;
    let i = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(line[i++ % line.length] ?? 'a');
    }, 300);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(timer);
    expect(Date.now() - started).toBeLessThan(9_000);
  }, 20_000);

  it('keeps serving good clients while one address opens 2,000 idle connections, holds at most 256 of them, then sheds them', async () => {
    const idle = await openIdleSockets(local.agent.port, 2_000, '127.0.2.1');
    // Sockets over the per-address cap are closed as soon as they are accepted, maybe before now.
    const closed = Promise.all(
      idle.map((s) => (s.closed ? undefined : new Promise((resolve) => s.once('close', resolve)))),
    );
    try {
      const started = Date.now();
      expect(await Promise.all(Array.from({ length: 10 }, () => goodRequest()))).toEqual(Array(10).fill(200));
      expect(Date.now() - started).toBeLessThan(5_000);
      const held = () => idle.filter((s) => !s.closed).length;
      for (let i = 0; i < 40 && held() > 256; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held()).toBeLessThanOrEqual(256);
      // The agent itself closes every idle socket (headers timeout), without any client action.
      await closed;
      expect(idle.every((s) => s.destroyed)).toBe(true);
      expect(await goodRequest()).toBe(200);
    } finally {
      for (const s of idle) s.destroy();
    }
  }, 30_000);

  it('answered no request with a 5xx, logged no unexpected error and is still running', async () => {
    const metrics = await local.agent.metrics();
    expect(metrics).toMatch(/pod_identity_requests_total\{code="200"\} [1-9]/);
    expect(metrics).not.toMatch(/pod_identity_requests_total\{code="5\d\d"\}/);
    expect(local.agent.lines.join('\n')).not.toContain('unexpected error');
    expect(local.agent.child.exitCode).toBeNull();
  });
});
