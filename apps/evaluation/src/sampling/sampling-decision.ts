/**
 * Whether one completion is scored: deterministic by request id (the same answer is always in or
 * always out, on every replica and every redelivery, so a sampled-out answer is never half
 * scored), and never sampled out when someone must look at it anyway: an answer a policy
 * escalated, or one a user gave feedback on.
 */
import { createHash } from 'node:crypto';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { rateFor, type SampleRates } from './sample-rates.js';

export type SamplingDecision =
  | { score: true; because: 'sampled' | 'policy-escalation' | 'user-feedback' | 'full-rate' }
  | { score: false; because: 'sampled-out'; rate: number };

/**
 * Where the request id falls in [0, 1): the first 52 bits of SHA-256(tenant, request id). The
 * tenant is part of it so that two tenants' sampled sets are independent.
 */
export function samplePoint(tenantId: string, requestId: string): number {
  const digest = createHash('sha256').update(tenantId).update('\u0000').update(requestId).digest();
  // 52 bits: exactly representable in a double.
  return (digest.readUIntBE(0, 6) * 16 + ((digest[6] as number) >> 4)) / 2 ** 52;
}

export function escalatedByPolicy(event: Pick<InferenceCompleted, 'policy'>): boolean {
  return event.policy.some((outcome) => outcome.decision.toUpperCase().includes('ESCALATE'));
}

export function samplingDecision(event: InferenceCompleted, rates: SampleRates): SamplingDecision {
  if (escalatedByPolicy(event)) return { score: true, because: 'policy-escalation' };
  const rate = rateFor(rates, event.tenantId);
  if (rate >= 1) return { score: true, because: 'full-rate' };
  return samplePoint(event.tenantId, event.requestId) < rate
    ? { score: true, because: 'sampled' }
    : { score: false, because: 'sampled-out', rate };
}
