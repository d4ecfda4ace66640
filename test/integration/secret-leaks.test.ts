/**
 * Secrets never leak (docs/security.md threat 8): full runs of the built agent at trace
 * and debug level — success, every error row of docs/api.md, upstream failures whose error objects
 * carry the pod's token, the node's secret key and session tokens in their messages — and a scan of
 * every log line and every response body for each of those secrets.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from '../../test-support/agent-process.js';
import { createClusterKeys } from '../../test-support/cluster-keys.js';
import {
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  LOCAL_NODE_CREDENTIALS,
  type LocalAgent,
  startLocalAgent,
} from '../../test-support/local-agent.js';

/** Every secret of the run: tokens (and their signatures), secret keys, session tokens. */
const secrets = new Set<string>();
function secret(value: string): string {
  secrets.add(value);
  const signature = value.split('.')[2];
  if (signature !== undefined && signature.length >= 16) secrets.add(signature);
  return value;
}
secret(LOCAL_NODE_CREDENTIALS.secretAccessKey);

/** Every response body, with the credentials it legitimately carries. */
const bodies: { body: string; own: string[] }[] = [];
/** Every contract code answered, to prove the run covered the table. */
const codes = new Set<string>();

/** How the reflecting upstream answers. */
type Mode = 'ok' | 'denied' | 'invalid' | 'throttle' | 'error500' | 'garbage' | 'partial' | 'reset';

/**
 * An upstream that answers EKS Auth (JSON) or STS (XML) requests, and puts the pod's token, the
 * node's secret key and the last session token it minted into every error message and odd body: the
 * worst an upstream or an SDK error object can do.
 */
