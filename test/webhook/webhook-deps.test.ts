import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { ConfigError } from '../../agent/errors.js';
import { createLogger } from '../../agent/log/logger.js';
import { mutateWithRefresh } from '../../agent/webhook/mutate-with-refresh.js';
import { createWebhookDeps } from '../../agent/webhook/webhook-deps.js';
import { controlPlaneProblem } from '../../test-support/control-plane/binaries.js';
import { sharedControlPlane } from '../../test-support/control-plane/shared.js';
import { needs } from '../../test-support/needs.js';
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

  const withCluster = needs(controlPlaneProblem(), 'the webhook annotation test against kube-apiserver');
  it.skipIf(!withCluster)(
    'with --role-source both, is ready after the ServiceAccount list and lets file entries win',
    async () => {
      const plane = await sharedControlPlane();
      const ns = await plane.admin.createNamespace();
      const annotated = (role: string) => ({ 'eks.amazonaws.com/role-arn': role });
      await plane.admin.createServiceAccount(
        ns,
        'irsa-sa',
        annotated('arn:aws:iam::123456789012:role/FromAnnotation'),
      );
      await plane.admin.createServiceAccount(ns, 'old-sa', annotated('arn:aws:iam::123456789012:role/Loser'));
      const file = join(dir, 'both.yaml');
      await writeFile(
        file,
        `associations:\n${entry('old-sa').replace('namespace: default', `namespace: ${ns}`)}`,
      );
      const deps = await createWebhookDeps(
        config(file, ['--role-source', 'both', '--kubeconfig', plane.kubeconfig]),
        {
          logger: createLogger('silent'),
          clock,
        },
      );
      try {
        const notReady = () => deps.readiness?.map((check) => check()).find((r) => r !== undefined);
        for (let i = 0; i < 500 && notReady() !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
        expect(notReady()).toBeUndefined();
        expect(deps.resolver.resolve(ns, 'irsa-sa')?.roleArn).toBe(
          'arn:aws:iam::123456789012:role/FromAnnotation',
        );
        expect(deps.resolver.resolve(ns, 'old-sa')?.roleArn).toBe(ROLE);
      } finally {
        await deps.onClose?.();
      }
    },
    120_000,
  );

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
