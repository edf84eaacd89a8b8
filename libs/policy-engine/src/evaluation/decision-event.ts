/**
 * The audit event of one decision, `keel.policy.decided.v1`, built the same way whoever decided:
 * the policy service (Check, Scan) or a process evaluating in process (the gateway). Both publish
 * what this returns, so evaluation and review read one shape.
 */
import type { PolicyDecided, PolicyFindingSpan } from '@keel/contracts/events/v1/policy';
import type { Decision, Stage } from './decision.js';

/** Spans carried by one event; `findingCount` still counts them all. */
export const MAX_EVENT_FINDING_SPANS = 100;

/** Where a finding is: offsets in the stage's text, or in one of its contexts. */
export interface FindingSpanInput {
  type: string;
  start: number;
  end: number;
  ruleId: string;
  /** Index into the checked contexts; absent for the text itself. */
  context?: number;
  action?: string;
}

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
  /** Where the findings are (the first MAX_EVENT_FINDING_SPANS are published). */
  findings?: readonly FindingSpanInput[];
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
    ...(input.findings
      ? { findingSpans: { items: input.findings.slice(0, MAX_EVENT_FINDING_SPANS).map(spanOf) } }
      : {}),
  };
}

function spanOf(finding: FindingSpanInput): PolicyFindingSpan {
  return {
    type: finding.type,
    start: finding.start,
    end: finding.end,
    ruleId: finding.ruleId,
    ...(finding.context !== undefined ? { context: finding.context } : {}),
    action: finding.action ?? '',
  };
}

/** The event of a `CompiledPolicy.check` result: what the gateway publishes for an in-process decision. */
export function policyDecidedEventOf(
  result: {
    decision: Decision;
    reason: string;
    policyVersion: string;
    findings: readonly FindingSpanInput[];
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
    findings: result.findings,
    findingCount: result.findingCount,
    rulesFired: result.rulesFired,
  });
}
