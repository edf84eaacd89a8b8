/**
 * The Check and Scan use cases: load the tenant's policy, evaluate the text, audit the
 * decision, answer. Transport-free: the gRPC handlers translate to and from these types.
 */
import { randomUUID } from 'node:crypto';
import type { GroupRequirement } from '@keel/platform';
import {
  type CheckOutcome,
  type CheckResult,
  type Evaluation,
  type Finding,
  type PolicyEngine,
  reportedFindings,
  type Stage,
} from '@keel/policy-engine';
import type { DecisionAudit } from '../decisions/decision-audit.js';
import type { PolicyRepository } from '../policies/policy-repository.js';
import { createCompiledPolicyCache } from './compiled-policy-cache.js';

export interface CheckInput {
  tenantId: string;
  stage: Stage;
  text: string;
  /**
   * Retrieved passages: checked for prompt injection (indirect injection) at every stage, and
   * recorded as a count (reviewers get them from the completion).
   */
  contexts: readonly string[];
  requestId: string;
  /** Who may read the checked text (canonical); copied onto the review an escalation opens. */
  readRequires: readonly GroupRequirement[];
}

export interface ScanInput {
  tenantId: string;
  documentId: string;
  text: string;
}

export interface DryRunInput {
  tenantId: string;
  stage: Stage;
  text: string;
  contexts: readonly string[];
}

/** What the engine's check answers (CheckResult), for the dry run to show as it is. */
export type DryRunOutcome = CheckResult;

export interface PolicyChecker {
  check(input: CheckInput): Promise<CheckOutcome>;
  scan(input: ScanInput): Promise<CheckOutcome>;
  /** The decision Check would take, without auditing it, publishing it or opening a review. */
  dryRun(input: DryRunInput): Promise<DryRunOutcome>;
}

/**
 * The findings a Check reports: the text's, then those in its contexts, whose rule id names the
 * context (`injection.prompt.override@contexts[2]`) and whose offsets are in that context (the
 * proto's Finding has no context field).
 */
export function checkFindings(evaluation: Evaluation): Finding[] {
  return [
    ...evaluation.findings,
    ...evaluation.contextFindings.map(({ context, ...finding }) => ({
      ...finding,
      ruleId: `${finding.ruleId}@contexts[${context}]`,
    })),
  ];
}

export interface PolicyCheckerDeps {
  policies: PolicyRepository;
  engine: PolicyEngine;
  audit: DecisionAudit;
  clock?: () => number;
  newDecisionId?: () => string;
}

export function createPolicyChecker(deps: PolicyCheckerDeps): PolicyChecker {
  const clock = deps.clock ?? Date.now;
  const newDecisionId = deps.newDecisionId ?? randomUUID;
  const compiled = createCompiledPolicyCache(deps.engine);

  const decide = async (
    tenantId: string,
    stage: Stage,
    text: string,
    context: {
      requestId: string;
      documentId: string;
      contexts: readonly string[];
      readRequires: readonly GroupRequirement[];
    },
  ): Promise<CheckOutcome> => {
    const policy = compiled(await deps.policies.current(tenantId));
    const evaluation = policy.evaluate(stage, text, context.contexts);
    const all = checkFindings(evaluation);
    const findingTypes = [...new Set(all.map((finding) => finding.type))];
    const outcome: CheckOutcome = {
      ...evaluation,
      findings: reportedFindings(all),
      findingCount: all.length,
      decisionId: newDecisionId(),
      policyVersion: policy.policyVersion,
    };
    await deps.audit.record(
      {
        id: outcome.decisionId,
        tenantId,
        requestId: context.requestId,
        documentId: context.documentId,
        stage,
        decision: outcome.decision,
        findingTypes,
        findingCount: outcome.findingCount,
        findings: outcome.findings.map(({ type, start, end, ruleId, confidence }) => ({
          type,
          start,
          end,
          ruleId,
          confidence,
        })),
        reason: outcome.reason,
        policyVersion: outcome.policyVersion,
        rulesFired: outcome.rulesFired.map((fired) => fired.rule),
        contextCount: context.contexts.length,
        decidedAt: clock(),
      },
      { text: outcome.text, readRequires: context.readRequires },
    );
    return outcome;
  };

  return {
    dryRun: async (input) => {
      const policy = compiled(await deps.policies.current(input.tenantId));
      return policy.check({ stage: input.stage, text: input.text, contexts: input.contexts });
    },
    check: (input) =>
      decide(input.tenantId, input.stage, input.text, {
        requestId: input.requestId,
        documentId: '',
        contexts: input.contexts,
        readRequires: input.readRequires,
      }),
    scan: (input) =>
      decide(input.tenantId, 'document', input.text, {
        requestId: '',
        documentId: input.documentId,
        contexts: [],
        readRequires: [],
      }),
  };
}
