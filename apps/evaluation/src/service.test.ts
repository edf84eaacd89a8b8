/**
 * The evaluation service end to end on embedded adapters: events in, scores stored and
 * announced, reviews requested, decisions turned into golden examples, and the HTTP API.
 */

import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { ReviewDecided, ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewOutcome, ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { currentTraceId, type RunningService, withSpan } from '@keel/platform';
import { createTestLogger, startTestTelemetry, type TestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvaluationConfig } from './config.js';
import { reviewIdFor } from './evaluations/review-id.js';
import { startEvaluationService } from './service.js';

const ACME_KEY = 'acme-test-key';
const GLOBEX_KEY = 'globex-test-key';

const contexts = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v1',
    text: 'Customers can return any robot within 30 days of delivery. Refunds take 5 business days.',
    score: 0.9,
  },
];

function completed(requestId: string, answer: string, overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId,
    traceId: requestId.padEnd(32, '0'),
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, costUsd: 0 },
    latencyMs: 10,
    question: 'How long can I return a robot?',
    answer,
    contexts,
    citations: [],
    policy: [],
    completedAt: new Date(),
    ...overrides,
  };
}

const GROUNDED = 'Customers can return any robot within 30 days of delivery. [1]';
const FABRICATED = 'Robots can be returned for 90 days and refunds arrive in cash at any store.';

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let publisher: EventPublisher;
let log: TestLogger;
let baseUrl: string;
let scored: EvaluationScored[] = [];
let reviewRequests: ReviewRequested[] = [];

function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const { key = ACME_KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  if (rest.body) headers.set('content-type', 'application/json');
  return fetch(`${baseUrl}${path}`, { ...rest, headers });
}

async function storedEvaluation(requestId: string): Promise<Record<string, unknown>> {
  return waitFor(`evaluation ${requestId}`, async () => {
    const response = await api(`/v1/evaluations/${requestId}`);
    return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
  });
}

