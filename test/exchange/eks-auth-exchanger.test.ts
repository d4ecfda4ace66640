import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import type { Clock } from '../../agent/clock.js';
import { AgentError, ERROR_TABLE } from '../../agent/errors.js';
import {
  type AssumeRoleForPodIdentityCommand,
  type AssumeRoleForPodIdentityCommandOutput,
  EksAuthServiceException,
} from '../../agent/exchange/eks-auth-client.js';
import { classifyEksAuthError } from '../../agent/exchange/eks-auth-errors.js';
import { createEksAuthExchanger, type EksAuthSender } from '../../agent/exchange/eks-auth-exchanger.js';
import { fromEksAuthResponse, parseRoleArn } from '../../agent/exchange/eks-auth-response.js';
import { createMetrics } from '../../agent/metrics/metrics.js';

const EPOCH = 1_790_000_000_000;
const clock: Clock = { now: () => EPOCH };
const TOKEN = 'header.payload.signature';

const token: VerifiedToken = {
  token: TOKEN,
  tokenHash: 'f'.repeat(64),
  identity: {
    issuer: 'https://issuer.example',
    namespace: 'default',
    serviceAccount: 's3-access-sa',
    serviceAccountUid: 'sa-uid',
    podName: 's3-access-pod',
    podUid: 'pod-uid',
    tokenExpiresAt: EPOCH + 86_400_000,
  },
};

function answer(
  overrides: Partial<AssumeRoleForPodIdentityCommandOutput> = {},
): AssumeRoleForPodIdentityCommandOutput {
  return {
    subject: { namespace: 'default', serviceAccount: 's3-access-sa' },
    audience: 'pods.eks.amazonaws.com',
    podIdentityAssociation: {
      associationArn: 'arn:aws:eks:us-east-1:123456789012:podidentityassociation/demo/a-1',
      associationId: 'a-1',
    },
    assumedRoleUser: {
      arn: 'arn:aws:sts::123456789012:assumed-role/S3AccessRole/eks-demo-s3-access-pod-1',
      assumeRoleId: 'AROAEXAMPLE:eks-demo-s3-access-pod-1',
    },
    credentials: {
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      expiration: new Date(EPOCH + 6 * 3_600_000),
    },
    $metadata: { httpStatusCode: 200 },
    ...overrides,
  };
}

/** A hand-written EKS Auth client answering from a script; records what it was sent. */
class FakeEksAuth implements EksAuthSender {
  readonly sent: { clusterName: string; token: string; signal: AbortSignal | undefined }[] = [];
  constructor(private readonly script: (AssumeRoleForPodIdentityCommandOutput | Error)[]) {}
  async send(command: AssumeRoleForPodIdentityCommand, options?: { abortSignal?: AbortSignal }) {
    this.sent.push({ ...command.input, signal: options?.abortSignal });
    const next = this.script.shift() ?? new Error('script exhausted');
    if (next instanceof Error) throw next;
    return next;
  }
}

const service = (name: string, status: number) => new EksAuthServiceException(name, status, 'req-1');
const system = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

function setup(script: (AssumeRoleForPodIdentityCommandOutput | Error)[]) {
  const metrics = createMetrics(new Registry());
  const client = new FakeEksAuth(script);
  const warnings: object[] = [];
  const exchanger = createEksAuthExchanger({
    client,
    clusterName: 'demo',
    metrics,
    clock,
    retry: { sleep: async () => {}, random: () => 0 },
    logger: { warn: (obj) => void warnings.push(obj) },
  });
  const outcomes = async () =>
    Object.fromEntries(
      (await metrics.upstreamRequests.get()).values.map((v) => [
        `${v.labels.api}/${v.labels.outcome}`,
        v.value,
      ]),
    );
  return { client, exchanger, metrics, outcomes, warnings };
}

