import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AssumeRoleForPodIdentityCommand,
  EksAuthClient,
  type EksAuthServiceException,
} from '../../agent/exchange/eks-auth-client.js';
import { type ClusterKeys, createClusterKeys } from '../../test-support/cluster-keys.js';
import { type EksAuthService, startEksAuthService } from '../../test-support/eks-auth-service.js';
import {
  createS3Role,
  type MotoServer,
  motoProblem,
  S3_ROLE_SETUP_ACTIONS,
  startMoto,
} from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';

const withMoto = needs(await motoProblem(), 'the EKS Auth stand-in with moto STS');

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'pods.eks.amazonaws.com';
const node = { accessKeyId: 'AKIANODEEXAMPLE00001', secretAccessKey: 'node-secret' };
const pod = {
  issuer: ISSUER,
  audience: AUDIENCE,
  namespace: 'default',
  serviceAccount: 's3-access-sa',
  podName: 's3-access-pod',
};

describe.skipIf(!withMoto)('the EKS Auth service with moto STS', () => {
  let moto: MotoServer;
  let keys: ClusterKeys;
  let service: EksAuthService;
  let client: EksAuthClient;
  let roleArn: string;

  beforeAll(async () => {
    moto = await startMoto({ authActions: S3_ROLE_SETUP_ACTIONS });
    const setup = await createS3Role(moto.endpoint);
    roleArn = setup.roleArn;
    keys = await createClusterKeys();
    service = await startEksAuthService({
      jwks: keys.jwks,
      issuer: ISSUER,
      clusterName: 'demo',
      associations: [{ namespace: 'default', serviceAccount: 's3-access-sa', roleArn }],
      stsEndpoint: moto.endpoint,
      stsCredentials: { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey },
      nodeCredentials: node,
    });
    client = new EksAuthClient({ region: 'us-east-1', endpoint: service.endpoint, credentials: node });
  });
  afterAll(async () => {
    client?.destroy();
    await service?.stop();
    await moto?.stop();
  });
  afterEach(() => {
    service.setFault('none');
    service.setLatency(0);
  });

  const ask = async (token: string, c = client, clusterName = 'demo') =>
    c.send(new AssumeRoleForPodIdentityCommand({ clusterName, token }));
  const failure = async (promise: Promise<unknown>) =>
    (await promise.catch((e: unknown) => e)) as EksAuthServiceException;

  it('answers like EKS Auth with STS credentials that work only on the role bucket', async () => {
    const out = await ask(await keys.mintToken(pod));
    expect(out.subject).toEqual({ namespace: 'default', serviceAccount: 's3-access-sa' });
    expect(out.audience).toBe(AUDIENCE);
    expect(out.podIdentityAssociation?.associationArn).toMatch(
      /^arn:aws:eks:us-east-1:123456789012:podidentityassociation\/demo\/a-/,
    );
    expect(out.assumedRoleUser?.arn).toMatch(
      /^arn:aws:sts::123456789012:assumed-role\/S3AccessRole\/eks-demo-s3-access-pod-/,
    );
    expect(out.credentials?.expiration?.getTime()).toBeGreaterThan(Date.now() + 5 * 3_600_000);
    const credentials = {
      accessKeyId: out.credentials?.accessKeyId as string,
      secretAccessKey: out.credentials?.secretAccessKey as string,
      sessionToken: out.credentials?.sessionToken as string,
    };
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials,
    });
    await s3.send(new PutObjectCommand({ Bucket: 'my-bucket', Key: 'my-file', Body: 'Hello World' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'my-bucket', Key: 'my-file' }));
    expect(await got.Body?.transformToString()).toBe('Hello World');
    const denied = await s3
      .send(new PutObjectCommand({ Bucket: 'other-bucket', Key: 'my-file', Body: 'x' }))
      .catch((e: unknown) => e);
    expect((denied as Error).name).toBe('AccessDenied');
    const sts = new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(out.assumedRoleUser?.arn);
  });

  it('names the session eks-<cluster>-<pod>-<uuid> and sets the six EKS session tags', async () => {
    await ask(await keys.mintToken(pod));
    const last = service.issued.at(-1);
    expect(last?.sessionName).toMatch(/^eks-demo-s3-access-pod-[0-9a-f-]+$/);
    expect(last?.sessionName.length).toBeLessThanOrEqual(64);
    expect(last?.tags).toEqual({
      'eks-cluster-arn': 'arn:aws:eks:us-east-1:123456789012:cluster/demo',
      'eks-cluster-name': 'demo',
      'kubernetes-namespace': 'default',
      'kubernetes-service-account': 's3-access-sa',
      'kubernetes-pod-name': 's3-access-pod',
      'kubernetes-pod-uid': last?.podUid,
    });
  });

  it('counts total and successful calls', async () => {
    const before = { ...service.calls };
    await ask(await keys.mintToken(pod));
    await ask(await keys.mintToken({ ...pod, serviceAccount: 'nobody' })).catch(() => undefined);
    expect(service.calls.total - before.total).toBe(2);
    expect(service.calls.success - before.success).toBe(1);
  });

  it.each(
    (
      [
        ['an unassociated service account', { serviceAccount: 'other-sa' }, 404, 'ResourceNotFoundException'],
        ['a wrong audience', { audience: 'sts.amazonaws.com' }, 400, 'InvalidTokenException'],
        ['a wrong issuer', { issuer: 'https://evil.example' }, 400, 'InvalidTokenException'],
        [
          'an expired token',
          { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeSeconds: 3600 },
          400,
          'ExpiredTokenException',
        ],
      ] as const
    ).map(([name, override, status, type]) => [name, status, type, override] as const),
  )('refuses %s with %i %s', async (_name, status, type, override) => {
    const error = await failure(ask(await keys.mintToken({ ...pod, ...override })));
    expect(error.name).toBe(type);
    expect(error.$metadata.httpStatusCode).toBe(status);
  });

  it('refuses a token signed by another key as InvalidTokenException', async () => {
    const other = await createClusterKeys();
    expect((await failure(ask(await other.mintToken(pod)))).name).toBe('InvalidTokenException');
  });

  it('refuses another cluster name with ResourceNotFoundException', async () => {
    expect((await failure(ask(await keys.mintToken(pod), client, 'other'))).name).toBe(
      'ResourceNotFoundException',
    );
  });

  it.each([
    ['a wrong secret key', { ...node, secretAccessKey: 'wrong' }, 'InvalidSignatureException'],
    [
      'an unknown access key',
      { ...node, accessKeyId: 'AKIAUNKNOWN000000000' },
      'UnrecognizedClientException',
    ],
  ])('refuses a request signed with %s (403 %s)', async (_name, credentials, type) => {
    const bad = new EksAuthClient({ region: 'us-east-1', endpoint: service.endpoint, credentials });
    const error = await failure(ask(await keys.mintToken(pod), bad));
    bad.destroy();
    expect(error.name).toBe(type);
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a request signed for another region', async () => {
    const bad = new EksAuthClient({ region: 'eu-west-1', endpoint: service.endpoint, credentials: node });
    const error = await failure(ask(await keys.mintToken(pod), bad));
    bad.destroy();
    expect(error.name).toBe('InvalidSignatureException');
  });

  it.each([
    ['throttle', 'ThrottlingException', 429],
    ['unavailable', 'ServiceUnavailableException', 503],
  ] as const)('answers fault %s with %s', async (fault, type, status) => {
    service.setFault(fault);
    const error = await failure(ask(await keys.mintToken(pod)));
    expect(error.name).toBe(type);
    expect(error.$metadata.httpStatusCode).toBe(status);
  });

  it('resets the connection when down', async () => {
    service.setFault('down');
    const error = (await ask(await keys.mintToken(pod)).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error.code).toBe('ECONNRESET');
  });

  it('delays answers by the injected latency', async () => {
    service.setLatency(150);
    const started = performance.now();
    await ask(await keys.mintToken(pod));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('the EKS Auth service minting locally', () => {
  it('invents STS-shaped credentials without any STS, expiring after the lifetime', async () => {
    const keys = await createClusterKeys({ alg: 'ES256' });
    const now = 1_790_000_000_000;
    const service = await startEksAuthService({
      jwks: keys.jwks,
      issuer: ISSUER,
      clusterName: 'bench',
      associations: [
        { namespace: 'default', serviceAccount: 's3-access-sa', roleArn: 'arn:aws:iam::123456789012:role/R' },
      ],
      nodeCredentials: node,
      lifetimeSeconds: 3600,
      clock: { now: () => now },
    });
    const client = new EksAuthClient({ region: 'us-east-1', endpoint: service.endpoint, credentials: node });
    try {
      const token = await keys.mintToken({ ...pod, now });
      const out = await client.send(new AssumeRoleForPodIdentityCommand({ clusterName: 'bench', token }));
      expect(out.credentials?.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(out.credentials?.expiration?.getTime()).toBe(now + 3_600_000);
      expect(out.assumedRoleUser?.arn).toMatch(
        /^arn:aws:sts::123456789012:assumed-role\/R\/eks-bench-s3-access-pod-/,
      );
      expect(service.calls).toEqual({ total: 1, success: 1 });
    } finally {
      client.destroy();
      await service.stop();
    }
  });

  it.each([
    [{ clusterName: 'bad name' }, 'clusterName'],
    [{ nodeCredentials: { accessKeyId: '', secretAccessKey: 'x' } }, 'nodeCredentials'],
    [{ mint: 'sts' }, 'stsEndpoint'],
    [{ lifetimeSeconds: 60 }, 'lifetimeSeconds'],
  ])('refuses the bad option %j, naming %s', async (override, name) => {
    const base = {
      jwks: { keys: [] },
      issuer: ISSUER,
      clusterName: 'c',
      associations: [],
      nodeCredentials: node,
    };
    await expect(startEksAuthService({ ...base, ...(override as object) })).rejects.toThrow(name);
  });
});