beforeAll(async () => {
  startTestTelemetry('evaluation-test');
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  log = createTestLogger('evaluation');
  const config = loadEvaluationConfig({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${ACME_KEY}=acme,${GLOBEX_KEY}=globex`,
    KEEL_DEMO_API_KEY: '',
  });
  service = await startEvaluationService({ bus, store, logger: log.logger }, config);
  baseUrl = service.urls.http ?? '';
  publisher = new EventPublisher(bus);
  scored = (await recordEvents(bus, 'keel.evaluation.scored.v1', 'test-observer-scored')).payloads;
  reviewRequests = (await recordEvents(bus, 'keel.review.requested.v1', 'test-observer-reviews')).payloads;
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
});

describe('evaluation service', () => {
  it('scores a completed inference, stores it and announces the score', async () => {
    await publisher.publish('keel.inference.completed.v1', completed('req-grounded', GROUNDED));
    const evaluation = await storedEvaluation('req-grounded');
    expect(evaluation).toMatchObject({
      requestId: 'req-grounded',
      groundedness: 1,
      citationCoverage: 1,
      passed: true,
      threshold: 0.7,
      reviewId: null,
      evaluatorVersion: expect.stringMatching(/^lexical-groundedness\//),
    });
    const event = await waitFor('scored event', () => scored.find((e) => e.requestId === 'req-grounded'));
    expect(event).toMatchObject({ passed: true, threshold: 0.7, traceId: 'req-grounded'.padEnd(32, '0') });
    expect(reviewRequests.find((request) => request.requestId === 'req-grounded')).toBeUndefined();
  });

  it('asks for a review when the answer is not grounded', async () => {
    await publisher.publish('keel.inference.completed.v1', completed('req-low', FABRICATED));
    const request = await waitFor('review request', () => reviewRequests.find((r) => r.requestId === 'req-low'));
    expect(request).toMatchObject({
      reviewId: reviewIdFor('acme', 'req-low', 'LOW_SCORE'),
      reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
      score: 0,
    });
    expect(await storedEvaluation('req-low')).toMatchObject({ passed: false, reviewId: request.reviewId });
    expect(scored.find((event) => event.requestId === 'req-low')?.passed).toBe(false);
  });

  it('does not duplicate anything when an event is delivered again', async () => {
    const event = completed('req-twice', FABRICATED);
    await publisher.publish('keel.inference.completed.v1', event);
    await waitFor('first delivery handled', () => reviewRequests.some((r) => r.requestId === 'req-twice'));
    await publisher.publish('keel.inference.completed.v1', event);
    await waitFor('redelivery ignored', () => log.find('redelivery ignored').length > 0);
    expect(scored.filter((e) => e.requestId === 'req-twice')).toHaveLength(1);
    expect(reviewRequests.filter((r) => r.requestId === 'req-twice')).toHaveLength(1);
    const page = (await (await api('/v1/evaluations?limit=100')).json()) as { items: { requestId: string }[] };
    expect(page.items.filter((item) => item.requestId === 'req-twice')).toHaveLength(1);
  });

  it("runs the handler in the event's trace when the payload carries no trace id", async () => {
    const producerTraceId = await withSpan('test producer', {}, async () => {
      await publisher.publish('keel.inference.completed.v1', completed('req-traced', GROUNDED, { traceId: '' }));
      return currentTraceId();
    });
    expect(producerTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect((await storedEvaluation('req-traced')).traceId).toBe(producerTraceId);
  });

  it('turns a review decision into a golden example, once', async () => {
    const decision: ReviewDecided = {
      reviewId: 'rev-golden',
      tenantId: 'acme',
      requestId: 'req-low',
      traceId: 'trace-x',
      outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
      question: 'How long can I return a robot?',
      originalAnswer: FABRICATED,
      correctedAnswer: 'Within 30 days of delivery.',
      reviewer: 'alice',
      comment: 'wrong period',
      decidedAt: new Date(),
    };
    await publisher.publish('keel.review.decided.v1', decision);
    await publisher.publish('keel.review.decided.v1', decision);
    const examples = await waitFor('golden example', async () => {
      const body = (await (await api('/v1/datasets/reviewed-answers/examples')).json()) as {
        items: Record<string, unknown>[];
      };
      return body.items.length > 0 ? body.items : undefined;
    });
    await waitFor('second decision ignored', () => log.find('review decision already recorded').length > 0);
    expect(examples).toEqual([
      expect.objectContaining({
        id: 'rev-golden',
        datasetId: 'reviewed-answers',
        answer: 'Within 30 days of delivery.',
        label: 'corrected',
        source: 'human-review',
      }),
    ]);
    const other = (await (await api('/v1/datasets/reviewed-answers/examples', { key: GLOBEX_KEY })).json()) as {
      items: unknown[];
    };
    expect(other.items).toEqual([]);
  });

  describe('HTTP API', () => {
    it('needs an API key and hides other tenants’ evaluations', async () => {
      await storedEvaluation('req-grounded');
      expect((await api('/v1/evaluations/req-grounded', { key: null })).status).toBe(401);
      expect((await api('/v1/evaluations/req-grounded', { key: 'wrong' })).status).toBe(401);
      const hidden = await api('/v1/evaluations/req-grounded', { key: GLOBEX_KEY });
      expect(hidden.status).toBe(404);
      expect(hidden.headers.get('content-type')).toContain('application/problem+json');
      expect((await api('/v1/evaluations/nope')).status).toBe(404);
    });

    it('lists evaluations newest first, filtered by passed, page by page', async () => {
      await storedEvaluation('req-low');
      const failed = (await (await api('/v1/evaluations?passed=false')).json()) as { items: { passed: boolean }[] };
      expect(failed.items.length).toBeGreaterThan(0);
      expect(failed.items.every((item) => !item.passed)).toBe(true);
      const first = (await (await api('/v1/evaluations?limit=1')).json()) as {
        items: { requestId: string }[];
        nextCursor: string | null;
      };
      expect(first.items).toHaveLength(1);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = (await (await api(`/v1/evaluations?limit=1&cursor=${first.nextCursor}`)).json()) as {
        items: { requestId: string }[];
      };
      expect(second.items[0]?.requestId).not.toBe(first.items[0]?.requestId);
    });

    it('rejects bad query parameters with the field named', async () => {
      const response = await api('/v1/evaluations?limit=0&passed=maybe');
      expect(response.status).toBe(400);
      const problem = (await response.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((error) => error.field).sort()).toEqual(['limit', 'passed']);
      const cursor = await api('/v1/evaluations?cursor=forged');
      expect(cursor.status).toBe(400);
      expect(((await cursor.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('cursor');
    });

    it('scores an answer offline without storing it', async () => {
      const response = await api('/v1/evaluations:score', {
        method: 'POST',
        body: JSON.stringify({
          question: 'How long?',
          answer: FABRICATED,
          contexts: [{ chunkId: 'c1', text: contexts[0]?.text }],
        }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { groundedness: number; passed: boolean; verdicts: unknown[] };
      expect(body).toMatchObject({ groundedness: 0, passed: false, threshold: 0.7 });
      expect(body.verdicts.length).toBeGreaterThan(0);
      const invalid = await api('/v1/evaluations:score', { method: 'POST', body: JSON.stringify({ answer: 'x' }) });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('contexts');
    });

    it('reports readiness of the event bus and the doc store', async () => {
      const response = await fetch(`${baseUrl}/readyz`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { checks: Record<string, { ok: boolean }> };
      expect(Object.keys(body.checks).sort()).toEqual(['doc-store', 'event-bus']);
    });
  });
});
