import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'light-my-request';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssociationResolver } from '../../agent/associations/association.js';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { createLogger } from '../../agent/log/logger.js';
import { createWebhookApp, type WebhookDeps } from '../../agent/webhook/webhook-app.js';
import { createWebhookMetrics } from '../../agent/webhook/webhook-metrics.js';
import { applyJsonPatch } from '../../test-support/json-patch.js';
import { type CertFiles, makeSelfSignedCert } from '../../test-support/self-signed-cert.js';
import { ENV, ListResolver, MOUNT, pod, ROLE, resolver, VOLUME } from './fixtures.js';

let dir: string;
let certs: CertFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webhook-app-'));
  certs = await makeSelfSignedCert(dir, 'tls', 'webhook-a');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(extra: string[] = []): WebhookConfig {
  const argv = ['webhook', '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile];
  argv.push('--associations', join(dir, 'unused.yaml'), '--port', '0', '--probe-address', '127.0.0.1');
  argv.push('--probe-port', '0', '--metrics-address', '127.0.0.1', '--metrics-port', '0', ...extra);
  return parseConfig(argv, {}) as WebhookConfig;
}

async function build(deps: Partial<WebhookDeps> = {}) {
  const metrics = createWebhookMetrics(new Registry());
  const app = await createWebhookApp(config(), {
    resolver: resolver(),
    metrics,
    logger: createLogger('silent'),
    ...deps,
  });
  return { app, metrics };
}

function review(object: unknown, request: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'default',
      operation: 'CREATE',
      object,
      ...request,
    },
  };
}

function decodePatch(body: { response: { patch?: string } }) {
  return JSON.parse(Buffer.from(body.response.patch ?? '', 'base64').toString('utf8'));
}

