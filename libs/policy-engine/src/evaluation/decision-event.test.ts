import { PolicyDecided } from '@keel/contracts/events/v1/policy';
import { expect, it } from 'vitest';
import { MAX_EVENT_FINDING_SPANS, policyDecidedEventOf } from './decision-event.js';
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
    // Where each finding is, never the text it covers.
    findingSpans: {
      items: [
        { type: 'pii.email', start: 5, end: 20, ruleId: 'pii.email.dot-atom', action: 'redact' },
        { type: 'pii.email', start: 24, end: 39, ruleId: 'pii.email.dot-atom', action: 'redact' },
      ],
    },
  });
  // It is a valid message of the topic's type.
  expect(PolicyDecided.decode(PolicyDecided.encode(event).finish())).toEqual(event);
});

it('publishes at most MAX_EVENT_FINDING_SPANS spans and still counts every finding', () => {
  const policy = createPolicyEngine().compile(
    { rules: [{ id: 'pii', detector: 'pii', action: 'redact' }] },
    { tenantId: 'acme', policyVersion: 'acme@v2' },
  );
  const text = Array.from({ length: MAX_EVENT_FINDING_SPANS + 20 }, (_, i) => `user${i}@example.com`).join(' ');
  const event = policyDecidedEventOf(policy.check({ stage: 'input', text }), {
    decisionId: 'd-2',
    tenantId: 'acme',
    requestId: 'r-2',
    stage: 'input',
    decidedBy: 'inference-gateway',
    decidedAt: 1_000,
  });
  expect(event.findingSpans?.items).toHaveLength(MAX_EVENT_FINDING_SPANS);
  expect(event.findingCount).toBe(MAX_EVENT_FINDING_SPANS + 20);
  expect(event.findingSpans?.items[0]).toMatchObject({ start: 0, end: 'user0@example.com'.length });
});
