/**
 * The run's totals, kept as rows finish (constant memory: distributions, not values), and the
 * `summary.json` written at the end. The summary is also what `--baseline` reads back.
 */
import { Distribution, type HistogramView, type Scale, type Stats } from './distribution.js';

export const SUMMARY_FORMAT = 'keel.eval.summary/1';

/** Per-row metrics; `higher` is better except where `lowerIsBetter`. */
export const METRICS: Record<string, { scale: Scale; lowerIsBetter?: boolean; label: string }> = {
  groundedness: { scale: 'unit', label: 'groundedness' },
  citation_coverage: { scale: 'unit', label: 'citation coverage' },
  reference_overlap: { scale: 'unit', label: 'reference overlap (token F1)' },
  retrieval_hit_rate: { scale: 'unit', label: 'retrieval hit rate' },
  recall_at_k: { scale: 'unit', label: 'recall@k (cited documents)' },
  // Reported by the scorer when it computes them (its `scores` list); absent otherwise.
  citation_validity: { scale: 'unit', label: 'citation validity' },
  answer_relevance: { scale: 'unit', label: 'answer relevance' },
  refusal_correctness: { scale: 'unit', label: 'refusal correctness' },
  latency_ms: { scale: 'log', lowerIsBetter: true, label: 'latency (ms)' },
  cost: { scale: 'log', lowerIsBetter: true, label: 'cost per answer' },
};

export type MetricName = keyof typeof METRICS;

/** Distinct tags broken down; rows with more go to `(other)`, so a tag per row cannot grow memory. */
export const MAX_TAGS = 200;
export const OTHER_TAG = '(other)';

export interface RowOutcome {
  tags: readonly string[];
  ok: boolean;
  errorCode?: string;
  stage?: 'answer' | 'score';
  metrics: Partial<Record<MetricName, number>>;
  currency?: string;
}

interface TagTotals {
  rows: number;
  errors: number;
  sums: Partial<Record<MetricName, { sum: number; count: number }>>;
}

export interface RunMetadata {
  dataset: { source: 'service' | 'file'; id: string; version: string | number | null; path?: string };
  gateway: string;
  evaluation: string;
  model: string | null;
  /** `--tag` filters: only rows with one of these tags ran. */
  tagFilter: string[];
  concurrency: number;
  startedAt: string;
}

export interface RunSummary extends RunMetadata {
  format: typeof SUMMARY_FORMAT;
  finishedAt: string;
  durationMs: number;
  interrupted: boolean;
  rows: { total: number; answered: number; scored: number; errors: number; errorsByCode: Record<string, number> };
  /** Errors over rows, in [0, 1]. */
  error_rate: number;
  currency: string | null;
  metrics: Record<string, Stats>;
  tags: Record<string, { rows: number; errors: number; means: Record<string, number | null> }>;
  histograms: Record<string, HistogramView>;
}

export class RunTotals {
  readonly #metrics = new Map<MetricName, Distribution>();
  readonly #tags = new Map<string, TagTotals>();
  readonly #errorsByCode = new Map<string, number>();
  #currency: string | null = null;
  total = 0;
  answered = 0;
  scored = 0;
  errors = 0;

  constructor() {
    for (const [name, spec] of Object.entries(METRICS)) this.#metrics.set(name, new Distribution(spec.scale));
  }

  add(outcome: RowOutcome): void {
    this.total++;
    if (outcome.ok) this.scored++;
    if (outcome.ok || outcome.stage === 'score') this.answered++;
    if (!outcome.ok) {
      this.errors++;
      const code = outcome.errorCode ?? 'UNKNOWN';
      this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + 1);
    }
    if (outcome.currency) this.#currency ??= outcome.currency;
    for (const [name, value] of Object.entries(outcome.metrics) as [MetricName, number][]) {
      this.#metrics.get(name)?.add(value);
    }
    for (const tag of new Set(outcome.tags)) {
      const key = this.#tags.has(tag) || this.#tags.size < MAX_TAGS ? tag : OTHER_TAG;
      let totals = this.#tags.get(key);
      if (!totals) {
        totals = { rows: 0, errors: 0, sums: {} };
        this.#tags.set(key, totals);
      }
      totals.rows++;
      if (!outcome.ok) totals.errors++;
      for (const [name, value] of Object.entries(outcome.metrics) as [MetricName, number][]) {
        const sum = totals.sums[name] ?? { sum: 0, count: 0 };
        sum.sum += value;
        sum.count++;
        totals.sums[name] = sum;
      }
    }
  }

  /** Mean groundedness so far, for the progress line. */
  mean(name: MetricName): number | null {
    const distribution = this.#metrics.get(name);
    return distribution && distribution.count > 0 ? distribution.sum / distribution.count : null;
  }

  summarize(metadata: RunMetadata, finishedAt: Date, interrupted: boolean): RunSummary {
    const metrics: Record<string, Stats> = {};
    const histograms: Record<string, HistogramView> = {};
    for (const [name, distribution] of this.#metrics) {
      metrics[name] = distribution.stats();
      histograms[name] = distribution.histogram();
    }
    const tags: RunSummary['tags'] = {};
    for (const [tag, totals] of [...this.#tags].sort(([a], [b]) => a.localeCompare(b))) {
      const means: Record<string, number | null> = {};
      for (const name of Object.keys(METRICS)) {
        const sum = totals.sums[name];
        means[name] = sum && sum.count > 0 ? Number((sum.sum / sum.count).toPrecision(6)) : null;
      }
      tags[tag] = { rows: totals.rows, errors: totals.errors, means };
    }
    return {
      format: SUMMARY_FORMAT,
      ...metadata,
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(finishedAt.getTime() - Date.parse(metadata.startedAt)),
      interrupted,
      rows: {
        total: this.total,
        answered: this.answered,
        scored: this.scored,
        errors: this.errors,
        errorsByCode: Object.fromEntries([...this.#errorsByCode].sort(([a], [b]) => a.localeCompare(b))),
      },
      error_rate: this.total === 0 ? 0 : Number((this.errors / this.total).toPrecision(6)),
      currency: this.#currency,
      metrics,
      tags,
      histograms,
    };
  }
}
