/**
 * Read access inside a tenant: a review item derived from restricted chunks carries their read
 * requirements, and every read and write checks the caller's groups. Before, any key of the
 * tenant listed, read, claimed and decided it, chunk text included.
 */
import { ReviewDecided } from '@keel/contracts/events/v1/review';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  codeOf,
  completed,
  escalation,
  legalContext,
  openReviewFixture,
  publicContext,
  type ReviewFixture,
  requested,
} from '../testing/fixtures.js';
import { claimReview, releaseReview } from './claim-review.js';
import { completeStoredReview } from './complete-review.js';
import { decideReview } from './decide-review.js';
import { enqueueReview, reviewItemFromRequest } from './enqueue-review.js';
import { exchangeFromCompletion } from './escalated-exchange.js';
import type { ReviewItem } from './review-item.js';
import { listReviews } from './review-queries.js';
import { loadReview } from './review-store.js';
import type { Reviewer } from './reviewer.js';

const lena: Reviewer = { tenantId: 'acme', name: 'lena', aclGroups: ['legal'], roles: ['reviewer'] };
const paul: Reviewer = { tenantId: 'acme', name: 'paul', aclGroups: [], roles: ['reviewer'] };
const LEASE_MS = 60_000;

let fixture: ReviewFixture;

beforeEach(async () => {
  fixture = await openReviewFixture(createEmbeddedDocumentStore({ path: ':memory:' }));
});

afterEach(async () => {
  await fixture.store.close();
});

describe('review items derived from restricted chunks', () => {
  beforeEach(async () => {
    await enqueueReview(fixture.deps, requested({ reviewId: 'rev-legal', contexts: [legalContext] }));
    await enqueueReview(fixture.deps, requested({ reviewId: 'rev-public', contexts: [publicContext] }));
    // Requirements the request carries count as well as the contexts' groups.
    await enqueueReview(
      fixture.deps,
      requested({ reviewId: 'rev-carried', contexts: [], readRequires: [{ anyOf: ['legal'] }] }),
    );
  });

  it('store the requirements of their contexts and of the request', async () => {
    expect((await fixture.deps.reviews.get('rev-legal'))?.readRequires).toEqual([{ anyOf: ['legal'] }]);
    expect((await fixture.deps.reviews.get('rev-public'))?.readRequires).toEqual([]);
    expect((await fixture.deps.reviews.get('rev-carried'))?.readRequires).toEqual([{ anyOf: ['legal'] }]);
  });

  it('are left out of the listings of a reader outside the group', async () => {
    const ids = async (reader: Reviewer) =>
      (await listReviews(fixture.deps, reader, { limit: 10 })).items.map((i) => i.id);
    expect(await ids(lena)).toEqual(['rev-carried', 'rev-legal', 'rev-public'].sort());
    expect(await ids(paul)).toEqual(['rev-public']);
  });

  it('answer 404 to every read and write of a reader outside the group', async () => {
    for (const id of ['rev-legal', 'rev-carried']) {
      expect(await codeOf(loadReview(fixture.deps, paul, id))).toBe('REVIEW.NOT_FOUND');
      expect(await codeOf(claimReview(fixture.deps, paul, id, LEASE_MS))).toBe('REVIEW.NOT_FOUND');
      expect(await codeOf(decideReview(fixture.deps, paul, id, { outcome: 'approved' }))).toBe('REVIEW.NOT_FOUND');
      await claimReview(fixture.deps, lena, id, LEASE_MS);
      expect(await codeOf(releaseReview(fixture.deps, paul, id))).toBe('REVIEW.NOT_FOUND');
    }
    expect((await loadReview(fixture.deps, paul, 'rev-public')).id).toBe('rev-public');
  });

  it('carry their requirements, contexts and citations into the decided event', async () => {
    await claimReview(fixture.deps, lena, 'rev-legal', LEASE_MS);
    await decideReview(fixture.deps, lena, 'rev-legal', { outcome: 'approved' });
    expect(fixture.publisher.of('keel.review.decided.v1')).toEqual([
      expect.objectContaining({
        reviewId: 'rev-legal',
        reviewer: 'lena',
        readRequires: [{ anyOf: ['legal'] }],
        missing: [],
        contexts: [legalContext],
        citations: [],
      }),
    ]);
  });
});

describe('a write racing with a completion that restricts the item', () => {
  /** Runs `beforeFirstWrite` just before the first conditional write reaches the store. */
  function interceptFirstWrite(beforeFirstWrite: () => Promise<unknown>): void {
    const reviews = fixture.deps.reviews;
    let intercepted = false;
    fixture.deps.reviews = new Proxy(reviews, {
      get(target, property, receiver) {
        if (property !== 'updateIf') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<typeof reviews.updateIf>) => {
          if (!intercepted) {
            intercepted = true;
            await beforeFirstWrite();
          }
          return reviews.updateIf(...args);
        };
      },
    });
  }

  const restrict = async () => {
    const item = (await fixture.deps.reviews.get('rev-input')) as ReviewItem;
    await completeStoredReview(fixture.deps, item, exchangeFromCompletion(completed(), fixture.clock.now));
  };

  beforeEach(async () => {
    // An input escalation: only the question, readable by the whole tenant until completed.
    await enqueueReview(fixture.deps, escalation('input'));
  });

  it('does not give a lease to a reviewer who may no longer read the item', async () => {
    interceptFirstWrite(restrict);
    expect(await codeOf(claimReview(fixture.deps, paul, 'rev-input', LEASE_MS))).toBe('REVIEW.NOT_FOUND');
    expect(await fixture.deps.reviews.get('rev-input')).toMatchObject({ status: 'pending', claimedBy: null });
  });

  it('does not record or publish their decision', async () => {
    await claimReview(fixture.deps, paul, 'rev-input', LEASE_MS);
    interceptFirstWrite(restrict);
    expect(await codeOf(decideReview(fixture.deps, paul, 'rev-input', { outcome: 'approved' }))).toBe(
      'REVIEW.NOT_FOUND',
    );
    expect((await fixture.deps.reviews.get('rev-input'))?.decision).toBeNull();
    expect(fixture.publisher.published).toEqual([]);
  });
});

describe('an item stored before read requirements were kept', () => {
  it('stays readable by the tenant, and its decision is published with the new fields', async () => {
    const { readRequires, readRequiresKey, ...legacy } = reviewItemFromRequest(
      requested({ reviewId: 'rev-old', contexts: [publicContext] }),
      fixture.clock.now,
    );
    expect(readRequires).toEqual([]);
    expect(readRequiresKey).toBeDefined();
    const { aclGroups, ...oldContext } = publicContext;
    expect(aclGroups).toEqual([]);
    await fixture.deps.reviews.insert({ ...legacy, contexts: [oldContext] } as unknown as ReviewItem);

    expect((await listReviews(fixture.deps, paul, { limit: 10 })).items.map((item) => item.id)).toEqual(['rev-old']);
    await claimReview(fixture.deps, paul, 'rev-old', LEASE_MS);
    await decideReview(fixture.deps, paul, 'rev-old', { outcome: 'approved' });
    const [event] = fixture.publisher.of('keel.review.decided.v1');
    expect(event).toMatchObject({ readRequires: [], missing: [], contexts: [{ ...oldContext, aclGroups: [] }] });
    // What goes on the bus must encode: a stored context without aclGroups used to break it.
    expect(() => ReviewDecided.encode(event as ReviewDecided)).not.toThrow();
  });
});
