/** Moving open items between queues: a lead's bulk move, and the items of a deleted queue. */
import type { ReviewItem } from '../reviews/review-item.js';
import type { ReviewStore } from '../reviews/review-store.js';
import { placementIn } from './queue-store.js';
import type { QueueRecord } from './review-queue.js';

/**
 * Places an open item in `queue` as if it had been routed there (its priority, due time and
 * reviewers per item; a breach is the new queue's to judge). Null when it was decided, or moved by
 * someone else, meanwhile.
 */
export async function moveItem(store: ReviewStore, item: ReviewItem, queue: QueueRecord): Promise<ReviewItem | null> {
  const placement = placementIn(queue, item.createdAt);
  return store.reviews.updateIf(
    item.id,
    { tenantId: item.tenantId, status: { $in: ['pending', 'claimed'] }, queueId: item.queueId ?? null },
    {
      ...placement,
      updatedAt: Math.max(store.now(), item.updatedAt + 1),
    },
  );
}
