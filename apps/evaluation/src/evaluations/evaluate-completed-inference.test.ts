import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createRecordingPublisher, type RecordingPublisher } from '@keel/event-bus/testing';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EvaluateDeps, evaluateCompletedInference } from './evaluate-completed-inference.js';
import { EVALUATIONS_COLLECTION, type EvaluationRecord, evaluationsCollectionOptions } from './evaluation-record.js';
import { reviewIdFor } from './review-id.js';

const contexts = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v1',
    text: 'Customers can return any robot within 30 days of delivery.',
    score: 0.9,
  },
];

function completed(overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId: 'req-1',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: undefined,
    latencyMs: 12,
    question: 'How long can I return a robot?',
    answer: 'Customers can return any robot within 30 days of delivery. [1]',
    contexts,
    citations: [],
    policy: [],
    completedAt: new Date('2026-01-02T03:04:05Z'),
    ...overrides,
  };
}

let store: DocumentStore;
let evaluations: Collection<EvaluationRecord>;
let publisher: RecordingPublisher;
let deps: EvaluateDeps;
let clock: number;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
  publisher = createRecordingPublisher();
  clock = Date.parse('2026-01-02T03:04:06Z');
  deps = {
    evaluations,
    publisher,
    policy: { reviewThreshold: 0.7, claimThreshold: 0.7 },
    logger: createTestLogger().logger,
    now: () => clock++,
  };
});

afterEach(async () => {
  await store.close();
});

describe('evaluateCompletedInference', () => {
  it('stores a passing evaluation and announces it without asking for review', async () => {
    const record = await evaluateCompletedInference(deps, completed());
    expect(record).toMatchObject({ id: 'req-1', groundedness: 1, passed: true, reviewId: null });
    expect(record.publishedAt).not.toBeNull();
    expect(await evaluations.get('req-1')).toMatchObject({ tenantId: 'acme', passed: true });
    expect(publisher.of('keel.review.requested.v1')).toEqual([]);
    const [scored] = publisher.of('keel.evaluation.scored.v1');
    expect(scored).toMatchObject({
      requestId: 'req-1',
      tenantId: 'acme',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      threshold: 0.7,
      passed: true,
    });
    expect(scored?.scores.map((score) => score.metric)).toEqual(['groundedness', 'citation_coverage']);
  });

  it('asks for a review, with a deterministic id, when groundedness is below the threshold', async () => {
    await evaluateCompletedInference(deps, completed({ answer: 'Robots may be returned for 90 days, no questions.' }));
    const [request] = publisher.of('keel.review.requested.v1');
    expect(request).toMatchObject({
      reviewId: reviewIdFor('acme', 'req-1', 'LOW_SCORE'),
      reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
      requestedBy: 'evaluation',
      score: 0,
      question: 'How long can I return a robot?',
      contexts,
    });
    expect(request?.detail).toContain('below 0.7');
    expect(publisher.published.find((event) => event.topic === 'keel.review.requested.v1')?.options).toEqual({
      idempotencyKey: request?.reviewId,
    });
    expect(publisher.of('keel.evaluation.scored.v1')[0]?.passed).toBe(false);
  });

  it('does nothing on a redelivery of an event it fully handled', async () => {
    const event = completed({ answer: 'Robots may be returned for 90 days.' });
    await evaluateCompletedInference(deps, event);
    const published = publisher.published.length;
    await evaluateCompletedInference(deps, event);
    expect(publisher.published).toHaveLength(published);
    expect(await evaluations.count()).toBe(1);
  });

  it('publishes on redelivery when the first attempt stored but could not publish', async () => {
    publisher.failNext();
    await expect(evaluateCompletedInference(deps, completed())).rejects.toThrow('event bus unavailable');
    expect((await evaluations.get('req-1'))?.publishedAt).toBeNull();
    await evaluateCompletedInference(deps, completed());
    expect(publisher.of('keel.evaluation.scored.v1')).toHaveLength(1);
    expect((await evaluations.get('req-1'))?.publishedAt).not.toBeNull();
  });

  it('falls back to the current trace when the event carries no trace id', async () => {
    const record = await evaluateCompletedInference(deps, completed({ traceId: '' }));
    // No active span in this test: the fallback is empty rather than invented.
    expect(record.traceId).toBe('');
  });

  it('refuses, without retry, an event without a request id or one clashing with another tenant', async () => {
    const missing = await evaluateCompletedInference(deps, completed({ requestId: '' })).catch((error) => error);
    expect(isKeelError(missing) && missing.retryable).toBe(false);
    await evaluateCompletedInference(deps, completed());
    const clash = await evaluateCompletedInference(deps, completed({ tenantId: 'globex' })).catch((error) => error);
    expect(isKeelError(clash) && clash.code).toBe('EVALUATION.REQUEST_ID_CLASH');
    expect(isKeelError(clash) && clash.retryable).toBe(false);
  });
});
