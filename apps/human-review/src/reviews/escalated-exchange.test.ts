/**
 * An escalated exchange is reviewed whole: policy's review request holds only the half it
 * checked, the gateway's completion the whole exchange; whichever comes first, the item ends up
 * with both halves, the contexts with their groups and the combined read requirements. Before,
 * approving an input escalation sent a decision with an empty answer (and no contexts) on to the
 * golden data sets.
 */

import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isKeelError } from '@keel/platform';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  citationOf,
  completed,
  escalation,
  failureOf,
  legalContext,
  openReviewFixture,
  publicContext,
  type ReviewFixture,
  requested,
} from '../testing/fixtures.js';
import { claimReview } from './claim-review.js';
import { decideReview } from './decide-review.js';
import { enqueueReview } from './enqueue-review.js';
import { exchangeFromCompletion, recordEscalatedExchange } from './escalated-exchange.js';
import type { Reviewer } from './reviewer.js';

const lena: Reviewer = { tenantId: 'acme', name: 'lena', aclGroups: ['legal'], roles: ['reviewer'] };
const LEASE_MS = 60_000;

let fixture: ReviewFixture;

beforeEach(async () => {
  fixture = await openReviewFixture(createEmbeddedDocumentStore({ path: ':memory:' }));
});

afterEach(async () => {
  await fixture.store.close();
});

const item = (id: string) => fixture.deps.reviews.get(id);

const whole = {
  question: 'What did we settle with Initech?',
  answer: 'The settlement is 4.2 million. [1]',
  contexts: [legalContext],
  citations: [citationOf(legalContext, 1)],
  readRequires: [{ anyOf: ['legal'] }],
};

