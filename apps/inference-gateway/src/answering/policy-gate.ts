/**
 * The PolicyGate port: what answering needs of the policy service. The gRPC client implements
 * it (outbound/grpc-policy-gate.ts); tests may hand in any implementation.
 */

import type { GroupRequirement } from '@keel/platform';

export type PolicyStage = 'input' | 'output';

export type PolicyDecision = 'ALLOW' | 'REDACT' | 'BLOCK' | 'ESCALATE';

export interface PolicyCheck {
  tenantId: string;
  stage: PolicyStage;
  text: string;
  /** The retrieved passages an output was grounded on. */
  contexts: readonly string[];
  /** Correlates the input and output checks (and the review a decision may open). */
  requestId: string;
  /**
   * Who may read the checked text: an output quoting restricted passages needs their groups. The
   * policy service copies it onto the review an escalation opens. Empty: the whole tenant.
   */
  readRequires: readonly GroupRequirement[];
}

export interface PolicyVerdict {
  decision: PolicyDecision;
  /** The text to use from here on: redacted for REDACT and ESCALATE. */
  text: string;
  reason: string;
  decisionId: string;
  policyVersion: string;
  findingTypes: string[];
}

export interface PolicyGate {
  /** Throws a retryable `unavailable('policy', ...)` KeelError when the service cannot answer. */
  check(input: PolicyCheck): Promise<PolicyVerdict>;
}
