import type { Finding } from '../detection/finding.js';

/** Where the checked text sits in the flow; documents are scanned at ingestion. */
export type Stage = 'input' | 'output' | 'document';

/** In order of severity: a stricter outcome always wins. */
export type Decision = 'ALLOW' | 'REDACT' | 'ESCALATE' | 'BLOCK';

export interface Evaluation {
  decision: Decision;
  /** The text to use from here on: redacted for REDACT and ESCALATE, empty for BLOCK. */
  text: string;
  findings: Finding[];
  /** Why, for people: names the topics or the kinds of personal data; empty for ALLOW. */
  reason: string;
}

export interface CheckOutcome extends Evaluation {
  decisionId: string;
  policyVersion: string;
  /** Every finding; `findings` lists at most MAX_REPORTED_FINDINGS of them (reported-findings.ts). */
  findingCount: number;
}
