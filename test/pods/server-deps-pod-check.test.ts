import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../agent/app.js';
import { createServerDeps } from '../../agent/server-deps.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import { needs } from '../../test-support/needs.js';
import { EPOCH } from '../fakes/fake-verifier.js';
import { captureLogger } from '../fakes/log-capture.js';
import { serverConfig } from '../fakes/server-config.js';

describe('createServerDeps with --pod-check', () => {
  let deps: Deps | undefined;
  afterEach(async () => {
    deps?.cache.close();
    await deps?.onClose?.();
  });

  async function build(extra: string[], kubernetes: { serviceHost?: string } = {}): Promise<Deps> {
    deps = await createServerDeps(serverConfig(extra), {
      logger: captureLogger().logger,
      clock: { now: () => EPOCH },
      credentials: async () => ({ accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret' }),
      kubernetes,
    });
    return deps;
  }

  const withCluster = needs(controlPlaneProblem(), 'the informer readiness test against kube-apiserver');
  it.skipIf(!withCluster)(
    'with informer, adds a readiness check that passes once the node pods are listed',
    async () => {
      const { kubeconfig } = await sharedControlPlane();
      const built = await build(['--pod-check', 'informer', '--node-name', 'n1', '--kubeconfig', kubeconfig]);
      const check = built.readiness?.[0];
      expect(check?.()).toBe('pods of this node not listed yet');
      const until = Date.now() + 10_000;
      while (check?.() !== undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(check?.()).toBeUndefined();
    },
    120_000,
  );

  it('with off, adds no pod readiness check (only the passing EKS Auth health) and never calls the API server', async () => {
    const checks = (await build(['--pod-check', 'off'])).readiness ?? [];
    expect(checks.map((check) => check())).toEqual([undefined]);
  });

  it('with tokenreview outside a cluster and without --kubeconfig, says which flag is missing', async () => {
    await expect(build(['--pod-check', 'tokenreview'])).rejects.toThrow(/--kubeconfig/);
  });
});
