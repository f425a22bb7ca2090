import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every part registers its counters here; `/metrics` serves them in Prometheus format.
 * Tests create their own registry so counts never leak between tests.
 */
export class Metrics {
  readonly registry = new Registry();

  /** per counter: what `tally` children have counted and not yet handed to it */
  private readonly tallies = new Map<Counter<string>, Array<() => void>>();

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    const tallies = this.tallies;
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Counter<L>) {
        for (const flush of tallies.get(this as Counter<string>) ?? []) flush();
      },
    });
  }

  /**
   * A counter for the per-message path: its labels are bound once and each `inc` is a plain
   * addition, handed to the counter whenever it is read (`/metrics`, `value`). prom-client's own
   * `inc` hashes the labels and looks the series up on every call.
   */
  tally<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string | number>> = {}) {
    let pending = 0;
    const flushes = this.tallies.get(counter as Counter<string>) ?? [];
    this.tallies.set(counter as Counter<string>, flushes);
    flushes.push(() => {
      if (pending === 0) return;
      counter.inc(labels, pending);
      pending = 0;
    });
    return {
      inc(by = 1): void {
        pending += by;
      },
    };
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** a gauge read when it is scraped (`/metrics`, `value`): for what is cheaper to look at than to track */
  sampled(name: string, help: string, read: () => number): Gauge {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge;
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(read());
      },
    });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(buckets ? { buckets } : {}),
    });
  }

  /** The current value of a counter or gauge (summed over labels matching `labels`); for tests and health. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    let sum = 0;
    for (const v of data.values) {
      const l = v.labels as Record<string, string | number>;
      if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) sum += v.value;
    }
    return sum;
  }
}
