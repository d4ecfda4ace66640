import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type WebhookConfig } from '../../agent/config/parse-config.js';
import { ConfigError } from '../../agent/errors.js';
import { createLogger } from '../../agent/log/logger.js';
import { mutateWithRefresh } from '../../agent/webhook/mutate-with-refresh.js';
import { createWebhookDeps } from '../../agent/webhook/webhook-deps.js';
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

  it('refuses an invalid associations file at start with a ConfigError', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'associations: [{ namespace: default }]\n');
    await expect(
      createWebhookDeps(config(file), { logger: createLogger('silent'), clock }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
