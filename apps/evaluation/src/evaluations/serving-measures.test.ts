import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { describe, expect, it } from 'vitest';
import { servingFactsOf, servingMeasures } from './serving-measures.js';

const base = InferenceCompletedLike({ latencyMs: 840, model: 'gpt-x' });

function InferenceCompletedLike(overrides: Partial<InferenceCompleted>): InferenceCompleted {
  return { latencyMs: 0, model: '', usage: undefined, ...overrides } as InferenceCompleted;
}

describe('serving measures', () => {
  it('reports latency in ms and cost in the event currency', () => {
    const measures = servingMeasures({
      ...base,
      cost: 0.0042,
      currency: 'EUR',
      priced: true,
      attempts: 2,
      usage: { promptTokens: 900, completionTokens: 100, totalTokens: 1000, costUsd: 0.0045 },
    });
    expect(measures).toEqual([
      { metric: 'latency_ms', value: 840, unit: 'ms', explanation: 'request to answer at the gateway, 2 model calls' },
      { metric: 'cost', value: 0.0042, unit: 'EUR', explanation: "the gateway's price for 1000 tokens of gpt-x" },
    ]);
  });

  it('says why a cost is zero', () => {
    expect(servingMeasures({ ...base, cost: 0, cacheHit: true })[1]?.explanation).toContain('response cache');
    expect(servingMeasures({ ...base, cost: 0, priced: false })[1]?.explanation).toContain('not in the price table');
  });

  it('falls back to usage.cost_usd, and leaves out what was not recorded', () => {
    expect(
      servingFactsOf({ ...base, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2, costUsd: 0.5 } }),
    ).toEqual({ latencyMs: 840, cost: 0.5, currency: 'USD' });
    expect(servingMeasures(base).map((measure) => measure.metric)).toEqual(['latency_ms']);
    expect(servingMeasures({ ...base, latencyMs: Number.NaN })).toEqual([]);
  });
});
