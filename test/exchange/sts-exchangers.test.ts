import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Association } from '../../agent/associations/association.js';
import { createAssociationIndex } from '../../agent/associations/association-index.js';
import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import { AgentError } from '../../agent/errors.js';
import type { RoleCredentials } from '../../agent/exchange/credential-exchanger.js';
import { createStsAssumeRoleExchanger } from '../../agent/exchange/sts-assume-role.js';
import { createStsWebIdentityExchanger } from '../../agent/exchange/sts-web-identity.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';
import { EPOCH, FakeSts, type StsCall } from './sts-fakes.js';

const ROLE = 'arn:aws:iam::123456789012:role/S3AccessRole';
const TARGET = 'arn:aws:iam::210987654321:role/CrossAccountRole';
const clock = { now: () => EPOCH };

const token: VerifiedToken = {
  token: 'header.payload.signature',
  tokenHash: 'ab'.repeat(32),
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

function setup(kind: 'assume' | 'web', associations: Association[], failures: unknown[] = []) {
  const calls: StsCall[] = [];
  const sts = new FakeSts('agent', calls, failures);
  const chained: FakeSts[] = [];
  const metrics = createMetrics(new Registry());
  const common = {
    sts,
    createChainedSts: (c: RoleCredentials) => {
      const fake = new FakeSts(c.accessKeyId, calls, failures);
      chained.push(fake);
      return fake;
    },
    associations: createAssociationIndex(associations),
    clusterName: 'demo',
    metrics,
    clock,
    random: () => 'r4nd0m',
    retry: { sleep: async () => {} },
  };
  const exchanger =
    kind === 'assume'
      ? createStsAssumeRoleExchanger({
          ...common,
          clusterArn: 'arn:aws:eks:us-east-1:123456789012:cluster/demo',
        })
      : createStsWebIdentityExchanger(common);
  return { exchanger, calls, chained, metrics };
}

async function upstream(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.upstreamRequests.get();
  return Object.fromEntries(values.map((v) => [`${v.labels.api}:${v.labels.outcome}`, v.value]));
}

const assoc = (extra: Partial<Association> = {}): Association => ({
  namespace: 'default',
  serviceAccount: 's3-access-sa',
  roleArn: ROLE,
  ...extra,
});

describe('createStsAssumeRoleExchanger', () => {
  it('assumes the associated role with the session name and the six transitive standard tags', async () => {
    const { exchanger, calls, metrics } = setup('assume', [assoc()]);
    const credentials = await exchanger.exchange(token);
    expect(credentials).toEqual({
      accessKeyId: 'ASIAS3ACCESSROLE',
      secretAccessKey: 'secret-of-S3AccessRole',
      sessionToken: 'token-of-S3AccessRole',
      accountId: '123456789012',
      roleArn: ROLE,
      expiration: EPOCH + 3_600_000,
    });
    expect(calls).toEqual([
      {
        op: 'AssumeRole',
        signer: 'agent',
        input: {
          RoleArn: ROLE,
          RoleSessionName: 'eks-demo-app-7d4b9-r4nd0m',
          Tags: [
            { Key: 'eks-cluster-name', Value: 'demo' },
            { Key: 'eks-cluster-arn', Value: 'arn:aws:eks:us-east-1:123456789012:cluster/demo' },
            { Key: 'kubernetes-namespace', Value: 'default' },
            { Key: 'kubernetes-service-account', Value: 's3-access-sa' },
            { Key: 'kubernetes-pod-name', Value: 'app-7d4b9' },
            { Key: 'kubernetes-pod-uid', Value: 'pod-uid-1' },
          ],
          TransitiveTagKeys: [
            'eks-cluster-name',
            'eks-cluster-arn',
            'kubernetes-namespace',
            'kubernetes-service-account',
            'kubernetes-pod-name',
            'kubernetes-pod-uid',
          ],
        },
      },
    ]);
    expect(await upstream(metrics)).toEqual({ 'AssumeRole:success': 1 });
  });

  it('adds custom tags, the duration and the session policy', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    };
    const { exchanger, calls } = setup('assume', [
      assoc({ sessionTags: { team: 'storage' }, durationSeconds: 7200, sessionPolicy: policy }),
    ]);
    await exchanger.exchange(token);
    const input = calls[0]?.input as unknown as Record<string, unknown>;
    expect(input.Tags).toContainEqual({ Key: 'team', Value: 'storage' });
    expect(input.TransitiveTagKeys).toContain('team');
    expect(input.DurationSeconds).toBe(7200);
    expect(JSON.parse(input.Policy as string)).toEqual(policy);
  });

  it('sends no tags when the association disables them', async () => {
    const { exchanger, calls } = setup('assume', [
      assoc({ disableSessionTags: true, sessionTags: { a: 'b' } }),
    ]);
    await exchanger.exchange(token);
    expect(calls[0]?.input).not.toHaveProperty('Tags');
    expect(calls[0]?.input).not.toHaveProperty('TransitiveTagKeys');
  });

  it('chains into the target role with the first session, capping the duration at one hour', async () => {
    const policy = { Version: '2012-10-17', Statement: [] };
    const { exchanger, calls, chained } = setup('assume', [
      assoc({ targetRoleArn: TARGET, durationSeconds: 7200, sessionPolicy: policy }),
    ]);
    const credentials = await exchanger.exchange(token);
    expect(credentials).toMatchObject({
      accountId: '210987654321',
      roleArn: TARGET,
      accessKeyId: 'ASIACROSSACCOUNTROLE',
    });
    expect(calls.map((c) => [c.op, c.signer, c.input.RoleArn])).toEqual([
      ['AssumeRole', 'agent', ROLE],
      ['AssumeRole', 'ASIAS3ACCESSROLE', TARGET],
    ]);
    expect(calls[0]?.input).toMatchObject({ DurationSeconds: 900 });
    expect(calls[0]?.input).not.toHaveProperty('Policy');
    expect(calls[1]?.input).toEqual({
      RoleArn: TARGET,
      RoleSessionName: 'eks-demo-app-7d4b9-r4nd0m',
      DurationSeconds: 3600,
      Policy: JSON.stringify(policy),
    });
    expect(chained.map((c) => c.destroyed)).toEqual([1]);
  });

  it('fails with NoAssociation before any STS call', async () => {
    const { exchanger, calls, metrics } = setup('assume', [assoc({ serviceAccount: 'someone-else' })]);
    await expect(exchanger.exchange(token)).rejects.toMatchObject({ code: 'NoAssociation' });
    expect(calls).toEqual([]);
    expect(await upstream(metrics)).toEqual({});
  });

  it('uses a "*" association when there is no exact one', async () => {
    const { exchanger, calls } = setup('assume', [assoc({ serviceAccount: '*', roleArn: TARGET })]);
    await exchanger.exchange(token);
    expect(calls[0]?.input.RoleArn).toBe(TARGET);
  });

  const sdkError = (name: string, status?: number, fault: 'client' | 'server' = 'client') =>
    Object.assign(new Error('upstream text that must not leak'), {
      name,
      $fault: fault,
      $metadata: status === undefined ? {} : { httpStatusCode: status },
    });
  const networkError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  type Failure = readonly [
    what: string,
    failure: unknown,
    code: string,
    retryable: boolean,
    attempts: number,
  ];
  // Listed what, failure, code, retryable, attempts; the title names all but the failure object.
  it.each(
    (<Failure[]>[
      ['AccessDenied', sdkError('AccessDenied', 403), 'AccessDenied', false, 1],
      ['InvalidIdentityToken', sdkError('InvalidIdentityTokenException', 400), 'AccessDenied', false, 1],
      ['ExpiredToken', sdkError('ExpiredTokenException', 400), 'AccessDenied', false, 1],
      ['IDPRejectedClaim', sdkError('IDPRejectedClaimException', 403), 'AccessDenied', false, 1],
      [
        'MalformedPolicyDocument',
        sdkError('MalformedPolicyDocumentException', 400),
        'AccessDenied',
        false,
        1,
      ],
      ['PackedPolicyTooLarge', sdkError('PackedPolicyTooLargeException', 400), 'AccessDenied', false, 1],
      ['RegionDisabled', sdkError('RegionDisabledException', 403), 'AccessDenied', false, 1],
      ['Throttling', sdkError('Throttling', 400), 'Throttled', true, 3],
      ['an HTTP 429', sdkError('SomethingNew', 429), 'Throttled', true, 3],
      [
        'IDPCommunicationError',
        sdkError('IDPCommunicationErrorException', 400),
        'UpstreamUnavailable',
        true,
        3,
      ],
      ['an HTTP 500', sdkError('InternalFailure', 500, 'server'), 'UpstreamUnavailable', true, 3],
      ['an HTTP 503', sdkError('ServiceUnavailable', 503, 'server'), 'UpstreamUnavailable', true, 3],
      ['a refused connection', networkError('ECONNREFUSED'), 'UpstreamUnavailable', true, 3],
      [
        'a timeout',
        Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
        'UpstreamUnavailable',
        true,
        3,
      ],
      ['missing agent credentials', sdkError('CredentialsProviderError'), 'UpstreamUnavailable', true, 3],
    ]).map(
      ([what, failure, code, retryable, attempts]) => [what, code, retryable, attempts, failure] as const,
    ),
  )('maps %s to %s (retryable: %s, attempts: %i)', async (_what, code, retryable, attempts, failure) => {
    const { exchanger, calls } = setup('assume', [assoc()], [failure, failure, failure]);
    const error = await exchanger.exchange(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code, retryable });
    expect((error as Error).message).not.toContain('upstream text');
    expect(calls).toHaveLength(attempts);
  });

  it('retries a throttled call and succeeds, counting both attempts', async () => {
    const { exchanger, metrics } = setup('assume', [assoc()], [sdkError('Throttling', 400)]);
    await expect(exchanger.exchange(token)).resolves.toMatchObject({ roleArn: ROLE });
    expect(await upstream(metrics)).toEqual({ 'AssumeRole:throttled': 1, 'AssumeRole:success': 1 });
  });

  it('treats an answer without credentials as unavailable', async () => {
    const { exchanger } = setup('assume', [assoc()]);
    const broken = createStsAssumeRoleExchanger({
      sts: { ...new FakeSts(), assumeRole: async () => ({ $metadata: {} }) } as unknown as FakeSts,
      createChainedSts: () => new FakeSts(),
      associations: createAssociationIndex([assoc()]),
      clusterName: 'demo',
      metrics: createMetrics(new Registry()),
      clock,
    });
    expect(exchanger.api).toBe('AssumeRole');
    await expect(broken.exchange(token)).rejects.toMatchObject({
      code: 'UpstreamUnavailable',
      retryable: true,
    });
  });
});

