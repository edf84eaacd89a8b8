/**
 * The audit trail of policy decisions: each one stored in the `decisions` collection and
 * published on `keel.policy.decided.v1`; an escalation also asks for a person on
 * `keel.review.requested.v1`. The stored record holds finding types and offsets, never the
 * checked text, so the audit does not become a second copy of the personal data it redacted.
 *
 * A decision that cannot be audited is not returned (the check fails as UNAVAILABLE): a
 * guardrail whose decisions go unrecorded would be invisible to evaluation and review.
 */

import { ReviewReason } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import type { EventPublisher } from '@keel/event-bus';
import { currentTraceId, type GroupRequirement, unavailable } from '@keel/platform';
import type { Decision, Stage } from '../checking/decision.js';
import type { Finding } from '../detection/finding.js';
import { nameBasedUuid } from './name-based-id.js';

// A type alias (not an interface) so it satisfies the document store's open record type.
export type DecisionRecord = {
  id: string;
  tenantId: string;
  requestId: string;
  /** Set for document scans. */
  documentId: string;
  stage: Stage;
  decision: Decision;
  findingTypes: string[];
  /** At most MAX_REPORTED_FINDINGS of them (every type is named); `findingCount` has them all. */
  findings: Pick<Finding, 'type' | 'start' | 'end' | 'ruleId' | 'confidence'>[];
  findingCount: number;
  reason: string;
  policyVersion: string;
  contextCount: number;
  /** Epoch milliseconds. */
  decidedAt: number;
};

/** What was checked, as a reviewer would need it if the decision escalates. */
export interface CheckedSubject {
  /** The text as the caller goes on to use it (redacted). */
  text: string;
  /** Who may read the text (and so the review opened on it): from the Check's `read_requires`. */
  readRequires: readonly GroupRequirement[];
}

export interface DecisionAudit {
  record(decision: DecisionRecord, subject: CheckedSubject): Promise<void>;
}

/** Only the `publish` of @keel/event-bus' EventPublisher is needed. */
export type EventSink = Pick<EventPublisher, 'publish'>;

// Names review ids in their own UUID namespace (RFC 9562 v5), so equal inputs give equal ids.
const reviewIdNamespace = '4f0c2a51-8d1e-4c67-9a0b-6a3c1f9e2d7b';

/** Deterministic per tenant, request and stage: a retried check does not queue a second review. */
export function reviewIdOf(tenantId: string, requestId: string, stage: Stage): string {
  return nameBasedUuid(`${tenantId}\n${requestId}\n${stage}\npolicy-escalation`, reviewIdNamespace);
}

export async function createDecisionAudit(store: DocumentStore, events: EventSink): Promise<DecisionAudit> {
  const decisions: Collection<DecisionRecord> = await store.collection<DecisionRecord>('decisions', {
    indexes: [{ fields: ['tenantId', 'decidedAt'] }, { fields: ['tenantId', 'requestId'] }],
  });

  return {
    async record(decision, subject) {
      try {
        await decisions.upsert(decision);
      } catch (error) {
        throw unavailable(
          'document store',
          `cannot record decision ${decision.id}: ${(error as Error).message}`,
          undefined,
          error,
        );
      }
      try {
        await events.publish(
          'keel.policy.decided.v1',
          {
            decisionId: decision.id,
            tenantId: decision.tenantId,
            requestId: decision.requestId,
            stage: decision.stage,
            decision: decision.decision,
            findingTypes: decision.findingTypes,
            reason: decision.reason,
            policyVersion: decision.policyVersion,
            decidedAt: new Date(decision.decidedAt),
          },
          { idempotencyKey: decision.id },
        );
        if (decision.decision === 'ESCALATE') {
          const reviewId = reviewIdOf(decision.tenantId, decision.requestId || decision.id, decision.stage);
          await events.publish(
            'keel.review.requested.v1',
            {
              reviewId,
              tenantId: decision.tenantId,
              requestId: decision.requestId,
              traceId: currentTraceId() ?? '',
              reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION,
              detail: decision.reason,
              question: decision.stage === 'input' ? subject.text : '',
              answer: decision.stage === 'output' ? subject.text : '',
              citations: [],
              // No contexts: a Check carries their texts only, not the chunks' ids and ACL groups, and
              // a context without its groups could not be guarded. Human review fills the whole
              // exchange (question, answer, citations and contexts with their groups) from the
              // request's keel.inference.completed.v1; this request is what policy saw and decided.
              contexts: [],
              score: 0,
              requestedBy: 'policy',
              requestedAt: new Date(decision.decidedAt),
              readRequires: subject.readRequires.map((requirement) => ({ anyOf: [...requirement.anyOf] })),
            },
            { idempotencyKey: reviewId },
          );
        }
      } catch (error) {
        throw unavailable(
          'event bus',
          `cannot publish decision ${decision.id}: ${(error as Error).message}`,
          undefined,
          error,
        );
      }
    },
  };
}
