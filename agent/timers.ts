/** Timer functions, injectable so tests drive time without waiting. Handles are opaque. */
export interface Timers {
  /** Calls `callback` once after `delayMs` milliseconds; returns a handle for {@link Timers.clearTimeout}. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers cap delays at 2^31 - 1 ms (~24.8 days); longer ones would fire at once. */
const MAX_DELAY_MS = 2_147_483_647;

/** The global timers, unref'd so that pending refreshes never keep the process alive. */
export const systemTimers: Timers = Object.freeze({
  setTimeout(callback: () => void, delayMs: number): unknown {
    const handle = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_DELAY_MS));
    handle.unref();
    return handle;
  },
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
});
