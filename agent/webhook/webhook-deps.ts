import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createAssociationSource } from '../associations/create-association-source.js';
import type { Clock } from '../clock.js';
import type { WebhookConfig } from '../config/parse-config.js';
import { ConfigError } from '../errors.js';
import type { KubeConfigSource } from '../kube/kube-config.js';
import { registerRuntimeMetrics } from '../metrics/runtime-metrics.js';
import type { WebhookDeps } from './webhook-app.js';
import { createWebhookMetrics } from './webhook-metrics.js';

/** Inputs of {@link createWebhookDeps} that come from outside the config. */
export interface WebhookEnvironment {
  readonly logger: Logger;
  readonly clock: Clock;
  /** `KUBERNETES_SERVICE_HOST` and `_PORT`, for `--role-source annotation|both` in a cluster. */
  readonly kubernetes?: Omit<KubeConfigSource, 'kubeconfig'> | undefined;
}

/**
 * Builds the webhook's real dependencies with the agent's own role sources and precedence
 * (`createAssociationSource`), so the webhook injects exactly the pods the agent will serve: the
 * hot-reloading `--associations` file, ServiceAccount `eks.amazonaws.com/role-arn` annotations (a
 * watch), or both (file wins). On a miss the file is re-read once (`refresh`); annotations come from
 * the watch only. The webhook is not ready until the first ServiceAccount list. Rejects with
 * `ConfigError` when the file is invalid at start or the API server cannot be located.
 */
export async function createWebhookDeps(
  config: WebhookConfig,
  env: WebhookEnvironment,
): Promise<WebhookDeps> {
  const { logger, clock } = env;
  const metrics = createWebhookMetrics(new Registry());
  registerRuntimeMetrics(metrics.registry);
  const { roleSource, associationsFile } = config;
  if (roleSource !== 'annotation' && associationsFile === undefined)
    throw new ConfigError(['webhook needs --associations']);
  const source = await createAssociationSource(config, {
    clock,
    metrics,
    logger,
    // Loaded only here: the Kubernetes client costs start-up time the file-only webhook never needs.
    kubeConfig: async () => {
      const { loadKubeConfig } = await import('../kube/kube-config.js');
      try {
        return loadKubeConfig({ kubeconfig: config.kubeconfig, ...env.kubernetes });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ConfigError([`--role-source ${roleSource}: ${reason}`]);
      }
    },
  });
  return {
    resolver: source.resolver,
    ...(source.refresh === undefined ? {} : { refresh: source.refresh }),
    metrics,
    logger,
    readiness: [() => source.notReadyReason()],
    onClose: () => source.close(),
  };
}
