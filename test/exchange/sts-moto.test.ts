import { execFile } from 'node:child_process';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Association } from '../../agent/associations/association.js';
import { createAssociationIndex } from '../../agent/associations/association-index.js';
import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import { parseConfig, type ServerConfig } from '../../agent/config/parse-config.js';
import { createExchanger, type OwnedExchanger } from '../../agent/exchange/create-exchanger.js';
import type { RoleCredentials } from '../../agent/exchange/credential-exchanger.js';
import { createMetrics } from '../../agent/metrics/metrics.js';
import {
  type MotoServer,
  type MotoSetup,
  motoProblem,
  setupActionCount,
  setupMoto,
  startMoto,
} from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { type RecordingProxy, startRecordingProxy } from '../../test-support/recording-proxy.js';

const withMoto = needs(await motoProblem(), 'the STS exchanges against moto');

const EPOCH = 1_790_000_000_000;
const REGION = 'us-east-1';
const CLUSTER_ARN = 'arn:aws:eks:us-east-1:123456789012:cluster/demo';
const SPEC = {
  roles: [
    { name: 'S3AccessRole', buckets: ['my-bucket'] },
    { name: 'Intermediate', buckets: [] },
    { name: 'CrossAccountRole', buckets: ['my-bucket'] },
  ],
  buckets: ['my-bucket', 'other-bucket'],
};

const token: VerifiedToken = {
  token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
  tokenHash: 'cd'.repeat(32),
  identity: {
    issuer: 'https://issuer.example',
    namespace: 'default',
    serviceAccount: 's3-access-sa',
    serviceAccountUid: 'sa-uid',
    podName: 'app-7d4b9',
    podUid: 'pod-uid-1',
    tokenExpiresAt: EPOCH + 86_400_000,
  },
};

/** Runs boto3 code with the admin key (authenticated calls, so they do not use up moto's set-up count). */
function asAdmin(endpoint: string, setup: MotoSetup, code: string): Promise<void> {
  const script = `import boto3, json\niam = boto3.client('iam', endpoint_url='${endpoint}', region_name='${REGION}', aws_access_key_id='${setup.accessKeyId}', aws_secret_access_key='${setup.secretAccessKey}')\n${code}`;
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script], { timeout: 30_000 }, (error, _out, stderr) =>
      error ? reject(new Error(stderr)) : resolve(),
    );
  });
}

function config(exchange: string, stsEndpoint: string): ServerConfig {
  return parseConfig(
    [
      'server',
      ...['--exchange', exchange, '--cluster-name', 'demo', '--region', REGION],
      ...['--sts-endpoint', stsEndpoint, '--allow-plain-http', '--cluster-arn', CLUSTER_ARN],
      ...['--associations', 'unused.yaml'],
      ...['--issuer', 'https://issuer.example', '--jwks-file', 'unused.json'],
    ],
    {},
  ) as ServerConfig;
}

