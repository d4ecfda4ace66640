/**
 * The built agent with `--pod-check informer` against a real kube-apiserver (test-support/control-plane.ts),
 * with tokens from the TokenRequest API and the manifests' ServiceAccount and ClusterRole: pods of its node are served, a pod on another node and a
 * deleted pod are refused, `--require-pod-ip` binds a token to its pod's IP, and when the apiserver
 * is killed and comes back, cached pods keep being served and the informer catches up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { createAgentIdentity } from '../../test-support/control-plane/agent-identity.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { createPodWithToken, type PodWithToken } from '../../test-support/control-plane/pod-token.js';
import { type OwnedControlPlane, startControlPlane } from '../../test-support/control-plane.js';
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { type Story, startStory } from '../../test-support/story.js';

const enabled = needs(
  (await motoProblem()) ?? controlPlaneProblem(),
  'the informer pod check against kube-apiserver',
);
const NODE = 'node-a';

async function eventually(condition: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!enabled)('the agent with the informer pod check, against kube-apiserver', () => {
  let plane: OwnedControlPlane;
  let story: Story;
  const pods = new Map<string, PodWithToken>();
  /** Creates pod `name` of `default/s3-access-sa` (the story's association) on `node`. */
  const pod = async (name: string, node = NODE) => {
    const created = await createPodWithToken(plane.admin, {
      namespace: 'default',
      serviceAccount: 's3-access-sa',
      podName: name,
      nodeName: node,
    });
    pods.set(name, created);
    return created;
  };
  /** Gives pod `name` an IP, as its kubelet would. */
  const setPodIp = (name: string, ip: string) =>
    plane.admin.call(
      'PATCH',
      `/api/v1/namespaces/default/pods/${name}/status`,
      {
        status: { podIP: ip, podIPs: [{ ip }] },
      },
      'application/merge-patch+json',
    );

  beforeAll(async () => {
    plane = await startControlPlane();
    await plane.admin.createNode(NODE);
    await plane.admin.createNode('node-b');
    await pod('s3-access-pod');
    await setPodIp('s3-access-pod', '127.0.0.1');
    await pod('far-pod');
    await setPodIp('far-pod', '10.9.9.9');
    await pod('other-node-pod', 'node-b');
    const jwks = await plane.admin.call('GET', '/openid/v1/jwks');
    // The DaemonSet's ServiceAccount with the manifests' ClusterRole, not the admin.
    const kubeconfig = await createAgentIdentity(plane);
    story = await startStory({
      agentArgs: ['--pod-check', 'informer', '--node-name', NODE, '--kubeconfig', kubeconfig],
      cluster: {
        issuer: plane.issuer,
        caFile: plane.caFile,
        jwks,
        podToken: async (p = {}) => (pods.get(p.podName ?? 's3-access-pod') as PodWithToken).token,
      },
    });
  }, 240_000);
  afterAll(async () => {
    await story?.stop();
    await plane?.stop();
  });

  const ask = async (podName: string) => {
    const response = await fetch(story.agent.url, {
      headers: { authorization: await story.podToken({ podName }) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const entries = async () =>
    Number(/^pod_identity_cache_entries (\d+)/m.exec(await story.agent.metrics())?.[1]);
  const ready = async () => (await fetch(`http://127.0.0.1:${story.agent.probePort}/readyz`)).status;

  it('serves a live pod of its node, with keys from the OIDC discovery of the real issuer', async () => {
    expect((await ask('s3-access-pod')).status).toBe(200);
  });

  it('refuses a pod bound to another node, with no upstream call', async () => {
    const before = story.eksAuth.calls.total;
    const answer = await ask('other-node-pod');
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('TokenNotBound');
    expect(story.eksAuth.calls.total).toBe(before);
  });

  it('refuses a deleted pod once the watch delivers the deletion, and drops its cached credentials', async () => {
    const victim = await pod(uniqueName('victim'));
    expect((await ask(victim.podName)).status).toBe(200);
    const before = await entries();
    await plane.admin.deletePod('default', victim.podName);
    await eventually(async () => (await entries()) === before - 1);
    const answer = await ask(victim.podName);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('TokenNotBound');
  });

  it('keeps serving cached pods and stays ready while the apiserver is down, then catches up', async () => {
    const doomed = await pod(uniqueName('doomed'));
    expect((await ask(doomed.podName)).status).toBe(200);
    await plane.stopApiserver('SIGKILL');
    expect((await ask('s3-access-pod')).status).toBe(200);
    expect(await ready()).toBe(200);
    await plane.startApiserver();
    // Deleted right after the restart: the informer must have re-listed or resumed its watch to see it.
    await plane.admin.deletePod('default', doomed.podName);
    await eventually(async () => (await ask(doomed.podName)).status === 403, 90_000);
    expect((await ask('s3-access-pod')).status).toBe(200);
  }, 180_000);

  it('with --require-pod-ip, serves a pod from its own IP and refuses a token used from another address', async () => {
    await story.restartAgent(['--require-pod-ip']);
    expect((await ask('s3-access-pod')).status).toBe(200);
    const stolen = await ask('far-pod');
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('TokenNotBound');
  });
});
