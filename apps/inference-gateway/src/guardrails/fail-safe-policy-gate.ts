/**
 * The tenant's failure mode around a PolicyGate. When the gate cannot decide (the policy service
 * is unreachable or past its deadline, or the in-process engine has no policy for the tenant: both
 * a retryable `unavailable('policy', ...)`), a tenant that fails `closed` gets that error (503
 * naming the reason) and one that fails `open` gets an ALLOW of the text as sent, marked `failOpen`
 * so the response and the completion event say the request went unchecked.
 */
import { type Logger, unavailable } from '@keel/platform';
import type { PolicyGate } from '../answering/policy-gate.js';
import { type FailureModes, failureModeOf } from './failure-mode.js';
import { isPolicyUnavailable } from './policy-status.js';

export function withFailureModes(gate: PolicyGate, modes: FailureModes, logger: Logger): PolicyGate {
  return {
    async check(input) {
      try {
        return await gate.check(input);
      } catch (error) {
        if (!isPolicyUnavailable(error)) throw error;
        const reason = (error as Error).message;
        if (failureModeOf(modes, input.tenantId) === 'closed') {
          // The message names what failed and why nothing was served.
          throw unavailable(
            'policy',
            `${reason.replace(/^policy unavailable: /, '')} (guardrails fail closed for this tenant)`,
            undefined,
            error,
          );
        }
        logger.warn(
          { tenant_id: input.tenantId, request_id: input.requestId, stage: input.stage, reason },
          'policy unavailable: failing open for this tenant',
        );
        return {
          decision: 'ALLOW',
          text: input.text,
          reason: `not checked: ${reason}; the tenant fails open`,
          decisionId: '',
          policyVersion: '',
          findingTypes: [],
          findings: [],
          failOpen: reason,
        };
      }
    },
  };
}
