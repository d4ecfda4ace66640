import { CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import { checkInteger } from '../config/option-checks.js';
import type { Log } from '../log/logger.js';
import type { PodStore } from './pod-store.js';

/** First delay before listing again after a failed list or watch, milliseconds; doubles up to 30 s. */
export const DEFAULT_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;
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
}

/** A list + watch of this node's pods feeding a {@link PodStore}. */
export interface PodInformer {
  /** Starts in the background; `isSynced()` turns true after the first complete list. */
  start(): void;
  /** True once the first list has been loaded (readiness). */
  isSynced(): boolean;
  stop(): Promise<void>;
}

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
 * selector `spec.nodeName=<node>`), which resumes watches from the last resource version and lists
 * again on 410 Gone (reporting pods that vanished meanwhile as deleted). After a failed list or watch
 * it starts again with doubling delays, answering from the last known pods meanwhile.
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
  let synced = false;
  let stopped = false;
  let delay = firstDelay;
  let retry: NodeJS.Timeout | undefined;

  informer.on('add', (pod) => store.upsert(pod));
  informer.on('update', (pod) => store.upsert(pod));
  informer.on('delete', (pod) => store.remove(pod));
  informer.on('error', (error: unknown) => {
    if (stopped) return;
    logger.warn(
      { err: describe(error), retryInMs: delay },
      'pod watch failed; keeping known pods and retrying',
    );
    retry = setTimeout(() => {
      retry = undefined;
      void begin();
    }, delay);
    retry.unref();
    delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
  });

  async function begin(): Promise<void> {
    if (stopped) return;
    await informer.start();
    // start() resolves after the list and the opening of the watch, or after an error.
    if (informer.latestResourceVersion() === '') return;
    delay = firstDelay;
    if (!synced) {
      synced = true;
      logger.info({ nodeName, pods: store.size }, 'pods of this node listed');
    }
  }

  return {
    start() {
      stopped = false;
      void begin();
    },
    isSynced: () => synced,
    async stop() {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      await informer.stop();
    },
  };
}

function describe(error: unknown): string {
  const status = (error as { statusCode?: unknown; code?: unknown } | null)?.statusCode;
  if (typeof status === 'number') return `HTTP ${status}`;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
