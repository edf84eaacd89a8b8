import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createRecordingPublisher, type RecordingPublisher } from '@keel/event-bus/testing';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requested } from '../testing/fixtures.js';
import { claimReview, releaseReview } from './claim-review.js';
import { type DecideDeps, decideReview } from './decide-review.js';
import { enqueueReview } from './enqueue-review.js';
import { type EscalatedExchange, EXCHANGES_COLLECTION, exchangesCollectionOptions } from './escalated-exchange.js';
import { effectiveStatus, REVIEWS_COLLECTION, type ReviewItem, reviewsCollectionOptions } from './review-item.js';
import { listReviews } from './review-queries.js';
import type { Reviewer } from './reviewer.js';

const alice: Reviewer = { tenantId: 'acme', name: 'alice', aclGroups: [], roles: ['reviewer'] };
const bob: Reviewer = { tenantId: 'acme', name: 'bob', aclGroups: [], roles: ['reviewer'] };
const mallory: Reviewer = { tenantId: 'globex', name: 'mallory', aclGroups: [], roles: ['reviewer'] };
const LEASE_MS = 60_000;

let store: DocumentStore;
let publisher: RecordingPublisher;
let deps: DecideDeps;
let clock: number;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return isKeelError(error) ? error.code : String(error);
}

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  const reviews = await store.collection<ReviewItem>(REVIEWS_COLLECTION, reviewsCollectionOptions);
  const exchanges = await store.collection<EscalatedExchange>(EXCHANGES_COLLECTION, exchangesCollectionOptions);
  publisher = createRecordingPublisher();
  clock = Date.parse('2026-01-02T04:00:00Z');
  deps = { reviews, exchanges, publisher, logger: createTestLogger().logger, now: () => clock };
  await enqueueReview(deps, requested());
});

afterEach(async () => {
  await store.close();
});

describe('enqueueReview', () => {
  it('queues a request once, however often it arrives', async () => {
    expect(await enqueueReview(deps, requested())).toBe('already-queued');
    expect(await deps.reviews.count()).toBe(1);
    expect(await deps.reviews.get('rev-1')).toMatchObject({
      status: 'pending',
      reason: 'LOW_SCORE',
      requestedBy: 'evaluation',
      requestedAt: Date.parse('2026-01-02T03:04:05Z'),
    });
  });

  it('dead-letters a request without a review id', async () => {
    const error = await enqueueReview(deps, requested({ reviewId: '' })).catch((caught: unknown) => caught);
    expect(isKeelError(error) && error.retryable).toBe(false);
  });
});

describe('claimReview', () => {
  it('leases a pending item to the reviewer', async () => {
    const item = await claimReview(deps, alice, 'rev-1', LEASE_MS);
    expect(item).toMatchObject({ status: 'claimed', claimedBy: 'alice', leaseExpiresAt: clock + LEASE_MS });
  });

  it('refuses a second reviewer while the lease is live, and lets them in once it lapses', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    expect(await codeOf(claimReview(deps, bob, 'rev-1', LEASE_MS))).toBe('REVIEW.ALREADY_CLAIMED');
    clock += LEASE_MS;
    const item = await claimReview(deps, bob, 'rev-1', LEASE_MS);
    expect(item.claimedBy).toBe('bob');
  });

  it('extends the lease when the holder claims again', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    clock += 10_000;
    expect((await claimReview(deps, alice, 'rev-1', LEASE_MS)).leaseExpiresAt).toBe(clock + LEASE_MS);
  });

  it('answers 404 for another tenant and for an unknown id', async () => {
    expect(await codeOf(claimReview(deps, mallory, 'rev-1', LEASE_MS))).toBe('REVIEW.NOT_FOUND');
    expect(await codeOf(claimReview(deps, alice, 'nope', LEASE_MS))).toBe('REVIEW.NOT_FOUND');
  });
});

describe('releaseReview', () => {
  it('gives the item back, and only its holder may', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    expect(await codeOf(releaseReview(deps, bob, 'rev-1'))).toBe('REVIEW.LEASE_NOT_HELD');
    expect(await releaseReview(deps, alice, 'rev-1')).toMatchObject({ status: 'pending', claimedBy: null });
    expect((await claimReview(deps, bob, 'rev-1', LEASE_MS)).claimedBy).toBe('bob');
  });
});

