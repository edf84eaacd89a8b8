import { PolicyDecided } from '@keel/contracts/events/v1/policy';
import { expect, it } from 'vitest';
import { policyDecidedEventOf } from './decision-event.js';
import { createPolicyEngine } from './policy-engine.js';

it('builds the keel.policy.decided.v1 payload of an in-process check, with the rules that fired', () => {
  const policy = createPolicyEngine().compile(
    { rules: [{ id: 'pii', detector: 'pii', action: 'redact' }] },
    { tenantId: 'acme', policyVersion: 'acme@v2' },
  );
  const result = policy.check({ stage: 'output', text: 'mail ann@example.com or bob@example.com' });
  const event = policyDecidedEventOf(result, {
    decisionId: 'd-1',
    tenantId: 'acme',
    requestId: 'r-1',
    stage: 'output',
    decidedBy: 'inference-gateway',
    decidedAt: 1_000,
  });
  expect(event).toEqual({
    decisionId: 'd-1',
    tenantId: 'acme',
    requestId: 'r-1',
    stage: 'output',
    decision: 'REDACT',
    findingTypes: ['pii.email'],
    reason: 'redacted personal data: pii.email',
    policyVersion: 'acme@v2',
    decidedAt: new Date(1_000),
    rulesFired: ['pii'],
    findingCount: 2,
    decidedBy: 'inference-gateway',
  });
  // It is a valid message of the topic's type.
  expect(PolicyDecided.decode(PolicyDecided.encode(event).finish())).toEqual(event);
});
