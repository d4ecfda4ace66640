import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VerifiedToken } from '../../agent/auth/token-verifier.js';
import type { CredentialExchanger } from '../../agent/exchange/credential-exchanger.js';
import { EksAuthClient } from '../../agent/exchange/eks-auth-client.js';
import { createEksAuthExchanger } from '../../agent/exchange/eks-auth-exchanger.js';
import { createUpstreamHealth } from '../../agent/exchange/upstream-health.js';
import { createMetrics, type Metrics } from '../../agent/metrics/metrics.js';
import { type ClusterKeys, createClusterKeys } from '../../test-support/cluster-keys.js';
import { type EksAuthService, startEksAuthService } from '../../test-support/eks-auth-service.js';

const ISSUER = 'https://issuer.example';
const node = { accessKeyId: 'AKIANODEEXAMPLE00001', secretAccessKey: 'node-secret' };

describe('the EKS Auth exchanger against the EKS Auth test service', () => {
  let keys: ClusterKeys;
  let service: EksAuthService;
  let client: EksAuthClient;
  let metrics: Metrics;
  let exchanger: CredentialExchanger;

  beforeAll(async () => {
    keys = await createClusterKeys();
    service = await startEksAuthService({
      jwks: keys.jwks,
      issuer: ISSUER,
      clusterName: 'demo',
      associations: [
        {
          namespace: 'default',
          serviceAccount: 's3-access-sa',
          roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
        },
      ],
      nodeCredentials: node,
      mint: 'local',
    });
    client = new EksAuthClient({ region: 'us-east-1', endpoint: service.endpoint, credentials: node });
  });
  afterAll(async () => {
    client?.destroy();
    await service?.stop();
  });
  afterEach(() => {
    service.setFault('none');
    service.setLatency(0);
  });

  function fresh(maxAttemptTimeoutMs = 200): void {
    metrics = createMetrics(new Registry());
    exchanger = createEksAuthExchanger({
      client,
      clusterName: 'demo',
      metrics,
      clock: { now: () => Date.now() },
      retry: { baseDelayMs: 1, perAttemptTimeoutMs: 200, maxAttemptTimeoutMs },
    });
  }

  async function verified(serviceAccount = 's3-access-sa'): Promise<VerifiedToken> {
    const token = await keys.mintToken({
      issuer: ISSUER,
      audience: 'pods.eks.amazonaws.com',
      namespace: 'default',
      serviceAccount,
      podName: 's3-access-pod',
    });
    return {
      token,
      tokenHash: createHash('sha256').update(token).digest('hex'),
      identity: {
        issuer: ISSUER,
        namespace: 'default',
        serviceAccount,
        serviceAccountUid: 'sa',
        podName: 's3-access-pod',
        podUid: 'pod',
        tokenExpiresAt: Date.now() + 86_400_000,
      },
    };
  }

  async function outcomes(): Promise<Record<string, number>> {
    const values = (await metrics.upstreamRequests.get()).values;
    return Object.fromEntries(values.map((v) => [String(v.labels.outcome), v.value]));
  }

  it('exchanges a pod token for role credentials in one call', async () => {
    fresh();
    const before = service.calls.total;
    const creds = await exchanger.exchange(await verified());
    expect(creds).toMatchObject({
      accountId: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/S3AccessRole',
    });
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(service.calls.total - before).toBe(1);
    expect(await outcomes()).toEqual({ success: 1 });
  });

  it('maps an unassociated service account to a non-retryable AccessDenied saying so, after one call', async () => {
    fresh();
    const before = service.calls.total;
    await expect(exchanger.exchange(await verified('nobody'))).rejects.toMatchObject({
      code: 'AccessDenied',
      retryable: false,
      message: 'No Pod Identity association in EKS for this service account.',
    });
    expect(service.calls.total - before).toBe(1);
  });

  it.each([
    ['an unknown cluster name', 'other', node, 'cluster-not-found'],
    ['refused node credentials', 'demo', { ...node, secretAccessKey: 'wrong' }, 'node-credentials-refused'],
  ])(
    'tells %s apart in the log, readiness and the gauge; a success clears it',
    async (_what, clusterName, credentials, reason) => {
      const warnings: Record<string, unknown>[] = [];
      const registry = new Registry();
      const m = createMetrics(registry);
      const health = createUpstreamHealth(m.upstreamProblem);
      const own = new EksAuthClient({ region: 'us-east-1', endpoint: service.endpoint, credentials });
      try {
        const failing = createEksAuthExchanger({
          client: own,
          clusterName,
          metrics: m,
          clock: { now: () => Date.now() },
          retry: { baseDelayMs: 1, perAttemptTimeoutMs: 200 },
          logger: { warn: (obj: object) => void warnings.push(obj as Record<string, unknown>) },
          health,
        });
        await expect(failing.exchange(await verified())).rejects.toMatchObject({
          code: 'AccessDenied',
          retryable: false,
        });
        expect(warnings).toEqual([expect.objectContaining({ reason })]);
        expect(health.notReadyReason()).toBeDefined();
        const gauge = (await m.upstreamProblem.get()).values.find((v) => v.labels.reason === reason);
        expect(gauge?.value).toBe(1);
        const working = createEksAuthExchanger({
          client,
          clusterName: 'demo',
          metrics: m,
          clock: { now: () => Date.now() },
          health,
        });
        await working.exchange(await verified());
        expect(health.notReadyReason()).toBeUndefined();
      } finally {
        own.destroy();
      }
    },
  );

  it.each([
    ['throttle', 'Throttled', 'throttled'],
    ['unavailable', 'UpstreamUnavailable', 'unavailable'],
    ['down', 'UpstreamUnavailable', 'unavailable'],
  ] as const)('retries fault %s three times, then throws %s', async (fault, code, outcome) => {
    fresh();
    service.setFault(fault);
    const before = service.calls.total;
    await expect(exchanger.exchange(await verified())).rejects.toMatchObject({ code, retryable: true });
    expect(service.calls.total - before).toBe(3);
    expect(await outcomes()).toEqual({ [outcome]: 3 });
  });

  it('gives up on a slow upstream at the per-attempt deadline', async () => {
    fresh();
    service.setLatency(1000);
    const started = performance.now();
    await expect(exchanger.exchange(await verified())).rejects.toMatchObject({ code: 'UpstreamUnavailable' });
    expect(performance.now() - started).toBeLessThan(900);
    expect(await outcomes()).toEqual({ unavailable: 3 });
  });

  it('gives each retry a longer deadline: an upstream slower than the first attempt is served by the second', async () => {
    // Deadlines 200 ms, then 600 ms: an upstream answering in 400 ms fails the first and serves the second.
    fresh(5000);
    service.setLatency(400);
    await expect(exchanger.exchange(await verified())).resolves.toMatchObject({
      accessKeyId: expect.any(String),
    });
    expect(await outcomes()).toEqual({ unavailable: 1, success: 1 });
  });
});
