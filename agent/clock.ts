/** The one source of time. Tests inject a fixed, non-zero epoch. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * Milliseconds from an arbitrary start that only moves forward, for durations: a wall-clock step
 * (NTP) must not make one negative. Tests inject a fake.
 */
export type Monotonic = () => number;

/** Node's monotonic clock (`performance.now()`, sub-microsecond). */
export const systemMonotonic: Monotonic = () => performance.now();
