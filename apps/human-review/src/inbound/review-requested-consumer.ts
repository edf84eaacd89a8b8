/**
 * The consumer of `keel.review.requested.v1` (group `keel-human-review`): thin, it hands decoded
 * requests to the queue. Undecodable events never reach it (the event bus dead-letters those).
 */
import { type EventBus, type Subscription, subscribeToEvents } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import { enqueueReview } from '../reviews/enqueue-review.js';
import type { ReviewStore } from '../reviews/review-store.js';

export const HUMAN_REVIEW_CONSUMER_GROUP = 'keel-human-review';

export function startReviewRequestedConsumer(
  bus: EventBus,
  store: ReviewStore & { logger: Logger },
): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: HUMAN_REVIEW_CONSUMER_GROUP,
    topic: 'keel.review.requested.v1',
    handle: async (event) => {
      await enqueueReview(store, event.payload);
    },
  });
}
