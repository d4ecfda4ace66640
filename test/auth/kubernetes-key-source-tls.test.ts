/**
 * The API-server key source (no `--issuer`: in a cluster, with the mounted service-account token and
 * CA) against a real kube-apiserver: it trusts only the CA bundle, sends the current token, and reads
 * the keys that verify the cluster's pod tokens and the issuer from discovery.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyFetcher } from '../../agent/auth/key-sources.js';
import { createKubernetesKeyFetcher } from '../../agent/auth/kubernetes-key-source.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { createPodWithToken } from '../../test-support/control-plane/pod-token.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { needs } from '../../test-support/needs.js';
import { makeSelfSignedCert } from '../../test-support/self-signed-cert.js';

const enabled = needs(controlPlaneProblem(), 'the Kubernetes key source against kube-apiserver');

describe.skipIf(!enabled)('Kubernetes key source against kube-apiserver', () => {
  let plane: ControlPlane;
  let dir: string;
  let ns: string;
  let tokenPath: string;
  let host: { serviceHost: string; servicePort: string };

  beforeAll(async () => {
    plane = await sharedControlPlane();
    dir = await mkdtemp(join(tmpdir(), 'kube-key-source-'));
    ns = await plane.admin.createNamespace();
    await plane.admin.createServiceAccount(ns, 'agent');
    tokenPath = join(dir, 'token');
    // The token kubelet mounts for the agent: audience the API server's own.
    await writeFile(tokenPath, await plane.admin.requestToken(ns, 'agent', { audience: plane.issuer }));
    host = { serviceHost: '127.0.0.1', servicePort: new URL(plane.server).port };
  }, 180_000);
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reads the keys that verify pod tokens, and the issuer, trusting the service-account CA bundle', async () => {
    const fetcher = createKubernetesKeyFetcher({ ...host, tokenPath, caPath: plane.caFile });
    const { document, issuer } = await fetcher();
    expect(issuer).toBe(plane.issuer);
    await plane.admin.createNode('key-source-node');
    const pod = await createPodWithToken(plane.admin, { namespace: ns, nodeName: 'key-source-node' });
    const verified = await jwtVerify(pod.token, createLocalJWKSet(document as JSONWebKeySet), {
      issuer: plane.issuer,
    });
    expect(verified.payload.sub).toBe(`system:serviceaccount:${ns}:app`);
  });

  it('refuses an API server whose certificate the CA bundle does not vouch for', async () => {
    const other = await makeSelfSignedCert(dir, 'other', 'other-ca');
    const fetcher = createKubernetesKeyFetcher({ ...host, tokenPath, caPath: other.certFile });
    await expect(fetcher()).rejects.toThrow();
  });

  it('re-reads the rotated service-account token on every fetch', async () => {
    const rotating = join(dir, 'token-rotating');
    await writeFile(rotating, 'not-a-token');
    const fetcher = createKubernetesKeyFetcher({
      ...host,
      tokenPath: rotating,
      caPath: plane.caFile,
      discoverIssuer: false,
    });
    await expect(fetcher()).rejects.toThrow(/401/);
    await writeFile(rotating, await plane.admin.requestToken(ns, 'agent', { audience: plane.issuer }));
    expect(((await fetcher()).document as JSONWebKeySet).keys.length).toBeGreaterThan(0);
  });

  it('is built from a config key source with injected host options', async () => {
    const fetcher = createKeyFetcher(
      { kind: 'kubernetes' },
      { kubernetes: { ...host, tokenPath, caPath: plane.caFile } },
    );
    expect((await fetcher()).issuer).toBe(plane.issuer);
  });
});
