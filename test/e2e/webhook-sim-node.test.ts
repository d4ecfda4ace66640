/**
 * The webhook end to end in the simulated node: the seed's example pod is mutated exactly as
 * the webhook answers it, a simulated kubelet turns the patched spec into the token file and the
 * environment, and boto3 in the pod's own network namespace gets credentials from the agent at the
 * link-local address it was given, then writes to S3. The pod, its node and its token (TokenRequest
 * API) are real objects of kube-apiserver. Needs root for `ip netns`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAssociationIndex } from '../../agent/associations/association-index.js';
import { mutatePod } from '../../agent/webhook/mutate-pod.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import { applyJsonPatch } from '../../test-support/json-patch.js';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { namespaceProblem } from '../../test-support/netns.js';
import { boto3Put } from '../../test-support/pod-clients.js';
import { type SimNode, startSimNode } from '../../test-support/sim-node.js';
import { CREDENTIALS_URI, type Family, type SimPod } from '../../test-support/sim-pod.js';
import { materializeContainer } from '../../test-support/simulated-kubelet.js';

const enabled = needs(
  namespaceProblem() ?? (await motoProblem()) ?? controlPlaneProblem(),
  'the webhook-injected pod in a simulated node',
);

/** The seed's example pod, as a user would create it: no credential variables, no token volume. */
const SEED_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 's3-access-pod', namespace: 'default' },
  spec: { serviceAccountName: 's3-access-sa', containers: [{ name: 'app', image: 'my-app-image' }] },
};

describe.skipIf(!enabled)('webhook-injected pod in a simulated node', { timeout: 120_000 }, () => {
  let node: SimNode;
  let pod: SimPod;

  beforeAll(async () => {
    node = await startSimNode({
      pods: ['s3-access-pod'],
      moto: {
        roles: [{ name: 'S3AccessRole', buckets: ['my-bucket'] }],
        buckets: ['my-bucket', 'other-bucket'],
      },
      associations: { 's3-access-sa': 'S3AccessRole' },
      cluster: await sharedControlPlane(),
    });
    [pod] = node.pods as [SimPod];
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  it.each<Family>([4, 6])('gives the seed pod working credentials over IPv%s', async (family) => {
    const resolver = createAssociationIndex([
      {
        namespace: node.namespace,
        serviceAccount: 's3-access-sa',
        roleArn: node.setup.roles.S3AccessRole as string,
      },
    ]);
    const mutation = mutatePod(SEED_POD, node.namespace, {
      resolver,
      audience: 'pods.eks.amazonaws.com',
      tokenExpirationSeconds: 86_400,
      credentialsUri: CREDENTIALS_URI[family],
    });
    expect(mutation.result).toBe('injected');
    const patched = applyJsonPatch(structuredClone(SEED_POD), mutation.patch);
    const audiences: string[] = [];
    const container = await materializeContainer(patched, 'app', (audience) => {
      audiences.push(audience);
      return node.token('s3-access-sa', 's3-access-pod');
    });
    expect(audiences).toEqual(['pods.eks.amazonaws.com']);
    const tokenFile = container.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
    expect(container.env.AWS_CONTAINER_CREDENTIALS_FULL_URI).toBe(CREDENTIALS_URI[family]);
    expect(tokenFile).toBeDefined();

    const env = pod.env(family, tokenFile);
    const allowed = await boto3Put(
      env,
      pod.motoEndpoint(family),
      'my-bucket',
      `webhook-v${family}`,
      'Hello World',
    );
    expect(allowed.stdout, allowed.stderr).toContain('method=container-role');
    expect(allowed.stdout, allowed.stderr).toContain('put=ok');
    const denied = await boto3Put(
      env,
      pod.motoEndpoint(family),
      'other-bucket',
      `webhook-v${family}`,
      'Hello World',
    );
    expect(denied.stdout, denied.stderr).toContain('put=AccessDenied');
  });
});
