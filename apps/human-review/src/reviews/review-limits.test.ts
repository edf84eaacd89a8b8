/**
 * Bounded review requests: an id-less or over-limit request is a permanent defect of the message
 * and fails non-retryably (the bus dead-letters it at once), naming the field. Before, any size
 * was stored and shown, and a requirement naming no group widened the item to the whole tenant.
 */

import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isKeelError } from '@keel/platform';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  citationOf,
  failureOf,
  openReviewFixture,
  publicContext,
  type ReviewFixture,
  requested,
} from '../testing/fixtures.js';
import { enqueueReview } from './enqueue-review.js';
import { fieldPath, REVIEW_LIMITS } from './review-limits.js';

let fixture: ReviewFixture;

beforeEach(async () => {
  fixture = await openReviewFixture(createEmbeddedDocumentStore({ path: ':memory:' }));
});

afterEach(async () => {
  await fixture.store.close();
});

async function rejectedFields(overrides: Parameters<typeof requested>[0]): Promise<string[]> {
  const error = await failureOf(enqueueReview(fixture.deps, requested(overrides)));
  if (!isKeelError(error)) throw error;
  expect(error.retryable).toBe(false);
  expect(await fixture.deps.reviews.count()).toBe(0);
  return error.violations.map((violation) => violation.field);
}

describe('review request limits', () => {
  it('queue a request at every limit', async () => {
    const context = { ...publicContext, text: 'x'.repeat(REVIEW_LIMITS.contextChars) };
    await enqueueReview(
      fixture.deps,
      requested({
        reviewId: 'r'.repeat(REVIEW_LIMITS.idChars),
        question: 'q'.repeat(REVIEW_LIMITS.questionChars),
        answer: 'a'.repeat(REVIEW_LIMITS.answerChars),
        contexts: Array.from({ length: 20 }, (_, index) => ({ ...context, chunkId: `c#${index}` })),
        citations: Array.from({ length: REVIEW_LIMITS.citations }, (_, index) => citationOf(publicContext, index)),
      }),
    );
    expect(await fixture.deps.reviews.count()).toBe(1);
  });

  it('reject a request without a review id', async () => {
    expect(await rejectedFields({ reviewId: '' })).toEqual(['reviewId']);
  });

  it('reject texts, lists and ids over their limits, naming each field', async () => {
    expect(await rejectedFields({ answer: 'a'.repeat(REVIEW_LIMITS.answerChars + 1) })).toEqual(['answer']);
    expect(
      await rejectedFields({
        contexts: [publicContext, { ...publicContext, text: 'x'.repeat(REVIEW_LIMITS.contextChars + 1) }],
      }),
    ).toEqual(['contexts[1].text']);
    expect(
      await rejectedFields({ contexts: Array.from({ length: REVIEW_LIMITS.contexts + 1 }, () => publicContext) }),
    ).toEqual(['contexts']);
    expect(
      await rejectedFields({
        contexts: [
          { ...publicContext, aclGroups: Array.from({ length: REVIEW_LIMITS.aclGroups + 1 }, (_, i) => `g${i}`) },
        ],
      }),
    ).toEqual(['contexts[0].aclGroups']);
    expect(await rejectedFields({ reviewId: 'r'.repeat(REVIEW_LIMITS.idChars + 1) })).toEqual(['reviewId']);
    expect(await rejectedFields({ detail: 'd'.repeat(REVIEW_LIMITS.detailChars + 1) })).toEqual(['detail']);
  });

  it('reject a request whose texts together exceed the total', async () => {
    const context = { ...publicContext, text: 'x'.repeat(REVIEW_LIMITS.contextChars) };
    const many = Math.ceil(REVIEW_LIMITS.totalChars / REVIEW_LIMITS.contextChars) + 1;
    expect(await rejectedFields({ contexts: Array.from({ length: many }, () => context) })).toEqual(['(event)']);
  });

  it('reject a read requirement naming no group instead of opening the item to the tenant', async () => {
    expect(await rejectedFields({ readRequires: [{ anyOf: ['legal'] }, { anyOf: [' '] }] })).toEqual([
      'readRequires[1].anyOf',
    ]);
  });

  it('reject scores a store cannot keep', async () => {
    expect(await rejectedFields({ score: Number.NaN })).toEqual(['score']);
  });
});

describe('fieldPath', () => {
  it('writes paths as a reader of the event would', () => {
    expect(fieldPath(['contexts', 3, 'text'])).toBe('contexts[3].text');
    expect(fieldPath(['readRequires', 0, 'anyOf', 2])).toBe('readRequires[0].anyOf[2]');
    expect(fieldPath([])).toBe('(event)');
  });
});
