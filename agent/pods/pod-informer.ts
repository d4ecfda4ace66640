import { CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import { checkInteger } from '../checks/option-checks.js';
import type { Clock } from '../clock.js';
import { DEFAULT_RETRY_DELAY_MS, keepWatching, type Watching } from '../kube/keep-watching.js';
import type { Log } from '../log/logger.js';
import type { PodStore } from './pod-store.js';

export { DEFAULT_RETRY_DELAY_MS };

/** Server-side watch timeout, seconds: a silently stalled watch is replaced at least this often. */
const WATCH_TIMEOUT_SECONDS = 300;

/** The pino-compatible logger methods used here. */
export type InformerLogger = Pick<Log, 'info' | 'warn'>;

/** Options of {@link createPodInformer}. */
export interface PodInformerOptions {
  readonly kubeConfig: KubeConfig;
  /** Only pods with `spec.nodeName` equal to this are listed and watched. */
  readonly nodeName: string;
  readonly store: PodStore;
  readonly logger: InformerLogger;
  /** First retry delay, milliseconds. Default {@link DEFAULT_RETRY_DELAY_MS}. */
  readonly retryDelayMs?: number | undefined;
  /** For how long the watch has been failing. Default: the wall clock. */
  readonly clock?: Clock | undefined;
}

/** A list + watch of this node's pods feeding a {@link PodStore}. */
export type PodInformer = Watching;

/** Asks for bookmarks, so a reconnect resumes from a recent version instead of listing again. */
class BookmarkWatch extends Watch {
  // biome-ignore lint/suspicious/noExplicitAny: matches the library's own signature.
  override watch(path: string, query: any, callback: any, done: any): Promise<AbortController> {
    return super.watch(
      path,
      { ...query, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS },
      callback,
      done,
    );
  }
}

/**
 * Creates the informer: client-node's `ListWatch` (what `makeInformer` builds, plus the field
 * selector `spec.nodeName=<node>`), kept going by `keepWatching`; a relist on 410 Gone reports pods
 * that vanished meanwhile as deleted.
 */
export function createPodInformer(options: PodInformerOptions): PodInformer {
  const { kubeConfig, nodeName, store, logger } = options;
  const firstDelay = checkInteger('retryDelayMs', options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
  if (nodeName.length === 0) throw new Error('"nodeName" must not be empty');
  const fieldSelector = `spec.nodeName=${nodeName}`;
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const informer = new ListWatch<V1Pod>(
    '/api/v1/pods',
    new BookmarkWatch(kubeConfig),
    () => api.listPodForAllNamespaces({ fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  informer.on('add', (pod) => store.upsert(pod));
  informer.on('update', (pod) => store.upsert(pod));
  informer.on('delete', (pod) => store.remove(pod));
  return keepWatching(informer, {
    what: 'pod watch',
    logger,
    retryDelayMs: firstDelay,
    now: options.clock === undefined ? undefined : () => (options.clock as Clock).now(),
    onSynced: () => logger.info({ nodeName, pods: store.size }, 'pods of this node listed'),
  });
}
