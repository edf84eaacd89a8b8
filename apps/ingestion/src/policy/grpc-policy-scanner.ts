/**
 * The DocumentScanner backed by the policy service's `keel.policy.v1.Policy/Scan`.
 * Unreachable or slow → a retryable `unavailable` error (from callUnary), so the consumer retries
 * with backoff. An answer without a decision is a broken contract: failing closed (non-retryable)
 * keeps an unscanned document out of the index and sends the event to the DLQ for a human.
 */
import { Decision, PolicyClient, type ScanResponse } from '@keel/contracts/policy/v1';
import { callUnary, createGrpcClient, type InternalAuthConfig, internalError } from '@keel/platform';
import type { DocumentScanner, ScanInput, ScanResult } from './document-scanner.js';

export interface GrpcPolicyScannerOptions {
  address: string;
  deadlineMs: number;
  auth: InternalAuthConfig;
}

export interface GrpcPolicyScanner extends DocumentScanner {
  close(): void;
}

export function createGrpcPolicyScanner(options: GrpcPolicyScannerOptions): GrpcPolicyScanner {
  const client = createGrpcClient(PolicyClient, options.address, { auth: options.auth, callerName: 'ingestion' });
  return {
    async scan(input: ScanInput): Promise<ScanResult> {
      const response = await callUnary(
        client.scan.bind(client),
        { tenantId: input.tenantId, documentId: input.documentId, text: input.text },
        { deadlineMs: options.deadlineMs, tenantId: input.tenantId, dependency: 'policy' },
      );
      return toScanResult(response);
    },
    close() {
      client.close();
    },
  };
}

export function toScanResult(response: ScanResponse): ScanResult {
  const policyVersion = response.policyVersion || 'unknown';
  switch (response.decision) {
    case Decision.DECISION_ALLOW:
      return { decision: 'allow', policyVersion };
    case Decision.DECISION_REDACT:
      return { decision: 'redact', text: response.text, findings: response.findings.length, policyVersion };
    case Decision.DECISION_BLOCK:
      return { decision: 'block', reason: response.reason || 'blocked by policy', policyVersion };
    case Decision.DECISION_ESCALATE:
      return { decision: 'escalate', reason: response.reason || 'held for review by policy', policyVersion };
    default:
      throw internalError(`the policy service answered Scan without a decision (${response.decision})`);
  }
}
