/** Test fixtures: a review store on the embedded doc store, and the events that feed it. */
import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createRecordingPublisher, type RecordingPublisher } from '@keel/event-bus/testing';
import { isKeelError } from '@keel/platform';
import { createTestLogger, type TestLogger } from '@keel/platform/testing';
import type { DecideDeps } from '../reviews/decide-review.js';
import {
  type EscalatedExchange,
  EXCHANGES_COLLECTION,
  exchangesCollectionOptions,
} from '../reviews/escalated-exchange.js';
import { REVIEWS_COLLECTION, type ReviewItem, reviewsCollectionOptions } from '../reviews/review-item.js';

export interface ReviewFixture {
  store: DocumentStore;
  deps: DecideDeps;
  publisher: RecordingPublisher;
  log: TestLogger;
  clock: { now: number };
}

/** Opens the review collections in `store` (tests pass an embedded one; this file picks no adapter). */
export async function openReviewFixture(store: DocumentStore): Promise<ReviewFixture> {
  const reviews = await store.collection<ReviewItem>(REVIEWS_COLLECTION, reviewsCollectionOptions);
  const exchanges = await store.collection<EscalatedExchange>(EXCHANGES_COLLECTION, exchangesCollectionOptions);
  const publisher = createRecordingPublisher();
  const log = createTestLogger('human-review');
  // Near the wall clock: the store expires exchanges (a TTL) by the real time.
  const clock = { now: Date.now() };
  return {
    store,
    publisher,
    log,
    clock,
    deps: { reviews, exchanges, publisher, logger: log.logger, now: () => clock.now },
  };
}

/** A chunk of a document only group `legal` may read. */
export const legalContext: ContextChunk = {
  chunkId: 'contract#0',
  documentId: 'contract',
  documentVersion: 'v1',
  text: 'The settlement with Initech is 4.2 million and stays confidential.',
  score: 0.8,
  aclGroups: ['legal'],
};

/** A chunk the whole tenant may read. */
export const publicContext: ContextChunk = {
  chunkId: 'returns#0',
  documentId: 'returns',
  documentVersion: 'v1',
  text: 'Customers can return any robot within 30 days of delivery.',
  score: 0.9,
  aclGroups: [],
};

export const citationOf = (context: ContextChunk, marker: number) => ({
  documentId: context.documentId,
  documentVersion: context.documentVersion,
  chunkId: context.chunkId,
  title: context.documentId,
  source: `kb://${context.documentId}`,
  startOffset: 0,
  endOffset: context.text.length,
  score: context.score,
  quote: '',
  marker,
});

export function requested(overrides: Partial<ReviewRequested> = {}): ReviewRequested {
  return {
    reviewId: 'rev-1',
    tenantId: 'acme',
    requestId: 'req-1',
    traceId: 'trace-1',
    reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
    detail: 'groundedness 0.2 is below 0.7',
    question: 'How long can I return a robot?',
    answer: 'For 90 days.',
    citations: [],
    contexts: [],
    score: 0.2,
    requestedBy: 'evaluation',
    requestedAt: new Date('2026-01-02T03:04:05Z'),
    readRequires: [],
    ...overrides,
  };
}

/** What policy asks for when it escalates one stage: that stage's text, no contexts. */
export function escalation(stage: 'input' | 'output', overrides: Partial<ReviewRequested> = {}): ReviewRequested {
  return requested({
    reviewId: `rev-${stage}`,
    reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION,
    detail: 'the topic "litigation" is escalated for review',
    question: stage === 'input' ? 'What did we settle with Initech?' : '',
    answer: stage === 'output' ? 'The settlement is 4.2 million. [1]' : '',
    score: 0,
    requestedBy: 'policy',
    ...overrides,
  });
}

/** The gateway's completion of the escalated exchange `req-1`, grounded on a `legal` chunk. */
export function completed(overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId: 'req-1',
    traceId: 'trace-1',
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, costUsd: 0 },
    latencyMs: 12,
    question: 'What did we settle with Initech?',
    answer: 'The settlement is 4.2 million. [1]',
    contexts: [legalContext],
    citations: [citationOf(legalContext, 1)],
    policy: [
      { stage: 'input', decision: 'ESCALATE', decisionId: 'dec-in', findingTypes: [] },
      { stage: 'output', decision: 'ALLOW', decisionId: 'dec-out', findingTypes: [] },
    ],
    completedAt: new Date('2026-01-02T03:04:06Z'),
    readRequires: [{ anyOf: ['legal'] }],
    subject: 'app',
    ...overrides,
  };
}

/** The code of a KeelError a promise rejects with (or the error as text); undefined when it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error === undefined) return undefined;
  return isKeelError(error) ? error.code : String(error);
}

/** The error a promise rejects with. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (caught: unknown) => caught,
  );
}
