/**
 * The audit trail of policy decisions: each one stored in the `decisions` collection and
 * published on `keel.policy.decided.v1`; an escalation also asks for a person on
 * `keel.review.requested.v1`. The stored record holds finding types and offsets, never the
 * checked text, so the audit does not become a second copy of the personal data it redacted.
 *
 * A decision that cannot be audited is not returned (the check fails as UNAVAILABLE): a
 * guardrail whose decisions go unrecorded would be invisible to evaluation and review.
 */

import type { Collection, DocumentStore } from '@keel/doc-store';
import type { EventPublisher } from '@keel/event-bus';
import { currentTraceId, type GroupRequirement, unavailable } from '@keel/platform';
import {
  type Decision,
  type Finding,
  type FindingSpanInput,
  policyDecidedEvent,
  policyReviewIdOf,
  policyReviewRequestOf,
  type Stage,
} from '@keel/policy-engine';

// A type alias (not an interface) so it satisfies the document store's open record type.
/**
 * A finding as the audit keeps it. This service's own checks name a context finding's context in its
 * rule id (`pii.email.dot-atom@contexts[2]`, checkFindings); a published decision says it in `context`.
 */
export type RecordedFinding = Pick<Finding, 'start' | 'end' | 'ruleId' | 'confidence'> & {
  /** A detector's type; a published decision's is only known to be a string. */
  type: string;
  /** Set for a finding in `contexts[context]`: its offsets are in that context. */
  context?: number;
};

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
  findings: RecordedFinding[];
  findingCount: number;
  reason: string;
  policyVersion: string;
  /** The ids of the policy's rules that took findings. */
  rulesFired: string[];
  contextCount: number;
  /** Epoch milliseconds. */
  decidedAt: number;
  /**
   * Who evaluated: `policy` (this service's Check and Scan) or the service that decided in process
   * and published `keel.policy.decided.v1` (`inference-gateway`). Absent on records stored before
   * the audit took other services' decisions: those are all `policy`.
   */
  decidedBy?: string;
};

/** The collection of the audit: this service's decisions and those others published. */
export const DECISIONS_COLLECTION = 'decisions';

export function openDecisions(store: DocumentStore): Promise<Collection<DecisionRecord>> {
  return store.collection<DecisionRecord>(DECISIONS_COLLECTION, {
    indexes: [{ fields: ['tenantId', 'decidedAt'] }, { fields: ['tenantId', 'requestId'] }],
  });
}

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

/**
 * Deterministic per tenant, request and stage: a retried check does not queue a second review.
 * The engine's, so the gateway's in-process escalations name the same reviews.
 */
export function reviewIdOf(tenantId: string, requestId: string, stage: Stage): string {
  return policyReviewIdOf(tenantId, requestId, stage);
}

export async function createDecisionAudit(store: DocumentStore, events: EventSink): Promise<DecisionAudit> {
  const decisions = await openDecisions(store);

  return {
    async record(decision, subject) {
      try {
        await decisions.upsert({ ...decision, decidedBy: 'policy' });
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
          policyDecidedEvent({
            decisionId: decision.id,
            tenantId: decision.tenantId,
            requestId: decision.requestId,
            stage: decision.stage,
            decision: decision.decision,
            findingTypes: decision.findingTypes,
            findings: decision.findings.map(spanOfRecorded),
            findingCount: decision.findingCount,
            reason: decision.reason,
            policyVersion: decision.policyVersion,
            rulesFired: decision.rulesFired,
            decidedBy: 'policy',
            decidedAt: decision.decidedAt,
          }),
          { idempotencyKey: decision.id },
        );
        if (decision.decision === 'ESCALATE') {
          const review = policyReviewRequestOf({
            decisionId: decision.id,
            tenantId: decision.tenantId,
            requestId: decision.requestId,
            stage: decision.stage,
            reason: decision.reason,
            text: subject.text,
            readRequires: subject.readRequires,
            traceId: currentTraceId() ?? '',
            decidedAt: decision.decidedAt,
          });
          await events.publish('keel.review.requested.v1', review, { idempotencyKey: review.reviewId });
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

const CONTEXT_SUFFIX = /@contexts\[(\d+)\]$/;

/** The published span of a recorded finding: the context named in its rule id becomes `context`. */
function spanOfRecorded(finding: RecordedFinding): FindingSpanInput {
  const context = CONTEXT_SUFFIX.exec(finding.ruleId);
  if (finding.context !== undefined || !context) return finding;
  return { ...finding, ruleId: finding.ruleId.slice(0, context.index), context: Number(context[1]) };
}
