/**
 * The audit of decisions the gateway makes in process: each one is published on
 * `keel.policy.decided.v1` (the payload @keel/policy-engine builds, `decidedBy:
 * inference-gateway`), and an ESCALATE also asks for a person on `keel.review.requested.v1`,
 * exactly as the policy service does for its own Checks (same review id, so a request checked by
 * either asks for one review). The policy service stays the owner of policies and of the audit
 * trail it keeps from these events.
 *
 * A decision that cannot be published is not used: the check fails as policy unavailable, and the
 * tenant's failure mode decides (an unaudited guardrail would be invisible to evaluation and review).
 */
import type { EventPublisher } from '@keel/event-bus';
import { currentTraceId, type GroupRequirement, unavailable } from '@keel/platform';
import {
  type CheckResult,
  policyDecidedEventOf,
  policyReviewIdOf,
  policyReviewRequestOf,
  type Stage,
} from '@keel/policy-engine';

export interface DecisionToAudit {
  decisionId: string;
  tenantId: string;
  requestId: string;
  stage: Stage;
  result: CheckResult;
  /** The text as the caller goes on to use it (redacted): the review's question or answer. */
  text: string;
  readRequires: readonly GroupRequirement[];
  decidedAt: number;
}

export type DecisionAudit = (decision: DecisionToAudit) => Promise<void>;

/** The policy service's review id of an escalation (one piece of code in @keel/policy-engine). */
export function reviewIdOf(tenantId: string, requestId: string, stage: Stage): string {
  return policyReviewIdOf(tenantId, requestId, stage);
}

export function createDecisionAudit(events: Pick<EventPublisher, 'publish'>): DecisionAudit {
  return async (decision) => {
    const { result } = decision;
    try {
      await events.publish(
        'keel.policy.decided.v1',
        policyDecidedEventOf(result, {
          decisionId: decision.decisionId,
          tenantId: decision.tenantId,
          requestId: decision.requestId,
          stage: decision.stage,
          decidedBy: 'inference-gateway',
          decidedAt: decision.decidedAt,
        }),
        { idempotencyKey: decision.decisionId },
      );
      if (result.decision === 'ESCALATE') {
        // The policy service's builder: a request escalated here and there asks for one review.
        const review = policyReviewRequestOf({
          decisionId: decision.decisionId,
          tenantId: decision.tenantId,
          requestId: decision.requestId,
          stage: decision.stage,
          reason: result.reason,
          text: decision.text,
          readRequires: decision.readRequires,
          traceId: currentTraceId() ?? '',
          decidedAt: decision.decidedAt,
        });
        await events.publish('keel.review.requested.v1', review, { idempotencyKey: review.reviewId });
      }
    } catch (error) {
      throw unavailable(
        'policy',
        `cannot publish the audit of decision ${decision.decisionId}: ${(error as Error).message}`,
        undefined,
        error,
      );
    }
  };
}
