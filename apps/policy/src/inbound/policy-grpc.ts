/**
 * `keel.policy.v1.Policy`: translates the proto messages, validates them (sizes included, see
 * request-limits.ts), delegates to the checker.
 */
import {
  type CheckRequest,
  type CheckResponse,
  Decision as DecisionProto,
  type Finding as FindingProto,
  PolicyService,
  type ScanRequest,
  type ScanResponse,
  Stage as StageProto,
} from '@keel/contracts/policy/v1';
import {
  type GrpcCallContext,
  type GrpcServiceRegistration,
  type Logger,
  unaryHandler,
  validationError,
} from '@keel/platform';
import type { CheckOutcome, Decision, Stage } from '../checking/decision.js';
import type { PolicyChecker } from '../checking/policy-checker.js';
import { checkRequestViolations, REQUEST_LIMITS, scanRequestViolations } from './request-limits.js';

const stages: ReadonlyMap<StageProto, Stage> = new Map([
  [StageProto.STAGE_INPUT, 'input'],
  [StageProto.STAGE_OUTPUT, 'output'],
  [StageProto.STAGE_DOCUMENT, 'document'],
]);

const decisions: Record<Decision, DecisionProto> = {
  ALLOW: DecisionProto.DECISION_ALLOW,
  REDACT: DecisionProto.DECISION_REDACT,
  ESCALATE: DecisionProto.DECISION_ESCALATE,
  BLOCK: DecisionProto.DECISION_BLOCK,
};

type Violations = { field: string; message: string }[];

/** The tenant from the request or, failing that, the metadata; both given must agree. */
function tenantOf(requested: string, call: GrpcCallContext, violations: Violations): string {
  const tenantId = requested || call.tenantId || '';
  if (!tenantId) {
    violations.push({ field: 'tenant_id', message: 'is required (in the request or the x-keel-tenant-id metadata)' });
  } else if (requested && call.tenantId && requested !== call.tenantId) {
    violations.push({ field: 'tenant_id', message: 'differs from the x-keel-tenant-id metadata' });
  } else if (tenantId.length > REQUEST_LIMITS.idLength) {
    violations.push({ field: 'tenant_id', message: `must be at most ${REQUEST_LIMITS.idLength} characters` });
  }
  return tenantId;
}

function findingsOf(outcome: CheckOutcome): FindingProto[] {
  return outcome.findings.map(({ type, start, end, ruleId, confidence }) => ({ type, start, end, ruleId, confidence }));
}

export function policyGrpcService(logger: Logger, checker: PolicyChecker): GrpcServiceRegistration {
  return {
    definition: PolicyService,
    implementation: {
      check: unaryHandler<CheckRequest, CheckResponse>(logger, async (request, call) => {
        const violations: Violations = [];
        const tenantId = tenantOf(request.tenantId, call, violations);
        const stage = stages.get(request.stage);
        if (!stage) violations.push({ field: 'stage', message: 'must be STAGE_INPUT, STAGE_OUTPUT or STAGE_DOCUMENT' });
        const sized = checkRequestViolations(request);
        violations.push(...sized.violations);
        if (violations.length > 0 || !stage) throw validationError(violations);
        const outcome = await checker.check({
          tenantId,
          stage,
          text: request.text,
          contexts: request.contexts,
          requestId: request.requestId,
          readRequires: sized.readRequires,
        });
        return {
          decision: decisions[outcome.decision],
          text: outcome.text,
          findings: findingsOf(outcome),
          reason: outcome.reason,
          policyVersion: outcome.policyVersion,
          decisionId: outcome.decisionId,
        };
      }),
      scan: unaryHandler<ScanRequest, ScanResponse>(logger, async (request, call) => {
        const violations: Violations = [];
        const tenantId = tenantOf(request.tenantId, call, violations);
        violations.push(...scanRequestViolations(request));
        if (violations.length > 0) throw validationError(violations);
        const outcome = await checker.scan({ tenantId, documentId: request.documentId, text: request.text });
        return {
          decision: decisions[outcome.decision],
          text: outcome.text,
          findings: findingsOf(outcome),
          reason: outcome.reason,
          policyVersion: outcome.policyVersion,
        };
      }),
    },
  };
}
