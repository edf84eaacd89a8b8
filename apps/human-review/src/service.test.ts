/**
 * The human-review service over HTTP on embedded adapters: requests and completed exchanges in
 * from the bus, reviewers (named API keys of one tenant, one of them in group `legal`, and one of
 * another tenant) claiming, releasing and deciding, decisions out.
 */

import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { ReviewDecided, ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewOutcome, ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import {
  DeadLetterHeader,
  type EventBus,
  EventPublisher,
  type IncomingMessage,
  type Subscription,
} from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import type { RunningService } from '@keel/platform';
import { createTestLogger, type TestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from './config.js';
import { exchangeIdOf } from './reviews/escalated-exchange.js';
import { startHumanReviewService } from './service.js';

const ALICE = 'alice-key';
const BOB = 'bob-key';
const MALLORY = 'mallory-key';
/** In group `legal`. */
const LENA = 'lena-key';
/** A key of the tenant without a name: it may read, not act. */
const ROBOT = 'robot-key';
const API_KEYS = `${ALICE}=acme::Alice,${BOB}=acme::Bob,${MALLORY}=globex::Mallory,${LENA}=acme:legal:Lena,${ROBOT}=acme`;

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let publisher: EventPublisher;
let log: TestLogger;
let baseUrl: string;
let decided: ReviewDecided[] = [];
const deadLetters: IncomingMessage[] = [];
let dlqReader: Subscription;

function requested(reviewId: string, overrides: Partial<ReviewRequested> = {}): ReviewRequested {
  return {
    reviewId,
    tenantId: 'acme',
    requestId: `req-${reviewId}`,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
    detail: 'groundedness 0 is below 0.7',
    question: 'How long can I return a robot?',
    answer: 'For 90 days.',
    citations: [
      {
        documentId: 'returns',
        documentVersion: 'v1',
        chunkId: 'returns#0',
        title: 'Returns',
        source: 'kb://returns',
        startOffset: 0,
        endOffset: 60,
        score: 0.9,
        quote: '',
        marker: 1,
      },
    ],
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
    requestedBy: 'evaluation',
    requestedAt: new Date(),
    readRequires: [],
    ...overrides,
  };
}

const legalContext = {
  chunkId: 'settlement#0',
  documentId: 'settlement',
  documentVersion: 'v1',
  text: 'The settlement with Initech is 4.2 million and stays confidential.',
  score: 0.8,
  aclGroups: ['legal'],
};

/** What policy asks for when it escalates a question: the question alone. */
function inputEscalation(reviewId: string, requestId: string): ReviewRequested {
  return requested(reviewId, {
    requestId,
    reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION,
    detail: 'the topic "litigation" is escalated for review',
    question: 'What did we settle with Initech?',
    answer: '',
    citations: [],
    contexts: [],
    requestedBy: 'policy',
  });
}

/** The gateway's record of the whole exchange, with an escalated input check. */
function completion(requestId: string, overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, costUsd: 0 },
    latencyMs: 12,
    question: 'What did we settle with Initech?',
    answer: 'The settlement is 4.2 million. [1]',
    contexts: [legalContext],
    citations: [],
    policy: [
      { stage: 'input', decision: 'ESCALATE', decisionId: `${requestId}-in`, findingTypes: [] },
      { stage: 'output', decision: 'ALLOW', decisionId: `${requestId}-out`, findingTypes: [] },
    ],
    completedAt: new Date(),
    readRequires: [{ anyOf: ['legal'] }],
    subject: 'app',
    ...overrides,
  };
}

interface ReviewView {
  id: string;
  question: string;
  answer: string;
  missing: string[];
  readRequires: { anyOf: string[] }[];
  status: string;
  claimedBy: string | null;
  leaseExpiresAt: string | null;
  decision: { outcome: string; reviewer: string; correctedAnswer: string | null } | null;
  citations: unknown[];
  contexts: unknown[];
}

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

