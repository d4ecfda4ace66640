import type { Clock } from '../../agent/clock.js';
import type { Timers } from '../../agent/timers.js';
import { EPOCH } from './fake-verifier.js';

/** Lets pending promise callbacks run (one macrotask turn). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock and timers that move only when the test says so. */
export class FakeTime implements Clock, Timers {
  private current: number;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  /** Starts at `start`, the fixed, non-zero test epoch by default. */
  constructor(start = EPOCH) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.current + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Timers not yet fired or cleared. */
  get timerCount(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing due timers in order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, timer] of this.pending) {
        if (timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined || nextAt > target) break;
      const timer = this.pending.get(nextId);
      this.pending.delete(nextId);
      this.current = Math.max(this.current, nextAt);
      timer?.callback();
      await flush();
    }
    this.current = target;
    await flush();
  }
}
