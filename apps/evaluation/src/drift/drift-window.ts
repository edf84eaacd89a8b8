/**
 * Rolling windows of one tenant's scored answers, and the comparison that finds a drift. Pure:
 * the tracker (drift-tracker.ts) stores the accumulator and acts on what this returns.
 *
 * A window is either the next N scored answers or a span of wall-clock time (aligned to the
 * epoch, so every replica cuts at the same instants). A time window closes when the first answer
 * of a later span arrives; an answer window when its N-th answer is added. A closed window is
 * compared with the one before it (the baseline): a metric that moved the wrong way by more
 * than the threshold drifted. Windows with fewer than `minAnswers` answers (a quiet hour) are
 * neither judged nor used as a baseline, since their means are noise.
 *
 * Each window keeps a bottom-k sample of its request ids (the k smallest ranks of a hash): a
 * uniform sample, the same whatever the order of arrival, from which reviews are requested.
 */

/** The mean scores drift watches (each in [0, 1], higher is better). */
export const DRIFT_SCORE_METRICS = [
  'groundedness',
  'citation_coverage',
  'citation_validity',
  'answer_relevance',
  'refusal_correctness',
  'judge',
] as const;
/** Rates: refusals (higher is worse) and retrieval hits (answers with at least one context). */
export const DRIFT_RATE_METRICS = ['refusal_rate', 'retrieval_hit_rate'] as const;

export type DriftMetric = (typeof DRIFT_SCORE_METRICS)[number] | (typeof DRIFT_RATE_METRICS)[number];

const HIGHER_IS_WORSE: ReadonlySet<DriftMetric> = new Set(['refusal_rate']);

export type WindowSpec = { kind: 'answers'; answers: number } | { kind: 'time'; ms: number };

export interface DriftObservation {
  requestId: string;
  /** When it was scored, epoch ms. */
  at: number;
  /** Quality scores by metric name; others are ignored. */
  scores: Readonly<Record<string, number>>;
  refused: boolean;
  retrievalHit: boolean;
  /** Its rank for the bottom-k sample, in [0, 1). */
  rank: number;
}

export interface SampleEntry {
  requestId: string;
  rank: number;
}

// A type alias: stored inside a document.
export type WindowAccumulator = {
  /** Sequence number of the window, from 0. */
  index: number;
  /** The time span it covers (time windows only): floor(at / ms). */
  span: number | null;
  start: number | null;
  end: number | null;
  count: number;
  sums: Record<string, number>;
  counts: Record<string, number>;
  refusals: number;
  hits: number;
  sample: SampleEntry[];
};

export type WindowSummary = {
  index: number;
  start: number;
  end: number;
  count: number;
  /** Every metric with a value: the mean score, or the rate. */
  values: Partial<Record<DriftMetric, number>>;
  /** Answers that carried each score metric (a metric not always scored, like judge). */
  counts: Partial<Record<DriftMetric, number>>;
  sample: SampleEntry[];
};

export interface Drift {
  metric: DriftMetric;
  baseline: number;
  value: number;
  /** How far it moved the wrong way; > threshold. */
  drop: number;
}

export function emptyWindow(index: number, span: number | null = null): WindowAccumulator {
  return { index, span, start: null, end: null, count: 0, sums: {}, counts: {}, refusals: 0, hits: 0, sample: [] };
}

function spanOf(spec: WindowSpec, at: number): number | null {
  return spec.kind === 'time' ? Math.floor(at / spec.ms) : null;
}

/** True when `observation` belongs to a window after `window` (time windows; the window is not empty). */
export function startsNewWindow(spec: WindowSpec, window: WindowAccumulator, observation: DriftObservation): boolean {
  if (spec.kind !== 'time' || window.count === 0 || window.span === null) return false;
  return (spanOf(spec, observation.at) ?? 0) > window.span;
}

/** True when an answer window has all its answers. */
export function isFull(spec: WindowSpec, window: WindowAccumulator): boolean {
  return spec.kind === 'answers' && window.count >= spec.answers;
}

/** The sample after offering it one more entry: the `size` smallest ranks. */
export function offerToSample(sample: readonly SampleEntry[], entry: SampleEntry, size: number): SampleEntry[] | null {
  if (size <= 0) return null;
  const worst = sample.length < size ? Number.POSITIVE_INFINITY : Math.max(...sample.map((e) => e.rank));
  if (entry.rank >= worst) return null;
  const next = [...sample, entry].sort((a, b) => a.rank - b.rank || a.requestId.localeCompare(b.requestId));
  return next.slice(0, size);
}

export function addObservation(
  spec: WindowSpec,
  window: WindowAccumulator,
  observation: DriftObservation,
  sampleSize: number,
): { window: WindowAccumulator; sampled: boolean } {
  const sums = { ...window.sums };
  const counts = { ...window.counts };
  for (const metric of DRIFT_SCORE_METRICS) {
    const value = observation.scores[metric];
    if (value === undefined || !Number.isFinite(value)) continue;
    sums[metric] = (sums[metric] ?? 0) + value;
    counts[metric] = (counts[metric] ?? 0) + 1;
  }
  const sample = offerToSample(window.sample, { requestId: observation.requestId, rank: observation.rank }, sampleSize);
  return {
    window: {
      ...window,
      span: window.span ?? spanOf(spec, observation.at),
      start: window.start === null ? observation.at : Math.min(window.start, observation.at),
      end: window.end === null ? observation.at : Math.max(window.end, observation.at),
      count: window.count + 1,
      sums,
      counts,
      refusals: window.refusals + (observation.refused ? 1 : 0),
      hits: window.hits + (observation.retrievalHit ? 1 : 0),
      sample: sample ?? window.sample,
    },
    sampled: sample !== null,
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function summarize(window: WindowAccumulator): WindowSummary {
  const values: Partial<Record<DriftMetric, number>> = {};
  const counts: Partial<Record<DriftMetric, number>> = {};
  for (const metric of DRIFT_SCORE_METRICS) {
    const count = window.counts[metric] ?? 0;
    if (count === 0) continue;
    values[metric] = round((window.sums[metric] ?? 0) / count);
    counts[metric] = count;
  }
  if (window.count > 0) {
    values.refusal_rate = round(window.refusals / window.count);
    values.retrieval_hit_rate = round(window.hits / window.count);
    counts.refusal_rate = window.count;
    counts.retrieval_hit_rate = window.count;
  }
  return {
    index: window.index,
    start: window.start ?? 0,
    end: window.end ?? 0,
    count: window.count,
    values,
    counts,
    sample: window.sample,
  };
}

/** The metrics of `window` that moved the wrong way by more than `threshold` since `baseline`. */
export function findDrifts(
  baseline: WindowSummary,
  window: WindowSummary,
  threshold: number,
  minAnswers: number,
): Drift[] {
  const drifts: Drift[] = [];
  for (const metric of [...DRIFT_SCORE_METRICS, ...DRIFT_RATE_METRICS] as DriftMetric[]) {
    const before = baseline.values[metric];
    const now = window.values[metric];
    if (before === undefined || now === undefined) continue;
    if ((baseline.counts[metric] ?? 0) < minAnswers || (window.counts[metric] ?? 0) < minAnswers) continue;
    const drop = round(HIGHER_IS_WORSE.has(metric) ? now - before : before - now);
    if (drop > threshold) drifts.push({ metric, baseline: before, value: now, drop });
  }
  return drifts;
}
