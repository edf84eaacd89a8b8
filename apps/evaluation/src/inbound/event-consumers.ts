/**
 * The topic consumers: thin, they hand decoded events to the use cases. Each consumer has a group
 * of its own: Kafka assigns a group's partitions across members as if every member subscribed to
 * every topic of the group, so two subscriptions with different topics in one group starve each
 * other after a rebalance. Undecodable events never reach them (the event bus dead-letters those); a use case's
 * non-retryable error (a validation error) is dead-lettered at once, others are retried.
 */
import { type EventBus, type Subscription, subscribeToEvents } from '@keel/event-bus';
import { type RecordDecisionDeps, recordReviewDecision } from '../datasets/record-review-decision.js';
import { type ScoreCompletionDeps, scoreCompletion } from '../evaluations/score-completion.js';
import { scoreFeedbackExchange } from '../evaluations/score-feedback.js';
import {
  completionEntry,
  concernsAnAnswer,
  type EventOrigin,
  evaluationEntry,
  policyEntry,
  type RecordLineageDeps,
  recordLineageEntry,
  reviewEntry,
} from '../lineage/record-lineage.js';

export const EVALUATION_CONSUMER_GROUP = 'keel-evaluation';
export const GOLDEN_DATASET_CONSUMER_GROUP = 'keel-evaluation-golden-datasets';
export const FEEDBACK_CONSUMER_GROUP = 'keel-evaluation-feedback';

/**
 * Lineage reads four topics, one group each (see above), apart from scoring so that a slow scorer
 * never holds back the record of what happened.
 */
export const LINEAGE_CONSUMER_GROUPS = {
  'keel.inference.completed.v1': 'keel-evaluation-lineage-completions',
  'keel.policy.decided.v1': 'keel-evaluation-lineage-policy',
  'keel.evaluation.scored.v1': 'keel-evaluation-lineage-scores',
  'keel.review.decided.v1': 'keel-evaluation-lineage-reviews',
} as const;

export function startInferenceConsumer(bus: EventBus, deps: ScoreCompletionDeps): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: EVALUATION_CONSUMER_GROUP,
    topic: 'keel.inference.completed.v1',
    handle: async (event) => {
      // Not scorable, sampled out or scored (evaluations/score-completion.ts).
      await scoreCompletion(deps, event.payload);
    },
  });
}

/** Scores the exchange of user feedback on an answer sampling left unscored (score-feedback.ts). */
export function startFeedbackConsumer(bus: EventBus, deps: ScoreCompletionDeps): Promise<Subscription> {
  return subscribeToEvents(bus, {
    groupId: FEEDBACK_CONSUMER_GROUP,
    topic: 'keel.review.requested.v1',
    handle: async (event) => {
      await scoreFeedbackExchange(deps, event.payload);
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

export interface LineageConsumerOptions {
  /** Tests over a shared broker use groups of their own. */
  groups?: Record<keyof typeof LINEAGE_CONSUMER_GROUPS, string>;
  /** Where a new group starts (the bus's default: the beginning, so history is not lost). */
  fromBeginning?: boolean;
}

/** Starts the four lineage consumers; each event becomes one lineage entry, stored once. */
export async function startLineageConsumers(
  bus: EventBus,
  deps: RecordLineageDeps,
  options: LineageConsumerOptions = {},
): Promise<Subscription[]> {
  const now = deps.now ?? Date.now;
  const groups = options.groups ?? LINEAGE_CONSUMER_GROUPS;
  const start = options.fromBeginning === undefined ? {} : { fromBeginning: options.fromBeginning };
  const originOf = (meta: { eventId: string; traceparent?: string }): EventOrigin => ({
    eventId: meta.eventId,
    ...(meta.traceparent ? { traceparent: meta.traceparent } : {}),
  });
  const starts: (() => Promise<Subscription>)[] = [
    () =>
      subscribeToEvents(bus, {
        ...start,
        groupId: groups['keel.inference.completed.v1'],
        topic: 'keel.inference.completed.v1',
        handle: async (event) => {
          await recordLineageEntry(deps, completionEntry(event.payload, originOf(event.meta), now()));
        },
      }),
    () =>
      subscribeToEvents(bus, {
        ...start,
        groupId: groups['keel.policy.decided.v1'],
        topic: 'keel.policy.decided.v1',
        handle: async (event) => {
          if (!concernsAnAnswer(event.payload)) return;
          await recordLineageEntry(deps, policyEntry(event.payload, originOf(event.meta), now()));
        },
      }),
    () =>
      subscribeToEvents(bus, {
        ...start,
        groupId: groups['keel.evaluation.scored.v1'],
        topic: 'keel.evaluation.scored.v1',
        handle: async (event) => {
          await recordLineageEntry(deps, evaluationEntry(event.payload, originOf(event.meta), now()));
        },
      }),
    () =>
      subscribeToEvents(bus, {
        ...start,
        groupId: groups['keel.review.decided.v1'],
        topic: 'keel.review.decided.v1',
        handle: async (event) => {
          if (!concernsAnAnswer(event.payload)) return;
          await recordLineageEntry(deps, reviewEntry(event.payload, originOf(event.meta), now()));
        },
      }),
  ];
  const subscriptions: Subscription[] = [];
  try {
    for (const subscribe of starts) subscriptions.push(await subscribe());
  } catch (error) {
    await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
    throw error;
  }
  return subscriptions;
}
