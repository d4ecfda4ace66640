import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAgentError } from '../../agent/errors.js';
import { loadKubeConfig } from '../../agent/kube/kube-config.js';
import { createKubeTokenReviewer, POD_UID_EXTRA } from '../../agent/pods/kube-token-reviewer.js';
import { type KubeApi, startKubeApi } from '../../test-support/kube-api.js';
import { listenOnLoopback } from '../../test-support/loopback.js';

const REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const AUDIENCE = 'pods.eks.amazonaws.com';

describe('createKubeTokenReviewer against the Kubernetes API stand-in', () => {
  let api: KubeApi;
  let bodies: unknown[];

  beforeEach(async () => {
    api = await startKubeApi();
    bodies = [];
  });
  afterEach(() => api.close());

  async function reviewer(timeoutMs?: number) {
    const kubeConfig = loadKubeConfig({ kubeconfig: await api.writeKubeconfig() });
    return createKubeTokenReviewer({ kubeConfig, audience: AUDIENCE, timeoutMs });
  }

  function answer(status: object, code = 201): void {
    api.onPost(REVIEWS, (body) => {
      bodies.push(body);
      return { status: code, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status } };
    });
  }

  it('sends the token with our audience and reads the pod uid', async () => {
    answer({ authenticated: true, audiences: [AUDIENCE], user: { extra: { [POD_UID_EXTRA]: ['uid-1'] } } });
    const result = await (await reviewer()).review('the-token');
    expect(result).toEqual({ authenticated: true, podUid: 'uid-1' });
    expect(bodies[0]).toMatchObject({ spec: { token: 'the-token', audiences: [AUDIENCE] } });
  });

  it.each([
    ['not authenticated', { authenticated: false, error: 'pod not found' }],
    ['authenticated for no audience (an audience-unaware server)', { authenticated: true }],
    [
      'authenticated for another audience',
      { authenticated: true, audiences: ['https://kubernetes.default.svc'] },
    ],
  ])('says no when the review is %s', async (_what, status) => {
    answer(status);
    expect((await (await reviewer()).review('t')).authenticated).toBe(false);
  });

  it('fails UpstreamUnavailable, without the token in the error, when the API server refuses', async () => {
    answer({}, 403);
    const error = await (await reviewer()).review('secret-token-value').catch((e: unknown) => e);
    expect(isAgentError(error) && error.code).toBe('UpstreamUnavailable');
    expect(isAgentError(error) && error.retryable).toBe(true);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('secret-token-value');
    expect(String((error as Error).cause)).toContain('403');
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
