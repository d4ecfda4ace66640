import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import type { CommonConfig } from '../config/parse-config.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AnnotationRoles } from './annotation-roles.js';
import type { AssociationResolver } from './association.js';
import { combineResolvers, isAffected } from './association-index.js';
import { type AssociationStore, createAssociationStore, type StoreLogger } from './association-store.js';

/** Which service accounts an edit affected: their cached credentials must go. */
export type AffectedPredicate = (namespace: string, serviceAccount: string) => boolean;

/** Options of {@link createAssociationSource}. */
export interface AssociationSourceOptions {
  readonly clock: Clock;
  readonly metrics: Pick<Metrics, 'associationsReloads'>;
  readonly logger: StoreLogger;
  /**
   * Builds the API client for `--role-source annotation|both` (called only then; may import lazily).
   * What it throws, the returned promise rejects with.
   */
  readonly kubeConfig: () => KubeConfig | Promise<KubeConfig>;
  /**
   * Called after the file or an annotation changed, with the service accounts whose role changed or
   * went away; the agent drops their cached credentials:
   * `cache.drop((identity) => affected(identity.namespace, identity.serviceAccount))`.
   */
  readonly onAffected?: ((affected: AffectedPredicate) => void) | undefined;
  /** Milliseconds between checks of the file. Default 2000. */
  readonly pollIntervalMs?: number;
}

/** The roles of the STS exchanges and their upkeep. */
export interface AssociationSource {
  /** File entries first, then annotations (`--role-source both`). */
  readonly resolver: AssociationResolver;
  /** Re-reads the associations file now (the webhook's second look on a miss); absent without a file. */
  readonly refresh?: (() => Promise<unknown>) | undefined;
  /** A reason while not ready (annotations not listed yet), else undefined. */
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

/**
 * Builds the association resolver `--role-source` asks for, for the agent's STS exchanges and for the
 * webhook alike: the hot-reloaded `--associations` file, ServiceAccount `eks.amazonaws.com/role-arn`
 * annotations, or both (file wins). Rejects with `ConfigError` when the file is missing or invalid at
 * start. Annotation watching starts in the background; the Kubernetes client is imported only then
 * (it is slow to load).
 */
export async function createAssociationSource(
  config: Pick<CommonConfig, 'roleSource' | 'associationsFile'>,
  options: AssociationSourceOptions,
): Promise<AssociationSource> {
  const { roleSource } = config;
  const file = roleSource === 'annotation' ? undefined : config.associationsFile;
  let annotations: AnnotationRoles | undefined;
  const annotationResolver: AssociationResolver = { resolve: (ns, sa) => annotations?.resolve(ns, sa) };
  const withAnnotations = (first: AssociationResolver) =>
    roleSource === 'both' ? combineResolvers(first, annotationResolver) : first;

  const store: AssociationStore | undefined =
    file === undefined
      ? undefined
      : await createAssociationStore({
          file,
          clock: options.clock,
          metrics: options.metrics,
          logger: options.logger,
          ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
          onChange: (previous, next) =>
            options.onAffected?.(isAffected(withAnnotations(previous), withAnnotations(next))),
        });
  if (roleSource !== 'file') {
    const [{ createAnnotationRoles }, kubeConfig] = await Promise.all([
      import('./annotation-roles.js'),
      Promise.resolve().then(options.kubeConfig),
    ]).catch((error: unknown) => {
      store?.close();
      throw error;
    });
    annotations = createAnnotationRoles({
      kubeConfig,
      logger: options.logger,
      onChange: (namespace, name) => options.onAffected?.((ns, sa) => ns === namespace && sa === name),
    });
    void annotations.start();
  }
  const resolver = store === undefined ? annotationResolver : withAnnotations(store);
  return {
    resolver,
    ...(store === undefined ? {} : { refresh: () => store.reload() }),
    notReadyReason: () =>
      annotations === undefined || annotations.isSynced()
        ? undefined
        : 'ServiceAccount annotations not listed yet',
    async close() {
      store?.close();
      await annotations?.stop();
    },
  };
}
