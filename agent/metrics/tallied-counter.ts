import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/** One series of a {@link TalliedCounter}, for a hot path: `inc()` adds 1 to a plain number. */
export interface Tally {
  inc(): void;
}

interface Pending<T extends string> {
  readonly labels: LabelValues<T>;
  count: number;
}

/**
 * A prom-client counter whose hot series are tallies: a tally's `inc()` is one addition, and what it
 * counted is added to its series whenever the counter is read (a scrape, `get()`), through
 * prom-client's `collect` hook. prom-client's own `inc`, even on a labelled child, builds and hashes
 * the label string and looks it up on every call; three of them per cache hit were ~2 µs of the
 * agent's CPU per hit (docs/performance.md). Series without a tally are counted with `inc` as usual.
 */
export class TalliedCounter<T extends string> extends Counter<T> {
  readonly #pending: Pending<T>[] = [];

  constructor(config: Omit<CounterConfiguration<T>, 'collect'>) {
    super({
      ...config,
      collect(this: Counter<T>) {
        (this as TalliedCounter<T>).#flush();
      },
    });
  }

  /**
   * The tally of the series `labels`, made once per series by its hot path's owner. The series is
   * exported from now on, at 0 until counted; labels the counter was not given throw here, not at
   * the next scrape.
   */
  tally(labels: LabelValues<T>): Tally {
    const pending: Pending<T> = { labels: { ...labels }, count: 0 };
    this.inc(pending.labels, 0);
    this.#pending.push(pending);
    return {
      inc() {
        pending.count += 1;
      },
    };
  }

  /** Zeroes every series, tallies included. */
  override reset(): void {
    // prom-client's constructor calls reset() before this class's fields exist.
    if (#pending in this) for (const pending of this.#pending) pending.count = 0;
    super.reset();
  }

  #flush(): void {
    for (const pending of this.#pending) {
      if (pending.count === 0) continue;
      const count = pending.count;
      pending.count = 0;
      this.inc(pending.labels, count);
    }
  }
}
