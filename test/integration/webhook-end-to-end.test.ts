/**
 * Issue 8 end to end: a pod goes through the real webhook wiring over HTTPS (associations store,
 * TLS, AdmissionReview), the simulated kubelet turns the patched spec into a token file and env,
 * and a real SDK client in that environment gets credentials from the agent and writes to S3.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { createLogger } from '../../agent/log/logger.js';
import { createWebhookApp, type WebhookApp } from '../../agent/webhook/webhook-app.js';
import { createWebhookDeps } from '../../agent/webhook/webhook-deps.js';
import { applyJsonPatch } from '../../test-support/json-patch.js';
import { isMotoAvailable } from '../../test-support/moto.js';
import { boto3Put } from '../../test-support/pod-clients.js';
import { makeSelfSignedCert } from '../../test-support/self-signed-cert.js';
import { materializeContainer } from '../../test-support/simulated-kubelet.js';
import { STORY_ISSUER, type Story, startStory } from '../../test-support/story.js';

const motoAvailable = await isMotoAvailable();

describe.skipIf(!motoAvailable)('webhook → kubelet → SDK → agent', () => {
  let story: Story;
  let webhook: WebhookApp;
  let port: number;
  let dir: string;
  let ca: Buffer;

  beforeAll(async () => {
    story = await startStory();
    dir = await mkdtemp(join(tmpdir(), 'webhook-e2e-'));
    const certs = await makeSelfSignedCert(dir, 'tls', 'pod-identity-webhook');
    ca = await readFile(certs.certFile);
    const associations = join(dir, 'associations.yaml');
    await writeFile(
      associations,
      `associations:\n  - namespace: default\n    serviceAccount: s3-access-sa\n    roleArn: ${story.roleArn}\n`,
    );
    const config = parseConfig(
      [
        'webhook',
        '--tls-cert-file',
        certs.certFile,
        '--tls-key-file',
        certs.keyFile,
        '--associations',
        associations,
        '--credentials-uri',
        story.agent.url,
        '--port',
        '0',
        '--probe-address',
        '127.0.0.1',
        '--probe-port',
        '0',
        '--metrics-port',
        '0',
      ],
      {},
    ) as WebhookConfig;
    const logger = createLogger('silent');
    const deps = await createWebhookDeps(config, { logger, clock: { now: () => Date.now() } });
    webhook = await createWebhookApp(config, { ...deps, listenHost: '127.0.0.1' });
    port = await webhook.start();
  }, 120_000);
  afterAll(async () => {
    await webhook?.close();
    await story?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** POSTs the review over verified TLS (the test CA), as the API server does. */
  function admit(review: unknown): Promise<{ response: { uid: string; allowed: boolean; patch?: string } }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mutate',
          method: 'POST',
          ca,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(review));
    });
  }

  it('injects a pod whose SDK then writes to the allowed bucket through the agent', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 's3-access-pod' },
      spec: {
        serviceAccountName: 's3-access-sa',
        hostNetwork: true,
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [
          { name: 'app', image: 'public.ecr.aws/aws-cli/aws-cli', env: [{ name: 'A', value: '1' }] },
        ],
      },
    };
    const answer = await admit({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'e2e-1',
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'default',
        operation: 'CREATE',
        object: pod,
      },
    });
    expect(answer.response).toMatchObject({ uid: 'e2e-1', allowed: true });
    const patched = applyJsonPatch(
      pod,
      JSON.parse(Buffer.from(answer.response.patch ?? '', 'base64').toString()),
    );

    const container = await materializeContainer(patched, 'app', (audience, lifetimeSeconds) =>
      story.keys.mintToken({
        issuer: STORY_ISSUER,
        audience,
        lifetimeSeconds,
        namespace: 'default',
        serviceAccount: 's3-access-sa',
        podName: 's3-access-pod',
      }),
    );
    const credentialsUri = container.env.AWS_CONTAINER_CREDENTIALS_FULL_URI as string;
    const tokenFile = container.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as string;
    expect(credentialsUri).toBe(story.agent.url);
    const env = { credentialsUri, tokenFile };
    const ok = await boto3Put(env, story.moto.endpoint, 'my-bucket', 'from-webhook.txt', 'hello');
    expect(ok.stdout).toContain('method=container-role');
    expect(ok.stdout).toContain('put=ok');
    const denied = await boto3Put(env, story.moto.endpoint, 'other-bucket', 'from-webhook.txt', 'hello');
    expect(denied.stdout).toContain('put=AccessDenied');
  }, 120_000);
});
