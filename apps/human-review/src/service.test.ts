/**
 * The human-review service over HTTP on embedded adapters: requests in from the bus, reviewers
 * (two API keys of one tenant, one of another) claiming, releasing and deciding, decisions out.
 */

import type { ReviewDecided, ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewOutcome, ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import type { RunningService } from '@keel/platform';
import { createTestLogger, type TestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from './config.js';
import { startHumanReviewService } from './service.js';

const ALICE = 'alice-key';
const BOB = 'bob-key';
const MALLORY = 'mallory-key';

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let publisher: EventPublisher;
let log: TestLogger;
let baseUrl: string;
let decided: ReviewDecided[] = [];

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
      },
    ],
    score: 0,
    requestedBy: 'evaluation',
    requestedAt: new Date(),
    ...overrides,
  };
}

interface ReviewView {
  id: string;
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

async function queued(id: string): Promise<ReviewView> {
  return waitFor(`review ${id} queued`, async () => {
    const response = await api(`/v1/reviews/${id}`, ALICE);
    return response.status === 200 ? ((await response.json()) as ReviewView) : undefined;
  });
}

beforeAll(async () => {
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  log = createTestLogger('human-review');
  const config = loadHumanReviewConfig({
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${ALICE}=acme,${BOB}=acme,${MALLORY}=globex`,
    KEEL_DEMO_API_KEY: '',
  });
  service = await startHumanReviewService({ bus, store, logger: log.logger }, config);
  baseUrl = service.urls.http ?? '';
  publisher = new EventPublisher(bus);
  decided = (await recordEvents(bus, 'keel.review.decided.v1', 'test-observer-decided')).payloads;
});

afterAll(async () => {
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
    expect(claimed).toMatchObject({ status: 'claimed', claimedBy: expect.any(String) });
    expect(Date.parse(claimed.leaseExpiresAt ?? '')).toBeGreaterThan(Date.now());

    const refused = await json<Problem>(await claim('rev-lease', BOB), 409);
    expect(refused.code).toBe('REVIEW.ALREADY_CLAIMED');
    const claimedList = await json<{ items: ReviewView[] }>(await api('/v1/reviews?status=claimed', BOB), 200);
    expect(claimedList.items.map((i) => i.id)).toEqual(['rev-lease']);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const lapsed = await json<ReviewView>(await api('/v1/reviews/rev-lease', BOB), 200);
    expect(lapsed).toMatchObject({ status: 'pending', claimedBy: null, leaseExpiresAt: null });
    const taken = await json<ReviewView>(await claim('rev-lease', BOB), 200);
    expect(taken.claimedBy).not.toBe(claimed.claimedBy);
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
    expect(item).toMatchObject({ status: 'decided', decision: { outcome: 'corrected', reviewer: expect.any(String) } });

    const event = await waitFor('decided event', () => decided.find((e) => e.reviewId === 'rev-decide'));
    expect(event).toMatchObject({
      tenantId: 'acme',
      requestId: 'req-rev-decide',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
      question: 'How long can I return a robot?',
      originalAnswer: 'For 90 days.',
      correctedAnswer: 'Within 30 days of delivery.',
      reviewer: item.decision?.reviewer,
      comment: 'wrong period',
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
