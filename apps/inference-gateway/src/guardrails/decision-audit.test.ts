import { ReviewReason } from '@keel/contracts/review/v1';
import { createRecordingPublisher } from '@keel/event-bus/testing';
import { KeelError } from '@keel/platform';
import { createPolicyEngine, policyReviewIdOf } from '@keel/policy-engine';
import { describe, expect, it } from 'vitest';
import { createDecisionAudit, type DecisionToAudit, reviewIdOf } from './decision-audit.js';

const policy = createPolicyEngine().compile(
  {
    rules: [
      { id: 'legal', detector: 'topic', topic: 'legal', phrases: ['lawsuit'], action: 'escalate' },
      { id: 'pii', detector: 'pii', action: 'redact' },
    ],
  },
  { tenantId: 'acme', policyVersion: 'acme@v2' },
);

function decisionOf(text: string, overrides: Partial<DecisionToAudit> = {}): DecisionToAudit {
  const result = policy.check({ stage: 'output', text });
  return {
    decisionId: 'd-1',
    tenantId: 'acme',
    requestId: 'req-1',
    stage: 'output',
    result,
    text: result.redactedText,
    readRequires: [{ anyOf: ['legal'] }],
    decidedAt: 7_000,
    ...overrides,
  };
}

describe('the in-process decision audit', () => {
  it('publishes the decision as the gateway made it', async () => {
    const events = createRecordingPublisher();
    await createDecisionAudit(events)(decisionOf('mail ann@example.com'));
    expect(events.of('keel.policy.decided.v1')).toEqual([
      expect.objectContaining({ decisionId: 'd-1', decision: 'REDACT', decidedBy: 'inference-gateway' }),
    ]);
    expect(events.published[0]?.options).toEqual({ idempotencyKey: 'd-1' });
    expect(events.of('keel.review.requested.v1')).toEqual([]);
  });

  it("asks for the policy service's review of an escalation, under the same review id", async () => {
    const events = createRecordingPublisher();
    await createDecisionAudit(events)(decisionOf('about the lawsuit, mail ann@example.com'));
    const [review] = events.of('keel.review.requested.v1');
    // The policy service's id for this tenant, request and stage (pinned in @keel/policy-engine).
    expect(review?.reviewId).toBe('c074626f-109d-5b58-8dd9-2620437f31a3');
    expect(reviewIdOf('acme', 'req-1', 'output')).toBe(policyReviewIdOf('acme', 'req-1', 'output'));
    expect(review).toMatchObject({
      tenantId: 'acme',
      requestId: 'req-1',
      reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION,
      question: '',
      answer: 'about the lawsuit, mail [EMAIL]',
      requestedBy: 'policy',
      requestedAt: new Date(7_000),
      readRequires: [{ anyOf: ['legal'] }],
    });
    expect(events.published[1]?.options).toEqual({ idempotencyKey: review?.reviewId });
  });

  it('names the review by the decision when there is no request id', async () => {
    const events = createRecordingPublisher();
    await createDecisionAudit(events)(decisionOf('the lawsuit', { requestId: '' }));
    expect(events.of('keel.review.requested.v1')[0]?.reviewId).toBe(policyReviewIdOf('acme', 'd-1', 'output'));
  });

  it('fails as policy unavailable when the audit cannot be published', async () => {
    const events = createRecordingPublisher();
    events.failNext();
    const failure = createDecisionAudit(events)(decisionOf('mail ann@example.com'));
    await expect(failure).rejects.toBeInstanceOf(KeelError);
    await expect(failure).rejects.toMatchObject({ dependency: 'policy', retryable: true });
  });
});