function api(path: string, key: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function json<T>(response: Response, status: number): Promise<T> {
  const body = (await response.json()) as T;
  expect(response.status, JSON.stringify(body)).toBe(status);
  return body;
}

const claim = (id: string, key: string, body?: unknown) =>
  api(`/v1/reviews/${id}/claim`, key, { method: 'POST', ...(body !== undefined ? { body } : {}) });
const decide = (id: string, key: string, body: unknown) =>
  api(`/v1/reviews/${id}/decision`, key, { method: 'POST', body });

async function queued(id: string, key = ALICE): Promise<ReviewView> {
  return waitFor(`review ${id} queued`, async () => {
    const response = await api(`/v1/reviews/${id}`, key);
    return response.status === 200 ? ((await response.json()) as ReviewView) : undefined;
  });
}

/** All items a key lists, following cursors (a filtered page may be short). */
async function listAll(key: string, query = ''): Promise<ReviewView[]> {
  const items: ReviewView[] = [];
  let cursor: string | null = null;
  do {
    const separator = query ? '&' : '';
    const path: string = `/v1/reviews?${query}${separator}limit=100${cursor ? `&cursor=${cursor}` : ''}`;
    const page: { items: ReviewView[]; nextCursor: string | null } = await json(await api(path, key), 200);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  log = createTestLogger('human-review');
  const config = loadHumanReviewConfig({ HTTP_PORT: '0', KEEL_API_KEYS: API_KEYS });
  service = await startHumanReviewService({ bus, store, logger: log.logger }, config);
  baseUrl = service.urls.http ?? '';
  publisher = new EventPublisher(bus);
  decided = (await recordEvents(bus, 'keel.review.decided.v1', 'test-observer-decided')).payloads;
  dlqReader = await bus.subscribe({
    groupId: 'test-dlq-reader',
    topics: ['keel.review.requested.v1.dlq', 'keel.inference.completed.v1.dlq'],
    handler: async (message) => {
      deadLetters.push(message);
    },
  });
});

afterAll(async () => {
  await dlqReader?.stop();
  await service?.stop();
  await bus?.close();
  await store?.close();
});

describe('human-review service', () => {
  it('lists a requested review in the tenant queue, and only there', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-list'));
    const item = await queued('rev-list');
    expect(item).toMatchObject({ status: 'pending', claimedBy: null, decision: null });
    expect(item.citations).toHaveLength(1);
    expect(item.contexts).toHaveLength(1);
    const queue = await json<{ items: ReviewView[] }>(await api('/v1/reviews', ALICE), 200);
    expect(queue.items.map((i) => i.id)).toContain('rev-list');
    const other = await json<{ items: ReviewView[] }>(await api('/v1/reviews', MALLORY), 200);
    expect(other.items).toEqual([]);
  });

  it('queues a duplicate request once', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-dup'));
    await queued('rev-dup');
    await publisher.publish('keel.review.requested.v1', requested('rev-dup'));
    await waitFor('duplicate ignored', () => log.find('review already queued').length > 0);
    const queue = await json<{ items: ReviewView[] }>(await api('/v1/reviews?limit=100', ALICE), 200);
    expect(queue.items.filter((i) => i.id === 'rev-dup')).toHaveLength(1);
  });

  it('leases an item to one reviewer; a second one gets 409 until the lease runs out', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-lease'));
    await queued('rev-lease');
    const claimed = await json<ReviewView>(await claim('rev-lease', ALICE, { leaseSeconds: 1 }), 200);
    expect(claimed).toMatchObject({ status: 'claimed', claimedBy: 'Alice' });
    expect(Date.parse(claimed.leaseExpiresAt ?? '')).toBeGreaterThan(Date.now());

    const refused = await json<Problem>(await claim('rev-lease', BOB), 409);
    expect(refused.code).toBe('REVIEW.ALREADY_CLAIMED');
    const claimedList = await json<{ items: ReviewView[] }>(await api('/v1/reviews?status=claimed', BOB), 200);
    expect(claimedList.items.map((i) => i.id)).toEqual(['rev-lease']);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const lapsed = await json<ReviewView>(await api('/v1/reviews/rev-lease', BOB), 200);
    expect(lapsed).toMatchObject({ status: 'pending', claimedBy: null, leaseExpiresAt: null });
    const taken = await json<ReviewView>(await claim('rev-lease', BOB), 200);
    expect(taken.claimedBy).toBe('Bob');
    expect(Date.parse(taken.leaseExpiresAt ?? '') - Date.now()).toBeGreaterThan(250_000);
  });

  it('lets the claimant release an item back to the queue', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-release'));
    await queued('rev-release');
    await json<ReviewView>(await claim('rev-release', ALICE), 200);
    const notYours = await json<Problem>(await api('/v1/reviews/rev-release/release', BOB, { method: 'POST' }), 409);
    expect(notYours.code).toBe('REVIEW.LEASE_NOT_HELD');
    const released = await json<ReviewView>(
      await api('/v1/reviews/rev-release/release', ALICE, { method: 'POST' }),
      200,
    );
    expect(released.status).toBe('pending');
    await json<ReviewView>(await claim('rev-release', BOB), 200);
  });

  it('publishes the decision of the lease holder, and a repeat publishes nothing new', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-decide'));
    await queued('rev-decide');
    const notClaimed = await json<Problem>(await decide('rev-decide', ALICE, { outcome: 'approved' }), 409);
    expect(notClaimed.code).toBe('REVIEW.LEASE_NOT_HELD');
    await json<ReviewView>(await claim('rev-decide', ALICE), 200);
    const byOther = await json<Problem>(await decide('rev-decide', BOB, { outcome: 'approved' }), 409);
    expect(byOther.code).toBe('REVIEW.LEASE_NOT_HELD');

    const body = { outcome: 'corrected', correctedAnswer: 'Within 30 days of delivery.', comment: 'wrong period' };
    const item = await json<ReviewView>(await decide('rev-decide', ALICE, body), 200);
    expect(item).toMatchObject({ status: 'decided', decision: { outcome: 'corrected', reviewer: 'Alice' } });

    const event = await waitFor('decided event', () => decided.find((e) => e.reviewId === 'rev-decide'));
    expect(event).toMatchObject({
      tenantId: 'acme',
      requestId: 'req-rev-decide',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
      question: 'How long can I return a robot?',
      originalAnswer: 'For 90 days.',
      correctedAnswer: 'Within 30 days of delivery.',
      reviewer: 'Alice',
      comment: 'wrong period',
      missing: [],
      readRequires: [],
      citations: [expect.objectContaining({ chunkId: 'returns#0', marker: 1 })],
      contexts: [expect.objectContaining({ chunkId: 'returns#0', aclGroups: [] })],
    });

    const repeat = await json<ReviewView>(await decide('rev-decide', ALICE, body), 200);
    expect(repeat.decision).toEqual(item.decision);
    const different = await json<Problem>(await decide('rev-decide', ALICE, { outcome: 'rejected' }), 409);
    expect(different.code).toBe('REVIEW.ALREADY_DECIDED');
    const reclaim = await json<Problem>(await claim('rev-decide', BOB), 409);
    expect(reclaim.code).toBe('REVIEW.ALREADY_DECIDED');
    // Give a stray second publish the time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(decided.filter((e) => e.reviewId === 'rev-decide')).toHaveLength(1);

    const history = await json<{ items: ReviewView[] }>(await api('/v1/reviews?status=decided', BOB), 200);
    expect(history.items.map((i) => i.id)).toEqual(['rev-decide']);
  });

  it('answers 400 naming the field for an invalid decision', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-invalid'));
    await queued('rev-invalid');
    await json<ReviewView>(await claim('rev-invalid', ALICE), 200);
    const missing = await json<Problem>(await decide('rev-invalid', ALICE, { outcome: 'corrected' }), 400);
    expect(missing.errors?.map((error) => error.field)).toEqual(['correctedAnswer']);
    const unknown = await json<Problem>(await decide('rev-invalid', ALICE, { outcome: 'maybe' }), 400);
    expect(unknown.errors?.map((error) => error.field)).toEqual(['outcome']);
    const lease = await json<Problem>(await claim('rev-invalid', ALICE, { leaseSeconds: 0 }), 400);
    expect(lease.errors?.map((error) => error.field)).toEqual(['leaseSeconds']);
    const status = await json<Problem>(await api('/v1/reviews?status=open', ALICE), 400);
    expect(status.errors?.map((error) => error.field)).toEqual(['status']);
  });

  it("answers 404 for another tenant's item and for an unknown one", async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-tenant'));
    await queued('rev-tenant');
    for (const response of [
      await api('/v1/reviews/rev-tenant', MALLORY),
      await claim('rev-tenant', MALLORY),
      await api('/v1/reviews/rev-tenant/release', MALLORY, { method: 'POST' }),
      await decide('rev-tenant', MALLORY, { outcome: 'approved' }),
      await api('/v1/reviews/unknown', ALICE),
    ]) {
      expect((await json<Problem>(response, 404)).code).toBe('REVIEW.NOT_FOUND');
    }
  });

  it('keeps an item derived from a legal chunk from every key outside the group', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-legal', { contexts: [legalContext] }));
    await queued('rev-legal', LENA);

    // Bob shares the tenant, not the group: the item does not exist for him.
    expect((await listAll(BOB)).map((i) => i.id)).not.toContain('rev-legal');
    expect((await listAll(BOB, 'status=pending')).map((i) => i.id)).not.toContain('rev-legal');
    for (const response of [
      await api('/v1/reviews/rev-legal', BOB),
      await claim('rev-legal', BOB),
      await decide('rev-legal', BOB, { outcome: 'approved' }),
      await api('/v1/reviews/rev-legal/release', BOB, { method: 'POST' }),
    ]) {
      expect((await json<Problem>(response, 404)).code).toBe('REVIEW.NOT_FOUND');
    }

    // Lena reads, claims and decides it; Bob still sees nothing, not even in the decided history.
    expect((await listAll(LENA)).find((i) => i.id === 'rev-legal')?.readRequires).toEqual([{ anyOf: ['legal'] }]);
    await json<ReviewView>(await claim('rev-legal', LENA), 200);
    expect((await json<Problem>(await api('/v1/reviews/rev-legal', BOB), 404)).code).toBe('REVIEW.NOT_FOUND');
    await json<ReviewView>(await decide('rev-legal', LENA, { outcome: 'approved' }), 200);
    expect((await listAll(BOB, 'status=decided')).map((i) => i.id)).not.toContain('rev-legal');
    const event = await waitFor('decided event', () => decided.find((e) => e.reviewId === 'rev-legal'));
    expect(event).toMatchObject({ reviewer: 'Lena', readRequires: [{ anyOf: ['legal'] }], contexts: [legalContext] });
  });

  it('refuses claims and decisions by a key that names no person, and records names', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-named'));
    await queued('rev-named', ROBOT);
    for (const response of [
      await claim('rev-named', ROBOT),
      await decide('rev-named', ROBOT, { outcome: 'approved' }),
      await api('/v1/reviews/rev-named/release', ROBOT, { method: 'POST' }),
    ]) {
      const problem = await json<Problem & { detail: string }>(response, 403);
      expect(problem.code).toBe('REVIEW.REVIEWER_UNNAMED');
      expect(problem.detail).toContain('key=tenant:groups:name');
    }
    const claimed = await json<ReviewView>(await claim('rev-named', BOB), 200);
    expect(claimed.claimedBy).toBe('Bob');
    const item = await json<ReviewView>(await decide('rev-named', BOB, { outcome: 'rejected' }), 200);
    expect(item.decision?.reviewer).toBe('Bob');
    const event = await waitFor('decided event', () => decided.find((e) => e.reviewId === 'rev-named'));
    expect(event.reviewer).toBe('Bob');
  });

  it('completes an escalation queued before its exchange, and shows what it lacks until then', async () => {
    await publisher.publish('keel.review.requested.v1', inputEscalation('rev-esc-first', 'req-esc-first'));
    const half = await queued('rev-esc-first', BOB);
    expect(half).toMatchObject({ answer: '', missing: ['answer'], contexts: [], readRequires: [] });

    await publisher.publish('keel.inference.completed.v1', completion('req-esc-first'));
    const whole = await waitFor('the item completed', async () => {
      const response = await api('/v1/reviews/rev-esc-first', LENA);
      const view = (await response.json()) as ReviewView;
      return view.missing?.length === 0 ? view : undefined;
    });
    expect(whole).toMatchObject({
      question: 'What did we settle with Initech?',
      answer: 'The settlement is 4.2 million. [1]',
      contexts: [legalContext],
      readRequires: [{ anyOf: ['legal'] }],
    });
    // Completed with a legal chunk, the item is gone for Bob.
    expect((await json<Problem>(await api('/v1/reviews/rev-esc-first', BOB), 404)).code).toBe('REVIEW.NOT_FOUND');
  });

  it('completes an escalation queued after its exchange at insert', async () => {
    await publisher.publish('keel.inference.completed.v1', completion('req-esc-later'));
    const exchanges = await store.collection('exchanges');
    await waitFor('the exchange stored', () => exchanges.get(exchangeIdOf('acme', 'req-esc-later')));
    await publisher.publish('keel.review.requested.v1', inputEscalation('rev-esc-later', 'req-esc-later'));
    const item = await queued('rev-esc-later', LENA);
    expect(item).toMatchObject({ answer: 'The settlement is 4.2 million. [1]', missing: [], contexts: [legalContext] });
    await json<ReviewView>(await claim('rev-esc-later', LENA), 200);
    await json<ReviewView>(await decide('rev-esc-later', LENA, { outcome: 'approved' }), 200);
    const event = await waitFor('decided event', () => decided.find((e) => e.reviewId === 'rev-esc-later'));
    expect(event).toMatchObject({
      question: 'What did we settle with Initech?',
      originalAnswer: 'The settlement is 4.2 million. [1]',
      missing: [],
      readRequires: [{ anyOf: ['legal'] }],
      reviewer: 'Lena',
    });
  });

  it('tells evaluation what a decided escalation lacked', async () => {
    await publisher.publish('keel.review.requested.v1', inputEscalation('rev-esc-half', 'req-never-completed'));
    await queued('rev-esc-half');
    await json<ReviewView>(await claim('rev-esc-half', ALICE), 200);
    await json<ReviewView>(await decide('rev-esc-half', ALICE, { outcome: 'approved' }), 200);
    const event = await waitFor('decided event', () => decided.find((e) => e.reviewId === 'rev-esc-half'));
    expect(event).toMatchObject({ originalAnswer: '', missing: ['answer'] });
  });

  it('dead-letters over-limit events at once, naming the field', async () => {
    await publisher.publish('keel.review.requested.v1', requested('rev-huge', { answer: 'a'.repeat(70_000) }));
    await publisher.publish(
      'keel.inference.completed.v1',
      completion('req-huge', { contexts: [{ ...legalContext, text: 'x'.repeat(40_000) }] }),
    );
    await waitFor('both in their DLQs', () => deadLetters.length >= 2);
    const errors = deadLetters.map((message) => ({
      topic: message.headers[DeadLetterHeader.originalTopic],
      group: message.headers[DeadLetterHeader.consumerGroup],
      attempts: message.headers[DeadLetterHeader.attempts],
      error: message.headers[DeadLetterHeader.error],
    }));
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          topic: 'keel.review.requested.v1',
          group: 'keel-human-review',
          attempts: '1',
          error: expect.stringContaining('answer: at most 65536 characters'),
        },
        {
          topic: 'keel.inference.completed.v1',
          group: 'keel-human-review-exchanges',
          attempts: '1',
          error: expect.stringContaining('contexts[0].text: at most 32768 characters'),
        },
      ]),
    );
    expect((await json<Problem>(await api('/v1/reviews/rev-huge', ALICE), 404)).code).toBe('REVIEW.NOT_FOUND');
  });

  it('answers 400 for malformed and over-long ids, cursors and bodies, never 500', async () => {
    for (const response of [
      await api('/v1/reviews/%ZZ', ALICE),
      await claim('%ZZ', ALICE),
      await decide('%E0%A4%A', ALICE, { outcome: 'approved' }),
    ]) {
      expect((await json<Problem>(response, 400)).code).toBe('HTTP.MALFORMED_PATH');
    }
    const longId = await json<Problem>(await api(`/v1/reviews/${'x'.repeat(257)}`, ALICE), 400);
    expect(longId.errors?.map((error) => error.field)).toEqual(['id']);
    const longClaim = await json<Problem>(await claim('y'.repeat(257), ALICE), 400);
    expect(longClaim.errors?.map((error) => error.field)).toEqual(['id']);

    const badCursor = await json<Problem>(await api('/v1/reviews?cursor=not-a-cursor', ALICE), 400);
    expect(badCursor.errors?.map((error) => error.field)).toEqual(['cursor']);
    // A cursor of one order resumed under another is as foreign as garbage.
    const first = await json<{ nextCursor: string | null }>(
      await api('/v1/reviews?status=decided&limit=1', ALICE),
      200,
    );
    expect(first.nextCursor).not.toBeNull();
    const foreign = await json<Problem>(await api(`/v1/reviews?cursor=${first.nextCursor}`, ALICE), 400);
    expect(foreign.errors?.map((error) => error.field)).toEqual(['cursor']);
    const longCursor = await json<Problem>(await api(`/v1/reviews?cursor=${'c'.repeat(2049)}`, ALICE), 400);
    expect(longCursor.errors?.map((error) => error.field)).toEqual(['cursor']);

    await publisher.publish('keel.review.requested.v1', requested('rev-bounds'));
    await queued('rev-bounds');
    await json<ReviewView>(await claim('rev-bounds', ALICE), 200);
    const comment = await json<Problem>(
      await decide('rev-bounds', ALICE, { outcome: 'approved', comment: 'c'.repeat(8_193) }),
      400,
    );
    expect(comment.errors?.map((error) => error.field)).toEqual(['comment']);
    const correction = await json<Problem>(
      await decide('rev-bounds', ALICE, { outcome: 'corrected', correctedAnswer: 'a'.repeat(65_537) }),
      400,
    );
    expect(correction.errors?.map((error) => error.field)).toEqual(['correctedAnswer']);
    const invisible = await json<Problem>(
      await decide('rev-bounds', ALICE, { outcome: 'corrected', correctedAnswer: '\u200b\u200f\ufeff ' }),
      400,
    );
    expect(invisible.errors?.map((error) => error.field)).toEqual(['correctedAnswer']);
    const huge = await api('/v1/reviews/rev-bounds/decision', ALICE, {
      method: 'POST',
      body: { outcome: 'approved', padding: 'p'.repeat(600_000) },
    });
    expect((await json<Problem>(huge, 413)).code).toBe('HTTP.BODY_TOO_LARGE');
    const notObject = await api('/v1/reviews/rev-bounds/decision', ALICE, { method: 'POST', body: null });
    expect((await json<Problem>(notObject, 400)).code).toBe('HTTP.BODY_NOT_OBJECT');
    expect(log.lines().filter((line) => line.level === 'error')).toEqual([]);
  });

  it('needs an API key', async () => {
    const response = await fetch(`${baseUrl}/v1/reviews`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as Problem).code).toBe('AUTH.MISSING_API_KEY');
  });

  it('reports readiness of the event bus and the doc store', async () => {
    const body = await json<{ checks: Record<string, unknown> }>(await fetch(`${baseUrl}/readyz`), 200);
    expect(Object.keys(body.checks).sort()).toEqual(['doc-store', 'event-bus']);
  });
});