describe('an escalated exchange', () => {
  it('completes an input escalation queued before it', async () => {
    await enqueueReview(fixture.deps, escalation('input'));
    expect(await item('rev-input')).toMatchObject({ answer: '', contexts: [], readRequires: [] });
    expect(await recordEscalatedExchange(fixture.deps, completed())).toBe('stored');
    expect(await item('rev-input')).toMatchObject(whole);
  });

  it('completes an output escalation queued after it, at insert', async () => {
    await recordEscalatedExchange(fixture.deps, completed());
    await enqueueReview(fixture.deps, escalation('output'));
    expect(await item('rev-output')).toMatchObject(whole);
    expect(fixture.log.find('review completed with its escalated exchange')).toEqual([]);
  });

  it("keeps the item's own half and combines its requirements with the exchange's", async () => {
    await enqueueReview(
      fixture.deps,
      escalation('output', {
        answer: 'The settlement is [REDACTED]. [1]',
        readRequires: [{ anyOf: ['finance'] }],
        contexts: [{ ...publicContext, chunkId: '', documentId: '', documentVersion: '' }],
      }),
    );
    await recordEscalatedExchange(fixture.deps, completed({ contexts: [legalContext, publicContext] }));
    expect(await item('rev-output')).toMatchObject({
      question: whole.question,
      answer: 'The settlement is [REDACTED]. [1]',
      // The anonymous copy of a context the exchange holds is not kept twice.
      contexts: [legalContext, publicContext],
      readRequires: [{ anyOf: ['finance'] }, { anyOf: ['legal'] }],
    });
  });

  it('arriving while the request is being queued is not missed by either side', async () => {
    // The exchange lands after enqueueing looked for it and before the item exists.
    const exchanges = fixture.deps.exchanges;
    let looked = false;
    fixture.deps.exchanges = new Proxy(exchanges, {
      get(target, property, receiver) {
        if (property !== 'get') return Reflect.get(target, property, receiver);
        return async (id: string) => {
          const found = await exchanges.get(id);
          if (!looked) {
            looked = true;
            await recordEscalatedExchange({ ...fixture.deps, exchanges }, completed());
          }
          return found;
        };
      },
    });
    await enqueueReview(fixture.deps, escalation('input'));
    expect(await item('rev-input')).toMatchObject(whole);
  });

  it('completes an item on the redelivery of its request when a stop came between insert and completion', async () => {
    await enqueueReview(fixture.deps, escalation('input'));
    await fixture.deps.exchanges.upsert(exchangeFromCompletion(completed(), fixture.clock.now));
    expect(await enqueueReview(fixture.deps, escalation('input'))).toBe('already-queued');
    expect(await item('rev-input')).toMatchObject(whole);
  });

  it('is ignored when no policy check escalated the answer', async () => {
    const allowed = completed({
      policy: [
        { stage: 'input', decision: 'ALLOW', decisionId: 'a', findingTypes: [] },
        { stage: 'output', decision: 'REDACT', decisionId: 'b', findingTypes: ['EMAIL'] },
      ],
    });
    expect(await recordEscalatedExchange(fixture.deps, allowed)).toBe('not-escalated');
    expect(await fixture.deps.exchanges.count()).toBe(0);
  });

  it('completes nothing of a complete item, of another tenant, or of a decided one', async () => {
    await enqueueReview(fixture.deps, requested({ reviewId: 'rev-low', answer: 'For 90 days.' }));
    await enqueueReview(fixture.deps, escalation('input', { reviewId: 'rev-globex', tenantId: 'globex' }));
    await enqueueReview(fixture.deps, escalation('input'));
    await claimReview(fixture.deps, lena, 'rev-input', LEASE_MS);
    await decideReview(fixture.deps, lena, 'rev-input', { outcome: 'approved' });
    await recordEscalatedExchange(fixture.deps, completed());
    expect(await item('rev-low')).toMatchObject({ answer: 'For 90 days.', contexts: [], readRequires: [] });
    expect(await item('rev-globex')).toMatchObject({ answer: '', contexts: [] });
    expect(await item('rev-input')).toMatchObject({ answer: '', contexts: [] });
  });

  it('is idempotent: a redelivery changes nothing', async () => {
    await enqueueReview(fixture.deps, escalation('input'));
    await recordEscalatedExchange(fixture.deps, completed());
    const first = await item('rev-input');
    fixture.clock.now += 1_000;
    await recordEscalatedExchange(fixture.deps, completed());
    expect(await item('rev-input')).toEqual(first);
    expect(await fixture.deps.exchanges.count()).toBe(1);
  });

  it('completes a claimed item, which its holder then decides whole', async () => {
    await enqueueReview(fixture.deps, escalation('input'));
    await claimReview(fixture.deps, lena, 'rev-input', LEASE_MS);
    await recordEscalatedExchange(fixture.deps, completed());
    await decideReview(fixture.deps, lena, 'rev-input', { outcome: 'approved' });
    expect(fixture.publisher.of('keel.review.decided.v1')).toEqual([
      expect.objectContaining({
        question: whole.question,
        originalAnswer: whole.answer,
        missing: [],
        contexts: whole.contexts,
        citations: whole.citations,
        readRequires: whole.readRequires,
        reviewer: 'lena',
      }),
    ]);
  });

  it('leaves a decision without it saying what the exchange lacked', async () => {
    await enqueueReview(fixture.deps, escalation('input'));
    await claimReview(fixture.deps, lena, 'rev-input', LEASE_MS);
    await decideReview(fixture.deps, lena, 'rev-input', { outcome: 'approved' });
    expect(fixture.publisher.of('keel.review.decided.v1')).toEqual([
      expect.objectContaining({
        question: 'What did we settle with Initech?',
        originalAnswer: '',
        missing: ['answer'],
      }),
    ]);
  });

  it('is dead-lettered when over a limit, naming the field', async () => {
    const oversized = completed({ contexts: [legalContext, { ...publicContext, text: 'x'.repeat(40_000) }] });
    const error = await failureOf(recordEscalatedExchange(fixture.deps, oversized));
    expect(isKeelError(error) && error.retryable).toBe(false);
    expect(isKeelError(error) && error.violations.map((v) => v.field)).toEqual(['contexts[1].text']);
    const anonymous = await failureOf(recordEscalatedExchange(fixture.deps, completed({ requestId: '' })));
    expect(isKeelError(anonymous) && anonymous.violations.map((v) => v.field)).toEqual(['requestId']);
    expect(await fixture.deps.exchanges.count()).toBe(0);
  });
});
