/**
 * The use case behind `keel.review.requested.v1`: put the answer in the tenant's queue, once.
 * Insert-or-nothing on the review id makes redelivery and duplicate requests harmless.
 *
 * A request for half an exchange (a policy escalation) is completed with the stored exchange of
 * its request when there is one (escalated-exchange.ts): at insert when the exchange came first,
 * and by looking again after the insert, so that an exchange stored meanwhile is not missed.
 */
import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { reviewReasonToJSON } from '@keel/contracts/review/v1';
import { DuplicateKeyError } from '@keel/doc-store';
import { combineReadRequirements, type Logger, readRequirementsOf } from '@keel/platform';
import { completeStoredReview, completionOf } from './complete-review.js';
import { type EscalatedExchange, loadExchange } from './escalated-exchange.js';
import { missingHalves, type ReviewItem, type ReviewReasonName, readRequiresKeyOf } from './review-item.js';
import { checkEventLimits, reviewRequestedLimits } from './review-limits.js';
import type { ReviewStore } from './review-store.js';

export type EnqueueResult = 'queued' | 'already-queued';

function reasonName(event: ReviewRequested): ReviewReasonName {
  const name = reviewReasonToJSON(event.reason).replace(/^REVIEW_REASON_/, '');
  return name === 'LOW_SCORE' || name === 'POLICY_ESCALATION' || name === 'USER_FEEDBACK' ? name : 'UNSPECIFIED';
}

/**
 * The item a request queues. Over-limit and id-less requests are permanent defects of the
 * message: a non-retryable validation error, so the bus dead-letters them at once.
 */
export function reviewItemFromRequest(event: ReviewRequested, now: number): ReviewItem {
  checkEventLimits(reviewRequestedLimits, event, 'review request');
  const contexts = event.contexts.map((context) => ({ ...context, aclGroups: [...context.aclGroups] }));
  const readRequires = combineReadRequirements(
    event.readRequires,
    readRequirementsOf(contexts.map((context) => context.aclGroups)),
  );
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
    contexts,
    readRequires,
    readRequiresKey: readRequiresKeyOf(readRequires),
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

function withExchange(item: ReviewItem, exchange: EscalatedExchange | null): ReviewItem {
  const completion = exchange ? completionOf(item, exchange) : null;
  return completion ? { ...item, ...completion } : item;
}

export async function enqueueReview(
  store: ReviewStore & { logger: Logger },
  event: ReviewRequested,
): Promise<EnqueueResult> {
  const requested = reviewItemFromRequest(event, store.now());
  const halfOnly = missingHalves(requested).length > 0;
  const exchange = halfOnly ? await loadExchange(store, requested.tenantId, requested.requestId) : null;
  const item = withExchange(requested, exchange);
  try {
    await store.reviews.insert(item);
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    store.logger.debug({ reviewId: item.id }, 'review already queued; request ignored');
    // A redelivery after a stop between the insert and the look below: complete it now.
    const stored = halfOnly ? await store.reviews.get(item.id) : null;
    if (stored && stored.tenantId === item.tenantId) await completeFromStoredExchange(store, stored);
    return 'already-queued';
  }
  store.logger.info(
    { reviewId: item.id, reason: item.reason, requestId: item.requestId, missing: missingHalves(item) },
    'review queued',
  );
  if (halfOnly && !exchange) await completeFromStoredExchange(store, item);
  return 'queued';
}

async function completeFromStoredExchange(store: ReviewStore & { logger: Logger }, item: ReviewItem): Promise<void> {
  if (item.status === 'decided' || missingHalves(item).length === 0) return;
  const exchange = await loadExchange(store, item.tenantId, item.requestId);
  if (exchange) await completeStoredReview(store, item, exchange);
}
