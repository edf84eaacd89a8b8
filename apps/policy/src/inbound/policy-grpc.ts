/**
 * `keel.policy.v1.Policy`: translates the proto messages, validates them (sizes included, see
 * request-limits.ts), delegates to the checker.
 */
import {
  type CheckRequest,
  type CheckResponse,
  Decision as DecisionProto,
  type Finding as FindingProto,
  type GetPolicyRequest,
  type GetPolicyResponse,
  type ListPoliciesRequest,
  type ListPoliciesResponse,
  PolicyService,
  type ScanRequest,
  type ScanResponse,
  Stage as StageProto,
} from '@keel/contracts/policy/v1';
import { InvalidQueryError } from '@keel/doc-store';
import {
  type GrpcCallContext,
  type GrpcServiceRegistration,
  type Logger,
  unaryHandler,
  validationError,
} from '@keel/platform';
import type { CheckOutcome, Decision, Stage } from '@keel/policy-engine';
import type { PolicyChecker } from '../checking/policy-checker.js';
import { policyChangedEvent } from '../policies/policy-admin.js';
import type { PolicyRepository } from '../policies/policy-repository.js';
import type { TenantPolicy } from '../policies/tenant-policy.js';
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

/** ListPolicies pages: a gateway loads every tenant's policy at start, a page at a time. */
export const LIST_POLICIES_PAGE = { default: 100, max: 500, tokenLength: 1024 } as const;

function tenantPolicyProto(policy: TenantPolicy) {
  const { changedAt, ...event } = policyChangedEvent(policy);
  return { ...event, updatedAt: changedAt };
}

export function policyGrpcService(
  logger: Logger,
  checker: PolicyChecker,
  policies: PolicyRepository,
): GrpcServiceRegistration {
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
          rulesFired: outcome.rulesFired.map((fired) => fired.rule),
        };
      }),
      listPolicies: unaryHandler<ListPoliciesRequest, ListPoliciesResponse>(logger, async (request) => {
        const violations: Violations = [];
        if (request.pageSize < 0 || request.pageSize > LIST_POLICIES_PAGE.max) {
          violations.push({ field: 'page_size', message: `must be from 0 to ${LIST_POLICIES_PAGE.max}` });
        }
        if (request.pageToken.length > LIST_POLICIES_PAGE.tokenLength) {
          violations.push({
            field: 'page_token',
            message: `must be at most ${LIST_POLICIES_PAGE.tokenLength} characters`,
          });
        }
        if (violations.length > 0) throw validationError(violations);
        const page = await policies
          .list({
            limit: request.pageSize || LIST_POLICIES_PAGE.default,
            ...(request.pageToken ? { cursor: request.pageToken } : {}),
          })
          .catch((error: unknown) => {
            if (error instanceof InvalidQueryError) {
              throw validationError([{ field: 'page_token', message: 'is not a token this service issued' }]);
            }
            throw error;
          });
        return { policies: page.policies.map(tenantPolicyProto), nextPageToken: page.nextCursor ?? '' };
      }),
      getPolicy: unaryHandler<GetPolicyRequest, GetPolicyResponse>(logger, async (request, call) => {
        const violations: Violations = [];
        const tenantId = tenantOf(request.tenantId, call, violations);
        if (violations.length > 0) throw validationError(violations);
        return { policy: tenantPolicyProto(await policies.current(tenantId)) };
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
