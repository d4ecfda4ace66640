import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedCounter } from '../../agent/metrics/tallied-counter.js';

const build = () => {
  const registry = new Registry();
  const counter = new TalliedCounter({
    name: 'test_events_total',
    help: 'Events.',
    labelNames: ['event'],
    registers: [registry],
  });
  const value = async (event: string) =>
    (await counter.get()).values.find((v) => v.labels.event === event)?.value;
  return { registry, counter, value };
};

describe('TalliedCounter', () => {
  it("adds a tally's counts to its series when read, beside series counted with inc", async () => {
    const { counter, value } = build();
    const hits = counter.tally({ event: 'hit' });
    hits.inc();
    hits.inc();
    counter.inc({ event: 'miss' });
    expect(await value('hit')).toBe(2);
    expect(await value('miss')).toBe(1);
    hits.inc();
    counter.inc({ event: 'hit' }, 5);
    expect(await value('hit')).toBe(8);
    // Read again with nothing new: counted once, not added twice.
    expect(await value('hit')).toBe(8);
  });

  it('shows tallied counts in the exposition text of its registry', async () => {
    const { registry, counter } = build();
    const hits = counter.tally({ event: 'hit' });
    for (let i = 0; i < 3; i++) hits.inc();
    expect(await registry.metrics()).toContain('test_events_total{event="hit"} 3');
  });

  it('exports a tallied series at 0 before it counts anything', async () => {
    const { counter } = build();
    counter.tally({ event: 'hit' });
    expect((await counter.get()).values).toEqual([{ labels: { event: 'hit' }, value: 0 }]);
  });

  it('takes the label values as given, not a later change to that object', async () => {
    const { counter, value } = build();
    const labels = { event: 'hit' };
    const hits = counter.tally(labels);
    labels.event = 'other';
    hits.inc();
    expect(await value('hit')).toBe(1);
    expect(await value('other')).toBeUndefined();
  });

  it('zeroes tallies that were not read yet on reset', async () => {
    const { counter, value } = build();
    const hits = counter.tally({ event: 'hit' });
    hits.inc();
    counter.reset();
    expect(await value('hit')).toBeUndefined();
    hits.inc();
    expect(await value('hit')).toBe(1);
  });

  it('refuses a label it was not given when the tally is made, not at the next read', async () => {
    const { counter } = build();
    expect(() => counter.tally({ kind: 'x' } as never)).toThrow(/label/i);
    await expect(counter.get()).resolves.toMatchObject({ values: [] });
  });
});
