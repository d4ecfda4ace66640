import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createUpstreamHealth } from '../../agent/exchange/upstream-health.js';
import { createMetrics } from '../../agent/metrics/metrics.js';

async function gauge(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('pod_identity_upstream_problem')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.reason), v.value]));
}

describe('createUpstreamHealth', () => {
  it('is ready and publishes every reason at 0 before any answer', async () => {
    const metrics = createMetrics(new Registry());
    const health = createUpstreamHealth(metrics.upstreamProblem);
    expect(health.notReadyReason()).toBeUndefined();
    expect(await gauge(metrics.registry)).toEqual({
      'cluster-not-found': 0,
      'node-credentials-missing': 0,
      'node-credentials-refused': 0,
    });
  });

  it('shows the last node-wide problem in readiness and the gauge until a success clears it', async () => {
    const metrics = createMetrics(new Registry());
    const health = createUpstreamHealth(metrics.upstreamProblem);
    health.report('cluster-not-found');
    expect(health.notReadyReason()).toBe(
      'EKS Auth does not know this cluster: check --cluster-name and --region',
    );
    expect((await gauge(metrics.registry))['cluster-not-found']).toBe(1);
    health.report('node-credentials-refused');
    expect(health.notReadyReason()).toContain('eks-auth:AssumeRoleForPodIdentity');
    expect(await gauge(metrics.registry)).toMatchObject({
      'cluster-not-found': 0,
      'node-credentials-refused': 1,
    });
    health.report(undefined);
    expect(health.notReadyReason()).toBeUndefined();
    expect(Object.values(await gauge(metrics.registry))).toEqual([0, 0, 0]);
  });
});