describe('createStsWebIdentityExchanger', () => {
  it('sends the pod token to AssumeRoleWithWebIdentity with the session name, duration and policy', async () => {
    const policy = { Version: '2012-10-17', Statement: [] };
    const { exchanger, calls, metrics } = setup('web', [
      assoc({ durationSeconds: 1800, sessionPolicy: policy }),
    ]);
    expect(exchanger.api).toBe('AssumeRoleWithWebIdentity');
    await expect(exchanger.exchange(token)).resolves.toMatchObject({
      roleArn: ROLE,
      accountId: '123456789012',
    });
    expect(calls).toEqual([
      {
        op: 'AssumeRoleWithWebIdentity',
        signer: 'agent',
        input: {
          RoleArn: ROLE,
          RoleSessionName: 'eks-demo-app-7d4b9-r4nd0m',
          WebIdentityToken: 'header.payload.signature',
          DurationSeconds: 1800,
          Policy: JSON.stringify(policy),
        },
      },
    ]);
    expect(await upstream(metrics)).toEqual({ 'AssumeRoleWithWebIdentity:success': 1 });
  });

  it('chains into the target role with AssumeRole signed by the first session', async () => {
    const { exchanger, calls } = setup('web', [assoc({ targetRoleArn: TARGET })]);
    await expect(exchanger.exchange(token)).resolves.toMatchObject({ roleArn: TARGET });
    expect(calls.map((c) => [c.op, c.signer])).toEqual([
      ['AssumeRoleWithWebIdentity', 'agent'],
      ['AssumeRole', 'ASIAS3ACCESSROLE'],
    ]);
    expect(calls[1]?.input).toMatchObject({ DurationSeconds: 3600 });
  });

  it('fails with NoAssociation before any STS call', async () => {
    const { exchanger, calls } = setup('web', []);
    await expect(exchanger.exchange(token)).rejects.toMatchObject({ code: 'NoAssociation' });
    expect(calls).toEqual([]);
  });
});
