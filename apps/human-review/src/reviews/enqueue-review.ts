/**
 * The use case behind `keel.review.requested.v1`: put the answer in the tenant's queue, once.
 * Insert-or-nothing on the review id makes redelivery and duplicate requests harmless.
 */
import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { reviewReasonToJSON } from '@keel/contracts/review/v1';
import { DuplicateKeyError } from '@keel/doc-store';
import { type Logger, validationError } from '@keel/platform';
import type { ReviewItem, ReviewReasonName } from './review-item.js';
import type { ReviewStore } from './review-store.js';

export type EnqueueResult = 'queued' | 'already-queued';

function reasonName(event: ReviewRequested): ReviewReasonName {
  const name = reviewReasonToJSON(event.reason).replace(/^REVIEW_REASON_/, '');
  return name === 'LOW_SCORE' || name === 'POLICY_ESCALATION' || name === 'USER_FEEDBACK' ? name : 'UNSPECIFIED';
}

export function reviewItemFromRequest(event: ReviewRequested, now: number): ReviewItem {
  // A permanent defect of the message: not retryable, so the bus dead-letters it.
  if (!event.reviewId) throw validationError([{ field: 'review_id', message: 'is required' }]);
  return {
    id: event.reviewId,
    tenantId: event.tenantId,
    requestId: event.requestId,
    traceId: event.traceId,
    reason: reasonName(event),
    detail: event.detail,
    question: event.question,
    answer: event.answer,
    citations: event.citations.map((citation) => ({ ...citation })),
    contexts: event.contexts.map((context) => ({ ...context })),
    score: event.score,
    requestedBy: event.requestedBy,
    requestedAt: event.requestedAt ? event.requestedAt.getTime() : null,
    status: 'pending',
    claimedBy: null,
    leaseExpiresAt: null,
    decision: null,
    decisionPublishedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

export async function enqueueReview(
  store: ReviewStore & { logger: Logger },
  event: ReviewRequested,
): Promise<EnqueueResult> {
  const item = reviewItemFromRequest(event, store.now());
  try {
    await store.reviews.insert(item);
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    store.logger.debug({ reviewId: item.id }, 'review already queued; request ignored');
    return 'already-queued';
  }
  store.logger.info({ reviewId: item.id, reason: item.reason, requestId: item.requestId }, 'review queued');
  return 'queued';
}
