/**
 * The topic consumers: thin, they hand decoded events to the use cases. Each consumer has a group
 * of its own: Kafka assigns a group's partitions across members as if every member subscribed to
 * every topic of the group, so two subscriptions with different topics in one group starve each
 * other after a rebalance. Undecodable events never reach them (the event bus dead-letters those); a use case's
 * non-retryable error (a validation error) is dead-lettered at once, others are retried.
 */
import { type EventBus, type Subscription, subscribeToEvents } from '@keel/event-bus';
import { type RecordDecisionDeps, recordReviewDecision } from '../datasets/record-review-decision.js';
import { type EvaluateDeps, evaluateCompletedInference } from '../evaluations/evaluate-completed-inference.js';
import { notScoredBecause } from '../evaluations/scoring-scope.js';

export const EVALUATION_CONSUMER_GROUP = 'keel-evaluation';
export const GOLDEN_DATASET_CONSUMER_GROUP = 'keel-evaluation-golden-datasets';

export function startInferenceConsumer(bus: EventBus, deps: EvaluateDeps): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: EVALUATION_CONSUMER_GROUP,
    topic: 'keel.inference.completed.v1',
    handle: async (event) => {
      const skipped = notScoredBecause(event.payload);
      if (skipped) {
        deps.logger.debug({ requestId: event.payload.requestId, reason: skipped }, 'completion not scored');
        return;
      }
      await evaluateCompletedInference(deps, event.payload);
    },
  });
}

export function startReviewDecisionConsumer(bus: EventBus, deps: RecordDecisionDeps): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: GOLDEN_DATASET_CONSUMER_GROUP,
    topic: 'keel.review.decided.v1',
    handle: async (event) => {
      await recordReviewDecision(deps, event.payload);
    },
  });
}
