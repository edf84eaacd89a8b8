/**
 * The consumers, thin: they hand decoded events to the use cases. Each has a consumer group of
 * its own (Kafka assigns a group's partitions as if every member subscribed to every topic of the
 * group, so two subscriptions with different topics in one group starve each other after a
 * rebalance). Undecodable events never reach them (the event bus dead-letters those); a use
 * case's non-retryable error (an id-less or over-limit event) is dead-lettered at once, others
 * are retried with backoff.
 */
import { type EventBus, type Subscription, subscribeToEvents } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import { type ContextStore, recordEvaluation, recordPolicyDecision } from '../context/answer-context.js';
import { enqueueReview } from '../reviews/enqueue-review.js';
import { recordEscalatedExchange } from '../reviews/escalated-exchange.js';
import type { ReviewStore } from '../reviews/review-store.js';

export const HUMAN_REVIEW_CONSUMER_GROUP = 'keel-human-review';
export const EXCHANGES_CONSUMER_GROUP = 'keel-human-review-exchanges';
export const SCORES_CONSUMER_GROUP = 'keel-human-review-scores';
export const FINDINGS_CONSUMER_GROUP = 'keel-human-review-findings';

/** `keel.review.requested.v1` → the queue. */
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

/** `keel.inference.completed.v1` → the exchanges of escalated answers (others are skipped). */
export function startExchangeConsumer(bus: EventBus, store: ReviewStore & { logger: Logger }): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: EXCHANGES_CONSUMER_GROUP,
    topic: 'keel.inference.completed.v1',
    handle: async (event) => {
      await recordEscalatedExchange(store, event.payload);
    },
  });
}

/** `keel.evaluation.scored.v1` → the scores and claim verdicts shown beside an item. */
export function startScoresConsumer(bus: EventBus, store: ContextStore): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: SCORES_CONSUMER_GROUP,
    topic: 'keel.evaluation.scored.v1',
    handle: async (event) => {
      await recordEvaluation(store, event.payload);
    },
  });
}

/** `keel.policy.decided.v1` → the policy findings shown beside an item (document scans are passed over). */
export function startFindingsConsumer(bus: EventBus, store: ContextStore): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: FINDINGS_CONSUMER_GROUP,
    topic: 'keel.policy.decided.v1',
    handle: async (event) => {
      await recordPolicyDecision(store, event.payload);
    },
  });
}
