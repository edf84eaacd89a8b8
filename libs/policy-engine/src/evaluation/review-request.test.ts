import { ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import { describe, expect, it } from 'vitest';
import { nameBasedUuid, policyReviewIdOf, policyReviewRequestOf } from './review-request.js';

describe('nameBasedUuid', () => {
  it('matches the RFC 9562 version 5 test vector', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
    expect(nameBasedUuid('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('refuses a malformed namespace', () => {
    expect(() => nameBasedUuid('a', 'not-a-uuid')).toThrow(/namespace/);
  });
});

describe('policyReviewIdOf', () => {
  it('keeps the ids reviews were already queued under', () => {
    // Pinned: a changed namespace or name would queue a second review for a retried escalation.
    expect(policyReviewIdOf('acme', 'req-1', 'input')).toBe('10378df3-a305-5399-ba73-fe631ea22aa8');
    expect(policyReviewIdOf('acme', 'req-1', 'output')).toBe('c074626f-109d-5b58-8dd9-2620437f31a3');
  });

  it('separates tenants, requests and stages', () => {
    const ids = new Set([
      policyReviewIdOf('acme', 'req-1', 'input'),
      policyReviewIdOf('globex', 'req-1', 'input'),
      policyReviewIdOf('acme', 'req-2', 'input'),
      policyReviewIdOf('acme', 'req-1', 'output'),
    ]);
    expect(ids.size).toBe(4);
  });
});

describe('policyReviewRequestOf', () => {
  const base = {
    decisionId: 'd-1',
    tenantId: 'acme',
    requestId: 'req-1',
    reason: 'escalation topic "legal-dispute"',
    text: 'my lawyer says [EMAIL]',
    readRequires: [{ anyOf: ['legal', 'hr'] }],
    traceId: 'trace-1',
    decidedAt: 5_000,
  };

  it('asks for a review of the question of an input escalation', () => {
    const request = policyReviewRequestOf({ ...base, stage: 'input' });
    expect(request).toEqual({
      reviewId: policyReviewIdOf('acme', 'req-1', 'input'),
      tenantId: 'acme',
      requestId: 'req-1',
      traceId: 'trace-1',
      reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION,
      detail: 'escalation topic "legal-dispute"',
      question: 'my lawyer says [EMAIL]',
      answer: '',
      citations: [],
      contexts: [],
      score: 0,
      requestedBy: 'policy',
      requestedAt: new Date(5_000),
      readRequires: [{ anyOf: ['legal', 'hr'] }],
    });
    // It encodes as the topic's contract.
    expect(ReviewRequested.decode(ReviewRequested.encode(request).finish())).toEqual(request);
  });

  it('puts an output escalation in the answer and copies the groups', () => {
    const readRequires = [{ anyOf: ['legal'] }];
    const request = policyReviewRequestOf({ ...base, stage: 'output', readRequires });
    expect(request).toMatchObject({ question: '', answer: 'my lawyer says [EMAIL]' });
    expect(request.readRequires).toEqual(readRequires);
    expect(request.readRequires[0]).not.toBe(readRequires[0]);
  });

  it('names the review by the decision when the check had no request id', () => {
    const request = policyReviewRequestOf({ ...base, requestId: '', stage: 'input' });
    expect(request.reviewId).toBe(policyReviewIdOf('acme', 'd-1', 'input'));
    expect(request.requestId).toBe('');
  });
});
