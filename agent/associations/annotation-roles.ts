import { CoreV1Api, type KubeConfig, ListWatch, type V1ServiceAccount, Watch } from '@kubernetes/client-node';
import { checkInteger } from '../checks/option-checks.js';
import { DEFAULT_RETRY_DELAY_MS, keepWatching } from '../kube/keep-watching.js';
import type { Association, AssociationResolver } from './association.js';
import { isRoleArn } from './parse-associations.js';

/** The ServiceAccount annotation IRSA users already set (and the seed's example uses). */
export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** The pino-compatible logger methods used here. */
export interface AnnotationLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of {@link createAnnotationRoles}. */
export interface AnnotationRolesOptions {
  /** Where the API server is and how to authenticate (in-cluster or `--kubeconfig`). */
  readonly kubeConfig: KubeConfig;
  readonly logger: AnnotationLogger;
  /** First retry delay after a failed list or watch, milliseconds. Default {@link DEFAULT_RETRY_DELAY_MS}. */
  readonly retryDelayMs?: number;
  /** Called when a service account's annotated role appears, changes or goes away (to drop cached credentials). */
  readonly onChange?: (namespace: string, serviceAccount: string) => void;
}

/** Roles from ServiceAccount annotations, kept current by a watch: no API call per request. */
export interface AnnotationRoles extends AssociationResolver {
  /** Starts the list + watch; resolves after the first complete list. */
  start(): Promise<void>;
  /** True once the first list has been loaded (readiness). */
  isSynced(): boolean;
  stop(): Promise<void>;
}

/**
 * Watches every ServiceAccount and resolves `eks.amazonaws.com/role-arn` for a namespace + name.
 * Annotations that are not IAM role ARNs are ignored (and logged). After a failed list or watch it
 * re-lists with doubling delays; it keeps answering from the last known state meanwhile.
 * See docs/any-cluster.md for when annotation roles are safe (`--role-source`).
 */
export function createAnnotationRoles(options: AnnotationRolesOptions): AnnotationRoles {
  const { kubeConfig, logger, onChange } = options;
  const firstDelay = checkInteger('retryDelayMs', options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
  const api = kubeConfig.makeApiClient(CoreV1Api);
  // ListWatch (what makeInformer builds) also tells whether the list has completed.
  const informer = new ListWatch<V1ServiceAccount>(
    '/api/v1/serviceaccounts',
    new Watch(kubeConfig),
    () => api.listServiceAccountForAllNamespaces(),
    false,
  );
  const roles = new Map<string, Association>();
  let resolveFirst: (() => void) | undefined;
  const first = new Promise<void>((resolve) => {
    resolveFirst = resolve;
  });

  const keyOf = (namespace: string, name: string) => `${namespace}\u0000${name}`;
  function set(sa: V1ServiceAccount, present: boolean): void {
    const namespace = sa.metadata?.namespace;
    const name = sa.metadata?.name;
    if (namespace === undefined || name === undefined) return;
    const key = keyOf(namespace, name);
    const annotation = present ? sa.metadata?.annotations?.[ROLE_ARN_ANNOTATION] : undefined;
    if (annotation !== undefined && !isRoleArn(annotation))
      logger.warn(
        { namespace, serviceAccount: name },
        `ignoring ${ROLE_ARN_ANNOTATION}: not an IAM role ARN`,
      );
    const roleArn = isRoleArn(annotation) ? annotation : undefined;
    const before = roles.get(key)?.roleArn;
    if (roleArn === undefined) roles.delete(key);
    else roles.set(key, Object.freeze({ namespace, serviceAccount: name, roleArn }));
    if (before !== roleArn) onChange?.(namespace, name);
  }

  informer.on('add', (sa) => set(sa, true));
  informer.on('update', (sa) => set(sa, true));
  informer.on('delete', (sa) => set(sa, false));
  const watching = keepWatching(informer, {
    what: 'ServiceAccount watch',
    logger,
    retryDelayMs: firstDelay,
    onSynced: () => {
      logger.info({ serviceAccountsWithRoles: roles.size }, 'ServiceAccount annotations loaded');
      resolveFirst?.();
    },
  });

  return {
    resolve(namespace, serviceAccount) {
      return roles.get(keyOf(namespace, serviceAccount));
    },
    async start() {
      watching.start();
      await first;
    },
    isSynced: watching.isSynced,
    stop: watching.stop,
  };
}
