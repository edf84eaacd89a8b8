/**
 * The evaluation service end to end on embedded adapters: events in, scores stored and
 * announced, reviews requested, decisions turned into golden examples, and the HTTP API,
 * attacked the way a key of the same tenant without a document's group would.
 */

import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { ReviewDecided, ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewOutcome, ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { DeadLetterHeader, type EventBus, EventPublisher, type IncomingMessage } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { ConfigError, currentTraceId, type RunningService, withSpan } from '@keel/platform';
import { createTestLogger, startTestTelemetry, type TestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvaluationConfig } from './config.js';
import { reviewIdFor } from './evaluations/review-id.js';
import { startEvaluationService } from './service.js';

/** A key of tenant acme in no group: it may read only what the whole tenant may. */
const ACME_KEY = 'acme-test-key';
/** A key of the same tenant in group `legal`. */
const LEGAL_KEY = 'acme-legal-key';
const GLOBEX_KEY = 'globex-test-key';

const contexts: ContextChunk[] = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v1',
    text: 'Customers can return any robot within 30 days of delivery. Refunds take 5 business days.',
    score: 0.9,
    aclGroups: [],
  },
];

/** A chunk of a document only group `legal` may read. */
const legalContext: ContextChunk = {
  chunkId: 'settlement#0',
  documentId: 'settlement',
  documentVersion: 'v1',
  text: 'The settlement with Initech pays 2 million dollars by March.',
  score: 0.9,
  aclGroups: ['legal'],
};

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
    readRequires: [],
    subject: 'app',
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
const deadLetters: IncomingMessage[] = [];

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
    KEEL_API_KEYS: `${ACME_KEY}=acme,${LEGAL_KEY}=acme:legal:lawyer,${GLOBEX_KEY}=globex`,
  });
  service = await startEvaluationService({ bus, store, logger: log.logger }, config);
  baseUrl = service.urls.http ?? '';
  publisher = new EventPublisher(bus);
  scored = (await recordEvents(bus, 'keel.evaluation.scored.v1', 'test-observer-scored')).payloads;
  reviewRequests = (await recordEvents(bus, 'keel.review.requested.v1', 'test-observer-reviews')).payloads;
  await bus.subscribe({
    groupId: 'test-observer-dead-letters',
    topics: ['keel.inference.completed.v1.dlq', 'keel.review.decided.v1.dlq'],
    handler: async (message) => {
      deadLetters.push(message);
    },
  });
});

type Page = { items: Record<string, unknown>[]; nextCursor: string | null };

/** Every item of a listing, following cursors (a page may be short when hidden items were skipped). */
async function listAll(path: string, key: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const response = await api(`${path}${cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : ''}`, { key });
    expect(response.status).toBe(200);
    const page = (await response.json()) as Page;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

function decision(overrides: Partial<ReviewDecided> = {}): ReviewDecided {
  return {
    reviewId: 'rev-x',
    tenantId: 'acme',
    requestId: 'req-x',
    traceId: 'trace-x',
    outcome: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
    question: 'How long can I return a robot?',
    originalAnswer: GROUNDED,
    correctedAnswer: '',
    reviewer: 'alice',
    comment: '',
    decidedAt: new Date(),
    readRequires: [],
    missing: [],
    citations: [],
    contexts,
    ...overrides,
  };
}

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
});

