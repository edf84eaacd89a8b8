/**
 * The exchanges of escalated answers (collection `exchanges`). Policy asks for a review of the
 * half it checked: an input escalation carries the question and no answer (there is none yet), an
 * output escalation the answer and no question, and neither the context texts. The gateway's
 * `keel.inference.completed.v1` holds the whole exchange; for a completion with an ESCALATE policy
 * decision it is kept here, keyed by (tenant, request id), and used to complete the review items
 * of that request (complete-review.ts), in whichever order the two events arrive.
 */
import type { Citation } from '@keel/contracts/common/v1';
import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { CollectionOptions } from '@keel/doc-store';
import { combineReadRequirements, type GroupRequirement, type Logger, readRequirementsOf } from '@keel/platform';
import { completeStoredReview } from './complete-review.js';
import { missingHalves, type ReviewItem } from './review-item.js';
import { checkEventLimits, escalatedCompletionLimits } from './review-limits.js';
import type { ReviewStore } from './review-store.js';

export const EXCHANGES_COLLECTION = 'exchanges';

/**
 * How long an exchange waits for its review request. Both events are published within the same
 * answer, so a week covers any consumer lag; after that the chunk texts are not kept any longer.
 */
export const EXCHANGE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export const exchangesCollectionOptions: CollectionOptions = { ttlField: 'expiresAt' };

// A type alias, not an interface: the store's `Collection<T>` needs T's implicit index signature.
export type EscalatedExchange = {
  /** exchangeIdOf(tenantId, requestId). */
  id: string;
  tenantId: string;
  requestId: string;
  traceId: string;
  question: string;
  answer: string;
  citations: Citation[];
  contexts: ContextChunk[];
  /** The completion's requirements combined with those of its contexts' ACL groups. */
  readRequires: GroupRequirement[];
  storedAt: number;
  /** Epoch milliseconds; the store forgets the exchange then. */
  expiresAt: number;
};

/** Unambiguous for any tenant and request id (the tenant's length comes first). */
export function exchangeIdOf(tenantId: string, requestId: string): string {
  return `${tenantId.length}:${tenantId}:${requestId}`;
}

/** True when a policy check of the exchange (input or output) escalated it. */
export function isEscalated(event: Pick<InferenceCompleted, 'policy'>): boolean {
  return event.policy.some((outcome) => outcome.decision === 'ESCALATE');
}

export function exchangeFromCompletion(event: InferenceCompleted, now: number): EscalatedExchange {
  const contexts = event.contexts.map((context) => ({ ...context, aclGroups: [...context.aclGroups] }));
  return {
    id: exchangeIdOf(event.tenantId, event.requestId),
    tenantId: event.tenantId,
    requestId: event.requestId,
    traceId: event.traceId,
    question: event.question,
    answer: event.answer,
    citations: event.citations.map((citation) => ({ ...citation })),
    contexts,
    readRequires: combineReadRequirements(
      event.readRequires,
      readRequirementsOf(contexts.map((context) => context.aclGroups)),
    ),
    storedAt: now,
    expiresAt: now + EXCHANGE_RETENTION_MS,
  };
}

export function loadExchange(
  store: ReviewStore,
  tenantId: string,
  requestId: string,
): Promise<EscalatedExchange | null> {
  return requestId ? store.exchanges.get(exchangeIdOf(tenantId, requestId)) : Promise.resolve(null);
}

export type RecordExchangeResult = 'not-escalated' | 'stored';

// Review items of one request: one per escalated stage, one for a low score, a few at most.
const ITEMS_PAGE = 50;

/**
 * The use case behind `keel.inference.completed.v1` (group `keel-human-review-exchanges`): keep
 * an escalated exchange, then complete the review items of its request that lack a half. Stored
 * first and looked for second, as enqueueing does the other way round, so whichever event comes
 * last finds the other. Idempotent: a redelivery stores the same exchange and completes nothing new.
 */
export async function recordEscalatedExchange(
  store: ReviewStore & { logger: Logger },
  event: InferenceCompleted,
): Promise<RecordExchangeResult> {
  if (!isEscalated(event)) return 'not-escalated';
  checkEventLimits(escalatedCompletionLimits, event, 'escalated exchange');
  const exchange = exchangeFromCompletion(event, store.now());
  await store.exchanges.upsert(exchange);

  let cursor: string | undefined;
  do {
    const page = await store.reviews.find({
      where: { tenantId: exchange.tenantId, requestId: exchange.requestId },
      limit: ITEMS_PAGE,
      ...(cursor ? { cursor } : {}),
    });
    for (const item of page.items) await completeIfHalf(store, item, exchange);
    cursor = page.nextCursor;
  } while (cursor);
  store.logger.info({ requestId: exchange.requestId, tenantId: exchange.tenantId }, 'escalated exchange stored');
  return 'stored';
}

async function completeIfHalf(
  store: ReviewStore & { logger: Logger },
  item: ReviewItem,
  exchange: EscalatedExchange,
): Promise<void> {
  if (item.status === 'decided' || missingHalves(item).length === 0) return;
  await completeStoredReview(store, item, exchange);
}
