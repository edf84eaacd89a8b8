/**
 * The use case behind `keel.review.decided.v1`: a reviewer's decision becomes a labelled
 * example in the `reviewed-answers` golden dataset. Idempotent: the example's id is the review
 * id, so a redelivered decision finds it already recorded.
 *
 * The example keeps who may read it (the decision's `readRequires` and its contexts' ACL groups),
 * the citations and contexts the answer was grounded on, and what it lacks: a decision on half an
 * exchange (a policy escalation) is recorded as an incomplete example, never as a complete one
 * with an empty field.
 */
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import { type Collection, DuplicateKeyError } from '@keel/doc-store';
import { combineReadRequirements, type Logger, readRequirementsOf, validationError, z } from '@keel/platform';
import { isBlankText } from '@keel/text/checks';
import {
  boundedList,
  boundedText,
  checkEventBounds,
  citationsSchema,
  contextChunksSchema,
  EVENT_LIMITS,
  groupRequirementsSchema,
} from '../evaluations/event-limits.js';
import { missingParts } from './example-completeness.js';
import { type ExampleLabel, type GoldenExample, REVIEWED_ANSWERS_DATASET } from './golden-example.js';

export interface RecordDecisionDeps {
  examples: Collection<GoldenExample>;
  logger: Logger;
  now?: () => number;
}

export const LABELS: Partial<Record<ReviewOutcome, ExampleLabel>> = {
  [ReviewOutcome.REVIEW_OUTCOME_APPROVED]: 'approved',
  [ReviewOutcome.REVIEW_OUTCOME_REJECTED]: 'rejected',
  [ReviewOutcome.REVIEW_OUTCOME_CORRECTED]: 'corrected',
};

export const reviewDecidedBounds = z.object({
  reviewId: boundedText.id.min(1, 'is required'),
  tenantId: boundedText.id,
  requestId: boundedText.id,
  traceId: boundedText.id,
  question: boundedText.question,
  originalAnswer: boundedText.answer,
  correctedAnswer: boundedText.answer,
  reviewer: boundedText.id,
  comment: boundedText.comment,
  readRequires: groupRequirementsSchema,
  missing: boundedList(boundedText.id, EVENT_LIMITS.missing, 'entries'),
  citations: citationsSchema,
  contexts: contextChunksSchema,
});

export function exampleFromDecision(event: ReviewDecided, createdAt: number): GoldenExample {
  // Permanent defects of the message (too large, no review id, an unknown outcome): not
  // retryable, so the bus dead-letters it.
  checkEventBounds(reviewDecidedBounds, event, 'keel.review.decided.v1 event');
  const label = LABELS[event.outcome];
  if (!label) throw validationError([{ field: 'outcome', message: `unknown review outcome ${event.outcome}` }]);
  if (label === 'corrected' && isBlankText(event.correctedAnswer)) {
    throw validationError([{ field: 'correctedAnswer', message: 'is required when the outcome is CORRECTED' }]);
  }
  const answer = label === 'corrected' ? event.correctedAnswer : event.originalAnswer;
  const missing = missingParts({ question: event.question, answer, label }, event.missing);
  return {
    id: event.reviewId,
    tenantId: event.tenantId,
    datasetId: REVIEWED_ANSWERS_DATASET,
    readRequires: combineReadRequirements(
      event.readRequires,
      readRequirementsOf(event.contexts.map((context) => context.aclGroups ?? [])),
    ),
    question: event.question,
    answer,
    label,
    source: 'human-review',
    originalAnswer: event.originalAnswer,
    requestId: event.requestId,
    traceId: event.traceId,
    reviewer: event.reviewer,
    comment: event.comment,
    citations: event.citations,
    contexts: event.contexts,
    missing,
    complete: missing.length === 0,
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
  deps.logger.info(
    { reviewId: example.id, label: example.label, ...(example.complete ? {} : { missing: example.missing }) },
    example.complete
      ? 'review decision recorded as a golden example'
      : 'review decision recorded as an incomplete golden example (left out of exports)',
  );
  return true;
}
