import type { Clock } from '../../agent/clock.js';
import { EPOCH } from './fake-verifier.js';

/** A clock tests move by hand; it starts at the fixed, non-zero test {@link EPOCH}. */
export class ManualClock implements Clock {
  constructor(public ms = EPOCH) {}
  now(): number {
    return this.ms;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.ms += ms;
  }
}
