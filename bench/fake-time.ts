import type { Clock } from '../agent/clock.js';
import type { Timers } from '../agent/timers.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** A clock and timers that only move when told: a simulated day runs in well under a second. */
export interface FakeTime extends Clock, Timers {
  /** Runs every timer due up to `time` in order (settling promises after each), then sets the clock to `time`. */
  advanceTo(time: number): Promise<void>;
}

/** Lets promise callbacks and their follow-ups run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Creates fake time starting at `epochMs`. */
export function createFakeTime(epochMs: number): FakeTime {
  let now = epochMs;
  let seq = 0;
  let pending: Pending[] = [];
  return {
    now: () => now,
    setTimeout(callback, delayMs) {
      const timer: Pending = { at: now + Math.max(0, delayMs), seq: seq++, callback };
      pending.push(timer);
      return timer;
    },
    clearTimeout(handle) {
      pending = pending.filter((t) => t !== handle);
    },
    async advanceTo(time) {
      for (;;) {
        let next: Pending | undefined;
        for (const t of pending)
          if (
            t.at <= time &&
            (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
          )
            next = t;
        if (next === undefined) break;
        pending = pending.filter((t) => t !== next);
        now = Math.max(now, next.at);
        next.callback();
        await settle();
      }
      now = Math.max(now, time);
    },
  };
}
