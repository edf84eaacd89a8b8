/**
 * The PolicyGate that evaluates each tenant's compiled policy in this process
 * (@keel/policy-engine), from the snapshot cache the policy service feeds (an initial fetch, then
 * `keel.policy.changed.v1`: policy-snapshot-sync.ts). No network round trip per check; the
 * decision is the one the policy service's Check would take for the same policy version, and it
 * is audited the same way (decision-audit.ts). Before the first fetch completed there is no
 * policy to apply: a check is then `unavailable('policy', ...)` and the tenant's failure mode
 * decides.
 */
import { randomUUID } from 'node:crypto';
import { unavailable } from '@keel/platform';
import type { CompiledPolicy, Stage } from '@keel/policy-engine';
import type { PolicyFinding, PolicyGate, PolicyVerdict } from '../answering/policy-gate.js';
import type { DecisionAudit } from './decision-audit.js';

export interface PolicySnapshots {
  /** The initial fetch completed. */
  readonly ready: boolean;
  policyFor(tenantId: string): CompiledPolicy;
}

function coversStage(policy: CompiledPolicy, stage: Stage): boolean {
  return policy.rules.some((rule) => rule.stages.includes(stage));
}

export function createInProcessPolicyGate(deps: {
  snapshots: PolicySnapshots;
  audit: DecisionAudit;
  clock?: () => number;
  newDecisionId?: () => string;
}): PolicyGate {
  const clock = deps.clock ?? Date.now;
  const newDecisionId = deps.newDecisionId ?? randomUUID;
  return {
    async check(input) {
      if (!deps.snapshots.ready) {
        throw unavailable(
          'policy',
          'no policy snapshot yet: the initial fetch from the policy service has not completed',
        );
      }
      const policy = deps.snapshots.policyFor(input.tenantId);
      const result = policy.check({ stage: input.stage, text: input.text, contexts: input.contexts });
      // A stage no rule of the tenant's policy covers (guardrails off for it) decides nothing worth
      // an audit record: three empty ALLOWs per request would be the bulk of the audit trail and a
      // tenth of the gateway's work. The completion event still records each stage's ALLOW.
      const audited = input.audit !== false && coversStage(policy, input.stage);
      const decisionId = audited ? newDecisionId() : '';
      if (audited) {
        await deps.audit({
          decisionId,
          tenantId: input.tenantId,
          requestId: input.requestId,
          stage: input.stage,
          result,
          text: result.redactedText,
          readRequires: input.readRequires,
          decidedAt: clock(),
        });
      }
      const findings = result.findings.map(
        (finding): PolicyFinding => ({
          type: finding.type,
          start: finding.start,
          end: finding.end,
          ruleId: finding.ruleId,
          confidence: finding.confidence,
          action: finding.action,
          ...(finding.context === undefined ? {} : { context: finding.context }),
        }),
      );
      const verdict: PolicyVerdict = {
        decision: result.decision,
        text: result.redactedText,
        reason: result.reason,
        decisionId,
        policyVersion: result.policyVersion,
        findingTypes: [...new Set(findings.map((finding) => finding.type))],
        findings,
      };
      return verdict;
    },
  };
}
