import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listExamples } from './dataset-queries.js';
import {
  GOLDEN_EXAMPLES_COLLECTION,
  type GoldenExample,
  goldenExamplesCollectionOptions,
  REVIEWED_ANSWERS_DATASET,
} from './golden-example.js';
import { type RecordDecisionDeps, recordReviewDecision } from './record-review-decision.js';

function decided(overrides: Partial<ReviewDecided> = {}): ReviewDecided {
  return {
    reviewId: 'rev-1',
    tenantId: 'acme',
    requestId: 'req-1',
    traceId: 'trace-1',
    outcome: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
    question: 'How long can I return a robot?',
    originalAnswer: 'Within 30 days.',
    correctedAnswer: '',
    reviewer: 'alice',
    comment: '',
    decidedAt: new Date('2026-01-02T03:04:05Z'),
    ...overrides,
  };
}

let store: DocumentStore;
let examples: Collection<GoldenExample>;
let deps: RecordDecisionDeps;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  examples = await store.collection<GoldenExample>(GOLDEN_EXAMPLES_COLLECTION, goldenExamplesCollectionOptions);
  let clock = 1_000;
  deps = { examples, logger: createTestLogger().logger, now: () => clock++ };
});

afterEach(async () => {
  await store.close();
});

describe('recordReviewDecision', () => {
  it('labels an approved answer with the original answer', async () => {
    expect(await recordReviewDecision(deps, decided())).toBe(true);
    expect(await examples.get('rev-1')).toMatchObject({
      id: 'rev-1',
      tenantId: 'acme',
      datasetId: REVIEWED_ANSWERS_DATASET,
      question: 'How long can I return a robot?',
      answer: 'Within 30 days.',
      label: 'approved',
      source: 'human-review',
      reviewer: 'alice',
      decidedAt: Date.parse('2026-01-02T03:04:05Z'),
    });
  });

  it('keeps the corrected answer as the example, and the original beside it', async () => {
    await recordReviewDecision(
      deps,
      decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED, correctedAnswer: 'Within 30 days of delivery.' }),
    );
    expect(await examples.get('rev-1')).toMatchObject({
      answer: 'Within 30 days of delivery.',
      originalAnswer: 'Within 30 days.',
      label: 'corrected',
    });
  });

  it('records a redelivered decision once', async () => {
    await recordReviewDecision(deps, decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED }));
    expect(await recordReviewDecision(deps, decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED }))).toBe(false);
    expect(await examples.count()).toBe(1);
    expect((await examples.get('rev-1'))?.label).toBe('rejected');
  });

  it('dead-letters decisions that can never become an example', async () => {
    for (const event of [
      decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_UNSPECIFIED }),
      decided({ reviewId: '' }),
      decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED, correctedAnswer: ' ' }),
    ]) {
      const error = await recordReviewDecision(deps, event).catch((caught: unknown) => caught);
      expect(isKeelError(error) && error.retryable === false).toBe(true);
    }
    expect(await examples.count()).toBe(0);
  });

  it('lists a tenant dataset newest first, page by page', async () => {
    for (const id of ['rev-1', 'rev-2', 'rev-3']) await recordReviewDecision(deps, decided({ reviewId: id }));
    await recordReviewDecision(deps, decided({ reviewId: 'other', tenantId: 'globex' }));
    const first = await listExamples(examples, 'acme', REVIEWED_ANSWERS_DATASET, { limit: 2 });
    expect(first.items.map((example) => example.id)).toEqual(['rev-3', 'rev-2']);
    const second = await listExamples(examples, 'acme', REVIEWED_ANSWERS_DATASET, {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(second.items.map((example) => example.id)).toEqual(['rev-1']);
    expect(second.nextCursor).toBeUndefined();
    const bad = await listExamples(examples, 'acme', REVIEWED_ANSWERS_DATASET, { limit: 2, cursor: 'nope' }).catch(
      (error: unknown) => error,
    );
    expect(isKeelError(bad) && bad.httpStatus).toBe(400);
  });
});
