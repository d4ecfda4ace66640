/**
 * The webhook end to end, on a real kube-apiserver: a pod created through the API goes through the real
 * webhook (registered with the overlay's MutatingWebhookConfiguration), the simulated kubelet turns
 * the stored spec into a token file (from the TokenRequest API, bound to that pod) and env, and a
 * real SDK client in that environment gets credentials from the agent and writes to S3.
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
import { motoProblem } from '../../test-support/moto.js';
import { needs } from '../../test-support/needs.js';
import { boto3Put } from '../../test-support/pod-clients.js';
import { materializeContainer } from '../../test-support/simulated-kubelet.js';
import { type Story, startStory } from '../../test-support/story.js';

const enabled = needs((await motoProblem()) ?? controlPlaneProblem(), 'the webhook end-to-end test');
const MANIFEST = join(PROJECT_ROOT, 'manifests/overlays/webhook/core/mutating-webhook-configuration.yaml');
const CONFIGS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

describe.skipIf(!enabled)('kube-apiserver → webhook → kubelet → SDK → agent', () => {
  let plane: ControlPlane;
  let story: Story;
  let webhook: WebhookApp;
  const name = uniqueName('e2e-webhook');

  beforeAll(async () => {
    plane = await sharedControlPlane();
    await plane.admin.createNode(name);
    story = await startStory({
      cluster: {
        issuer: plane.issuer,
        caFile: plane.caFile,
        jwks: await plane.admin.call('GET', '/openid/v1/jwks'),
        podToken: () => Promise.reject(new Error('the pod reads its token file')),
      },
    });
    await plane.admin.createServiceAccount('default', 's3-access-sa').catch(() => undefined);
    const tls = await plane.issueCert(name, {
      subject: `/CN=${name}`,
      altNames: ['IP:127.0.0.1'],
      usage: 'serverAuth',
    });
    const associations = join(plane.dir, `${name}.yaml`);
    await writeFile(
      associations,
      `associations:\n  - namespace: default\n    serviceAccount: s3-access-sa\n    roleArn: ${story.roleArn}\n`,
    );
    const config = parseConfig(
      [
        ...['webhook', '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile],
        ...['--associations', associations, '--credentials-uri', story.agent.url, '--port', '0'],
        ...['--probe-address', '127.0.0.1', '--probe-port', '0', '--metrics-port', '0'],
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
    // On the shared control plane, only this test's pods (the manifest's own selectors stay).
    hook.objectSelector.matchLabels = { [name]: 'true' };
    await plane.admin.call('POST', CONFIGS, registration);
  }, 180_000);
  afterAll(async () => {
    await plane?.admin.send('DELETE', `${CONFIGS}/${name}`);
    await webhook?.close();
    await story?.stop();
  });

  it('injects a pod whose SDK then writes to the allowed bucket through the agent', async () => {
    const pod = (podName: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, labels: { [name]: 'true' } },
      spec: {
        serviceAccountName: 's3-access-sa',
        nodeName: name,
        hostNetwork: true,
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [
          { name: 'app', image: 'public.ecr.aws/aws-cli/aws-cli', env: [{ name: 'A', value: '1' }] },
        ],
      },
    });
    // The apiserver picks the registration up asynchronously: dry runs until it calls the webhook.
    await expect
      .poll(
        async () =>
          JSON.stringify(
            await plane.admin.call('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod('probe')),
          ),
        {
          timeout: 20_000,
        },
      )
      .toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    const stored = await plane.admin.call('POST', '/api/v1/namespaces/default/pods', pod(name));

    const container = await materializeContainer(stored, 'app', (audience, expirationSeconds) =>
      plane.admin.requestToken('default', 's3-access-sa', {
        pod: { name, uid: stored.metadata.uid },
        audience,
        expirationSeconds,
      }),
    );
    const credentialsUri = container.env.AWS_CONTAINER_CREDENTIALS_FULL_URI as string;
    const tokenFile = container.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as string;
    expect(credentialsUri).toBe(story.agent.url);
    // The raw token, as kubelet writes it: SDKs refuse a trailing newline.
    expect(await readFile(tokenFile, 'utf8')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const env = { credentialsUri, tokenFile };
    const ok = await boto3Put(env, story.moto.endpoint, 'my-bucket', 'from-webhook.txt', 'hello');
    expect(ok.stdout).toContain('method=container-role');
    expect(ok.stdout).toContain('put=ok');
    const denied = await boto3Put(env, story.moto.endpoint, 'other-bucket', 'from-webhook.txt', 'hello');
    expect(denied.stdout).toContain('put=AccessDenied');
  }, 120_000);
});
