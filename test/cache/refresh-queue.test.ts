import { describe, expect, it } from 'vitest';
import { createRefreshQueue } from '../../agent/cache/refresh-queue.js';
import { FakeTime } from './fakes.js';

describe('createRefreshQueue', () => {
  it('starts the first item at once and spaces the rest evenly', async () => {
    const time = new FakeTime();
    const started: [string, number][] = [];
    const queue = createRefreshQueue<string>({
      clock: time,
      timers: time,
      maxPerSecond: 4,
      start: (item) => {
        started.push([item, time.now() - 1_790_000_000_000]);
        return true;
      },
    });
    for (const item of ['a', 'b', 'c', 'd', 'e']) queue.push(item);
    expect(started).toEqual([['a', 0]]);
    expect(queue.length).toBe(4);
    await time.advance(1000);
    expect(started).toEqual([
      ['a', 0],
      ['b', 250],
      ['c', 500],
      ['d', 750],
      ['e', 1000],
    ]);
    expect(queue.length).toBe(0);
  });

  it('spends no rate budget on skipped items', async () => {
    const time = new FakeTime();
    const started: string[] = [];
    const queue = createRefreshQueue<string>({
      clock: time,
      timers: time,
      maxPerSecond: 1,
      start: (item) => {
        if (item.startsWith('skip')) return false;
        started.push(item);
        return true;
      },
    });
    for (const item of ['skip-1', 'skip-2', 'a', 'b']) queue.push(item);
    expect(started).toEqual(['a']);
    await time.advance(1000);
    expect(started).toEqual(['a', 'b']);
  });

  it('forgets waiting items and its timer on close', async () => {
    const time = new FakeTime();
    const started: string[] = [];
    const queue = createRefreshQueue<string>({
      clock: time,
      timers: time,
      maxPerSecond: 1,
      start: (item) => started.push(item) > 0,
    });
    queue.push('a');
    queue.push('b');
    queue.close();
    queue.push('c');
    await time.advance(5000);
    expect(started).toEqual(['a']);
    expect(time.timerCount).toBe(0);
  });
});
