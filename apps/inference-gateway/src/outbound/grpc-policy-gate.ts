/**
 * The PolicyGate backed by `keel.policy.v1.Policy/Check`. Unreachable or slow → a retryable
 * `unavailable('policy', ...)` (from callUnary), which the edge serves as 503. An answer without
 * a decision is a broken contract: failing closed keeps unchecked text from being served.
 */
import { type CheckRequest, type CheckResponse, Decision, PolicyClient, Stage } from '@keel/contracts/policy/v1';
import { callUnary, createGrpcClient, type InternalClientIdentity, internalError } from '@keel/platform';
import type {
  PolicyDecision,
  PolicyFinding,
  PolicyGate,
  PolicyStage,
  PolicyVerdict,
} from '../answering/policy-gate.js';

export interface GrpcPolicyGate extends PolicyGate {
  close(): void;
}

const stages: Record<PolicyStage, Stage> = {
  input: Stage.STAGE_INPUT,
  output: Stage.STAGE_OUTPUT,
  document: Stage.STAGE_DOCUMENT,
};

const decisions: ReadonlyMap<Decision, PolicyDecision> = new Map([
  [Decision.DECISION_ALLOW, 'ALLOW'],
  [Decision.DECISION_REDACT, 'REDACT'],
  [Decision.DECISION_BLOCK, 'BLOCK'],
  [Decision.DECISION_ESCALATE, 'ESCALATE'],
]);

export function createGrpcPolicyGate(options: {
  address: string;
  deadlineMs: number;
  identity: InternalClientIdentity;
}): GrpcPolicyGate {
  const client = createGrpcClient(PolicyClient, options.address, options.identity);
  return {
    async check(input) {
      const response = await callUnary<CheckRequest, CheckResponse>(
        client.check.bind(client),
        {
          tenantId: input.tenantId,
          stage: stages[input.stage],
          text: input.text,
          contexts: [...input.contexts],
          requestId: input.requestId,
          readRequires: input.readRequires.map((requirement) => ({ anyOf: [...requirement.anyOf] })),
        },
        { deadlineMs: options.deadlineMs, tenantId: input.tenantId, dependency: 'policy' },
      );
      return toVerdict(response);
    },
    close() {
      client.close();
    },
  };
}

export function toVerdict(response: CheckResponse): PolicyVerdict {
  const decision = decisions.get(response.decision);
  if (!decision) throw internalError(`the policy service answered Check without a decision (${response.decision})`);
  return {
    decision,
    text: response.text,
    reason: response.reason,
    decisionId: response.decisionId,
    policyVersion: response.policyVersion,
    findingTypes: [...new Set(response.findings.map((finding) => finding.type))],
    findings: response.findings.map(findingOf),
  };
}

// The proto's Finding has no context field: the service names the passage in the rule id.
const inContext = /^(.*)@contexts\[(\d+)\]$/;

function findingOf(finding: CheckResponse['findings'][number]): PolicyFinding {
  const match = inContext.exec(finding.ruleId);
  return {
    type: finding.type,
    start: finding.start,
    end: finding.end,
    ruleId: match?.[1] ?? finding.ruleId,
    confidence: finding.confidence,
    ...(match ? { context: Number(match[2]) } : {}),
  };
}
