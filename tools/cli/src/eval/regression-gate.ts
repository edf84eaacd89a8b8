/**
 * The regression gate: a run fails when a metric is worse than its `--threshold`, or worse than
 * the baseline run's by more than `--tolerance`.
 *
 * A threshold names a metric's mean (`groundedness=0.8`), one of its statistics
 * (`latency_ms.p95=2000`: count, mean, min, max, p50, p90, p95, p99) or `error_rate`. Quality
 * metrics must be at least the value; `latency_ms`, `cost` and `error_rate` at most. A metric with
 * no values (no row had a reference answer, say) fails its threshold: the gate cannot vouch for it.
 *
 * Against a baseline, every score in [0, 1] that both runs measured is compared by its mean, and
 * the error rate too; the tolerance is absolute (0.02 = two points). Latency and cost vary with the
 * machine, so they are gated only by explicit thresholds.
 */
import { METRICS, type RunSummary } from './run-summary.js';

export interface Threshold {
  metric: string;
  value: number;
}

export interface GateResult {
  passed: boolean;
  failures: string[];
  checks: { check: string; actual: number | null; limit: number; passed: boolean }[];
}

const STATISTICS = new Set(['count', 'mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99']);

/** Parses `metric=value`; throws with a message for the usage error. */
export function parseThreshold(text: string): Threshold {
  const match = /^([a-z_@0-9]+(?:\.[a-z0-9]+)?)=(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!match) throw new Error(`--threshold "${text}": expected metric=value, e.g. groundedness=0.8`);
  const metric = match[1] as string;
  const [name, statistic] = metric.split('.') as [string, string | undefined];
  if (name !== 'error_rate' && !(name in METRICS)) {
    throw new Error(
      `--threshold "${text}": unknown metric "${name}"; one of ${[...Object.keys(METRICS), 'error_rate'].join(', ')}`,
    );
  }
  if (statistic !== undefined && (name === 'error_rate' || !STATISTICS.has(statistic))) {
    throw new Error(`--threshold "${text}": unknown statistic "${statistic}"; one of ${[...STATISTICS].join(', ')}`);
  }
  return { metric, value: Number(match[2]) };
}

function metricValue(summary: Pick<RunSummary, 'metrics' | 'error_rate'>, metric: string): number | null {
  if (metric === 'error_rate') return summary.error_rate;
  const [name, statistic = 'mean'] = metric.split('.') as [string, string | undefined];
  const stats = summary.metrics[name] as Record<string, number | null> | undefined;
  const value = stats?.[statistic as string];
  return typeof value === 'number' && (stats?.count ?? 0) > 0 ? value : null;
}

function lowerIsBetter(metric: string): boolean {
  const name = metric.split('.')[0] as string;
  return name === 'error_rate' || METRICS[name]?.lowerIsBetter === true;
}

const show = (value: number) => String(Number(value.toPrecision(6)));

export function evaluateGate(
  summary: Pick<RunSummary, 'metrics' | 'error_rate'>,
  thresholds: readonly Threshold[],
  baseline?: Pick<RunSummary, 'metrics' | 'error_rate'>,
  tolerance = 0.02,
): GateResult {
  const checks: GateResult['checks'] = [];
  const failures: string[] = [];
  for (const { metric, value } of thresholds) {
    const actual = metricValue(summary, metric);
    const lower = lowerIsBetter(metric);
    const passed = actual !== null && (lower ? actual <= value : actual >= value);
    checks.push({ check: `${metric} ${lower ? '<=' : '>='} ${show(value)}`, actual, limit: value, passed });
    if (!passed) {
      failures.push(
        actual === null
          ? `${metric}: no values measured (threshold ${show(value)})`
          : `${metric} = ${show(actual)} is ${lower ? 'above' : 'below'} its threshold ${show(value)}`,
      );
    }
  }
  if (baseline) {
    const compared = [
      ...Object.entries(METRICS)
        .filter(([, spec]) => spec.scale === 'unit')
        .map(([name]) => name),
      'error_rate',
    ];
    for (const metric of compared) {
      const before = metricValue(baseline, metric);
      const now = metricValue(summary, metric);
      if (before === null || now === null) continue;
      const lower = lowerIsBetter(metric);
      const limit = lower ? before + tolerance : before - tolerance;
      const passed = lower ? now <= limit + 1e-12 : now >= limit - 1e-12;
      checks.push({ check: `${metric} vs baseline ${show(before)} ± ${show(tolerance)}`, actual: now, limit, passed });
      if (!passed) {
        failures.push(
          `${metric} = ${show(now)} is ${lower ? 'above' : 'below'} the baseline's ${show(before)} by ${show(Math.abs(now - before))} (tolerance ${show(tolerance)})`,
        );
      }
    }
  }
  return { passed: failures.length === 0, failures, checks };
}
