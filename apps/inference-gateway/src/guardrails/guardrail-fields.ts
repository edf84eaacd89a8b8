/**
 * How a response says what the guardrails did, beside its policy decisions: the `keel` extension
 * of OpenAI-shaped responses (snake_case) and the `policy` object of `/v1/answers` (camelCase)
 * carry the input findings per message and the passages withheld from the model; headers say the
 * same for clients that read only headers:
 *  - `x-keel-policy: unavailable-fail-open`: a check could not be made and the tenant fails open;
 *  - `x-keel-passages-withheld: dropped=1, redacted=0`: retrieved passages policy kept from the
 *    model or showed it redacted (indirect prompt injection).
 */
import type { MessageFinding } from './conversation-guard.js';
import type { WithheldPassage } from './passage-guard.js';
import { type PolicyStatus, policyStatusHeader } from './policy-status.js';

export const passagesWithheldHeader = 'x-keel-passages-withheld';

export interface GuardrailOutcome {
  inputFindings?: readonly MessageFinding[] | undefined;
  withheldPassages?: readonly WithheldPassage[] | undefined;
  policyStatus?: PolicyStatus | undefined;
}

/** The headers of a response (set before its body or its first event). */
export function guardrailHeadersOf(outcome: GuardrailOutcome): Record<string, string> {
  const headers: Record<string, string> = {};
  if (outcome.policyStatus) headers[policyStatusHeader] = outcome.policyStatus;
  const withheld = outcome.withheldPassages ?? [];
  if (withheld.length > 0) {
    const count = (action: WithheldPassage['action']) => withheld.filter((p) => p.action === action).length;
    headers[passagesWithheldHeader] = `dropped=${count('dropped')}, redacted=${count('redacted')}`;
  }
  return headers;
}

/** The `keel` extension's guardrail fields (OpenAI routes). */
export function openAiGuardrailFieldsOf(outcome: GuardrailOutcome) {
  return {
    ...(outcome.inputFindings && outcome.inputFindings.length > 0
      ? {
          input_findings: outcome.inputFindings.map((finding) => ({
            message: finding.message,
            path: finding.path,
            type: finding.type,
            start: finding.start,
            end: finding.end,
            rule_id: finding.ruleId,
          })),
        }
      : {}),
    ...(outcome.withheldPassages && outcome.withheldPassages.length > 0
      ? {
          withheld_passages: outcome.withheldPassages.map((passage) => ({
            chunk_id: passage.chunkId,
            document_id: passage.documentId,
            action: passage.action,
            finding_types: passage.findingTypes,
          })),
        }
      : {}),
    ...(outcome.policyStatus ? { policy_status: outcome.policyStatus } : {}),
  };
}
