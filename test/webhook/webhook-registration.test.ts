/**
 * The webhook overlay's MutatingWebhookConfiguration, registered with a real kube-apiserver (a
 * loopback URL and the test CA's bundle instead of the in-cluster Service): a pod created through
 * the API is stored injected, and with the webhook stopped pod creation still succeeds, uninjected
 * (`failurePolicy: Ignore`, as docs/webhook.md promises).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { createLogger } from '../../agent/log/logger.js';
import { createWebhookApp, type WebhookApp } from '../../agent/webhook/webhook-app.js';
import { createWebhookDeps } from '../../agent/webhook/webhook-deps.js';
import { uniqueName } from '../../test-support/control-plane/admin-client.js';
import { controlPlaneProblem, PROJECT_ROOT } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import type { ControlPlane } from '../../test-support/control-plane.js';
import { needs } from '../../test-support/needs.js';

const enabled = needs(controlPlaneProblem(), 'the webhook registration against kube-apiserver');
const MANIFEST = join(PROJECT_ROOT, 'manifests/overlays/webhook/core/mutating-webhook-configuration.yaml');
const CONFIGS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const ROLE = 'arn:aws:iam::123456789012:role/Registered';

// biome-ignore lint/suspicious/noExplicitAny: API objects are untyped JSON here.
type Json = any;
const envOf = (pod: Json): Record<string, string> =>
  Object.fromEntries((pod.spec.containers[0].env ?? []).map((e: Json) => [e.name, e.value]));

describe.skipIf(!enabled)('the webhook registered with kube-apiserver', () => {
  let plane: ControlPlane;
  let webhook: WebhookApp | undefined;
  let ns: string;
  const name = uniqueName('pod-identity-webhook');

  beforeAll(async () => {
    plane = await sharedControlPlane();
    ns = await plane.admin.createNamespace(undefined, { [name]: 'true' });
    await plane.admin.createServiceAccount(ns, 'app');
    const tls = await plane.issueCert(name, {
      subject: `/CN=${name}`,
      altNames: ['IP:127.0.0.1'],
      usage: 'serverAuth',
    });
    const associations = join(plane.dir, `${name}.yaml`);
    await writeFile(
      associations,
      `associations:\n  - namespace: ${ns}\n    serviceAccount: app\n    roleArn: ${ROLE}\n`,
    );
    const config = parseConfig(
      [
        ...['webhook', '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile],
        ...['--associations', associations, '--port', '0', '--probe-address', '127.0.0.1'],
        ...['--probe-port', '0', '--metrics-port', '0'],
      ],
      {},
    ) as WebhookConfig;
    const deps = await createWebhookDeps(config, {
      logger: createLogger('silent'),
      clock: { now: () => Date.now() },
    });
    webhook = await createWebhookApp(config, { ...deps, listenHost: '127.0.0.1' });
    const port = await webhook.start();
    const registration = parse(await readFile(MANIFEST, 'utf8'));
    registration.metadata.name = name;
    const [hook] = registration.webhooks;
    hook.clientConfig = {
      url: `https://127.0.0.1:${port}/mutate`,
      caBundle: Buffer.from(plane.ca).toString('base64'),
    };
    // On the shared control plane, only this test's namespace (the manifest's own selectors stay).
    hook.namespaceSelector.matchLabels = { [name]: 'true' };
    await plane.admin.call('POST', CONFIGS, registration);
  }, 180_000);
  afterAll(async () => {
    await webhook?.close();
    await plane?.admin.send('DELETE', `${CONFIGS}/${name}`);
  });

  const podBody = (podName: string) => ({
    metadata: { name: podName },
    spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
  });

  it('stores a pod created through the API with the injection', async () => {
    // The apiserver picks the registration up asynchronously: dry runs until it calls the webhook.
    await expect
      .poll(
        async () =>
          envOf(await plane.admin.call('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, podBody('probe'))),
        {
          timeout: 20_000,
        },
      )
      .toHaveProperty('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    const stored = await plane.admin.call('POST', `/api/v1/namespaces/${ns}/pods`, podBody('injected'));
    expect(envOf(stored)).toMatchObject({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: expect.stringMatching(/^http:\/\//),
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: expect.any(String),
    });
    const projected = stored.spec.volumes.flatMap((v: Json) => v.projected?.sources ?? []);
    expect(projected).toContainEqual({
      serviceAccountToken: expect.objectContaining({ audience: 'pods.eks.amazonaws.com' }),
    });
  });

  it('lets pods be created, uninjected, while the webhook is down', async () => {
    await webhook?.close();
    webhook = undefined;
    const stored = await plane.admin.call('POST', `/api/v1/namespaces/${ns}/pods`, podBody('while-down'));
    expect(envOf(stored)).not.toHaveProperty('AWS_CONTAINER_CREDENTIALS_FULL_URI');
  });
});
