import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { describe, expect, it } from 'vitest';
import { FULL_SAMPLING, parseSampleRates, rateFor, type SampleRates, sampleRatesSchema } from './sample-rates.js';
import { samplePoint, samplingDecision } from './sampling-decision.js';

function rates(value: string): SampleRates {
  const parsed = parseSampleRates(value);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function completion(requestId: string, tenantId = 'acme', policy: InferenceCompleted['policy'] = []) {
  return { requestId, tenantId, policy } as InferenceCompleted;
}

describe('EVALUATION_SAMPLE_RATE', () => {
  it('reads a default and per-tenant overrides', () => {
    const parsed = rates('0.5, acme=0.1,globex=1');
    expect(rateFor(parsed, 'acme')).toBe(0.1);
    expect(rateFor(parsed, 'globex')).toBe(1);
    expect(rateFor(parsed, 'initech')).toBe(0.5);
    expect(rateFor(rates('acme=0'), 'other')).toBe(1);
    expect(sampleRatesSchema.parse(undefined)).toEqual(FULL_SAMPLING);
  });

  it.each([
    ['1.5', 'is not a rate in [0, 1]'],
    ['-0.1', 'is not a rate'],
    ['acme=', 'needs a rate'],
    ['acme=2', 'needs a rate'],
    ['=0.5', 'needs a tenant id'],
    ['0.5,0.2', 'more than one default rate'],
    ['acme=0.1,acme=0.2', 'given twice'],
    ['abc', 'is not a rate'],
  ])('rejects %s', (value, reason) => {
    expect(parseSampleRates(value)).toContain(reason);
    expect(sampleRatesSchema.safeParse(value).success).toBe(false);
  });
});

describe('sampling', () => {
  it('is deterministic per request and independent across tenants', () => {
    expect(samplePoint('acme', 'req-1')).toBe(samplePoint('acme', 'req-1'));
    expect(samplePoint('acme', 'req-1')).not.toBe(samplePoint('globex', 'req-1'));
    const point = samplePoint('acme', 'req-1');
    expect(point).toBeGreaterThanOrEqual(0);
    expect(point).toBeLessThan(1);
  });

  it('scores about the set share of traffic', () => {
    const config = rates('acme=0.1,globex=0.5');
    for (const [tenant, rate] of [
      ['acme', 0.1],
      ['globex', 0.5],
    ] as const) {
      let scored = 0;
      for (let i = 0; i < 20_000; i++) if (samplingDecision(completion(`req-${i}`, tenant), config).score) scored++;
      // 20 000 draws: the standard deviation of the share is at most 0.0036.
      expect(Math.abs(scored / 20_000 - rate)).toBeLessThan(0.015);
    }
  });

  it('always scores a policy escalation, and everything at rate 1', () => {
    const none = rates('0');
    const escalated = completion('req-x', 'acme', [
      { stage: 'output', decision: 'ESCALATE', decisionId: 'd', findingTypes: [] },
    ]);
    expect(samplingDecision(escalated, none)).toEqual({ score: true, because: 'policy-escalation' });
    expect(samplingDecision(completion('req-y'), none)).toEqual({ score: false, because: 'sampled-out', rate: 0 });
    expect(samplingDecision(completion('req-y'), FULL_SAMPLING)).toEqual({ score: true, because: 'full-rate' });
  });
});
