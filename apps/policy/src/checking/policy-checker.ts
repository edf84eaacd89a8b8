/**
 * The Check and Scan use cases: load the tenant's policy, evaluate the text, audit the
 * decision, answer. Transport-free: the gRPC handlers translate to and from these types.
 */
import { randomUUID } from 'node:crypto';
import type { GroupRequirement } from '@keel/platform';
import type { DecisionAudit } from '../decisions/decision-audit.js';
import type { Finding } from '../detection/finding.js';
import type { PiiScanner } from '../detection/pii-scanner.js';
import type { PolicyRepository } from '../policies/policy-repository.js';
import { createCompiledPolicyCache } from './compiled-policy.js';
import type { CheckOutcome, Evaluation, Stage } from './decision.js';
import { evaluateText } from './evaluate-text.js';
import { reportedFindings } from './reported-findings.js';

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

export interface DryRunOutcome extends Evaluation {
  policyVersion: string;
  findingCount: number;
}

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
  scanPii: PiiScanner;
  audit: DecisionAudit;
  clock?: () => number;
  newDecisionId?: () => string;
}

export function createPolicyChecker(deps: PolicyCheckerDeps): PolicyChecker {
  const clock = deps.clock ?? Date.now;
  const newDecisionId = deps.newDecisionId ?? randomUUID;
  const compiled = createCompiledPolicyCache();

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
    const evaluation = evaluateText(policy, deps.scanPii, stage, text, context.contexts);
    const all = checkFindings(evaluation);
    const findingTypes = [...new Set(all.map((finding) => finding.type))];
    const outcome: CheckOutcome = {
      ...evaluation,
      findings: reportedFindings(all),
      findingCount: all.length,
      decisionId: newDecisionId(),
      policyVersion: policy.versionLabel,
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
      const evaluation = evaluateText(policy, deps.scanPii, input.stage, input.text, input.contexts);
      const findingCount = evaluation.findings.length + evaluation.contextFindings.length;
      return {
        ...evaluation,
        findings: reportedFindings(evaluation.findings),
        contextFindings: reportedFindings(evaluation.contextFindings) as typeof evaluation.contextFindings,
        findingCount,
        policyVersion: policy.versionLabel,
      };
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