describe('decideReview', () => {
  it('decides for the lease holder and publishes the decision', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    const { item, created } = await decideReview(deps, alice, 'rev-1', {
      outcome: 'corrected',
      correctedAnswer: 'Within 30 days.',
      comment: 'wrong period',
    });
    expect(created).toBe(true);
    expect(item).toMatchObject({ status: 'decided', decision: { outcome: 'corrected', reviewer: 'alice' } });
    expect(item.decisionPublishedAt).toBe(clock);
    expect(publisher.of('keel.review.decided.v1')).toEqual([
      {
        reviewId: 'rev-1',
        tenantId: 'acme',
        requestId: 'req-1',
        traceId: 'trace-1',
        outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
        question: 'How long can I return a robot?',
        originalAnswer: 'For 90 days.',
        correctedAnswer: 'Within 30 days.',
        reviewer: 'alice',
        comment: 'wrong period',
        decidedAt: new Date(clock),
        readRequires: [],
        missing: [],
        citations: [],
        contexts: [],
        queueId: 'default',
        reviewers: { names: ['alice'] },
      },
    ]);
  });

  it('refuses anyone without a live lease', async () => {
    expect(await codeOf(decideReview(deps, alice, 'rev-1', { outcome: 'approved' }))).toBe('REVIEW.LEASE_NOT_HELD');
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    expect(await codeOf(decideReview(deps, bob, 'rev-1', { outcome: 'approved' }))).toBe('REVIEW.LEASE_NOT_HELD');
    clock += LEASE_MS;
    expect(await codeOf(decideReview(deps, alice, 'rev-1', { outcome: 'approved' }))).toBe('REVIEW.LEASE_NOT_HELD');
    expect(publisher.published).toEqual([]);
  });

  it('answers a repeat of the same decision with the stored one and publishes nothing new', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    const first = await decideReview(deps, alice, 'rev-1', { outcome: 'approved' });
    clock += 5_000;
    const again = await decideReview(deps, alice, 'rev-1', { outcome: 'approved' });
    expect(again.created).toBe(false);
    expect(again.item.decision).toEqual(first.item.decision);
    expect(publisher.published).toHaveLength(1);
  });

  it('refuses a different decision on a decided item, and any claim of it', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    await decideReview(deps, alice, 'rev-1', { outcome: 'approved' });
    expect(await codeOf(decideReview(deps, alice, 'rev-1', { outcome: 'rejected' }))).toBe('REVIEW.ALREADY_DECIDED');
    expect(await codeOf(decideReview(deps, bob, 'rev-1', { outcome: 'approved' }))).toBe('REVIEW.ALREADY_DECIDED');
    expect(await codeOf(claimReview(deps, bob, 'rev-1', LEASE_MS))).toBe('REVIEW.ALREADY_DECIDED');
    expect(await codeOf(releaseReview(deps, alice, 'rev-1'))).toBe('REVIEW.ALREADY_DECIDED');
  });

  it('publishes on the repeat when the first attempt decided but could not publish', async () => {
    await claimReview(deps, alice, 'rev-1', LEASE_MS);
    publisher.failNext();
    await expect(decideReview(deps, alice, 'rev-1', { outcome: 'rejected' })).rejects.toThrow('unavailable');
    expect(publisher.published).toEqual([]);
    const retried = await decideReview(deps, alice, 'rev-1', { outcome: 'rejected' });
    expect(retried.item.decisionPublishedAt).not.toBeNull();
    expect(publisher.of('keel.review.decided.v1')).toHaveLength(1);
  });
});

describe('listReviews', () => {
  beforeEach(async () => {
    clock += 1;
    await enqueueReview(deps, requested({ reviewId: 'rev-2' }));
    clock += 1;
    await enqueueReview(deps, requested({ reviewId: 'rev-3' }));
    await enqueueReview(deps, requested({ reviewId: 'other', tenantId: 'globex' }));
  });

  const ids = async (status?: 'pending' | 'claimed' | 'decided') =>
    (await listReviews(deps, alice, { limit: 10, ...(status ? { status } : {}) })).items.map((item) => item.id);

  it('lists open items oldest first, and filters by the status readers see', async () => {
    await claimReview(deps, alice, 'rev-2', LEASE_MS);
    await claimReview(deps, alice, 'rev-3', LEASE_MS);
    await decideReview(deps, alice, 'rev-3', { outcome: 'approved' });
    expect(await ids()).toEqual(['rev-1', 'rev-2']);
    expect(await ids('pending')).toEqual(['rev-1']);
    expect(await ids('claimed')).toEqual(['rev-2']);
    expect(await ids('decided')).toEqual(['rev-3']);
    clock += LEASE_MS;
    // A lapsed claim is pending again, for the list and for the item.
    expect(await ids('pending')).toEqual(['rev-1', 'rev-2']);
    expect(await ids('claimed')).toEqual([]);
    const lapsed = await deps.reviews.get('rev-2');
    expect(lapsed && effectiveStatus(lapsed, clock)).toBe('pending');
  });

  it('pages with a cursor', async () => {
    const first = await listReviews(deps, alice, { limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual(['rev-1', 'rev-2']);
    const second = await listReviews(deps, alice, { limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.items.map((item) => item.id)).toEqual(['rev-3']);
  });
});