describe('createEksAuthExchanger', () => {
  it('sends the cluster name and raw token and returns the mapped credentials', async () => {
    const { client, exchanger, outcomes, metrics } = setup([answer()]);
    expect(exchanger.api).toBe('AssumeRoleForPodIdentity');
    const creds = await exchanger.exchange(token);
    expect(client.sent).toMatchObject([{ clusterName: 'demo', token: TOKEN }]);
    expect(client.sent[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(creds).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      accountId: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
      expiration: EPOCH + 6 * 3_600_000,
    });
    expect(await outcomes()).toEqual({ 'AssumeRoleForPodIdentity/success': 1 });
    expect(
      (await metrics.upstreamDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value,
    ).toBe(1);
  });

  it('retries a retryable failure and counts every attempt', async () => {
    const { client, exchanger, outcomes } = setup([
      service('ThrottlingException', 429),
      system('ECONNRESET'),
      answer(),
    ]);
    await expect(exchanger.exchange(token)).resolves.toMatchObject({ accessKeyId: 'ASIAEXAMPLE' });
    expect(client.sent).toHaveLength(3);
    expect(await outcomes()).toEqual({
      'AssumeRoleForPodIdentity/throttled': 1,
      'AssumeRoleForPodIdentity/unavailable': 1,
      'AssumeRoleForPodIdentity/success': 1,
    });
  });

  it('does not retry a denial and throws AccessDenied', async () => {
    const { client, exchanger, outcomes, warnings } = setup([
      service('AccessDeniedException', 400),
      answer(),
    ]);
    await expect(exchanger.exchange(token)).rejects.toMatchObject({ code: 'AccessDenied', retryable: false });
    expect(client.sent).toHaveLength(1);
    expect(await outcomes()).toEqual({ 'AssumeRoleForPodIdentity/denied': 1 });
    expect(JSON.stringify(warnings)).not.toContain(TOKEN);
    expect(warnings[0]).toMatchObject({ upstreamError: 'AccessDeniedException', code: 'AccessDenied' });
  });

  it.each([
    ['another service account', { namespace: 'default', serviceAccount: 'admin-sa' }],
    ['another namespace', { namespace: 'kube-system', serviceAccount: 's3-access-sa' }],
    ['no subject', undefined],
  ])('never returns credentials whose subject is %s', async (_, subject) => {
    const wrong = () => answer({ subject });
    const { exchanger, outcomes } = setup([wrong(), wrong(), wrong()]);
    const error = await exchanger.exchange(token).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UpstreamUnavailable', retryable: true });
    expect(await outcomes()).toEqual({ 'AssumeRoleForPodIdentity/error': 3 });
  });

  it('throws the last retryable error after three attempts', async () => {
    const failure = () => service('ServiceUnavailableException', 503);
    const { client, exchanger } = setup([failure(), failure(), failure(), answer()]);
    const error = await exchanger.exchange(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ code: 'UpstreamUnavailable', retryable: true, statusCode: 503 });
    expect(client.sent).toHaveLength(3);
  });

  it.each([
    ['no credentials', { credentials: undefined }],
    [
      'no access key',
      { credentials: { secretAccessKey: 's', sessionToken: 't', expiration: new Date(EPOCH + 1e7) } },
    ],
    ['an invalid expiration', { credentials: { ...answer().credentials, expiration: new Date(Number.NaN) } }],
    [
      'credentials already expired',
      { credentials: { ...answer().credentials, expiration: new Date(EPOCH - 1) } },
    ],
    ['a foreign ARN', { assumedRoleUser: { arn: 'arn:aws:iam::123456789012:user/bob', assumeRoleId: 'x' } }],
  ])(
    'treats an answer with %s as a retryable UpstreamUnavailable counted as error',
    async (_name, override) => {
      const { exchanger, outcomes } = setup([answer(override), answer(override), answer(override)]);
      await expect(exchanger.exchange(token)).rejects.toMatchObject({
        code: 'UpstreamUnavailable',
        retryable: true,
      });
      expect(await outcomes()).toEqual({ 'AssumeRoleForPodIdentity/error': 3 });
    },
  );

  it.each([
    [{ clusterName: 'not a name' }, 'clusterName'],
    [{ client: {} }, 'client'],
    [{ retry: { attempts: 0 } }, 'attempts'],
  ])('refuses the bad option %j, naming %s', (override, name) => {
    const base = {
      client: new FakeEksAuth([]),
      clusterName: 'demo',
      metrics: createMetrics(new Registry()),
      clock,
    };
    expect(() => createEksAuthExchanger({ ...base, ...(override as object) })).toThrow(name);
  });
});

