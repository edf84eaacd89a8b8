/**
 * Items queued before queues existed have no `queueId`: they are adopted into their tenant's
 * `default` queue with its base priority and a due time of createdAt + its SLA, as if they had
 * been routed there (their decision, if any, becomes their one `decisions` entry). The service
 * does this at start, before it serves, and again with every SLA sweep, for items an older
 * instance still queues during a rolling deploy.
 */
import type { Logger } from '@keel/platform';
import { decisionsOf } from '../reviews/review-item.js';
import type { ReviewStore } from '../reviews/review-store.js';
import { ensureDefaultQueue, placementIn, type QueueStore } from './queue-store.js';
import type { QueueRecord } from './review-queue.js';

const BATCH = 200;
const MAX_BATCHES = 500;

export async function adoptLegacyItems(
  store: Pick<ReviewStore, 'reviews' | 'now'> & QueueStore & { logger: Logger },
): Promise<number> {
  const defaults = new Map<string, QueueRecord>();
  let adopted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    // Each adopted item leaves the filter, so every batch reads from the start.
    const page = await store.reviews.find({ where: { queueId: null }, limit: BATCH });
    if (page.items.length === 0) break;
    for (const item of page.items) {
      let queue = defaults.get(item.tenantId);
      if (!queue) {
        queue = await ensureDefaultQueue(store, item.tenantId);
        defaults.set(item.tenantId, queue);
      }
      const decisions = decisionsOf(item);
      const done = await store.reviews.updateIf(
        item.id,
        { queueId: null },
        {
          ...placementIn(queue, item.createdAt),
          // They were queued for one reviewer.
          reviewersRequired: 1,
          decisions,
          decisionCount: decisions.length,
          decidedAt: item.decision?.decidedAt ?? null,
          skips: item.skips ?? [],
        },
      );
      if (done) adopted++;
    }
    if (!page.nextCursor) break;
  }
  if (adopted > 0) store.logger.info({ adopted }, 'review items from before queues adopted into their default queue');
  return adopted;
}
