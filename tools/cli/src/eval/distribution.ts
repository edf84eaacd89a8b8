/**
 * A metric's values in constant memory: count, sum, min, max and a histogram, from which the
 * summary's percentiles and the report's plots are read. Scores in [0, 1] use 1 000 equal bins
 * (percentiles exact to 0.001); latency and cost use log-spaced bins growing by 2 % (percentiles
 * within 2 %), with zero counted on its own.
 */
export type Scale = 'unit' | 'log';

const UNIT_BINS = 1000;
const LOG_RATIO = 1.02;
const LOG_MIN = 1e-9;
const LOG_BINS = Math.ceil(Math.log(1e9 / LOG_MIN) / Math.log(LOG_RATIO));

export interface Stats {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export interface HistogramView {
  /** Lower edges of the display bins, then the upper edge of the last. */
  edges: number[];
  counts: number[];
}

export class Distribution {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly #bins: Uint32Array;
  #zeros = 0;

  constructor(readonly scale: Scale) {
    this.#bins = new Uint32Array(scale === 'unit' ? UNIT_BINS : LOG_BINS);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.scale === 'unit') {
      const bin = Math.min(UNIT_BINS - 1, Math.max(0, Math.floor(value * UNIT_BINS)));
      this.#bins[bin] = (this.#bins[bin] ?? 0) + 1;
    } else if (value <= LOG_MIN) {
      this.#zeros++;
    } else {
      const bin = Math.min(LOG_BINS - 1, Math.floor(Math.log(value / LOG_MIN) / Math.log(LOG_RATIO)));
      this.#bins[bin] = (this.#bins[bin] ?? 0) + 1;
    }
  }

  #binCenter(bin: number): number {
    if (this.scale === 'unit') return (bin + 0.5) / UNIT_BINS;
    return LOG_MIN * LOG_RATIO ** (bin + 0.5);
  }

  /** Nearest rank, read from the histogram; clamped to the observed min and max. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = this.scale === 'log' ? this.#zeros : 0;
    if (seen >= rank) return Math.max(this.min, 0);
    for (let bin = 0; bin < this.#bins.length; bin++) {
      seen += this.#bins[bin] ?? 0;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, this.#binCenter(bin)));
    }
    return this.max;
  }

  stats(): Stats {
    const empty = this.count === 0;
    const round = (value: number | null) => (value === null ? null : Number(value.toPrecision(6)));
    return {
      count: this.count,
      mean: empty ? null : round(this.sum / this.count),
      min: empty ? null : round(this.min),
      max: empty ? null : round(this.max),
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p95: round(this.quantile(0.95)),
      p99: round(this.quantile(0.99)),
    };
  }

  /** `bins` display bins: equal over [0, 1] for scores, equal in log space over [min, max] otherwise. */
  histogram(bins = 20): HistogramView {
    const counts = new Array<number>(bins).fill(0);
    if (this.scale === 'unit') {
      const per = UNIT_BINS / bins;
      this.#bins.forEach((count, bin) => {
        const index = Math.min(bins - 1, Math.floor(bin / per));
        counts[index] = (counts[index] ?? 0) + count;
      });
      return { edges: Array.from({ length: bins + 1 }, (_, index) => index / bins), counts };
    }
    if (this.count === 0) return { edges: [0, 1], counts: [0] };
    const low = Math.max(this.min, LOG_MIN);
    const high = Math.max(this.max, low * 1.0001);
    const span = Math.log(high / low);
    const edges = Array.from({ length: bins + 1 }, (_, index) => low * Math.exp((span * index) / bins));
    counts[0] = (counts[0] ?? 0) + this.#zeros;
    this.#bins.forEach((count, bin) => {
      if (count === 0) return;
      const value = this.#binCenter(bin);
      const index = Math.min(bins - 1, Math.max(0, Math.floor((Math.log(value / low) / span) * bins)));
      counts[index] = (counts[index] ?? 0) + count;
    });
    if (this.#zeros > 0) edges[0] = 0;
    return { edges, counts };
  }
}
