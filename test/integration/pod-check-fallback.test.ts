/**
 * The built agent's TokenReview fallback (`--pod-check informer`, pods the watch has not delivered)
 * against the Kubernetes API stand-in, whose TokenReview answers the test scripts: tokens without
 * node claims (clusters before 1.30) are served only when the review places their pod on this node,
 * one service account's many tokens get only its share of the review budget, and a watch that keeps
 * failing turns readiness 503. The rest of the pod check runs against kube-apiserver in
 * pod-check-agent.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_NAME_EXTRA, POD_UID_EXTRA } from '../../agent/pods/kube-token-reviewer.js';
import { stableUid } from '../../test-support/cluster-keys.js';
import { type KubeApi, type KubeObject, startKubeApi } from '../../test-support/kube-api.js';
import { isMotoAvailable } from '../../test-support/moto.js';
import { type Story, startStory } from '../../test-support/story.js';

const motoAvailable = await isMotoAvailable();
const AUDIENCE = 'pods.eks.amazonaws.com';

function podObject(name: string, ip: string, node = 'n1'): KubeObject {
  return {
    metadata: { name, namespace: 'default', uid: stableUid('pod', 'default', name) },
    spec: { nodeName: node, serviceAccountName: 's3-access-sa' },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

async function eventually(condition: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!motoAvailable)('the TokenReview fallback of the informer pod check', () => {
  let api: KubeApi;
  let story: Story;
  let closed = false;
  /** Pod names the TokenReview handler confirms, with the node it names for each (as API servers 1.30+ do). */
  const reviewable = new Map<string, string>();

  beforeAll(async () => {
    api = await startKubeApi();
    api.onPost('/apis/authentication.k8s.io/v1/tokenreviews', (body) => {
      const token = (body as { spec?: { token?: string } }).spec?.token ?? '';
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      const pod = claims['kubernetes.io']?.pod as { name: string; uid: string } | undefined;
      const status =
        pod !== undefined && reviewable.has(pod.name)
          ? {
              authenticated: true,
              audiences: [AUDIENCE],
              user: { extra: { [POD_UID_EXTRA]: [pod.uid], [NODE_NAME_EXTRA]: [reviewable.get(pod.name)] } },
            }
          : { authenticated: false, error: 'pod not found' };
      return { status: 201, body: { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', status } };
    });
    api.apply('pods', podObject('s3-access-pod', '127.0.0.1'));
    const kubeconfig = await api.writeKubeconfig();
    story = await startStory({
      agentArgs: ['--pod-check', 'informer', '--node-name', 'n1', '--kubeconfig', kubeconfig],
    });
  }, 120_000);
  afterAll(async () => {
    await story?.stop();
    if (!closed) await api?.close();
  });

  const ask = async (podName: string) => {
    const response = await fetch(story.agent.url, {
      headers: { authorization: await story.podToken({ podName }) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('confirms a pod the watch has not delivered with TokenReview and serves it', async () => {
    reviewable.set('brand-new-pod', 'n1');
    expect((await ask('brand-new-pod')).status).toBe(200);
  });

  it('refuses a pod the watch has not delivered when TokenReview places it on another node', async () => {
    reviewable.set('roaming-pod', 'n2');
    const before = story.eksAuth.calls.total;
    const answer = await ask('roaming-pod');
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('TokenNotBound');
    expect(story.eksAuth.calls.total).toBe(before);
  });

  it("keeps one service account's many unseen pods to its share of the TokenReview budget, and reviews another account's pod", async () => {
    const reviews = () => api.requests.filter((r) => r.path.endsWith('/tokenreviews')).length;
    const before = reviews();
    const started = Date.now();
    const tokens = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        story.podToken({ podName: `minted-${i}`, serviceAccount: 'minter' }),
      ),
    );
    const codes = await Promise.all(
      tokens.map(async (token) => {
        const response = await fetch(story.agent.url, { headers: { authorization: token } });
        return ((await response.json()) as { code?: string }).code;
      }),
    );
    // The account's burst of 10, then 2 per second for as long as the 40 requests took.
    const share = 10 + Math.ceil((2 * (Date.now() - started)) / 1000);
    expect(reviews() - before).toBeLessThanOrEqual(share);
    expect(codes.filter((c) => c === 'Throttled').length).toBeGreaterThanOrEqual(40 - share);
    reviewable.set('other-account-pod', 'n1');
    expect((await ask('other-account-pod')).status).toBe(200);
  });

  it('turns /readyz 503 once the pod watch has kept failing past --pod-watch-stale-after', async () => {
    await story.restartAgent(['--pod-watch-stale-after', '2s']);
    const ready = async () => (await fetch(`http://127.0.0.1:${story.agent.probePort}/readyz`)).status;
    expect(await ready()).toBe(200);
    await api.close(); // every list and watch of the agent fails from now on
    closed = true;
    const started = Date.now();
    await eventually(async () => (await ready()) === 503);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
