import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAgentError } from '../../agent/errors.js';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import { createKubeTokenReviewer } from '../../agent/pods/kube-token-reviewer.js';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { createAgentIdentity, manifestClusterRole } from '../../test-support/control-plane/agent-identity.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { createPodWithToken } from '../../test-support/control-plane/pod-token.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { type KubeApi, startKubeApi } from '../../test-support/kube-api.js';
import { listenOnLoopback } from '../../test-support/loopback.js';
import { needs } from '../../test-support/needs.js';

const REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const AUDIENCE = 'pods.eks.amazonaws.com';
const withCluster = needs(controlPlaneProblem(), 'the TokenReview client tests against kube-apiserver');

describe.skipIf(!withCluster)('createKubeTokenReviewer against kube-apiserver', () => {
  let plane: ControlPlane;
  let ns: string;
  beforeAll(async () => {
    plane = await sharedControlPlane();
    ns = await plane.admin.createNamespace();
    await plane.admin.createNode('reviewer-node');
  }, 180_000);
  const reviewer = (kubeconfig = plane.kubeconfig) =>
    createKubeTokenReviewer({ kubeConfig: loadKubeConfig({ kubeconfig }), audience: AUDIENCE });

  it("reads a live pod's uid and node from the review of its token", async () => {
    const pod = await createPodWithToken(plane.admin, { namespace: ns, nodeName: 'reviewer-node' });
    expect(await reviewer().review(pod.token)).toEqual({
      authenticated: true,
      podUid: pod.podUid,
      nodeName: 'reviewer-node',
    });
  });

  it('says no for the token of a deleted pod, and for a token of another audience', async () => {
    const pod = await createPodWithToken(plane.admin, { namespace: ns, nodeName: 'reviewer-node' });
    await plane.admin.deletePod(ns, pod.podName);
    expect((await reviewer().review(pod.token)).authenticated).toBe(false);
    const other = await createPodWithToken(plane.admin, {
      namespace: ns,
      nodeName: 'reviewer-node',
      audience: 'sts.amazonaws.com',
    });
    expect((await reviewer().review(other.token)).authenticated).toBe(false);
  });

  it('fails UpstreamUnavailable, naming what RBAC refused and without the token, when it may not review', async () => {
    const kubeconfig = await createAgentIdentity(plane, {
      name: uniqueName('agent'),
      rules: manifestClusterRole().rules.filter(
        (r: { resources?: string[] }) => !r.resources?.includes('tokenreviews'),
      ),
    });
    const error = await reviewer(kubeconfig)
      .review('secret-token-value')
      .catch((e: unknown) => e);
    expect(isAgentError(error) && error.code).toBe('UpstreamUnavailable');
    expect(isAgentError(error) && error.retryable).toBe(true);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('secret-token-value');
    expect(String((error as Error).cause)).toContain('cannot create resource "tokenreviews"');
  });
});

/**
 * Answers a real API server never gives (authenticated for no audience or for another one), which
 * the client must still refuse; the stand-in gives them.
 */

describe('createKubeTokenReviewer against the Kubernetes API stand-in (answers kube-apiserver never gives)', () => {
  let api: KubeApi;

  beforeEach(async () => {
    api = await startKubeApi();
  });
  afterEach(() => api.close());

  async function reviewer(timeoutMs?: number) {
    const kubeConfig = loadKubeConfig({ kubeconfig: await api.writeKubeconfig() });
    return createKubeTokenReviewer({ kubeConfig, audience: AUDIENCE, timeoutMs });
  }

  function answer(status: object): void {
    api.onPost(REVIEWS, () => ({
      status: 201,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status },
    }));
  }

  it.each([
    ['authenticated for no audience (an audience-unaware server)', { authenticated: true }],
    [
      'authenticated for another audience',
      { authenticated: true, audiences: ['https://kubernetes.default.svc'] },
    ],
  ])('says no when the review is %s', async (_what, status) => {
    answer(status);
    expect((await (await reviewer()).review('t')).authenticated).toBe(false);
  });

  it('gives up after its deadline and aborts the request', async () => {
    // An API server that accepts the request and never answers; it sees the connection end.
    let abandoned: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      abandoned = resolve;
    });
    const silent = createServer((_request, response) => response.on('close', abandoned));
    const port = await listenOnLoopback(silent);
    try {
      const dir = await mkdtemp(join(tmpdir(), 'silent-kube-'));
      const file = join(dir, 'kubeconfig.yaml');
      // client-node refuses plain http unless TLS verification is explicitly off.
      const cluster = { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true };
      await writeFile(
        file,
        JSON.stringify({
          clusters: [{ name: 'c', cluster }],
          users: [{ name: 'u', user: { token: 't' } }],
          contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'x',
        }),
      );
      const kubeConfig = loadKubeConfig({ kubeconfig: file });
      const slow = createKubeTokenReviewer({ kubeConfig, audience: AUDIENCE, timeoutMs: 100 });
      const error = await slow.review('t').catch((e: unknown) => e);
      expect(isAgentError(error) && error.code).toBe('UpstreamUnavailable');
      expect(String((error as Error).cause)).toContain('took over 100 ms');
      // Without the abort the connection would stay open until the server closes it below.
      await closed;
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
