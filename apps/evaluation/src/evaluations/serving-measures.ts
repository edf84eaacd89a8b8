/**
 * Latency and cost of one answer, as the gateway measured them (`keel.inference.completed.v1`).
 * They are measurements, not scores: each carries a `unit`, its value is unbounded and lower is
 * better, so dashboards and drift read them apart from the [0, 1] quality scores.
 */
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { MetricScore } from '../scoring/score-answer.js';

export interface ServingFacts {
  latencyMs: number | null;
  /** In `currency`; null when the gateway recorded none. */
  cost: number | null;
  currency: string | null;
}

export function servingFactsOf(event: InferenceCompleted): ServingFacts {
  const latencyMs = Number.isFinite(event.latencyMs) && event.latencyMs >= 0 ? event.latencyMs : null;
  if (event.cost !== undefined && Number.isFinite(event.cost)) {
    return { latencyMs, cost: event.cost, currency: event.currency || 'USD' };
  }
  // Events from before `cost` existed carry the amount in USD in the usage only.
  if (event.usage && Number.isFinite(event.usage.costUsd) && event.usage.costUsd > 0) {
    return { latencyMs, cost: event.usage.costUsd, currency: 'USD' };
  }
  return { latencyMs, cost: null, currency: null };
}

function costExplanation(event: InferenceCompleted): string {
  if (event.cacheHit) return 'served from the response cache: no model call';
  if (event.priced === false) return 'the model is not in the price table: not billed';
  return `the gateway's price for ${event.usage?.totalTokens ?? 0} tokens of ${event.model || 'the model'}`;
}

export function servingMeasures(event: InferenceCompleted): MetricScore[] {
  const facts = servingFactsOf(event);
  const measures: MetricScore[] = [];
  if (facts.latencyMs !== null) {
    const attempts = event.attempts && event.attempts > 1 ? `, ${event.attempts} model calls` : '';
    measures.push({
      metric: 'latency_ms',
      value: facts.latencyMs,
      unit: 'ms',
      explanation: `request to answer at the gateway${event.streamed ? ' (streamed)' : ''}${attempts}`,
    });
  }
  if (facts.cost !== null && facts.currency !== null) {
    measures.push({ metric: 'cost', value: facts.cost, unit: facts.currency, explanation: costExplanation(event) });
  }
  return measures;
}
