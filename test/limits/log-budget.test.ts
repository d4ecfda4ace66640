import { describe, expect, it } from 'vitest';
import { createLogBudget } from '../../agent/limits/log-budget.js';
import { ManualClock } from '../fakes/manual-clock.js';

describe('createLogBudget', () => {
  it('writes a burst of five seconds of lines, then one per 1/perSecond s, counting the dropped ones', () => {
    const clock = new ManualClock();
    const budget = createLogBudget(clock, 2);
    const taken = Array.from({ length: 25 }, () => budget.take());
    expect(taken.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(taken.slice(10)).toEqual(Array(15).fill(undefined));
    clock.advance(500);
    expect(budget.take()).toBe(15);
    expect(budget.take()).toBeUndefined();
  });
});
