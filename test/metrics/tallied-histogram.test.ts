import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedHistogram } from '../../agent/metrics/tallied-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1];

const build = (registry = new Registry(), name = 'test_duration_seconds') =>
  new TalliedHistogram({
    name,
    help: 'Durations.',
    labelNames: ['cache'],
    buckets: BUCKETS,
    registers: [registry],
  });

describe('TalliedHistogram', () => {
  it("exports exactly what prom-client's Histogram exports for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const tallied = build(ours);
    const reference = new Histogram({
      name: 'test_duration_seconds',
      help: 'Durations.',
      labelNames: ['cache'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const observations: [string, number][] = [
      ['hit', 0.0002],
      ['hit', 0.001], // on a bound: counted in that bucket (le)
      ['hit', 0.05],
      ['miss', 0.3], // above every bound: +Inf only
      ['miss', 0.002],
      ['hit', 0],
    ];
    const series = { hit: tallied.series({ cache: 'hit' }), miss: tallied.series({ cache: 'miss' }) };
    for (const [cache, value] of observations) {
      series[cache as 'hit' | 'miss'].observe(value);
      reference.observe({ cache }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client adds `exemplar: null` to each value; exemplars are off, so nothing else may differ.
    const withoutExemplar = (v: object) =>
      Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'exemplar'));
    expect((await tallied.get()).values).toEqual((await reference.get()).values.map(withoutExemplar));
  });

  it('exports a series at 0 from when it is made, and zeroes it on reset without dropping it', async () => {
    const registry = new Registry();
    const histogram = build(registry);
    const hits = histogram.series({ cache: 'hit' });
    expect(await registry.metrics()).toContain('test_duration_seconds_count{cache="hit"} 0');
    hits.observe(0.005);
    expect(await registry.metrics()).toContain('test_duration_seconds_bucket{le="0.01",cache="hit"} 1');
    registry.resetMetrics();
    const text = await registry.metrics();
    expect(text).toContain('test_duration_seconds_bucket{le="0.01",cache="hit"} 0');
    expect(text).toContain('test_duration_seconds_sum{cache="hit"} 0');
  });

  it('gives the same series for the same labels, so two owners add to one count', async () => {
    const histogram = build();
    histogram.series({ cache: 'hit' }).observe(0.5);
    histogram.series({ cache: 'hit' }).observe(0.5);
    const count = (await histogram.get()).values.filter(
      (v) => v.metricName === 'test_duration_seconds_count',
    );
    expect(count).toEqual([
      { labels: { cache: 'hit' }, value: 2, metricName: 'test_duration_seconds_count' },
    ]);
  });

  it('does not count a value that is not a finite number', async () => {
    const histogram = build();
    const hits = histogram.series({ cache: 'hit' });
    hits.observe(Number.NaN);
    hits.observe(Number.POSITIVE_INFINITY);
    const values = (await histogram.get()).values;
    expect(values.every((v) => v.value === 0)).toBe(true);
  });

  it('refuses labels it was not given and buckets out of order when made, not at a scrape', () => {
    const histogram = build();
    expect(() => histogram.series({ kind: 'x' } as never)).toThrow(/labels must be exactly cache/);
    expect(() => histogram.series({ cache: 'hit', kind: 'x' } as never)).toThrow(/labels/);
    const registers = [new Registry()];
    expect(
      () => new TalliedHistogram({ name: 'x', help: 'x', labelNames: ['le'], buckets: [1], registers }),
    ).toThrow(/bucket label/);
    expect(
      () => new TalliedHistogram({ name: 'x', help: 'x', labelNames: [], buckets: [1, 0.5], registers }),
    ).toThrow(/ascending/);
    expect(
      () => new TalliedHistogram({ name: 'x', help: 'x', labelNames: [], buckets: [], registers }),
    ).toThrow(/ascending/);
  });

  it('is refused by a registry that already has a metric of its name', () => {
    const registry = new Registry();
    build(registry);
    expect(() => build(registry)).toThrow(/already been registered/);
  });
});
