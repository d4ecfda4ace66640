import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AssociationResolver } from '../associations/association.js';
import { type AssociationStore, createAssociationStore } from '../associations/association-store.js';
import type { Clock } from '../clock.js';
import type { WebhookConfig } from '../config/parse-config.js';
import { ConfigError } from '../errors.js';
import type { WebhookDeps } from './webhook-app.js';
import { createWebhookMetrics } from './webhook-metrics.js';

/** Inputs of {@link createWebhookDeps} that come from outside the config. */
export interface WebhookEnvironment {
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * Builds the webhook's real dependencies: its own metrics registry and the hot-reloading associations
 * store (the same file and precedence as the agent, so the webhook injects exactly the pods the agent
 * will serve). On a miss the store is re-read once (`refresh`). Rejects with `ConfigError` when the
 * file is invalid at start.
 */
export async function createWebhookDeps(
  config: WebhookConfig,
  env: WebhookEnvironment,
): Promise<WebhookDeps> {
  const { logger, clock } = env;
  const metrics = createWebhookMetrics(new Registry());
  if (config.roleSource !== 'file')
    throw new ConfigError([
      `webhook --role-source ${config.roleSource} is not supported yet; use --role-source file`,
    ]);
  if (config.associationsFile === undefined) throw new ConfigError(['webhook needs --associations']);
  const store: AssociationStore = await createAssociationStore({
    file: config.associationsFile,
    clock,
    metrics,
    logger,
  });
  const resolver: AssociationResolver = store;
  return {
    resolver,
    refresh: () => store.reload(),
    metrics,
    logger,
    onClose: () => store.close(),
  };
}
