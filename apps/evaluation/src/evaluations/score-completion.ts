/**
 * What the scoring consumer does with one `keel.inference.completed.v1`: leave out what cannot be
 * scored (scoring-scope.ts), leave out what the tenant's sample rate leaves out (always scoring a
 * policy escalation), score the rest, and count each outcome per tenant.
 */
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { FULL_SAMPLING, type SampleRates } from '../sampling/sample-rates.js';
import type { SamplingCounters } from '../sampling/sampling-counters.js';
import { samplingDecision } from '../sampling/sampling-decision.js';
import { type EvaluateDeps, evaluateCompletedInference } from './evaluate-completed-inference.js';
import { notScoredBecause } from './scoring-scope.js';

export interface ScoreCompletionDeps extends EvaluateDeps {
  /** Default: score everything. */
  sampling?: SampleRates;
  counters?: SamplingCounters;
}

export type CompletionResult = 'scored' | 'sampled-out' | 'not-scorable';

export async function scoreCompletion(deps: ScoreCompletionDeps, event: InferenceCompleted): Promise<CompletionResult> {
  const skipped = notScoredBecause(event);
  if (skipped) {
    deps.logger.debug({ requestId: event.requestId, reason: skipped }, 'completion not scored');
    deps.counters?.count(event.tenantId, 'not-scorable');
    return 'not-scorable';
  }
  const decision = samplingDecision(event, deps.sampling ?? FULL_SAMPLING);
  if (!decision.score) {
    deps.logger.debug({ requestId: event.requestId, rate: decision.rate }, 'completion sampled out');
    deps.counters?.count(event.tenantId, 'sampled-out');
    return 'sampled-out';
  }
  await evaluateCompletedInference(deps, event);
  deps.counters?.count(event.tenantId, 'scored');
  return 'scored';
}
