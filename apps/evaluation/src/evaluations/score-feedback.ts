/**
 * User feedback is always scored, whatever the sample rate: when a `keel.review.requested.v1` with
 * reason USER_FEEDBACK names an answer that was not evaluated (sampled out, or scored before
 * evaluation existed), the exchange it carries is scored now, as the completion would have been.
 * Evaluation's own requests (LOW_SCORE, DRIFT) and policy escalations (scored on the completion
 * path) are not its business.
 */
import { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import { evaluateCompletedInference } from './evaluate-completed-inference.js';
import type { ScoreCompletionDeps } from './score-completion.js';

export type FeedbackResult = 'scored' | 'already-evaluated' | 'not-feedback';

export async function scoreFeedbackExchange(
  deps: ScoreCompletionDeps,
  request: ReviewRequested,
): Promise<FeedbackResult> {
  if (request.reason !== ReviewReason.REVIEW_REASON_USER_FEEDBACK || !request.requestId || !request.answer) {
    return 'not-feedback';
  }
  const stored = await deps.evaluations.get(request.requestId);
  if (stored) return 'already-evaluated';
  const event = InferenceCompleted.fromPartial({
    requestId: request.requestId,
    tenantId: request.tenantId,
    traceId: request.traceId,
    question: request.question,
    answer: request.answer,
    contexts: request.contexts,
    citations: request.citations,
    readRequires: request.readRequires,
    subject: request.requestedBy,
    ...(request.requestedAt ? { completedAt: request.requestedAt } : {}),
  });
  // The request does not carry the completion's latency: not a measured 0 ms, no measurement.
  event.latencyMs = Number.NaN;
  await evaluateCompletedInference(deps, event);
  deps.counters?.count(request.tenantId, 'scored');
  return 'scored';
}
