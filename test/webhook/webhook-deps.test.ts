import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { ConfigError } from '../../agent/errors.js';
import { createLogger } from '../../agent/log/logger.js';
import { mutateWithRefresh } from '../../agent/webhook/mutate-with-refresh.js';
import { createWebhookDeps } from '../../agent/webhook/webhook-deps.js';
import { startKubeApi } from '../../test-support/kube-api.js';
import { pod, ROLE, URI } from './fixtures.js';

const clock = { now: () => 1_790_000_000_000 };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'webhook-deps-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(file: string, extra: string[] = []): WebhookConfig {
  return parseConfig(
    ['webhook', '--tls-cert-file', 'c', '--tls-key-file', 'k', '--associations', file, ...extra],
    {},
  ) as WebhookConfig;
}

const entry = (sa: string) => `  - namespace: default\n    serviceAccount: ${sa}\n    roleArn: ${ROLE}\n`;

describe('createWebhookDeps', () => {
  it('injects a service account whose association was added just before its pod (one re-read)', async () => {
    const file = join(dir, 'race.yaml');
    await writeFile(file, `associations:\n${entry('old-sa')}`);
    const deps = await createWebhookDeps(config(file), { logger: createLogger('silent'), clock });
    try {
      // The admin adds the association; the store's 2 s poll has not run yet when the pod arrives.
      await writeFile(file, `associations:\n${entry('old-sa')}${entry('new-sa')}`);
      expect(deps.resolver.resolve('default', 'new-sa')).toBeUndefined();
      const options = {
        resolver: deps.resolver,
        refresh: deps.refresh,
        audience: 'pods.eks.amazonaws.com',
        tokenExpirationSeconds: 86400,
        credentialsUri: URI,
      };
      const mutation = await mutateWithRefresh(pod({ serviceAccountName: 'new-sa' }), 'default', options);
      expect(mutation).toMatchObject({ result: 'injected', refreshed: true });
    } finally {
      await deps.onClose?.();
    }
  });

  it('with --role-source both, is ready after the ServiceAccount list and lets file entries win', async () => {
    const kube = await startKubeApi();
    const annotated = (name: string, role: string) => ({
      metadata: { name, namespace: 'default', annotations: { 'eks.amazonaws.com/role-arn': role } },
    });
    kube.apply('serviceaccounts', annotated('irsa-sa', 'arn:aws:iam::123456789012:role/FromAnnotation'));
    kube.apply('serviceaccounts', annotated('old-sa', 'arn:aws:iam::123456789012:role/Loser'));
    const file = join(dir, 'both.yaml');
    await writeFile(file, `associations:\n${entry('old-sa')}`);
    const kubeconfig = await kube.writeKubeconfig(dir);
    const deps = await createWebhookDeps(
      config(file, ['--role-source', 'both', '--kubeconfig', kubeconfig]),
      {
        logger: createLogger('silent'),
        clock,
      },
    );
    try {
      const notReady = () => deps.readiness?.map((check) => check()).find((r) => r !== undefined);
      for (let i = 0; i < 100 && notReady() !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
      expect(notReady()).toBeUndefined();
      expect(deps.resolver.resolve('default', 'irsa-sa')?.roleArn).toBe(
        'arn:aws:iam::123456789012:role/FromAnnotation',
      );
      expect(deps.resolver.resolve('default', 'old-sa')?.roleArn).toBe(ROLE);
    } finally {
      await deps.onClose?.();
      await kube.close();
    }
  });

  it('with --role-source annotation outside a cluster and without --kubeconfig, refuses to start', async () => {
    const cfg = parseConfig(
      ['webhook', '--tls-cert-file', 'c', '--tls-key-file', 'k', '--role-source', 'annotation'],
      {},
    ) as WebhookConfig;
    await expect(createWebhookDeps(cfg, { logger: createLogger('silent'), clock })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it('refuses an invalid associations file at start with a ConfigError', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'associations: [{ namespace: default }]\n');
    await expect(
      createWebhookDeps(config(file), { logger: createLogger('silent'), clock }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