async function startReflectingUpstream(): Promise<{
  endpoint: string;
  setMode(m: Mode): void;
  server: Server;
  calls: () => number;
}> {
  let mode: Mode = 'ok';
  let lastSession = secret(randomBytes(200).toString('base64'));
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      const body = Buffer.concat(chunks).toString('utf8');
      const sts = body.includes('Action=AssumeRoleWithWebIdentity');
      const token = sts
        ? (new URLSearchParams(body).get('WebIdentityToken') ?? '')
        : ((JSON.parse(body || '{}') as { token?: string }).token ?? '');
      const leak = `token ${token} refused; node key ${LOCAL_NODE_CREDENTIALS.secretAccessKey}; session ${lastSession}`;
      const error = (status: number, type: string) => {
        if (sts) {
          res.writeHead(status, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>${type}</Code><Message>${leak}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
          );
        } else {
          res.writeHead(status, {
            'content-type': 'application/json',
            'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.eksauth/`,
          });
          res.end(
            JSON.stringify({ message: leak, token, secretAccessKey: LOCAL_NODE_CREDENTIALS.secretAccessKey }),
          );
        }
      };
      if (mode === 'reset') return void req.socket.destroy();
      if (mode === 'denied') return error(403, sts ? 'AccessDenied' : 'AccessDeniedException');
      if (mode === 'invalid') return error(400, sts ? 'InvalidIdentityToken' : 'InvalidTokenException');
      if (mode === 'throttle') return error(sts ? 400 : 429, sts ? 'Throttling' : 'ThrottlingException');
      if (mode === 'error500') return error(500, sts ? 'InternalFailure' : 'InternalServerException');
      if (mode === 'garbage') {
        res.writeHead(200, { 'content-type': sts ? 'text/xml' : 'application/json' });
        return void res.end(`<<not a response ${leak}`);
      }
      const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
      const secretAccessKey = secret(randomBytes(30).toString('base64'));
      const sessionToken = secret(randomBytes(300).toString('base64'));
      lastSession = sessionToken;
      const expiration = new Date(Date.now() + 3_600_000);
      const arn = 'arn:aws:sts::123456789012:assumed-role/S3AccessRole/session';
      res.writeHead(200, { 'content-type': sts ? 'text/xml' : 'application/json' });
      if (sts) {
        return void res.end(
          `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><AssumedRoleUser><Arn>${arn}</Arn><AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secretAccessKey}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
        );
      }
      const credentials =
        mode === 'partial'
          ? { secretAccessKey, sessionToken }
          : {
              accessKeyId,
              secretAccessKey,
              sessionToken,
              expiration: Math.floor(expiration.getTime() / 1000),
            };
      res.end(
        JSON.stringify({
          subject: { namespace: 'default', serviceAccount: 's3-access-sa' },
          audience: LOCAL_AUDIENCE,
          podIdentityAssociation: {
            associationArn: 'arn:aws:eks:us-east-1:123456789012:podidentityassociation/demo/a-1',
            associationId: 'a-1',
          },
          assumedRoleUser: { arn, assumeRoleId: 'AROAEXAMPLE:session' },
          credentials,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setMode: (m) => {
      mode = m;
    },
    server,
    calls: () => calls,
  };
}

let nextAddress = 10;
/** One GET from a fresh loopback address (so that only the rate-limit case is throttled). */
function ask(
  agent: AgentProcess,
  authorization: string | undefined,
  options: {
    host?: string;
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    localAddress?: string;
  } = {},
): Promise<{ status: number; code: string | undefined }> {
  const localAddress = options.localAddress ?? `127.0.4.${nextAddress++ % 250}`;
  return new Promise((resolve, reject) => {
    const req = request(
      agent.url.replace('/v1/credentials', options.path ?? '/v1/credentials'),
      {
        method: options.method ?? 'GET',
        localAddress,
        agent: false,
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          ...(options.host === undefined ? {} : { host: options.host }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let code: string | undefined;
          const own: string[] = [];
          if (res.statusCode === 200) {
            const creds = JSON.parse(body) as { SecretAccessKey: string; Token: string };
            own.push(secret(creds.SecretAccessKey), secret(creds.Token));
          } else if (body.length > 0) {
            code = (JSON.parse(body) as { code: string }).code;
            codes.add(code);
          }
          bodies.push({ body, own });
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('error', reject).end();
  });
}

function expectNoSecret(text: string, own: readonly string[] = []): void {
  for (const s of secrets)
    if (!own.includes(s)) expect(text.includes(s), `leaked ${s.slice(0, 12)}…`).toBe(false);
}

describe('no secret in any log line or response body', () => {
  let upstream: Awaited<ReturnType<typeof startReflectingUpstream>>;
  let eksAgent: AgentProcess;
  let standIn: LocalAgent;
  let stsAgent: AgentProcess;
  let keys: Awaited<ReturnType<typeof createClusterKeys>>;
  const token = async (claims: Record<string, unknown> = {}) =>
    secret(
      await keys.mintToken({
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        namespace: 'default',
        serviceAccount: 's3-access-sa',
        podName: `pod-${randomBytes(4).toString('hex')}`,
        nodeName: 'node-a',
        ...claims,
      }),
    );

  beforeAll(async () => {
    upstream = await startReflectingUpstream();
    keys = await createClusterKeys({ kid: 'leak-key-1' });
    const dir = await mkdtemp(join(tmpdir(), 'leaks-'));
    const jwksFile = await keys.writeJwksFile(dir);
    const associations = join(dir, 'associations.json');
    await writeFile(
      associations,
      JSON.stringify({
        associations: [
          {
            namespace: 'default',
            serviceAccount: 's3-access-sa',
            roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
          },
        ],
      }),
    );
    const common = [
      '--allow-plain-http',
      '--cluster-name',
      'demo',
      '--region',
      'us-east-1',
      '--issuer',
      LOCAL_ISSUER,
      '--audience',
      LOCAL_AUDIENCE,
      '--jwks-file',
      jwksFile,
    ];
    const nodeEnv = {
      AWS_ACCESS_KEY_ID: LOCAL_NODE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_NODE_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    [eksAgent, stsAgent, standIn] = await Promise.all([
      startAgent({
        args: [
          '--exchange',
          'eks-auth',
          '--endpoint',
          upstream.endpoint,
          '--node-name',
          'node-a',
          '--rate-limit',
          '5',
          // Each row must reach the upstream, whatever the row before it was refused with.
          '--refusal-memory',
          '0s',
          '--log-level',
          'trace',
          ...common,
        ],
        env: nodeEnv,
      }),
      startAgent({
        args: [
          '--exchange',
          'sts-web-identity',
          '--sts-endpoint',
          upstream.endpoint,
          '--associations',
          associations,
          '--refusal-memory',
          '0s',
          '--log-level',
          'trace',
          ...common,
        ],
        env: { AWS_REGION: 'us-east-1' },
      }),
      startLocalAgent(['--log-level', 'debug']),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([eksAgent?.stop(), stsAgent?.stop(), standIn?.stop()]);
    upstream?.server.close();
  });

  it('answers every client-side error row of the contract (eks-auth, trace level)', async () => {
    const good = await token();
    const other = await createClusterKeys({ kid: 'leak-key-1' });
    const forged = secret(
      await other.mintToken({
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        namespace: 'default',
        serviceAccount: 's3-access-sa',
        podName: 'f',
      }),
    );
    const rows: [Promise<{ status: number; code: string | undefined }>, number, string | undefined][] = [
      [ask(eksAgent, good), 200, undefined],
      [ask(eksAgent, await token()), 200, undefined],
      [ask(eksAgent, undefined), 401, 'MissingToken'],
      [ask(eksAgent, `Bearer ${good}`), 400, 'MalformedToken'],
      [ask(eksAgent, `${good}.extra`), 400, 'MalformedToken'],
      [ask(eksAgent, `${good}${'A'.repeat(16 * 1024)}`), 431, 'HeadersTooLarge'],
      [ask(eksAgent, forged), 401, 'InvalidToken'],
      [ask(eksAgent, await token({ audience: 'https://kubernetes.default.svc' })), 401, 'InvalidToken'],
      [ask(eksAgent, await token({ issuer: 'https://other.example' })), 401, 'InvalidToken'],
      [ask(eksAgent, await token({ now: Date.now() - 3 * 86_400_000 })), 401, 'ExpiredToken'],
      [ask(eksAgent, await token({ nodeName: 'node-b' })), 403, 'TokenNotBound'],
      [ask(eksAgent, good, { host: 'evil.example' }), 403, 'InvalidHost'],
      [ask(eksAgent, good, { path: '/latest/meta-data/iam' }), 404, 'NotFound'],
      [ask(eksAgent, good, { method: 'DELETE' }), 405, 'MethodNotAllowed'],
      [ask(eksAgent, good, { headers: { 'x-pad': 'a'.repeat(17 * 1024) } }), 431, 'HeadersTooLarge'],
    ];
    for (const [answer, status, code] of rows) expect(await answer).toEqual({ status, code });
    let throttled = 0;
    for (let i = 0; i < 15; i++)
      if ((await ask(eksAgent, good, { localAddress: '127.0.5.1' })).status === 429) throttled++;
    expect(throttled).toBeGreaterThan(0);
  });

  it.each<[Mode, number, string]>([
    ['denied', 403, 'AccessDenied'],
    ['invalid', 403, 'AccessDenied'],
    ['throttle', 429, 'Throttled'],
    ['error500', 503, 'UpstreamUnavailable'],
    ['reset', 503, 'UpstreamUnavailable'],
    ['garbage', 503, 'UpstreamUnavailable'],
    ['partial', 503, 'UpstreamUnavailable'],
  ])(
    'answers an EKS Auth %s whose error carries the token and secrets with %i %s',
    async (mode, status, code) => {
      upstream.setMode(mode);
      try {
        const answer = await ask(eksAgent, await token());
        expect(answer).toEqual({ status, code });
      } finally {
        upstream.setMode('ok');
      }
    },
    30_000,
  );

  it.each<[Mode, number]>([
    ['ok', 200],
    ['denied', 403],
    ['invalid', 403],
    ['throttle', 429],
    ['error500', 503],
    ['garbage', 503],
  ])(
    'answers an STS web-identity %s (the pod token travels upstream) with %i',
    async (mode, status) => {
      upstream.setMode(mode);
      try {
        const answer = await ask(stsAgent, await token());
        expect(answer.status).toBe(status);
      } finally {
        upstream.setMode('ok');
      }
    },
    30_000,
  );

  it('answers NoAssociation for an unmapped service account (sts-web-identity)', async () => {
    expect(await ask(stsAgent, await token({ serviceAccount: 'no-role-sa' }))).toEqual({
      status: 403,
      code: 'NoAssociation',
    });
  });

  it.each(['throttle', 'unavailable', 'down'] as const)(
    'answers the EKS Auth stand-in fault %s without leaking (debug level)',
    async (fault) => {
      const podToken = secret(await standIn.token({ podName: `fault-${fault}` }));
      expect((await ask(standIn.agent, podToken)).status).toBe(200);
      standIn.eksAuth.setFault(fault);
      try {
        const fresh = secret(await standIn.token({ podName: `fault-new-${fault}` }));
        const answer = await ask(standIn.agent, fresh);
        expect(answer.code).toBe(fault === 'throttle' ? 'Throttled' : 'UpstreamUnavailable');
      } finally {
        standIn.eksAuth.setFault('none');
      }
    },
    30_000,
  );

  it('covered the contract table, and the upstream saw the tokens it echoed', () => {
    for (const code of [
      'MissingToken',
      'MalformedToken',
      'InvalidToken',
      'ExpiredToken',
      'TokenNotBound',
      'InvalidHost',
      'NoAssociation',
      'AccessDenied',
      'Throttled',
      'UpstreamUnavailable',
      'NotFound',
      'MethodNotAllowed',
      'HeadersTooLarge',
    ])
      expect(codes).toContain(code);
    expect(upstream.calls()).toBeGreaterThan(10);
    expect(secrets.size).toBeGreaterThan(40);
  });

  it('wrote trace and debug lines, and no secret in any log line of the three agents', () => {
    const logs = [eksAgent, stsAgent, standIn.agent].map((a) => a.lines.join('\n'));
    expect(logs[0]).toMatch(/"level":"(debug|trace)"/);
    expect(logs[0]).toContain('credentials issued');
    // Upstream failures were logged: EKS Auth's by error type only, STS's SDK error messages with
    // the echoed token, node key and session token scrubbed out.
    expect(logs[0]).toContain('"upstreamError":"InvalidTokenException"');
    expect(logs[1]).toContain('"upstreamError":"InvalidIdentityTokenException"');
    expect(logs[1]).toContain('token [REDACTED] refused; node key [REDACTED]; session [REDACTED]');
    for (const log of logs) expectNoSecret(log);
  });

  it('sent no secret in any response body but the credentials of that response', () => {
    expect(bodies.length).toBeGreaterThan(30);
    for (const { body, own } of bodies) expectNoSecret(body, own);
  });
});
