import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AssumeRoleForPodIdentityCommand,
  EksAuthClient,
  EksAuthServiceException,
} from '../../agent/exchange/eks-auth-client.js';
import { verifySigV4 } from '../../test-support/eks-auth-sigv4.js';
import { listenOnLoopback } from '../../test-support/loopback.js';

const credentials = { accessKeyId: 'AKIDNODEEXAMPLE', secretAccessKey: 'node-secret-key' };
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Reply = { status: number; headers?: Record<string, string>; body: string } | 'hang' | 'reset';

const success = {
  subject: { namespace: 'default', serviceAccount: 's3-access-sa' },
  audience: 'pods.eks.amazonaws.com',
  podIdentityAssociation: {
    associationArn: 'arn:aws:eks:us-east-1:123456789012:podidentityassociation/demo/a-abc',
    associationId: 'a-abc',
  },
  assumedRoleUser: {
    arn: 'arn:aws:sts::123456789012:assumed-role/S3AccessRole/eks-demo-pod-1',
    assumeRoleId: 'AROAEXAMPLE:eks-demo-pod-1',
  },
  credentials: {
    sessionToken: 'session-token',
    secretAccessKey: 'secret',
    accessKeyId: 'ASIAEXAMPLE',
    expiration: 1_790_021_600,
  },
};

describe('EksAuthClient', () => {
  let server: Server;
  let endpoint: string;
  let seen: Seen[];
  let reply: Reply;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        if (reply === 'hang') return;
        if (reply === 'reset') return void req.socket.destroy();
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body);
      });
    });
    endpoint = `http://127.0.0.1:${await listenOnLoopback(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen = [];
    reply = { status: 200, body: JSON.stringify(success) };
  });

  const client = (): EksAuthClient =>
    new EksAuthClient({ region: 'us-east-1', endpoint, credentials, requestTimeoutMs: 500 });
  const send = (c = client()) =>
    c.send(new AssumeRoleForPodIdentityCommand({ clusterName: 'demo', token: TOKEN }));

  it('POSTs the token as JSON to the cluster path, signed with an eks-auth scope', async () => {
    await send();
    const request = seen[0] as Seen;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/clusters/demo/assume-role-for-pod-identity');
    expect(JSON.parse(request.body.toString())).toEqual({ token: TOKEN });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDNODEEXAMPLE\/\d{8}\/us-east-1\/eks-auth\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('produces a signature that verifies with the node credentials and fails with others', async () => {
    await send();
    const request = seen[0] as Seen;
    const expected = { region: 'us-east-1', service: 'eks-auth', now: Date.now() };
    expect(await verifySigV4(request, { ...expected, credentials })).toBeUndefined();
    const wrong = await verifySigV4(request, {
      ...expected,
      credentials: { ...credentials, secretAccessKey: 'other' },
    });
    expect(wrong?.type).toBe('InvalidSignatureException');
    const tampered = await verifySigV4(
      { ...request, body: Buffer.from('{"token":"x"}') },
      { ...expected, credentials },
    );
    expect(tampered).toBeDefined();
  });

  it('parses a success, turning the epoch-seconds expiration into a Date', async () => {
    reply = { status: 200, headers: { 'x-amzn-requestid': 'req-1' }, body: JSON.stringify(success) };
    const out = await send();
    expect(out.credentials?.expiration?.getTime()).toBe(1_790_021_600_000);
    expect(out.credentials?.accessKeyId).toBe('ASIAEXAMPLE');
    expect(out.assumedRoleUser?.arn).toBe(success.assumedRoleUser.arn);
    expect(out.subject).toEqual(success.subject);
    expect(out.$metadata).toEqual({ httpStatusCode: 200, requestId: 'req-1' });
  });

  it.each([
    [400, 'AccessDeniedException', 'client'],
    [400, 'ExpiredTokenException', 'client'],
    [400, 'InvalidParameterException', 'client'],
    [400, 'InvalidRequestException', 'client'],
    [400, 'InvalidTokenException', 'client'],
    [404, 'ResourceNotFoundException', 'client'],
    [429, 'ThrottlingException', 'client'],
    [500, 'InternalServerException', 'server'],
    [503, 'ServiceUnavailableException', 'server'],
  ])('turns a %i %s answer into an error of that name with fault %s', async (status, type, fault) => {
    reply = {
      status,
      headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.eksauth/` },
      body: JSON.stringify({ message: `upstream text mentioning ${TOKEN}` }),
    };
    const error = (await send().catch((e: unknown) => e)) as EksAuthServiceException;
    expect(error).toBeInstanceOf(EksAuthServiceException);
    expect(error.name).toBe(type);
    expect(error.$fault).toBe(fault);
    expect(error.$metadata.httpStatusCode).toBe(status);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('upstream text');
  });

  it.each([
    [{ __type: 'com.amazonaws.eksauth#InvalidTokenException' }, 'InvalidTokenException'],
    [{ code: 'AccessDeniedException' }, 'AccessDeniedException'],
    [{ message: 'no type at all' }, 'UnknownError'],
  ])('reads the error type from the body %j when the header is absent', async (body, name) => {
    reply = { status: 400, body: JSON.stringify(body) };
    const error = (await send().catch((e: unknown) => e)) as EksAuthServiceException;
    expect(error.name).toBe(name);
  });

  it('rejects with a TimeoutError when the server does not answer in time', async () => {
    reply = 'hang';
    const error = (await send().catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('TimeoutError');
  });

  it('rejects with the caller abort reason when its signal aborts', async () => {
    reply = 'hang';
    const controller = new AbortController();
    const pending = client().send(
      new AssumeRoleForPodIdentityCommand({ clusterName: 'demo', token: TOKEN }),
      {
        abortSignal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(), 20);
    const error = (await pending.catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('AbortError');
  });

  it('rejects with the system error when the connection is reset or refused', async () => {
    reply = 'reset';
    const reset = (await send().catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(reset.code).toBe('ECONNRESET');
    const closed = new EksAuthClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', credentials });
    const refused = (await send(closed).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(refused.code).toBe('ECONNREFUSED');
  });

  it('names a non-JSON success a DeserializationError', async () => {
    reply = { status: 200, body: '<html>' };
    const error = (await send().catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('DeserializationError');
  });

  it.each([
    [{ region: 'US EAST' }, 'region'],
    [{ region: 'us-east-1', requestTimeoutMs: 0 }, 'requestTimeoutMs'],
    [{ region: 'us-east-1', endpoint: 'ftp://x' }, 'endpoint'],
  ])('refuses the bad option %j, naming %s', (config, name) => {
    expect(() => new EksAuthClient({ credentials, ...config })).toThrow(name);
  });

  it.each([
    [{}, 'https://eks-auth.eu-west-1.api.aws/'],
    [{ useFipsEndpoint: true }, 'https://eks-auth-fips.eu-west-1.api.aws/'],
    [{ useFipsEndpoint: true, endpoint: 'http://127.0.0.1:9/' }, 'http://127.0.0.1:9/'],
  ])('with %j calls %s', (config, expected) => {
    expect(new EksAuthClient({ credentials, region: 'eu-west-1', ...config }).endpoint.href).toBe(expected);
  });

  it('refuses a cluster name outside the EKS pattern without sending anything', async () => {
    const error = (await client()
      .send(new AssumeRoleForPodIdentityCommand({ clusterName: 'bad/name', token: TOKEN }))
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(seen).toHaveLength(0);
  });
});
