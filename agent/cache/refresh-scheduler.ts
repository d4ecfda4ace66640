import type { Clock } from '../clock.js';
import type { Timers } from '../timers.js';
import type { CacheEntry } from './cache-entry.js';
import { createRefreshQueue } from './refresh-queue.js';

/** Decides when each entry is refreshed in the background, or left to lapse. */
export interface RefreshScheduler {
  /** Arms the refresh timer of an entry just stored. */
  schedule(entry: CacheEntry): void;
  /** An `idle` entry was just served: queue a refresh, unless a failed one is too recent. */
  wake(entry: CacheEntry, now: number): void;
  /** A background refresh failed with a retryable error: keep serving, retry on a use after `refreshRetryMs`. */
  refreshFailed(entry: CacheEntry, now: number): void;
  /** Stops the entry's timer; it will not be refreshed. */
  cancel(entry: CacheEntry): void;
  /** Stops the rate limiter; later `schedule` calls do nothing. */
  close(): void;
}

/** Options of {@link createRefreshScheduler}. */
export interface RefreshSchedulerOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: () => number;
  /** Milliseconds before expiry a used entry is refreshed. */
  readonly refreshAheadMs: number;
  /** Up to this many milliseconds earlier still, at random. */
  readonly refreshJitterMs: number;
  readonly maxRefreshesPerSecond: number;
  readonly refreshRetryMs: number;
  /** True while `entry` is the one the cache holds for its key. */
  readonly isCurrent: (entry: CacheEntry) => boolean;
  /** Removes an entry whose credentials reached the minimum-remaining zone. */
  readonly lapse: (entry: CacheEntry) => void;
  /** Starts the upstream call for a queued entry; false if it was skipped (spends no rate budget). */
  readonly refresh: (entry: CacheEntry) => boolean;
}

/**
 * Refresh-ahead only for entries someone used since their last refresh (the EKS Pod Identity Agent
 * refreshes every entry, dead pods included, until token expiry): an unused entry turns
 * `idle` at its refresh time and lapses when its credentials reach the minimum-remaining zone.
 */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const { clock, timers, random, refreshAheadMs, refreshJitterMs, refreshRetryMs, isCurrent, lapse } =
    options;
  let closed = false;
  const queue = createRefreshQueue<CacheEntry>({
    clock,
    timers,
    maxPerSecond: options.maxRefreshesPerSecond,
    start: (entry) => entry.state === 'queued' && isCurrent(entry) && options.refresh(entry),
  });

  function enqueue(entry: CacheEntry): void {
    entry.state = 'queued';
    queue.push(entry);
  }

  function due(entry: CacheEntry): void {
    if (!isCurrent(entry)) return;
    const delay = entry.serveUntil - clock.now();
    entry.timer = timers.setTimeout(
      () => {
        entry.timer = undefined;
        if (isCurrent(entry)) lapse(entry);
      },
      Math.max(0, delay),
    );
    if (entry.served) enqueue(entry);
    else entry.state = 'idle';
  }

  return {
    schedule(entry: CacheEntry): void {
      if (closed) return;
      const refreshAt = entry.credentials.expiration - refreshAheadMs - random() * refreshJitterMs;
      entry.state = 'waiting';
      entry.timer = timers.setTimeout(() => due(entry), Math.max(0, refreshAt - clock.now()));
    },
    wake(entry: CacheEntry, now: number): void {
      if (!closed && entry.state === 'idle' && now >= entry.retryAt) enqueue(entry);
    },
    refreshFailed(entry: CacheEntry, now: number): void {
      entry.failed = true;
      entry.state = 'idle';
      entry.retryAt = now + refreshRetryMs;
    },
    cancel(entry: CacheEntry): void {
      if (entry.timer !== undefined) timers.clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.state = 'gone';
    },
    close(): void {
      closed = true;
      queue.close();
    },
  };
}
