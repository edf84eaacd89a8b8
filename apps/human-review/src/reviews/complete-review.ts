/**
 * Completing a review item with its exchange: the half policy did not send (the answer of an
 * escalated question, the question of an escalated answer), the citations, the contexts with
 * their ACL groups, and the read requirements of all of it. Only undecided items are completed:
 * a decision stands for what the reviewer saw.
 */
import type { ContextChunk } from '@keel/contracts/events/v1/inference';
import type { Logger } from '@keel/platform';
import { combineReadRequirements, readRequirementsOf } from '@keel/platform';
import type { EscalatedExchange } from './escalated-exchange.js';
import { isBlank, missingHalves, type ReviewItem, readRequiresKeyOf } from './review-item.js';
import { accessUnchanged, type ReviewStore } from './review-store.js';

export type Completion = Pick<
  ReviewItem,
  'question' | 'answer' | 'citations' | 'contexts' | 'readRequires' | 'readRequiresKey' | 'traceId'
>;

/**
 * The exchange's contexts (they carry chunk ids and ACL groups), then any of the item's own that
 * the exchange does not hold: by chunk id, or by text for the anonymous copies older policy
 * versions sent.
 */
function mergedContexts(exchange: readonly ContextChunk[], own: readonly ContextChunk[]): ContextChunk[] {
  const chunkIds = new Set(exchange.map((context) => context.chunkId).filter((id) => id.length > 0));
  const texts = new Set(exchange.map((context) => context.text));
  const extra = own.filter((context) => (context.chunkId ? !chunkIds.has(context.chunkId) : !texts.has(context.text)));
  return [...exchange, ...extra].map((context) => ({ ...context, aclGroups: [...(context.aclGroups ?? [])] }));
}

/** What the item becomes with its exchange; null when it has nothing to complete. */
export function completionOf(item: ReviewItem, exchange: EscalatedExchange): Completion | null {
  if (item.status === 'decided' || missingHalves(item).length === 0) return null;
  const contexts = mergedContexts(exchange.contexts, item.contexts);
  const readRequires = combineReadRequirements(
    item.readRequires,
    exchange.readRequires,
    readRequirementsOf(contexts.map((context) => context.aclGroups)),
  );
  return {
    question: isBlank(item.question) ? exchange.question : item.question,
    answer: isBlank(item.answer) ? exchange.answer : item.answer,
    citations: item.citations.length > 0 ? item.citations : exchange.citations.map((citation) => ({ ...citation })),
    contexts,
    readRequires,
    readRequiresKey: readRequiresKeyOf(readRequires),
    traceId: item.traceId || exchange.traceId,
  };
}

const COMPLETE_ATTEMPTS = 3;

/**
 * Completes a stored item with a conditional update (undecided, and unchanged in the fields the
 * completion rewrites), re-reading when a claim or the other path got there first. Returns the
 * item as it stands, or null when it is gone.
 */
export async function completeStoredReview(
  store: ReviewStore & { logger: Logger },
  item: ReviewItem,
  exchange: EscalatedExchange,
): Promise<ReviewItem | null> {
  let current: ReviewItem | null = item;
  for (let attempt = 0; attempt < COMPLETE_ATTEMPTS && current; attempt++) {
    const completion = completionOf(current, exchange);
    if (!completion) return current;
    const completed = await store.reviews.updateIf(
      current.id,
      {
        ...accessUnchanged(current),
        status: { $in: ['pending', 'claimed'] },
        question: current.question,
        answer: current.answer,
      },
      { ...completion, updatedAt: store.now() },
    );
    if (completed) {
      store.logger.info(
        { reviewId: completed.id, requestId: completed.requestId, missing: missingHalves(completed) },
        'review completed with its escalated exchange',
      );
      return completed;
    }
    current = await store.reviews.get(current.id);
  }
  if (!current) return null;
  // Retryable (a plain error): the consumer tries again with backoff.
  throw new Error(`review ${item.id} kept changing while it was being completed with its exchange`);
}