async function count(metrics: ReturnType<typeof createWebhookMetrics>, result: string) {
  const data = await metrics.admissions.get();
  return data.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('POST /mutate', () => {
  it('answers with the same uid, allowed, and a base64 JSONPatch that injects the pod', async () => {
    const { app, metrics } = await build();
    const input = pod({ serviceAccountName: 's3-access-sa' });
    const res = await app.admission.inject({ method: 'POST', url: '/mutate', payload: review(input) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true, patchType: 'JSONPatch' },
    });
    expect(applyJsonPatch(input, decodePatch(body))).toEqual(
      pod({
        serviceAccountName: 's3-access-sa',
        containers: [
          { name: 'app', image: 'public.ecr.aws/aws-cli/aws-cli', volumeMounts: [MOUNT], env: ENV },
        ],
        volumes: [VOLUME],
      }),
    );
    expect(await count(metrics, 'injected')).toBe(1);
  });

  it('answers a second admission of the patched pod without a patch', async () => {
    const { app, metrics } = await build();
    const input = pod({ serviceAccountName: 's3-access-sa' });
    const first = await app.admission.inject({ method: 'POST', url: '/mutate', payload: review(input) });
    const patched = applyJsonPatch(input, decodePatch(first.json()));
    const second = await app.admission.inject({ method: 'POST', url: '/mutate', payload: review(patched) });
    expect(second.json().response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    expect(await count(metrics, 'unchanged')).toBe(1);
  });

  it.each([
    [
      'an opted-out pod',
      review(
        pod({ serviceAccountName: 's3-access-sa' }, { annotations: { 'pod-identity.k8s.aws/skip': 'true' } }),
      ),
    ],
    ['a pod without association', review(pod({ serviceAccountName: 'nobody' }))],
    ['a pod UPDATE', review(pod({ serviceAccountName: 's3-access-sa' }), { operation: 'UPDATE' })],
    ['a DELETE without object', review(null, { operation: 'DELETE' })],
    ['another resource', review({}, { resource: { group: 'apps', version: 'v1', resource: 'deployments' } })],
  ])('allows %s unchanged and counts it as skipped', async (_name, payload) => {
    const { app, metrics } = await build();
    const res = await app.admission.inject({ method: 'POST', url: '/mutate', payload });
    expect(res.statusCode).toBe(200);
    expect(res.json().response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    expect(await count(metrics, 'skipped')).toBe(1);
  });

  const good = review(pod({}));
  it.each([
    ['a body that is not JSON', '{"apiVersion": ', 'application/json'],
    ['an empty body', '', 'application/json'],
    ['a JSON array', '[]', 'application/json'],
    ['the wrong kind', JSON.stringify({ ...good, kind: 'Pod' }), 'application/json'],
    [
      'the wrong apiVersion',
      JSON.stringify({ ...good, apiVersion: 'admission.k8s.io/v1beta1' }),
      'application/json',
    ],
    ['no request', JSON.stringify({ ...good, request: undefined }), 'application/json'],
    [
      'no request.uid',
      JSON.stringify({ ...good, request: { ...good.request, uid: undefined } }),
      'application/json',
    ],
    [
      'no request.object',
      JSON.stringify({ ...good, request: { ...good.request, object: undefined } }),
      'application/json',
    ],
    ['a pod without containers', JSON.stringify(review({ spec: {} })), 'application/json'],
    [
      'no request.namespace',
      JSON.stringify({ ...good, request: { ...good.request, namespace: undefined } }),
      'application/json',
    ],
    ['a non-JSON content type', JSON.stringify(good), 'text/plain'],
  ])(
    'answers %s with 400 InvalidRequest and a JSON message, counted as an error',
    async (_name, payload, type) => {
      const { app, metrics } = await build();
      const res = await app.admission.inject({
        method: 'POST',
        url: '/mutate',
        payload,
        headers: { 'content-type': type },
      });
      expect([400, 415]).toContain(res.statusCode);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json()).toMatchObject({ code: 'InvalidRequest', message: expect.any(String) });
      expect(await count(metrics, 'error')).toBe(1);
    },
  );

  it('refuses a review over the body limit with 413', async () => {
    const { app } = await build();
    const big = review(pod({}, { annotations: { big: 'x'.repeat(5 * 1024 * 1024) } }));
    const res = await app.admission.inject({ method: 'POST', url: '/mutate', payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PayloadTooLarge');
  });

  it.each([
    ['GET', '/mutate', 405],
    ['POST', '/validate', 404],
  ])('answers %s %s with %i', async (method, url, status) => {
    const { app } = await build();
    const res = await app.admission.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(status);
  });
});

describe('the new service account race', () => {
  it('re-reads the associations once on a miss and injects when the association appeared', async () => {
    const r = new ListResolver([]);
    let refreshes = 0;
    const refresh = async () => {
      refreshes++;
      r.associations = [{ namespace: 'default', serviceAccount: 'new-sa', roleArn: ROLE }];
    };
    const { app } = await build({ resolver: r, refresh });
    const res = await app.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: review(pod({ serviceAccountName: 'new-sa' })),
    });
    expect(res.json().response.patchType).toBe('JSONPatch');
    expect(refreshes).toBe(1);
  });

  it('admits unchanged after one refresh that finds nothing, and does not refresh on a hit', async () => {
    let refreshes = 0;
    const { app } = await build({ refresh: async () => void refreshes++ });
    await app.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: review(pod({ serviceAccountName: 'nobody' })),
    });
    await app.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: review(pod({ serviceAccountName: 's3-access-sa' })),
    });
    expect(refreshes).toBe(1);
  });

  it('answers within the refresh budget when the refresh hangs or fails', async () => {
    const hang = () => new Promise<void>(() => {});
    const { app } = await build({ refresh: hang, refreshBudgetMs: 50 });
    const started = Date.now();
    const res = await app.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: review(pod({ serviceAccountName: 'nobody' })),
    });
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const failing = await build({ refresh: async () => Promise.reject(new Error('boom')) });
    const res2 = await failing.app.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: review(pod({ serviceAccountName: 'nobody' })),
    });
    expect(res2.json().response.allowed).toBe(true);
  });
});

describe('start-up, probes and metrics', () => {
  it('refuses to start with a certificate and a key that do not match, naming the files', async () => {
    const other = await makeSelfSignedCert(dir, 'other', 'other');
    const bad = parseConfig(
      ['webhook', '--tls-cert-file', certs.certFile, '--tls-key-file', other.keyFile, '--associations', 'x'],
      {},
    ) as WebhookConfig;
    const deps = {
      resolver: resolver(),
      metrics: createWebhookMetrics(new Registry()),
      logger: createLogger('silent'),
    };
    await expect(createWebhookApp(bad, deps)).rejects.toThrow(other.keyFile);
  });

  it('rejects a resolver without resolve()', async () => {
    await expect(build({ resolver: {} as AssociationResolver })).rejects.toThrow('resolver');
  });

  it('is ready only once listening, and serves the webhook series on /metrics', async () => {
    const { app } = await build({ listenHost: '127.0.0.1' });
    expect((await inject(app.probes, { url: '/readyz' })).statusCode).toBe(503);
    expect((await inject(app.probes, { url: '/healthz' })).statusCode).toBe(200);
    await app.start();
    try {
      expect((await inject(app.probes, { url: '/readyz' })).statusCode).toBe(200);
      await app.admission.inject({ method: 'POST', url: '/mutate', payload: review(pod({})) });
      const text = (await inject(app.metrics, { url: '/metrics' })).body;
      expect(text).toContain('pod_identity_webhook_admissions_total{result="injected"} 1');
      expect(text).toContain('pod_identity_webhook_admission_duration_seconds_count 1');
    } finally {
      await app.close();
    }
  });
});