describe('configuration', () => {
  it('refuses to start without API keys instead of accepting a public default key', () => {
    expect(() => loadEvaluationConfig({})).toThrow(ConfigError);
    expect(() => loadEvaluationConfig({})).toThrow(/KEEL_API_KEYS/);
    expect(() => loadEvaluationConfig({ KEEL_API_KEYS: '', KEEL_DEMO_API_KEY: '' })).toThrow(ConfigError);
  });

  it('binds to loopback unless a host is configured, and knows only the keys it was given', () => {
    const config = loadEvaluationConfig({ KEEL_API_KEYS: `${LEGAL_KEY}=acme:legal:lawyer` });
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.apiKeys.map((entry) => entry.key)).toEqual([LEGAL_KEY]);
    expect(config.apiKeys.some((entry) => entry.key === 'keel-demo-key')).toBe(false);
    const demo = loadEvaluationConfig({ KEEL_DEMO_API_KEY: 'demo-key-for-this-machine' });
    expect(demo.apiKeys).toEqual([expect.objectContaining({ key: 'demo-key-for-this-machine', tenantId: 'demo' })]);
  });
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
      readRequires: [],
      missing: [],
      citations: [],
      contexts,
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

  describe('authorization inside a tenant', () => {
    const SECRET_ANSWER = 'The settlement with Initech pays 2 million dollars by March. [1]';

    it('hides an evaluation derived from a `legal` chunk from a key of the tenant outside `legal`', async () => {
      // What the gateway emits for an answer grounded on a legal-only chunk.
      await publisher.publish(
        'keel.inference.completed.v1',
        completed('req-legal', SECRET_ANSWER, {
          question: 'What does the Initech settlement pay?',
          contexts: [legalContext],
          readRequires: [{ anyOf: ['legal'] }],
        }),
      );
      const seen = await waitFor('the legal evaluation, as a lawyer', async () => {
        const response = await api('/v1/evaluations/req-legal', { key: LEGAL_KEY });
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      });
      expect(seen).toMatchObject({ answer: SECRET_ANSWER });

      // Get: exactly like a missing evaluation.
      const hidden = await api('/v1/evaluations/req-legal');
      const missing = await api('/v1/evaluations/req-never-was');
      expect(hidden.status).toBe(404);
      const [hiddenBody, missingBody] = (await Promise.all([hidden.json(), missing.json()])) as Record<
        string,
        unknown
      >[];
      expect({ ...hiddenBody, detail: undefined, instance: undefined, requestId: undefined }).toEqual({
        ...missingBody,
        detail: undefined,
        instance: undefined,
        requestId: undefined,
      });
      // Lists: left out, whatever the filter, on every page.
      for (const path of ['/v1/evaluations?limit=1', '/v1/evaluations?passed=true&limit=2', '/v1/evaluations']) {
        const items = await listAll(path, ACME_KEY);
        expect(items.map((item) => item.requestId)).not.toContain('req-legal');
        expect(JSON.stringify(items)).not.toContain('Initech');
      }
      expect((await listAll('/v1/evaluations', LEGAL_KEY)).map((item) => item.requestId)).toContain('req-legal');
      expect((await api('/v1/evaluations/req-legal', { key: GLOBEX_KEY })).status).toBe(404);
      expect(seen.readRequires).toEqual([{ anyOf: ['legal'] }]);
    });

    it('announces the score and asks for review with the requirement, the contexts keeping their groups', async () => {
      await publisher.publish(
        'keel.inference.completed.v1',
        completed('req-legal-low', 'The settlement pays 9 million dollars in gold.', {
          contexts: [...contexts, legalContext],
        }),
      );
      const request = await waitFor('review request', () =>
        reviewRequests.find((r) => r.requestId === 'req-legal-low'),
      );
      // The event itself declared nothing: the restricted context alone restricts the item.
      expect(request.readRequires).toEqual([{ anyOf: ['legal'] }]);
      expect(request.contexts.map((context) => context.aclGroups)).toEqual([[], ['legal']]);
      const event = await waitFor('scored event', () => scored.find((e) => e.requestId === 'req-legal-low'));
      expect(event.readRequires).toEqual([{ anyOf: ['legal'] }]);
      await waitFor('the evaluation, as a lawyer', async () =>
        (await api('/v1/evaluations/req-legal-low', { key: LEGAL_KEY })).status === 200 ? true : undefined,
      );
      expect((await api('/v1/evaluations/req-legal-low')).status).toBe(404);
    });

    it('hides a golden example derived from a `legal` chunk from a key of the tenant outside `legal`', async () => {
      // What human-review sends back when a lawyer corrects the review item of that exchange.
      const request = { reviewId: 'rev-legal', requestId: 'req-legal-low', readRequires: [{ anyOf: ['legal'] }] };
      await publisher.publish(
        'keel.review.decided.v1',
        decision({
          ...request,
          outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
          question: 'What does the Initech settlement pay?',
          originalAnswer: 'The settlement pays 9 million dollars in gold.',
          correctedAnswer: 'The settlement with Initech pays 2 million dollars by March.',
          reviewer: 'lawyer',
          contexts: [...contexts, legalContext],
        }),
      );
      const examples = await waitFor('the legal example, as a lawyer', async () => {
        const items = await listAll('/v1/datasets/reviewed-answers/examples', LEGAL_KEY);
        return items.some((item) => item.id === request.reviewId) ? items : undefined;
      });
      for (const path of [
        '/v1/datasets/reviewed-answers/examples',
        '/v1/datasets/reviewed-answers/examples?limit=1',
        '/v1/datasets/reviewed-answers/examples?includeIncomplete=true',
      ]) {
        const items = await listAll(path, ACME_KEY);
        expect(items.map((item) => item.id)).not.toContain(request.reviewId);
        expect(JSON.stringify(items)).not.toContain('Initech');
      }
      expect(examples.find((item) => item.id === request.reviewId)).toMatchObject({
        readRequires: [{ anyOf: ['legal'] }],
        complete: true,
        contexts: [expect.objectContaining({ aclGroups: [] }), expect.objectContaining({ aclGroups: ['legal'] })],
      });
    });
  });

  describe('golden examples of half an exchange', () => {
    it('keeps an approved input escalation out of the dataset unless incomplete examples are asked for', async () => {
      // A policy escalation of the question: the item never held an answer.
      await publisher.publish(
        'keel.review.decided.v1',
        decision({ reviewId: 'rev-input-escalation', originalAnswer: '', missing: ['answer'] }),
      );
      // Nothing declared missing, but the question is only invisible characters.
      await publisher.publish(
        'keel.review.decided.v1',
        decision({ reviewId: 'rev-blank-question', question: '\u200b\u200d\u2063' }),
      );
      const incomplete = await waitFor('incomplete examples', async () => {
        const items = await listAll('/v1/datasets/reviewed-answers/examples?includeIncomplete=true', ACME_KEY);
        const found = items.filter((item) => item.complete === false);
        return found.length >= 2 ? found : undefined;
      });
      expect(incomplete).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 'rev-input-escalation', missing: ['answer'], complete: false }),
          expect.objectContaining({ id: 'rev-blank-question', missing: ['question'], complete: false }),
        ]),
      );
      for (const path of [
        '/v1/datasets/reviewed-answers/examples',
        '/v1/datasets/reviewed-answers/examples?includeIncomplete=false',
      ]) {
        const items = await listAll(path, ACME_KEY);
        expect(items.length).toBeGreaterThan(0);
        expect(items.every((item) => item.complete === true)).toBe(true);
        expect(items.map((item) => item.id)).not.toContain('rev-input-escalation');
      }
    });
  });

  describe('hostile and oversized input', () => {
    it('answers 400 to malformed percent-encoding in a path', async () => {
      for (const path of ['/v1/evaluations/%ZZ', '/v1/datasets/%ZZ/examples', '/v1/evaluations/%E0%A4%A']) {
        const response = await api(path);
        expect(response.status, path).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(log.lines().filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    });

    it('bounds every path and query parameter, naming it', async () => {
      const field = async (path: string) => {
        const response = await api(path);
        expect(response.status, path).toBe(400);
        return ((await response.json()) as { errors: { field: string }[] }).errors.map((error) => error.field);
      };
      expect(await field(`/v1/evaluations/${'r'.repeat(513)}`)).toEqual(['requestId']);
      expect(await field(`/v1/evaluations?cursor=${'c'.repeat(4097)}`)).toEqual(['cursor']);
      expect(await field('/v1/evaluations?limit=101')).toEqual(['limit']);
      expect(await field(`/v1/datasets/${'d'.repeat(129)}/examples`)).toEqual(['datasetId']);
      expect(await field('/v1/datasets/..%2Fevaluations/examples')).toEqual(['datasetId']);
      expect(await field('/v1/datasets/reviewed-answers/examples?includeIncomplete=yes')).toEqual([
        'includeIncomplete',
      ]);
      expect(await field(`/v1/datasets/reviewed-answers/examples?cursor=${'c'.repeat(4097)}`)).toEqual(['cursor']);
      // At the limits: accepted.
      expect((await api(`/v1/evaluations/${'r'.repeat(512)}`)).status).toBe(404);
      expect((await api(`/v1/datasets/${'d'.repeat(128)}/examples`)).status).toBe(200);
    });

    it('dead-letters an oversized event at once instead of scoring and forwarding it', async () => {
      await publisher.publish(
        'keel.inference.completed.v1',
        completed('req-huge', GROUNDED, { contexts: Array.from({ length: 201 }, () => contexts[0] as ContextChunk) }),
      );
      await publisher.publish(
        'keel.review.decided.v1',
        decision({ reviewId: 'rev-huge', comment: 'c'.repeat(70_000) }),
      );
      const [inference, decided] = await waitFor('two dead letters', () => {
        const inferenceLetter = deadLetters.find(
          (message) => message.headers[DeadLetterHeader.originalTopic] === 'keel.inference.completed.v1',
        );
        const decidedLetter = deadLetters.find(
          (message) => message.headers[DeadLetterHeader.originalTopic] === 'keel.review.decided.v1',
        );
        return inferenceLetter && decidedLetter ? [inferenceLetter, decidedLetter] : undefined;
      });
      expect(inference?.headers[DeadLetterHeader.attempts]).toBe('1');
      expect(inference?.headers[DeadLetterHeader.error]).toContain('contexts');
      expect(decided?.headers[DeadLetterHeader.attempts]).toBe('1');
      expect(decided?.headers[DeadLetterHeader.error]).toContain('comment');
      expect((await api('/v1/evaluations/req-huge')).status).toBe(404);
      expect(scored.find((event) => event.requestId === 'req-huge')).toBeUndefined();
    });
  });
});
