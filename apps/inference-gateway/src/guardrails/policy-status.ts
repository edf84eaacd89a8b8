/**
 * How a request stood with policy when no decision could be had, as the response header
 * `x-keel-policy` and the completion event's `policy_status` say it. Unset: every check was made.
 */
import { isKeelError } from '@keel/platform';
import type { PolicyVerdict } from '../answering/policy-gate.js';

export type PolicyStatus = 'unavailable-fail-open' | 'unavailable-fail-closed';

export const policyStatusHeader = 'x-keel-policy';

/** `unavailable-fail-open` when any check of the request was let through unchecked. */
export function policyStatusOf(verdicts: Iterable<PolicyVerdict | undefined>): PolicyStatus | undefined {
  for (const verdict of verdicts) if (verdict?.failOpen) return 'unavailable-fail-open';
  return undefined;
}

/** A check that could not be made, refused because the tenant fails closed (a retryable 503). */
export function isPolicyUnavailable(error: unknown): boolean {
  return isKeelError(error) && error.dependency === 'policy' && error.httpStatus === 503;
}