describe('classifyEksAuthError', () => {
  it.each([
    ['AccessDenied', 403, 'AccessDenied', false, 'denied'],
    ['InvalidTokenException', 400, 'AccessDenied', false, 'denied'],
    ['ExpiredTokenException', 400, 'AccessDenied', false, 'denied'],
    ['InvalidParameterException', 400, 'AccessDenied', false, 'denied'],
    ['InvalidRequestException', 400, 'AccessDenied', false, 'denied'],
    ['ResourceNotFoundException', 404, 'AccessDenied', false, 'denied'],
    ['ThrottlingException', 429, 'Throttled', true, 'throttled'],
    ['SomethingNew', 429, 'Throttled', true, 'throttled'],
    ['InternalServerException', 500, 'UpstreamUnavailable', true, 'unavailable'],
    ['ServiceUnavailableException', 503, 'UpstreamUnavailable', true, 'unavailable'],
    ['SomethingNew', 502, 'UpstreamUnavailable', true, 'unavailable'],
  ])('maps %s (HTTP %i) to %s, retryable %s, outcome %s', (name, status, code, retryable, outcome) => {
    const result = classifyEksAuthError(service(name, status));
    expect(result.error).toMatchObject({ code, retryable });
    expect(result.outcome).toBe(outcome);
  });

  it.each([
    ['a timeout', new DOMException('timed out', 'TimeoutError')],
    ['an abort', new DOMException('aborted', 'AbortError')],
    ['connection refused', system('ECONNREFUSED')],
    ['connection reset', system('ECONNRESET')],
    ['DNS failure', system('ENOTFOUND')],
    ['DNS retry', system('EAI_AGAIN')],
  ])('maps %s to a retryable UpstreamUnavailable', (_name, error) => {
    expect(classifyEksAuthError(error).error).toMatchObject({ code: 'UpstreamUnavailable', retryable: true });
  });

  it.each<[string, Error, string, string, boolean, string]>([
    [
      'an unknown cluster (or region)',
      new EksAuthServiceException('ResourceNotFoundException', 404, 'r', 'cluster'),
      'cluster-not-found',
      'AccessDenied',
      false,
      "EKS Auth does not know this agent's cluster: check the agent's --cluster-name and --region.",
    ],
    [
      'missing node credentials',
      Object.assign(new Error('no creds'), { name: 'CredentialsProviderError' }),
      'node-credentials-missing',
      'UpstreamUnavailable',
      true,
      'The agent has no AWS credentials of its own to call EKS Auth (the node role).',
    ],
    [
      'refused node credentials (no eks-auth permission)',
      service('AccessDeniedException', 403),
      'node-credentials-refused',
      'AccessDenied',
      false,
      "EKS Auth refused the agent's own AWS credentials (the node role needs eks-auth:AssumeRoleForPodIdentity).",
    ],
    [
      'refused node credentials (unknown key)',
      service('UnrecognizedClientException', 403),
      'node-credentials-refused',
      'AccessDenied',
      false,
      "EKS Auth refused the agent's own AWS credentials (the node role needs eks-auth:AssumeRoleForPodIdentity).",
    ],
    [
      'a service account without association',
      new EksAuthServiceException('ResourceNotFoundException', 404, 'r', 'association'),
      'no-association',
      'AccessDenied',
      false,
      'No Pod Identity association in EKS for this service account.',
    ],
  ])(
    'tells %s apart: reason %s, code %s, retryable %s',
    (_what, thrown, reason, code, retryable, message) => {
      const result = classifyEksAuthError(thrown);
      expect(result.reason).toBe(reason);
      expect(result.error).toMatchObject({ code, retryable, message });
    },
  );

  it('maps an unknown error to a non-retryable UpstreamUnavailable counted as error', () => {
    const result = classifyEksAuthError(new TypeError('bug'));
    expect(result.error).toMatchObject({ code: 'UpstreamUnavailable', retryable: false });
    expect(result.outcome).toBe('error');
  });

  it('keeps the upstream error as the cause and a fixed message', () => {
    const upstream = service('InvalidTokenException', 400);
    const { error } = classifyEksAuthError(upstream);
    expect(error.cause).toBe(upstream);
    expect(error.message).toBe(ERROR_TABLE.AccessDenied.message);
  });
});

describe('fromEksAuthResponse and parseRoleArn', () => {
  it.each([
    [
      'arn:aws:sts::123456789012:assumed-role/S3AccessRole/eks-s',
      '123456789012',
      'arn:aws:iam::123456789012:role/S3AccessRole',
    ],
    ['arn:aws-cn:sts::210987654321:assumed-role/R/s', '210987654321', 'arn:aws-cn:iam::210987654321:role/R'],
    ['arn:aws:iam::123456789012:role/path/to/R', '123456789012', 'arn:aws:iam::123456789012:role/path/to/R'],
  ])('reads %s as account %s and role %s', (arn, accountId, roleArn) => {
    expect(parseRoleArn(arn)).toEqual({ accountId, roleArn });
  });

  it.each(['arn:aws:iam::123456789012:user/bob', 'arn:aws:sts::12345:assumed-role/R/s', 'nonsense'])(
    'rejects %s',
    (arn) => {
      expect(parseRoleArn(arn)).toBeUndefined();
    },
  );

  it('maps the SDK shape to RoleCredentials with epoch-millisecond expiry', () => {
    expect(fromEksAuthResponse(answer()).expiration).toBe(EPOCH + 6 * 3_600_000);
  });
});
