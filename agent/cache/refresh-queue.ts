import type { Clock } from '../clock.js';
import type { Timers } from '../timers.js';

/** A first-in first-out queue that starts at most `maxPerSecond` jobs a second, evenly spaced. */
export interface RefreshQueue<T> {
  /** Queues `item`; it starts at once when the rate allows. */
  push(item: T): void;
  /** Items waiting. */
  readonly length: number;
  /** Forgets waiting items and stops the pacing timer. */
  close(): void;
}

/** Options of {@link createRefreshQueue}. */
export interface RefreshQueueOptions<T> {
  readonly clock: Clock;
  readonly timers: Timers;
  /** Most starts per second, > 0. */
  readonly maxPerSecond: number;
  /** Starts `item`; returns false when it was obsolete and skipped, which spends no rate budget. */
  readonly start: (item: T) => boolean;
}

/**
 * Paces background refreshes so that entries created together (a node boot) do not hit the upstream
 * together again, and a backlog never exceeds the upstream's quota.
 */
export function createRefreshQueue<T>(options: RefreshQueueOptions<T>): RefreshQueue<T> {
  const { clock, timers, start } = options;
  const intervalMs = 1000 / options.maxPerSecond;
  let items: (T | undefined)[] = [];
  let head = 0;
  let nextStartAt = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let closed = false;

  function pump(): void {
    timer = undefined;
    while (head < items.length && !closed) {
      const now = clock.now();
      if (now < nextStartAt) {
        timer = timers.setTimeout(pump, nextStartAt - now);
        return;
      }
      const item = items[head] as T;
      items[head] = undefined;
      head += 1;
      if (start(item)) nextStartAt = now + intervalMs;
    }
    items = [];
    head = 0;
  }

  return {
    push(item: T): void {
      if (closed) return;
      // Compact a long-lived backlog now and then instead of shifting on every start.
      if (head > 1024 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      items.push(item);
      if (timer === undefined) pump();
    },
    get length(): number {
      return items.length - head;
    },
    close(): void {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      items = [];
      head = 0;
    },
  };
}
