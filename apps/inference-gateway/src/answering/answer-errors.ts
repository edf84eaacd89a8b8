import { GrpcCode, KeelError } from '@keel/platform';
import type { PolicyVerdict } from './policy-gate.js';

/**
 * The question itself is refused by the tenant's policy: 422 / FAILED_PRECONDITION (the request is
 * well formed, the tenant's policy is the state that forbids it), not retryable.
 */
export function questionBlocked(verdict: PolicyVerdict): KeelError {
  const reason = verdict.reason || 'the tenant policy does not allow it';
  return new KeelError(`the question was blocked by policy: ${reason}`, {
    code: 'POLICY.BLOCKED',
    httpStatus: 422,
    grpcCode: GrpcCode.FAILED_PRECONDITION,
    retryable: false,
  });
}

/** The refusal served in place of an answer the output policy blocked. */
export const blockedAnswerText = 'I cannot share this answer: it conflicts with the content policy of this workspace.';
