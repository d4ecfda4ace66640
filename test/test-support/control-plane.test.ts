/**
 * The test control plane is a real kube-apiserver: what the agent relies on (token claims, OIDC
 * discovery, TokenReview, key rotation) is checked here against it, once per Kubernetes version.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, uniqueName } from '../../test-support/control-plane/admin-client.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { createPodWithToken } from '../../test-support/control-plane/pod-token.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import {
  type ControlPlane,
  type OwnedControlPlane,
  startControlPlane,
} from '../../test-support/control-plane.js';
import { needs } from '../../test-support/needs.js';

const AUDIENCE = 'pods.eks.amazonaws.com';
const enabled = needs(controlPlaneProblem(), 'the control-plane tests');

/** Reviews `token` for our audience, as the agent's `--pod-check tokenreview` does. */
async function review(admin: AdminClient, token: string) {
  const body = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, audiences: [AUDIENCE] },
  };
  return (await admin.call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', body)).status;
}

/** The anonymous OIDC discovery document and key set, trusting only the test CA. */
async function discover(plane: ControlPlane) {
  const anonymous = new AdminClient({ server: plane.server, ca: plane.ca });
  const config = await anonymous.call('GET', '/.well-known/openid-configuration');
  const jwks = await anonymous.call('GET', new URL(config.jwks_uri).pathname);
  return { config, jwks };
}

describe.skipIf(!enabled)('the shared test control plane', () => {
  let plane: ControlPlane;
  let namespace: string;
  const node = uniqueName('node');

  beforeAll(async () => {
    plane = await sharedControlPlane();
    await plane.admin.createNode(node);
    namespace = await plane.admin.createNamespace();
  }, 180_000);

  it('issues pod-bound tokens with the claims the agent reads', async () => {
    const pod = await createPodWithToken(plane.admin, { namespace, nodeName: node });
    const nodeUid = (await plane.admin.call('GET', `/api/v1/nodes/${node}`)).metadata.uid;
    expect(decodeProtectedHeader(pod.token)).toMatchObject({ alg: 'RS256' });
    expect(decodeJwt(pod.token)).toMatchObject({
      iss: plane.issuer,
      aud: [AUDIENCE],
      sub: `system:serviceaccount:${namespace}:app`,
      'kubernetes.io': {
        namespace,
        pod: { name: pod.podName, uid: pod.podUid },
        node: { name: node, uid: nodeUid },
        serviceaccount: { name: 'app' },
      },
    });
  });

  it('publishes OIDC discovery to anonymous clients, and its keys verify the tokens', async () => {
    const pod = await createPodWithToken(plane.admin, { namespace, nodeName: node });
    const { config, jwks } = await discover(plane);
    expect(config).toMatchObject({ issuer: plane.issuer, jwks_uri: `${plane.issuer}/openid/v1/jwks` });
    const verified = await jwtVerify(pod.token, createLocalJWKSet(jwks), {
      issuer: plane.issuer,
      audience: AUDIENCE,
    });
    expect(verified.payload.sub).toBe(`system:serviceaccount:${namespace}:app`);
  });

  it('reviews a live pod token as authenticated with the pod uid, and a deleted pod token as not', async () => {
    const live = await createPodWithToken(plane.admin, { namespace, nodeName: node });
    const status = await review(plane.admin, live.token);
    expect(status).toMatchObject({ authenticated: true, audiences: [AUDIENCE] });
    expect(status.user.extra['authentication.kubernetes.io/pod-uid']).toEqual([live.podUid]);
    // A token never reviewed before the delete: the API server caches successes for 10 s.
    const gone = await createPodWithToken(plane.admin, { namespace, nodeName: node });
    await plane.admin.deletePod(namespace, gone.podName);
    // The API server looks the pod up through its informer caches, which see the delete a moment
    // later; a review answered from them before that is a success it caches for 10 s.
    await expect
      .poll(async () => (await review(plane.admin, gone.token)).authenticated === true, {
        timeout: 15_000,
        interval: 250,
      })
      .toBe(false);
    const refused = await review(plane.admin, gone.token);
    expect(refused.authenticated).not.toBe(true);
    expect(refused.error).toMatch(/not found|invalidated/);
  });

  it('refuses a token request shorter than ten minutes', async () => {
    await plane.admin.createServiceAccount(namespace, 'short');
    const answer = await plane.admin.send(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/short/token`,
      {
        spec: { audiences: [AUDIENCE], expirationSeconds: 599 },
      },
    );
    expect(answer.status).toBe(422);
  });
});

describe.skipIf(!enabled)('a control plane restarted with a new signing key', () => {
  let plane: OwnedControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
  }, 180_000);
  afterAll(() => plane?.stop());

  it('signs with the new key and still verifies tokens of the old one', async () => {
    const namespace = await plane.admin.createNamespace();
    await plane.admin.createNode('node-a');
    const old = await createPodWithToken(plane.admin, { namespace, nodeName: 'node-a' });
    await plane.stopApiserver();
    await plane.startApiserver({ newSigningKey: true });
    const fresh = await old.newToken();
    const kids = [old.token, fresh].map((t) => decodeProtectedHeader(t).kid);
    expect(kids[0]).not.toBe(kids[1]);
    const { jwks } = await discover(plane);
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([...kids].sort());
    expect((await review(plane.admin, old.token)).authenticated).toBe(true);
    expect((await review(plane.admin, fresh)).authenticated).toBe(true);
  }, 180_000);
});
