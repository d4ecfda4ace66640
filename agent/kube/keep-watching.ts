import type { KubernetesObject, ListWatch } from '@kubernetes/client-node';
import type { Log } from '../log/logger.js';
import { systemTimers, type Timers } from '../timers.js';

/** First delay before listing again after a failed list or watch, milliseconds; doubles up to 30 s. */
export const DEFAULT_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;

/** Options of {@link keepWatching}. */
export interface KeepWatchingOptions {
  /** What is watched, for the log line, e.g. `pod watch`. */
  readonly what: string;
  readonly logger: Pick<Log, 'warn'>;
  /** First retry delay, milliseconds (positive integer). */
  readonly retryDelayMs: number;
  /** Called once, after the first complete list. */
  readonly onSynced: () => void;
  /** Milliseconds since the epoch, for {@link Watching.failingForMs}. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Schedules the retries. Default {@link systemTimers} (unref'd). */
  readonly timers?: Timers | undefined;
}

/** A list + watch that keeps going. */
export interface Watching {
  /** Starts in the background. */
  start(): void;
  /** True once the first list has been loaded (readiness). */
  isSynced(): boolean;
  /** Milliseconds since the list or watch first failed without recovering since; 0 while it works. */
  failingForMs(): number;
  stop(): Promise<void>;
}

/**
 * Runs client-node's `ListWatch` (which resumes from the last resource version and lists again on
 * 410 Gone) and, after a failed list or watch, starts it again with doubling delays up to 30 s. The
 * informer's handlers keep the last known state meanwhile.
 */
export function keepWatching<T extends KubernetesObject>(
  informer: ListWatch<T>,
  options: KeepWatchingOptions,
): Watching {
  const { what, logger, onSynced, timers = systemTimers } = options;
  let synced = false;
  let stopped = false;
  let delay = options.retryDelayMs;
  let retry: unknown;
  const now = options.now ?? Date.now;
  /** When the current run of failures began. */
  let failingSince: number | undefined;
  /** Failures so far: a start() that saw one did not succeed, whatever resource version it kept. */
  let failures = 0;

  informer.on('error', (error: unknown) => {
    if (stopped) return;
    failures += 1;
    failingSince ??= now();
    logger.warn(
      { err: describeKubeError(error), retryInMs: delay },
      `${what} failed; keeping known state and retrying`,
    );
    retry = timers.setTimeout(() => {
      retry = undefined;
      void begin();
    }, delay);
    delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
  });

  async function begin(): Promise<void> {
    if (stopped) return;
    const before = failures;
    await informer.start();
    // start() resolves after the list and the opening of the watch, or after an error. After the
    // first list, a restart goes straight to the watch and keeps the resource version even when the
    // watch fails: only the absence of a new failure means it worked.
    if (informer.latestResourceVersion() === '' || failures !== before) return;
    delay = options.retryDelayMs;
    failingSince = undefined;
    if (!synced) {
      synced = true;
      onSynced();
    }
  }

  return {
    start() {
      stopped = false;
      void begin();
    },
    isSynced: () => synced,
    failingForMs: () => (failingSince === undefined ? 0 : Math.max(0, now() - failingSince)),
    async stop() {
      stopped = true;
      if (retry !== undefined) timers.clearTimeout(retry);
      await informer.stop();
    },
  };
}

/**
 * A short, secret-free description of a client-node error: the HTTP status (with, for 401 and 403, the
 * API server's own reason, which names the verb and resource refused), the error code, or the first line.
 */
export function describeKubeError(error: unknown): string {
  // ApiException (list) carries the status as a numeric `code`; the watch's error as `statusCode`.
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = typeof statusCode === 'number' ? statusCode : code;
  if (typeof status === 'number') {
    const reason = status === 401 || status === 403 ? statusMessage(error) : undefined;
    return reason === undefined ? `HTTP ${status}` : `HTTP ${status}: ${reason}`;
  }
  if (typeof code === 'string') return code;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * The `message` of the Kubernetes Status an error response carried (e.g. `pods is forbidden: User
 * "system:serviceaccount:kube-system:pod-identity-agent" cannot list resource "pods" ...`), first line,
 * at most 300 characters. A Status is the server's answer, never the request, so it holds no token.
 */
function statusMessage(error: unknown): string | undefined {
  let body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const { kind, message } = (body ?? {}) as { kind?: unknown; message?: unknown };
  if (kind !== 'Status' || typeof message !== 'string') return undefined;
  return message.split('\n')[0]?.slice(0, 300);
}
