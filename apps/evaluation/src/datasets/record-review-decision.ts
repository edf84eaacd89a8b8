/**
 * The use case behind `keel.review.decided.v1`: a reviewer's decision becomes a labelled
 * example in the `reviewed-answers` golden dataset. Idempotent: the example's id is the review
 * id, so a redelivered decision finds it already recorded.
 */
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { type Logger, validationError } from '@keel/platform';
import { type ExampleLabel, type GoldenExample, REVIEWED_ANSWERS_DATASET } from './golden-example.js';

export interface RecordDecisionDeps {
  examples: Collection<GoldenExample>;
  logger: Logger;
  now?: () => number;
}

const LABELS: Partial<Record<ReviewOutcome, ExampleLabel>> = {
  [ReviewOutcome.REVIEW_OUTCOME_APPROVED]: 'approved',
  [ReviewOutcome.REVIEW_OUTCOME_REJECTED]: 'rejected',
  [ReviewOutcome.REVIEW_OUTCOME_CORRECTED]: 'corrected',
};

export function exampleFromDecision(event: ReviewDecided, createdAt: number): GoldenExample {
  const label = LABELS[event.outcome];
  // Both are permanent defects of the message: not retryable, so the bus dead-letters it.
  if (!event.reviewId) throw validationError([{ field: 'review_id', message: 'is required' }]);
  if (!label) throw validationError([{ field: 'outcome', message: `unknown review outcome ${event.outcome}` }]);
  if (label === 'corrected' && !event.correctedAnswer.trim()) {
    throw validationError([{ field: 'corrected_answer', message: 'is required when the outcome is CORRECTED' }]);
  }
  return {
    id: event.reviewId,
    tenantId: event.tenantId,
    datasetId: REVIEWED_ANSWERS_DATASET,
    question: event.question,
    answer: label === 'corrected' ? event.correctedAnswer : event.originalAnswer,
    label,
    source: 'human-review',
    originalAnswer: event.originalAnswer,
    requestId: event.requestId,
    traceId: event.traceId,
    reviewer: event.reviewer,
    comment: event.comment,
    decidedAt: event.decidedAt ? event.decidedAt.getTime() : null,
    createdAt,
  };
}

/** Returns whether a new example was recorded (false: this decision was already in the dataset). */
export async function recordReviewDecision(deps: RecordDecisionDeps, event: ReviewDecided): Promise<boolean> {
  const example = exampleFromDecision(event, (deps.now ?? Date.now)());
  try {
    await deps.examples.insert(example);
  } catch (error) {
    if (error instanceof DuplicateKeyError) {
      deps.logger.debug({ reviewId: example.id }, 'review decision already recorded; redelivery ignored');
      return false;
    }
    throw error;
  }
  deps.logger.info({ reviewId: example.id, label: example.label }, 'review decision recorded as a golden example');
  return true;
}
