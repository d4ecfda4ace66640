import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { AnnotationRoles } from '../associations/annotation-roles.js';
import type { AssociationResolver } from '../associations/association.js';
import { combineResolvers } from '../associations/association-index.js';
import { type AssociationStore, createAssociationStore } from '../associations/association-store.js';
import type { Clock } from '../clock.js';
import type { WebhookConfig } from '../config/parse-config.js';
import { ConfigError } from '../errors.js';
import type { KubeConfigSource } from '../kube/kube-config.js';
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
 * Builds the webhook's real dependencies with the agent's own role sources and precedence, so the
 * webhook injects exactly the pods the agent will serve: the hot-reloading `--associations` file,
 * ServiceAccount `eks.amazonaws.com/role-arn` annotations (a watch), or both (file wins). On a miss
 * the file is re-read once (`refresh`); annotations come from the watch only. The webhook is not
 * ready until the first ServiceAccount list. Rejects with `ConfigError` when the file is invalid at
 * start or the API server cannot be located.
 */
export async function createWebhookDeps(
  config: WebhookConfig,
  env: WebhookEnvironment,
): Promise<WebhookDeps> {
  const { logger, clock } = env;
  const metrics = createWebhookMetrics(new Registry());
  const { roleSource, associationsFile } = config;
  let store: AssociationStore | undefined;
  if (roleSource !== 'annotation') {
    if (associationsFile === undefined) throw new ConfigError(['webhook needs --associations']);
    store = await createAssociationStore({ file: associationsFile, clock, metrics, logger });
  }
  let annotations: AnnotationRoles | undefined;
  if (roleSource !== 'file') {
    // Loaded only here: the Kubernetes client costs start-up time the file-only webhook never needs.
    const [{ createAnnotationRoles }, { loadKubeConfig }] = await Promise.all([
      import('../associations/annotation-roles.js'),
      import('../kube/kube-config.js'),
    ]);
    let kubeConfig: ReturnType<typeof loadKubeConfig>;
    try {
      kubeConfig = loadKubeConfig({ kubeconfig: config.kubeconfig, ...env.kubernetes });
    } catch (error) {
      store?.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError([`--role-source ${roleSource}: ${reason}`]);
    }
    annotations = createAnnotationRoles({ kubeConfig, logger });
    void annotations.start();
  }
  const resolvers = [store, annotations].filter(
    (r): r is AssociationStore | AnnotationRoles => r !== undefined,
  );
  const resolver: AssociationResolver =
    resolvers.length === 1 ? (resolvers[0] as AssociationResolver) : combineResolvers(...resolvers);
  return {
    resolver,
    ...(store === undefined ? {} : { refresh: () => (store as AssociationStore).reload() }),
    metrics,
    logger,
    readiness: [
      () => (annotations?.isSynced() === false ? 'ServiceAccount annotations not listed yet' : undefined),
    ],
    onClose: async () => {
      store?.close();
      await annotations?.stop();
    },
  };
}
