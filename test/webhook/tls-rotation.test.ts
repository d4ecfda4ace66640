import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { createLogger } from '../../agent/log/logger.js';
import { createWebhookApp, type WebhookApp } from '../../agent/webhook/webhook-app.js';
import { createWebhookMetrics } from '../../agent/webhook/webhook-metrics.js';
import { type CertFiles, makeSelfSignedCert } from '../../test-support/self-signed-cert.js';
import { pod, resolver } from './fixtures.js';

let dir: string;
let first: CertFiles;
let second: CertFiles;
let app: WebhookApp;
let port: number;
let metrics: ReturnType<typeof createWebhookMetrics>;
const certFile = () => join(dir, 'tls.crt');
const keyFile = () => join(dir, 'tls.key');

const body = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'default',
    operation: 'CREATE',
    object: pod({}),
  },
});

/** One review over `agent`; resolves the presented certificate's fingerprint and whether the socket was reused. */
function post(
  agent: Agent | false,
): Promise<{ status: number; fingerprint: string; reused: boolean; uid: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate',
        method: 'POST',
        agent,
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            fingerprint,
            reused: req.reusedSocket,
            uid: JSON.parse(Buffer.concat(chunks).toString()).response.uid,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webhook-tls-'));
  first = await makeSelfSignedCert(dir, 'first', 'webhook-first');
  second = await makeSelfSignedCert(dir, 'second', 'webhook-second');
  await copyFile(first.certFile, certFile());
  await copyFile(first.keyFile, keyFile());
  const argv = ['webhook', '--tls-cert-file', certFile(), '--tls-key-file', keyFile(), '--associations', 'x'];
  argv.push('--port', '0', '--probe-address', '127.0.0.1', '--probe-port', '0', '--metrics-port', '0');
  metrics = createWebhookMetrics(new Registry());
  app = await createWebhookApp(parseConfig(argv, {}) as WebhookConfig, {
    resolver: resolver(),
    metrics,
    logger: createLogger('silent'),
    listenHost: '127.0.0.1',
    tlsPollIntervalMs: 25,
  });
  port = await app.start();
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS certificate rotation', () => {
  it('presents the new certificate after rotation while requests keep succeeding', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    const before = await post(keepAlive);
    expect(before).toMatchObject({ status: 200, fingerprint: first.fingerprint256, uid: 'u-1' });

    // Traffic on fresh connections during the whole rotation; none may fail.
    let flowing = true;
    const results: Awaited<ReturnType<typeof post>>[] = [];
    const traffic = (async () => {
      while (flowing) results.push(await post(false));
    })();

    // A half-done rotation (new certificate, old key) must keep the old pair in service.
    await copyFile(second.certFile, certFile());
    expect(await app.reloadTls()).toBe(false);
    expect((await post(false)).fingerprint).toBe(first.fingerprint256);
    await copyFile(second.keyFile, keyFile());

    const deadline = Date.now() + 5000;
    let latest = await post(false);
    while (latest.fingerprint !== second.fingerprint256 && Date.now() < deadline) latest = await post(false);
    flowing = false;
    await traffic;

    expect(latest.fingerprint).toBe(second.fingerprint256);
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 200)).toBe(true);
    // The connection opened before rotation is not dropped: it is reused and still answers.
    const after = await post(keepAlive);
    expect(after).toMatchObject({ status: 200, reused: true, fingerprint: first.fingerprint256 });
    keepAlive.destroy();

    const reloads = (await metrics.tlsReloads.get()).values;
    expect(reloads.find((v) => v.labels.result === 'success')?.value).toBe(1);
    expect(reloads.find((v) => v.labels.result === 'error')?.value).toBeGreaterThanOrEqual(1);
  });
});
