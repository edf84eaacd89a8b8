/**
 * The audit event of one decision, `keel.policy.decided.v1`, built the same way whoever decided:
 * the policy service (Check, Scan) or a process evaluating in process (the gateway). Both publish
 * what this returns, so evaluation and review read one shape.
 */
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { Decision, Stage } from './decision.js';

export interface DecisionEventInput {
  decisionId: string;
  tenantId: string;
  requestId: string;
  stage: Stage;
  decision: Decision;
  reason: string;
  policyVersion: string;
  /** Every finding's type (text and contexts), in any order and with repeats. */
  findingTypes: readonly string[];
  findingCount: number;
  /** The ids of the policy rules that took findings (CheckResult.rulesFired). */
  rulesFired: readonly { rule: string }[] | readonly string[];
  /** `policy` or `inference-gateway`. */
  decidedBy: string;
  /** Epoch milliseconds. */
  decidedAt: number;
}

export function policyDecidedEvent(input: DecisionEventInput): PolicyDecided {
  return {
    decisionId: input.decisionId,
    tenantId: input.tenantId,
    requestId: input.requestId,
    stage: input.stage,
    decision: input.decision,
    findingTypes: [...new Set(input.findingTypes)],
    reason: input.reason,
    policyVersion: input.policyVersion,
    decidedAt: new Date(input.decidedAt),
    rulesFired: input.rulesFired.map((fired) => (typeof fired === 'string' ? fired : fired.rule)),
    findingCount: input.findingCount,
    decidedBy: input.decidedBy,
  };
}

/** The event of a `CompiledPolicy.check` result: what the gateway publishes for an in-process decision. */
export function policyDecidedEventOf(
  result: {
    decision: Decision;
    reason: string;
    policyVersion: string;
    findings: readonly { type: string }[];
    findingCount: number;
    rulesFired: readonly { rule: string }[];
  },
  context: {
    decisionId: string;
    tenantId: string;
    requestId: string;
    stage: Stage;
    decidedBy: string;
    decidedAt: number;
  },
): PolicyDecided {
  return policyDecidedEvent({
    ...context,
    decision: result.decision,
    reason: result.reason,
    policyVersion: result.policyVersion,
    findingTypes: result.findings.map((finding) => finding.type),
    findingCount: result.findingCount,
    rulesFired: result.rulesFired,
  });
}
