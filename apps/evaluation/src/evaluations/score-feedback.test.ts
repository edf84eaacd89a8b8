import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createRecordingPublisher } from '@keel/event-bus/testing';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SamplingCounters } from '../sampling/sampling-counters.js';
import { EVALUATIONS_COLLECTION, type EvaluationRecord, evaluationsCollectionOptions } from './evaluation-record.js';
import type { ScoreCompletionDeps } from './score-completion.js';
import { scoreFeedbackExchange } from './score-feedback.js';

function feedback(overrides: Partial<ReviewRequested> = {}): ReviewRequested {
  return {
    reviewId: 'review-1',
    tenantId: 'acme',
    requestId: 'req-1',
    traceId: '',
    reason: ReviewReason.REVIEW_REASON_USER_FEEDBACK,
    detail: 'thumbs down',
    question: 'How long can I return a robot?',
    answer: 'Robots may be returned for 90 days.',
    citations: [],
    contexts: [
      {
        chunkId: 'returns#0',
        documentId: 'returns',
        documentVersion: 'v1',
        text: 'Customers can return any robot within 30 days of delivery.',
        score: 0.9,
        aclGroups: [],
      },
    ],
    score: 0,
    requestedBy: 'inference-gateway',
    requestedAt: new Date(),
    readRequires: [],
    ...overrides,
  };
}

let store: DocumentStore;
let evaluations: Collection<EvaluationRecord>;
let deps: ScoreCompletionDeps;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
  deps = {
    evaluations,
    publisher: createRecordingPublisher(),
    policy: { reviewThreshold: 0.7, claimThreshold: 0.7 },
    logger: createTestLogger().logger,
    counters: new SamplingCounters(),
  };
});

afterEach(async () => {
  await store.close();
});

describe('scoreFeedbackExchange', () => {
  it('scores the exchange of feedback on an answer that was sampled out, once', async () => {
    expect(await scoreFeedbackExchange(deps, feedback())).toBe('scored');
    const record = await evaluations.get('req-1');
    expect(record).toMatchObject({ groundedness: 0, passed: false, latencyMs: null, contextCount: 1 });
    expect(record?.scores.map((score) => score.metric)).not.toContain('latency_ms');
    expect(await scoreFeedbackExchange(deps, feedback({ reviewId: 'review-2' }))).toBe('already-evaluated');
    expect(deps.counters?.of('acme').scored).toBe(1);
  });

  it('leaves other reasons and answerless requests alone', async () => {
    expect(await scoreFeedbackExchange(deps, feedback({ reason: ReviewReason.REVIEW_REASON_LOW_SCORE }))).toBe(
      'not-feedback',
    );
    expect(await scoreFeedbackExchange(deps, feedback({ answer: '' }))).toBe('not-feedback');
    expect(await evaluations.count({})).toBe(0);
  });
});