describe.skipIf(!withMoto)('STS exchanges against moto with IAM enforced', () => {
  let moto: MotoServer;
  let proxy: RecordingProxy;
  let setup: MotoSetup;
  const owned: OwnedExchanger[] = [];

  beforeAll(async () => {
    moto = await startMoto({ authActions: setupActionCount(SPEC) });
    setup = await setupMoto(moto.endpoint, SPEC);
    // Chaining: the intermediate role may assume others; moto matches trust principals exactly, and the
    // chained caller is a session ARN with a random name, so the target trusts any AWS principal here.
    await asAdmin(
      moto.endpoint,
      setup,
      `iam.put_role_policy(RoleName='Intermediate', PolicyName='chain', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Resource': '*'}]}))
iam.update_assume_role_policy(RoleName='CrossAccountRole', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': '*'}, 'Action': 'sts:AssumeRole'}]}))`,
    );
    proxy = await startRecordingProxy(moto.endpoint, {
      webIdentity: {
        verify: (t) => t === token.token,
        signer: { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey, region: REGION },
      },
    });
  });
  afterAll(async () => {
    for (const exchanger of owned) exchanger.close();
    await proxy?.close();
    await moto?.stop();
  });

  function exchangerFor(exchange: string, associations: Association[]): OwnedExchanger {
    const exchanger = createExchanger(config(exchange, proxy.endpoint), {
      metrics: createMetrics(new Registry()),
      clock: { now: () => EPOCH },
      associations: createAssociationIndex(associations),
      credentials: async () => ({ accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey }),
    });
    owned.push(exchanger);
    return exchanger;
  }

  const sdkCredentials = (c: RoleCredentials) => ({
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
    expiration: new Date(c.expiration),
  });
  const s3 = (c: RoleCredentials) =>
    new S3Client({
      region: REGION,
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: sdkCredentials(c),
    });
  const put = (c: RoleCredentials, bucket: string) =>
    s3(c).send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hi' }));

  async function expectBucketAccess(credentials: RoleCredentials): Promise<void> {
    await expect(put(credentials, 'my-bucket')).resolves.toBeDefined();
    await expect(
      s3(credentials).send(new GetObjectCommand({ Bucket: 'my-bucket', Key: 'hello.txt' })),
    ).resolves.toBeDefined();
    await expect(put(credentials, 'other-bucket')).rejects.toMatchObject({ name: 'AccessDenied' });
  }

  async function callerArn(credentials: RoleCredentials): Promise<string | undefined> {
    const sts = new STSClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: sdkCredentials(credentials),
    });
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  }

  const association = (extra: Partial<Association> = {}): Association => ({
    namespace: 'default',
    serviceAccount: 's3-access-sa',
    roleArn: setup.roles.S3AccessRole as string,
    ...extra,
  });

  it('sts-assume-role serves credentials that reach the allowed bucket only, with the contract session name', async () => {
    const credentials = await exchangerFor('sts-assume-role', [association()]).exchange(token);
    expect(credentials).toMatchObject({ accountId: setup.accountId, roleArn: setup.roles.S3AccessRole });
    expect(credentials.expiration).toBeGreaterThan(Date.now());
    await expectBucketAccess(credentials);
    expect(await callerArn(credentials)).toMatch(
      new RegExp(
        `^arn:aws:sts::${setup.accountId}:assumed-role/S3AccessRole/eks-demo-app-7d4b9-[0-9a-f]{12}$`,
      ),
    );
  });

  it('sts-assume-role sends the six transitive tags, custom tags, duration and session policy to STS', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::my-bucket/*' }],
    };
    const before = proxy.byAction('AssumeRole').length;
    await exchangerFor('sts-assume-role', [
      association({ sessionTags: { team: 'storage' }, sessionPolicy: policy, durationSeconds: 1800 }),
    ]).exchange(token);
    const sent = proxy.byAction('AssumeRole').slice(before);
    expect(sent).toHaveLength(1);
    const params = sent[0]?.params ?? {};
    const tags = Object.fromEntries(
      [1, 2, 3, 4, 5, 6, 7].map((i) => [params[`Tags.member.${i}.Key`], params[`Tags.member.${i}.Value`]]),
    );
    expect(tags).toEqual({
      'eks-cluster-name': 'demo',
      'eks-cluster-arn': CLUSTER_ARN,
      'kubernetes-namespace': 'default',
      'kubernetes-service-account': 's3-access-sa',
      'kubernetes-pod-name': 'app-7d4b9',
      'kubernetes-pod-uid': 'pod-uid-1',
      team: 'storage',
    });
    const transitive = Object.keys(params).filter((k) => k.startsWith('TransitiveTagKeys.member.'));
    expect(transitive.map((k) => params[k]).sort()).toEqual(Object.keys(tags).sort());
    expect(JSON.parse(params.Policy ?? '')).toEqual(policy);
    expect(params.DurationSeconds).toBe('1800');
    expect(sent[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIA/);
  });

  it('sts-assume-role chains into targetRoleArn', async () => {
    const credentials = await exchangerFor('sts-assume-role', [
      association({
        roleArn: setup.roles.Intermediate as string,
        targetRoleArn: setup.roles.CrossAccountRole as string,
      }),
    ]).exchange(token);
    expect(credentials.roleArn).toBe(setup.roles.CrossAccountRole);
    await expectBucketAccess(credentials);
    expect(await callerArn(credentials)).toMatch(/:assumed-role\/CrossAccountRole\/eks-demo-app-7d4b9-/);
  });

  it('sts-web-identity sends the pod token unsigned and serves credentials for the allowed bucket only', async () => {
    const before = proxy.byAction('AssumeRoleWithWebIdentity').length;
    const credentials = await exchangerFor('sts-web-identity', [association()]).exchange(token);
    await expectBucketAccess(credentials);
    expect(await callerArn(credentials)).toMatch(
      /:assumed-role\/S3AccessRole\/eks-demo-app-7d4b9-[0-9a-f]{12}$/,
    );
    const sent = proxy.byAction('AssumeRoleWithWebIdentity').slice(before);
    expect(sent[0]?.params.WebIdentityToken).toBe(token.token);
    expect(sent[0]?.headers.authorization).toBeUndefined();
  });

  it('sts-web-identity chains into targetRoleArn', async () => {
    const credentials = await exchangerFor('sts-web-identity', [
      association({
        roleArn: setup.roles.Intermediate as string,
        targetRoleArn: setup.roles.CrossAccountRole as string,
      }),
    ]).exchange(token);
    expect(credentials.roleArn).toBe(setup.roles.CrossAccountRole);
    await expectBucketAccess(credentials);
  });

  it('sts-web-identity maps a token STS rejects to AccessDenied', async () => {
    const exchanger = exchangerFor('sts-web-identity', [association()]);
    const error = await exchanger
      .exchange({ ...token, token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ5In0.b3RoZXI' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AccessDenied', retryable: false });
  });

  it('makes no STS call for a service account without association', async () => {
    const before = proxy.requests.length;
    const exchanger = exchangerFor('sts-assume-role', [association({ serviceAccount: 'other' })]);
    await expect(exchanger.exchange(token)).rejects.toMatchObject({ code: 'NoAssociation' });
    expect(proxy.requests.length).toBe(before);
  });

  it('maps a role the agent may not assume to AccessDenied', async () => {
    const exchanger = createExchanger(config('sts-assume-role', proxy.endpoint), {
      metrics: createMetrics(new Registry()),
      clock: { now: () => EPOCH },
      associations: createAssociationIndex([association()]),
      credentials: async () => ({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'nope' }),
    });
    owned.push(exchanger);
    await expect(exchanger.exchange(token)).rejects.toMatchObject({ code: 'AccessDenied', retryable: false });
  });

  it('maps an unreachable STS to a retryable UpstreamUnavailable', async () => {
    const exchanger = createExchanger(config('sts-assume-role', 'http://127.0.0.1:9'), {
      metrics: createMetrics(new Registry()),
      clock: { now: () => EPOCH },
      associations: createAssociationIndex([association()]),
      credentials: async () => ({ accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey }),
      retry: { baseDelayMs: 1 },
    });
    owned.push(exchanger);
    await expect(exchanger.exchange(token)).rejects.toMatchObject({
      code: 'UpstreamUnavailable',
      retryable: true,
    });
  });
});
