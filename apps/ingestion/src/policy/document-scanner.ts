/**
 * The DocumentScanner port: what the indexing pipeline needs of the policy service. The gRPC
 * client implements it in production; tests may hand in any implementation.
 */

export interface ScanInput {
  tenantId: string;
  documentId: string;
  text: string;
}

export type ScanVerdict =
  | { decision: 'allow' }
  /** Index `text` instead of the original: the policy replaced what it found. */
  | { decision: 'redact'; text: string; findings: number }
  | { decision: 'block'; reason: string }
  /** The policy wants a human to look first; ingestion does not index such a document. */
  | { decision: 'escalate'; reason: string };

export type ScanResult = ScanVerdict & {
  /** Recorded in the version's lineage: which policy let the text in. */
  policyVersion: string;
};

export interface DocumentScanner {
  /**
   * Throws a retryable error (`retryable: true`) when the policy service cannot be reached, so
   * the event is retried with backoff instead of indexing an unscanned document.
   */
  scan(input: ScanInput): Promise<ScanResult>;
}

/** For running ingestion alone (`POLICY_SCAN=off`): every document is let through unscanned. */
export const scanningDisabled: DocumentScanner = {
  async scan() {
    return { decision: 'allow', policyVersion: 'off' };
  },
};
