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
import { placementIn, tenantQueues } from '../queues/queue-store.js';
import { claimRequestKey } from '../queues/request-keys.js';
import { routeItem } from '../queues/route-item.js';
import { completeStoredReview, completionOf } from './complete-review.js';
import { type EscalatedExchange, loadExchange } from './escalated-exchange.js';
import {
  isBlank,
  missingHalves,
  REVIEW_REASON_NAMES,
  type ReviewItem,
  type ReviewReasonName,
  readRequiresKeyOf,
} from './review-item.js';
import { checkEventLimits, REVIEW_LIMITS, reviewRequestedLimits } from './review-limits.js';
import type { ReviewStore } from './review-store.js';

export type EnqueueResult = 'queued' | 'already-queued';

function reasonName(event: ReviewRequested): ReviewReasonName {
  const name = reviewReasonToJSON(event.reason).replace(/^REVIEW_REASON_/, '');
  return (REVIEW_REASON_NAMES as readonly string[]).includes(name) ? (name as ReviewReasonName) : 'UNSPECIFIED';
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
    decisions: [],
    decisionCount: 0,
    decidedAt: null,
    skips: [],
  };
}

/** The item placed in the first queue whose rules accept it (the tenant's default otherwise). */
async function routed(store: ReviewStore, item: ReviewItem): Promise<ReviewItem> {
  if (!store.queues) return item;
  const queue = routeItem(await tenantQueues({ queues: store.queues, now: store.now }, item.tenantId), item);
  return { ...item, ...placementIn(queue, item.createdAt) };
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
  const item = await routed(store, withExchange(requested, exchange));
  if (store.requestKeys && item.requestId) {
    const duplicateOf = await claimRequestKey(store.requestKeys, store.reviews, {
      tenantId: item.tenantId,
      requestId: item.requestId,
      reason: item.reason,
      reviewId: item.id,
      createdAt: item.createdAt,
    });
    if (duplicateOf !== null) {
      store.logger.info(
        { reviewId: item.id, duplicateOf, requestId: item.requestId, reason: item.reason },
        'the request is already queued for this reason under another review id; its detail is kept there',
      );
      await addDetail(store, duplicateOf, item.detail);
      return 'already-queued';
    }
  }
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

/**
 * A duplicate by (request, reason) may say something the queued item does not (policy escalates
 * the input and the output of one answer as two requests): its detail is added to the undecided
 * item's, when it fits within the detail limit.
 */
async function addDetail(store: ReviewStore, reviewId: string, detail: string): Promise<void> {
  const item = await store.reviews.get(reviewId);
  if (!item || item.status === 'decided' || isBlank(detail) || item.detail.includes(detail)) return;
  const joined = item.detail ? `${item.detail}\n${detail}` : detail;
  if (joined.length > REVIEW_LIMITS.detailChars) return;
  await store.reviews.updateIf(
    reviewId,
    { status: { $in: ['pending', 'claimed'] }, detail: item.detail },
    { detail: joined },
  );
}
