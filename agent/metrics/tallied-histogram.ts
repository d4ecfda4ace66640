import type { Metric, MetricValueWithName, Registry } from 'prom-client';

/** One series of a {@link TalliedHistogram}: `observe` adds to plain numbers. */
export interface HistogramSeries {
  /** Counts one observation; a value that is not a finite number is not counted. */
  observe(value: number): void;
}

/** What a {@link TalliedHistogram} is built from, as prom-client's `Histogram` takes it. */
export interface TalliedHistogramConfig<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  /** Upper bounds, ascending; `+Inf` is added. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/** What `get()` returns: prom-client's own reading of a histogram (whose typings say `type` is an enum). */
export interface HistogramReading {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: MetricValueWithName<string>[];
}

interface Series<T extends string> {
  readonly labels: Readonly<Record<T, string>>;
  /** Observations per bucket, not cumulative; the last is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram for a hot path, exported as prom-client exports its own: each series is made once and
 * its `observe` finds the bucket and adds to three numbers. prom-client's `observe`, even on a
 * labelled child, builds and hashes the label string and looks it up on every call, 0.7 µs of a cache
 * hit's CPU (docs/performance.md), and it has no public way to add counts made elsewhere, so unlike
 * `TalliedCounter` this is not a prom-client `Histogram`. A registry reads it through `get()` like
 * any metric: the same `_bucket` (cumulative, `le` first), `_sum` and `_count` values.
 */
export class TalliedHistogram<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly T[];
  readonly #bounds: readonly number[];
  readonly #series: Series<T>[] = [];

  constructor(config: TalliedHistogramConfig<T>) {
    const { name, help, labelNames, buckets, registers } = config;
    if (
      buckets.length === 0 ||
      buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] ?? b)))
    )
      throw new Error(`${name}: buckets must be finite and ascending`);
    if (labelNames.includes('le' as T)) throw new Error(`${name}: "le" is the bucket label`);
    this.name = name;
    this.help = help;
    this.#labelNames = [...labelNames];
    this.#bounds = [...buckets];
    // prom-client types a registry's metrics as its own classes; it reads only name, help, type,
    // aggregator, get() and reset().
    for (const registry of registers) registry.registerMetric(this as unknown as Metric<string>);
  }

  /**
   * The series of `labels`, made once by its hot path's owner and exported from now on, at 0 until
   * observed. The same labels give the same series; labels other than the histogram's throw here.
   */
  series(labels: Readonly<Record<T, string>>): HistogramSeries {
    const names = Object.keys(labels);
    if (names.length !== this.#labelNames.length || names.some((n) => !this.#labelNames.includes(n as T)))
      throw new Error(
        `${this.name}: labels must be exactly ${this.#labelNames.join(', ')}, got ${names.join(', ')}`,
      );
    const series =
      this.#series.find((s) => this.#labelNames.every((n) => s.labels[n] === labels[n])) ??
      this.#add({ ...labels });
    const bounds = this.#bounds;
    return {
      observe(value) {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > (bounds[i] as number)) i++;
        series.counts[i] = (series.counts[i] as number) + 1;
        series.sum += value;
        series.count += 1;
      },
    };
  }

  /** The series in prom-client's `get()` form: per series, its buckets, `+Inf`, `_sum`, `_count`. */
  async get(): Promise<HistogramReading> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += series.counts[i] as number;
        values.push({
          labels: { le, ...series.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push(
        { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series; they stay exported. */
  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  #add(labels: Readonly<Record<T, string>>): Series<T> {
    const series: Series<T> = {
      labels,
      counts: new Array(this.#bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
    };
    this.#series.push(series);
    return series;
  }
}
