/**
 * The built agent with `--pod-check tokenreview` against a real kube-apiserver, as the DaemonSet's
 * ServiceAccount: each token is reviewed by the real TokenReview API, a pod bound to another node is
 * refused, and a deleted pod is refused at most 30 s after its last review (docs/security.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { createAgentIdentity } from '../../test-support/control-plane/agent-identity.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { createPodWithToken, type PodWithToken } from '../../test-support/control-plane/pod-token.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { type Story, startStory } from '../../test-support/story.js';

const enabled = needs(
  (await motoProblem()) ?? controlPlaneProblem(),
  'the TokenReview pod check against kube-apiserver',
);
/** How long the agent reuses a TokenReview answer (docs/security.md). */
const REVIEW_REUSE_MS = 30_000;

describe.skipIf(!enabled)('the agent with the TokenReview pod check, against kube-apiserver', () => {
  let plane: ControlPlane;
  let story: Story;
  const node = uniqueName('node');
  const other = uniqueName('node');
  const pods = new Map<string, PodWithToken>();
  const pod = async (nodeName: string) => {
    const created = await createPodWithToken(plane.admin, {
      ...{ namespace: 'default', serviceAccount: 's3-access-sa', nodeName },
    });
    pods.set(created.podName, created);
    return created;
  };

  beforeAll(async () => {
    plane = await sharedControlPlane();
    await plane.admin.createNode(node);
    await plane.admin.createNode(other);
    const kubeconfig = await createAgentIdentity(plane);
    story = await startStory({
      agentArgs: ['--pod-check', 'tokenreview', '--node-name', node, '--kubeconfig', kubeconfig],
      cluster: {
        issuer: plane.issuer,
        caFile: plane.caFile,
        jwks: await plane.admin.call('GET', '/openid/v1/jwks'),
        podToken: async (p = {}) => (pods.get(p.podName ?? '') as PodWithToken).token,
      },
    });
  }, 240_000);
  afterAll(() => story?.stop());

  const ask = async (podName: string) => {
    const response = await fetch(story.agent.url, {
      headers: { authorization: await story.podToken({ podName }) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('serves a live pod of its node', async () => {
    expect((await ask((await pod(node)).podName)).status).toBe(200);
  });

  it('refuses a pod bound to another node, with no upstream call', async () => {
    const before = story.eksAuth.calls.total;
    const answer = await ask((await pod(other)).podName);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('TokenNotBound');
    expect(story.eksAuth.calls.total).toBe(before);
  });

  it('refuses a deleted pod at most 30 s after its last review', async () => {
    const victim = await pod(node);
    const reviewedAt = Date.now();
    expect((await ask(victim.podName)).status).toBe(200);
    await plane.admin.deletePod('default', victim.podName);
    let answer = await ask(victim.podName);
    while (answer.status === 200 && Date.now() - reviewedAt < REVIEW_REUSE_MS + 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answer = await ask(victim.podName);
    }
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('TokenNotBound');
    // The bound, with one poll interval and a busy machine's slack.
    expect(Date.now() - reviewedAt).toBeLessThan(REVIEW_REUSE_MS + 5_000);
  }, 90_000);
});
