/**
 * The PolicyGate port: what answering needs of the policy service. Two implementations: the gRPC
 * client (outbound/grpc-policy-gate.ts) and the tenant's compiled policy evaluated in process
 * (guardrails/in-process-policy-gate.ts); guardrails/fail-safe-policy-gate.ts wraps either with the
 * tenant's failure mode. Tests may hand in any implementation.
 */

import type { GroupRequirement } from '@keel/platform';

/**
 * `document`: retrieved passages before they reach a model (checked for indirect prompt injection
 * as the check's `contexts`; documents have no answer to review, so an escalation blocks them).
 */
export type PolicyStage = 'input' | 'output' | 'document';

export type PolicyDecision = 'ALLOW' | 'REDACT' | 'BLOCK' | 'ESCALATE';

export interface PolicyCheck {
  tenantId: string;
  stage: PolicyStage;
  text: string;
  /** The retrieved passages an output was grounded on, or the passages checked at `document`. */
  contexts: readonly string[];
  /** Correlates the input and output checks (and the review a decision may open). */
  requestId: string;
  /**
   * Who may read the checked text: an output quoting restricted passages needs their groups. The
   * policy service copies it onto the review an escalation opens. Empty: the whole tenant.
   */
  readRequires: readonly GroupRequirement[];
  /**
   * `false`: a provisional look (a stream's held-back window) whose decision of record comes
   * later; not audited where the gate can tell (in process). The remote service audits every Check.
   */
  audit?: boolean;
}

export interface PolicyFinding {
  /** `pii.email`, `secret.jwt`, `injection.prompt`, `topic.denied`... */
  type: string;
  /** UTF-16 offsets, end exclusive: in the checked text, or in `contexts[context]` when `context` is set. */
  start: number;
  end: number;
  ruleId: string;
  confidence: number;
  /** Index into the check's contexts, for a finding in a passage. */
  context?: number;
  /** What the policy did with it, when the gate knows (the in-process engine does, the remote Check does not say). */
  action?: 'allow' | 'redact' | 'block' | 'escalate';
}

export interface PolicyVerdict {
  decision: PolicyDecision;
  /** The text to use from here on: redacted for REDACT and ESCALATE. */
  text: string;
  reason: string;
  decisionId: string;
  policyVersion: string;
  findingTypes: string[];
  /** Every finding with its offsets (absent from gates that do not report them). */
  findings?: PolicyFinding[];
  /**
   * Set when no check could be made (policy unreachable, or no policy loaded for the tenant) and
   * the tenant's failure mode is `open`: the text went on unchecked, and this says why.
   */
  failOpen?: string;
}

export interface PolicyGate {
  /** Throws a retryable `unavailable('policy', ...)` KeelError when the service cannot answer. */
  check(input: PolicyCheck): Promise<PolicyVerdict>;
}
