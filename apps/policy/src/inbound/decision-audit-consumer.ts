/**
 * The audit's consumer, thin: `keel.policy.decided.v1` → the decisions other services made
 * (record-published-decision.ts). A consumer group of its own, read from the earliest offset, so
 * that every decision the log still holds reaches the audit, once. Undecodable events never reach
 * it (the event bus dead-letters those); a malformed one fails with a non-retryable validation
 * error and is dead-lettered at once; a store failure is retried with backoff.
 */

import type { Collection } from '@keel/doc-store';
import { type EventBus, type HealthReport, type Subscription, subscribeToEvents } from '@keel/event-bus';
import type { Logger } from '@keel/platform';
import type { DecisionRecord } from '../decisions/decision-audit.js';
import { type RecordResult, recordPublishedDecision } from '../decisions/record-published-decision.js';

export const POLICY_AUDIT_CONSUMER_GROUP = 'keel-policy-audit';
const topic = 'keel.policy.decided.v1';

export interface DecisionAuditConsumer {
  stop(): Promise<void>;
  /** For readiness: consuming, and the bus reports every subscription alive. */
  health(): Promise<HealthReport>;
}

export interface DecisionAuditConsumerOptions {
  /** Default POLICY_AUDIT_CONSUMER_GROUP; tests sharing a broker take a group of their own. */
  groupId?: string;
  /** Default true: a new group audits every decision the log still holds. */
  fromBeginning?: boolean;
}

export async function startDecisionAuditConsumer(
  bus: EventBus,
  deps: { decisions: Pick<Collection<DecisionRecord>, 'insert'>; logger: Logger },
  options: DecisionAuditConsumerOptions = {},
): Promise<DecisionAuditConsumer> {
  const groupId = options.groupId ?? POLICY_AUDIT_CONSUMER_GROUP;
  const counts: Record<RecordResult, number> = { recorded: 0, 'already-recorded': 0, 'own-decision': 0 };
  let stopped = false;
  const subscription: Subscription = await subscribeToEvents(bus, {
    groupId,
    topic,
    fromBeginning: options.fromBeginning ?? true,
    handle: async (event) => {
      counts[await recordPublishedDecision(deps, event.payload)] += 1;
    },
  });
  const label = `group ${groupId} on ${topic}`;
  return {
    async stop() {
      stopped = true;
      await subscription.stop();
    },
    async health() {
      if (stopped) return { ok: false, detail: `${label}: stopped` };
      const busHealth = await bus.health();
      if (!busHealth.ok) return { ok: false, detail: `${label}: ${busHealth.detail}` };
      return {
        ok: true,
        detail: `${label}: consuming (${counts.recorded} recorded, ${counts['already-recorded']} redelivered, ${counts['own-decision']} own skipped)`,
      };
    },
  };
}
