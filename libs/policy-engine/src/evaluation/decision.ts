import type { Finding } from '../detection/finding.js';

/** Where the checked text sits in the flow; documents are scanned at ingestion. */
export type Stage = 'input' | 'output' | 'document';

/** In order of severity: a stricter outcome always wins. */
export type Decision = 'ALLOW' | 'REDACT' | 'ESCALATE' | 'BLOCK';

/** A finding in one of the Check's contexts (retrieved passages): offsets are in that context. */
export interface ContextFinding extends Finding {
  /** Index into the Check's `contexts`. */
  context: number;
}

export type FindingAction = 'allow' | 'redact' | 'block' | 'escalate';

/** A detector rule that fired, with the action the policy took on its findings. */
export interface FiredRule {
  ruleId: string;
  type: Finding['type'];
  action: FindingAction;
  count: number;
  /** The policy rule that took its findings (none: reported only, no rule's condition held). */
  policyRule?: string;
}

/** A rule of the tenant's policy that took findings, and what it did with them. */
export interface PolicyRuleFired {
  rule: string;
  action: FindingAction;
  /** Findings it took, in the text and the contexts. */
  count: number;
  /** Their types, in order of first finding. */
  types: string[];
}

export interface Evaluation {
  decision: Decision;
  /** The text to use from here on: redacted for REDACT and ESCALATE, empty for BLOCK. */
  text: string;
  findings: Finding[];
  /** Why, for people: names the topics or the kinds of personal data; empty for ALLOW. */
  reason: string;
  /** Prompt injection found in the contexts (indirect injection). */
  contextFindings: ContextFinding[];
  /** The contexts with redacted findings replaced (the contexts as given when nothing was redacted). */
  contexts: string[];
  /** Every detector rule that fired, in order of first finding. */
  fired: FiredRule[];
  /** The policy's rules that took findings, in the policy's order. */
  rulesFired: PolicyRuleFired[];
}

export interface CheckOutcome extends Evaluation {
  decisionId: string;
  policyVersion: string;
  /** Every finding; `findings` lists at most MAX_REPORTED_FINDINGS of them (reported-findings.ts). */
  findingCount: number;
}
