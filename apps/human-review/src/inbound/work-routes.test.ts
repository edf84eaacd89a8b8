/**
 * Queues and the reviewer's work over HTTP, on the whole service with embedded adapters: admins
 * shape queues (the admin key with ?tenant=), reviewers claim next, skip, comment and decide with
 * a rubric, leads run bulk actions and read agreement.
 */
import { ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import type { RunningService } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from '../config.js';
import { openWorkCollections } from '../queues/open-work.js';
import { enqueueReview } from '../reviews/enqueue-review.js';
import {
  type EscalatedExchange,
  EXCHANGES_COLLECTION,
  exchangesCollectionOptions,
} from '../reviews/escalated-exchange.js';
import { REVIEWS_COLLECTION, type ReviewItem, reviewsCollectionOptions } from '../reviews/review-item.js';
import { startHumanReviewService } from '../service.js';
import { requested } from '../testing/fixtures.js';
import { ADMIN_KEY, ConsoleClient } from './console-test-app.js';

const REVIEWERS = Array.from({ length: 20 }, (_, index) => `r${index}-key=acme::Reviewer ${index}`);
const API_KEYS = ['alice-key=acme::Alice', 'bob-key=acme::Bob', 'robot-key=acme', ...REVIEWERS].join(',');

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let baseUrl: string;
let enqueue: (reviewId: string, overrides?: Parameters<typeof requested>[0]) => Promise<unknown>;
let sequence = 0;

beforeAll(async () => {
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  const log = createTestLogger('human-review');
  const config = loadHumanReviewConfig({
    HTTP_PORT: '0',
    KEEL_API_KEYS: API_KEYS,
    KEEL_ADMIN_API_KEY: ADMIN_KEY,
    REVIEW_CONSOLE_DIR: '/nonexistent-console',
  });
  service = await startHumanReviewService({ bus, store, logger: log.logger }, config);
  baseUrl = service.urls.http ?? '';
  // Items are queued straight into the service's store: the consumer's path, without waiting on the bus.
  const deps = {
    reviews: await store.collection<ReviewItem>(REVIEWS_COLLECTION, reviewsCollectionOptions),
    exchanges: await store.collection<EscalatedExchange>(EXCHANGES_COLLECTION, exchangesCollectionOptions),
    ...(await openWorkCollections(store)),
    now: Date.now,
    logger: log.logger,
  };
  enqueue = (reviewId, overrides = {}) =>
    enqueueReview(deps, requested({ reviewId, requestId: `req-${reviewId}`, ...overrides }));
});

afterAll(async () => {
  await service.stop();
  await bus.close();
  await store.close();
});

/** A fresh tag per test, so that tests share the service without seeing each other's items. */
let tag: string;
beforeEach(() => {
  sequence++;
  tag = `t${sequence}`;
});

function api(path: string, key: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function json<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return (text ? JSON.parse(text) : null) as T;
}

const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
  api(`${path}${path.includes('?') ? '&' : '?'}tenant=acme`, ADMIN_KEY, init);

/** A queue of its own for this test: it takes the items requested by `tag`. */
async function queueFor(extra: Record<string, unknown> = {}) {
  return json<{ id: string }>(
    await admin('/v1/queues', {
      method: 'POST',
      body: { id: tag, name: `Queue ${tag}`, order: sequence, match: { requestedBy: [tag] }, ...extra },
    }),
    201,
  );
}

describe('queues', () => {
  it('lets admins create, change and delete queues, and everyone list them with counts', async () => {
    expect(
      await json(await api('/v1/queues', 'alice-key', { method: 'POST', body: { name: 'x' } }), 403),
    ).toMatchObject({
      code: 'AUTH.FORBIDDEN_ROLE',
    });
    const invalid = await json<{ errors: { field: string }[] }>(
      await admin('/v1/queues', { method: 'POST', body: { name: 'x', basePriority: 101, reviewersPerItem: 6 } }),
      400,
    );
    expect(invalid.errors.map((error) => error.field).sort()).toEqual(['basePriority', 'reviewersPerItem']);
    await queueFor({ basePriority: 70, slaMinutes: 30 });
    await enqueue(`${tag}-1`, { requestedBy: tag });
    const listed = await json<{ items: { id: string; counts: Record<string, number> }[] }>(
      await api('/v1/queues', 'robot-key'),
      200,
    );
    expect(listed.items.map((queue) => queue.id)).toEqual(expect.arrayContaining(['default', tag]));
    expect(listed.items.find((queue) => queue.id === tag)?.counts).toEqual({
      pending: 1,
      claimed: 0,
      breached: 0,
      decidedToday: 0,
    });
    const changed = await json(
      await admin(`/v1/queues/${tag}`, { method: 'PUT', body: { name: 'Renamed', basePriority: 10 } }),
      200,
    );
    expect(changed).toMatchObject({ id: tag, name: 'Renamed', basePriority: 10 });
    expect(await json(await admin('/v1/queues/default', { method: 'DELETE' }), 409)).toMatchObject({
      code: 'QUEUE.DEFAULT_UNDELETABLE',
    });
    await json(await admin(`/v1/queues/${tag}`, { method: 'DELETE' }), 204);
    expect(await json(await api(`/v1/queues/${tag}`, 'alice-key'), 404)).toMatchObject({ code: 'QUEUE.NOT_FOUND' });
    expect(await json(await api(`/v1/reviews/${tag}-1`, 'alice-key'), 200)).toMatchObject({ queueId: 'default' });
  });
});

describe('claim next', () => {
  it('gives 20 concurrent callers on 10 items 10 distinct items and ten 204s', async () => {
    await queueFor();
    for (let index = 0; index < 10; index++) await enqueue(`${tag}-${index}`, { requestedBy: tag });
    const responses = await Promise.all(
      REVIEWERS.map((_, index) => api(`/v1/queues/${tag}/claim-next`, `r${index}-key`, { method: 'POST', body: {} })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 204)).toHaveLength(10);
    const items = await Promise.all(
      responses
        .filter((response) => response.status === 200)
        .map((response) => response.json() as Promise<{ id: string }>),
    );
    expect(new Set(items.map((item) => item.id)).size).toBe(10);
    expect(items[0]).toMatchObject({
      status: 'claimed',
      queueId: tag,
      priority: 50,
      slaBreached: false,
      reviewersRequired: 1,
      decisions: [],
    });
  });

  it('across queues takes the highest priority first; unnamed keys may not claim', async () => {
    await queueFor({ basePriority: 100 });
    await enqueue(`${tag}-top`, { requestedBy: tag });
    expect(await json(await api('/v1/reviews:claim-next', 'robot-key', { method: 'POST' }), 403)).toMatchObject({
      code: 'REVIEW.REVIEWER_UNNAMED',
    });
    const item = await json(
      await api('/v1/reviews:claim-next', 'alice-key', { method: 'POST', body: { leaseSeconds: 30 } }),
      200,
    );
    expect(item).toMatchObject({ id: `${tag}-top`, claimedBy: 'Alice' });
    await json(await api(`/v1/reviews/${tag}-top/release`, 'alice-key', { method: 'POST' }), 200);
  });
});

describe('working an item', () => {
  it('skips with a reason, and claim next then passes it over for that reviewer', async () => {
    await queueFor();
    await enqueue(`${tag}-1`, { requestedBy: tag });
    await json(await api(`/v1/queues/${tag}/claim-next`, 'alice-key', { method: 'POST' }), 200);
    expect(
      await json(await api(`/v1/reviews/${tag}-1/skip`, 'alice-key', { method: 'POST', body: { reason: '' } }), 400),
    ).toMatchObject({
      errors: [{ field: 'reason' }],
    });
    const skipped = await json(
      await api(`/v1/reviews/${tag}-1/skip`, 'alice-key', { method: 'POST', body: { reason: 'not my area' } }),
      200,
    );
    expect(skipped).toMatchObject({
      status: 'pending',
      claimedBy: null,
      skips: [{ reviewer: 'Alice', reason: 'not my area' }],
    });
    await json(await api(`/v1/queues/${tag}/claim-next`, 'alice-key', { method: 'POST' }), 204);
    expect(await json(await api(`/v1/queues/${tag}/claim-next`, 'bob-key', { method: 'POST' }), 200)).toMatchObject({
      id: `${tag}-1`,
    });
    const trail = await json<{ items: { actor: string; action: string; queueId: string; detail: unknown }[] }>(
      await api(`/v1/audit?reviewId=${tag}-1`, 'alice-key'),
      200,
    );
    // Newest first; entries of one millisecond have no order among them, so compare as a set.
    expect(trail.items.map((entry) => `${entry.actor} ${entry.action}`).sort()).toEqual([
      'Alice review.claimed',
      'Alice review.skipped',
      'Bob review.claimed',
    ]);
    expect(trail.items.find((entry) => entry.action === 'review.skipped')).toMatchObject({
      queueId: tag,
      detail: { reason: 'not my area' },
    });
  });

  it('takes comments from whoever may read the item', async () => {
    await enqueue(`${tag}-1`);
    const created = await json(
      await api(`/v1/reviews/${tag}-1/comments`, 'alice-key', {
        method: 'POST',
        body: { text: 'See the returns policy.' },
      }),
      201,
    );
    expect(created).toMatchObject({ author: 'Alice', text: 'See the returns policy.' });
    expect(
      await json(
        await api(`/v1/reviews/${tag}-1/comments`, 'alice-key', { method: 'POST', body: { text: 'x'.repeat(8193) } }),
        400,
      ),
    ).toMatchObject({
      errors: [{ field: 'text' }],
    });
    expect(await json(await api(`/v1/reviews/${tag}-1/comments`, 'robot-key'), 200)).toMatchObject({
      items: [{ id: (created as { id: string }).id, author: 'Alice', text: 'See the returns policy.' }],
    });
    await json(await api('/v1/reviews/nope/comments', 'alice-key'), 404);
  });

  it('validates the rubric, and answers a second decider 409 with the decision that stands', async () => {
    await queueFor({
      rubric: { scores: [{ key: 'accuracy', label: 'Accuracy', min: 1, max: 5 }], categories: [], notes: true },
    });
    await enqueue(`${tag}-1`, { requestedBy: tag });
    await json(await api(`/v1/reviews/${tag}-1/claim`, 'alice-key', { method: 'POST' }), 200);
    const bad = await json<{ errors: { field: string }[] }>(
      await api(`/v1/reviews/${tag}-1/decision`, 'alice-key', {
        method: 'POST',
        body: { outcome: 'approved', rubric: { scores: { accuracy: 9 } } },
      }),
      400,
    );
    expect(bad.errors).toEqual([{ field: 'rubric.scores.accuracy', message: 'must be a number from 1 to 5' }]);
    const decided = await json(
      await api(`/v1/reviews/${tag}-1/decision`, 'alice-key', {
        method: 'POST',
        body: { outcome: 'approved', rubric: { scores: { accuracy: 4 }, notes: 'fine' } },
      }),
      200,
    );
    expect(decided).toMatchObject({
      status: 'decided',
      decisions: [{ reviewer: 'Alice', rubric: { scores: { accuracy: 4 } } }],
    });
    const conflict = await json(
      await api(`/v1/reviews/${tag}-1/decision`, 'bob-key', { method: 'POST', body: { outcome: 'rejected' } }),
      409,
    );
    expect(conflict).toMatchObject({
      code: 'REVIEW.ALREADY_DECIDED',
      decision: { outcome: 'approved', reviewer: 'Alice', rubric: { scores: { accuracy: 4 }, notes: 'fine' } },
    });
    expect(String(conflict.detail)).toContain('approved by Alice');
  });

  it("reports the reviewer's progress", async () => {
    await queueFor();
    await enqueue(`${tag}-1`, { requestedBy: tag });
    await enqueue(`${tag}-2`, { requestedBy: tag });
    const claimed = await json<{ id: string }>(
      await api(`/v1/queues/${tag}/claim-next`, 'r0-key', { method: 'POST' }),
      200,
    );
    const before = await json<{ decidedToday: number; claimed: string[] }>(await api('/v1/me/progress', 'r0-key'), 200);
    expect(before.claimed).toContain(claimed.id);
    await json(
      await api(`/v1/reviews/${claimed.id}/decision`, 'r0-key', { method: 'POST', body: { outcome: 'approved' } }),
      200,
    );
    const progress = await json<{
      decidedToday: number;
      claimed: string[];
      queues: { queueId: string; pending: number }[];
    }>(await api('/v1/me/progress', 'r0-key'), 200);
    expect(progress.decidedToday).toBe(before.decidedToday + 1);
    expect(progress.claimed).not.toContain(claimed.id);
    expect(progress.queues.find((queue) => queue.queueId === tag)).toEqual({ queueId: tag, pending: 1, breached: 0 });
  });
});

describe('leads', () => {
  it('run bulk actions only on the count they saw', async () => {
    await queueFor();
    for (const index of [1, 2, 3])
      await enqueue(`${tag}-${index}`, { requestedBy: tag, reason: ReviewReason.REVIEW_REASON_LOW_SCORE });
    const body = { filter: { queueId: tag }, action: 'set-priority', priority: 99 };
    expect(
      await json(
        await api('/v1/reviews:bulk', 'alice-key', { method: 'POST', body: { ...body, expectedCount: 2 } }),
        409,
      ),
    ).toMatchObject({
      code: 'REVIEW.BULK_COUNT_MISMATCH',
    });
    expect(
      await json(
        await api('/v1/reviews:bulk', 'alice-key', {
          method: 'POST',
          body: { filter: {}, action: 'move', expectedCount: 0 },
        }),
        400,
      ),
    ).toMatchObject({
      errors: [{ field: 'queueId' }],
    });
    expect(
      await json(
        await api('/v1/reviews:bulk', 'alice-key', { method: 'POST', body: { ...body, expectedCount: 3 } }),
        200,
      ),
    ).toEqual({
      matched: 3,
      changed: 3,
    });
    expect(await json(await api(`/v1/reviews?queueId=${tag}`, 'alice-key'), 200)).toMatchObject({
      items: [{ priority: 99 }, { priority: 99 }, { priority: 99 }],
    });
    const audit = await json<{ items: { action: string; detail: { matched: number } }[] }>(
      await api('/v1/audit?action=reviews.bulk', 'alice-key'),
      200,
    );
    expect(audit.items[0]).toMatchObject({ action: 'reviews.bulk', detail: { matched: 3, changed: 3 } });
  });

  it('read agreement per queue', async () => {
    await queueFor({ reviewersPerItem: 2 });
    await enqueue(`${tag}-1`, { requestedBy: tag });
    for (const key of ['alice-key', 'bob-key']) {
      const item = await json<{ id: string }>(await api(`/v1/queues/${tag}/claim-next`, key, { method: 'POST' }), 200);
      await json(
        await api(`/v1/reviews/${item.id}/decision`, key, { method: 'POST', body: { outcome: 'approved' } }),
        200,
      );
    }
    expect(await json(await api(`/v1/queues/${tag}/agreement`, 'alice-key'), 200)).toEqual({
      queueId: tag,
      items: 1,
      // One value throughout: agreement beyond chance is undefined.
      alpha: null,
      byRubric: {},
    });
  });

  it('are the only ones who may run bulk actions and read agreement; a signed-in reviewer gets 403', async () => {
    const username = `rev-${tag}`;
    await json(
      await admin('/v1/accounts', {
        method: 'POST',
        body: { username, displayName: `Reviewer ${tag}`, password: 'a-long-password', roles: ['reviewer'] },
      }),
      201,
    );
    const person = new ConsoleClient(baseUrl);
    expect((await person.signIn(username, 'a-long-password')).status).toBe(200);
    const bulk = await person.request('POST', '/v1/reviews:bulk', { filter: {}, action: 'release', expectedCount: 0 });
    expect(await json(bulk, 403)).toMatchObject({ code: 'AUTH.FORBIDDEN_ROLE' });
    expect(await json(await person.request('GET', '/v1/queues/default/agreement'), 403)).toMatchObject({
      code: 'AUTH.FORBIDDEN_ROLE',
    });
    expect(await json(await person.request('POST', '/v1/queues', { name: 'mine' }), 403)).toMatchObject({
      code: 'AUTH.FORBIDDEN_ROLE',
    });
    // What a reviewer may do, they do as their account.
    await enqueue(`${tag}-1`);
    await json(await person.request('POST', `/v1/reviews/${tag}-1/comments`, { text: 'hi' }), 201);
  });
});
