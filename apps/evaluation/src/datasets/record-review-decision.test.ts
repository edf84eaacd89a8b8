import type { ContextChunk } from '@keel/contracts/events/v1/inference';
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_LIMITS } from '../evaluations/event-limits.js';
import { listExamples } from './dataset-queries.js';
import {
  GOLDEN_EXAMPLES_COLLECTION,
  type GoldenExample,
  goldenExamplesCollectionOptions,
  REVIEWED_ANSWERS_DATASET,
} from './golden-example.js';
import { exampleFromDecision, type RecordDecisionDeps, recordReviewDecision } from './record-review-decision.js';

function decided(overrides: Partial<ReviewDecided> = {}): ReviewDecided {
  return {
    reviewId: 'rev-1',
    tenantId: 'acme',
    requestId: 'req-1',
    traceId: 'trace-1',
    outcome: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
    question: 'How long can I return a robot?',
    originalAnswer: 'Within 30 days.',
    correctedAnswer: '',
    reviewer: 'alice',
    comment: '',
    decidedAt: new Date('2026-01-02T03:04:05Z'),
    readRequires: [],
    missing: [],
    citations: [],
    contexts: [],
    ...overrides,
  };
}

const ACME = { tenantId: 'acme', aclGroups: [] };

let store: DocumentStore;
let examples: Collection<GoldenExample>;
let deps: RecordDecisionDeps;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  examples = await store.collection<GoldenExample>(GOLDEN_EXAMPLES_COLLECTION, goldenExamplesCollectionOptions);
  let clock = 1_000;
  deps = { examples, logger: createTestLogger().logger, now: () => clock++ };
});

afterEach(async () => {
  await store.close();
});

describe('recordReviewDecision', () => {
  it('labels an approved answer with the original answer', async () => {
    expect(await recordReviewDecision(deps, decided())).toBe(true);
    expect(await examples.get('rev-1')).toMatchObject({
      id: 'rev-1',
      tenantId: 'acme',
      datasetId: REVIEWED_ANSWERS_DATASET,
      question: 'How long can I return a robot?',
      answer: 'Within 30 days.',
      label: 'approved',
      source: 'human-review',
      reviewer: 'alice',
      decidedAt: Date.parse('2026-01-02T03:04:05Z'),
    });
  });

  it('keeps the corrected answer as the example, and the original beside it', async () => {
    await recordReviewDecision(
      deps,
      decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED, correctedAnswer: 'Within 30 days of delivery.' }),
    );
    expect(await examples.get('rev-1')).toMatchObject({
      answer: 'Within 30 days of delivery.',
      originalAnswer: 'Within 30 days.',
      label: 'corrected',
    });
  });

  it('records a redelivered decision once', async () => {
    await recordReviewDecision(deps, decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED }));
    expect(await recordReviewDecision(deps, decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED }))).toBe(false);
    expect(await examples.count()).toBe(1);
    expect((await examples.get('rev-1'))?.label).toBe('rejected');
  });

  it('dead-letters decisions that can never become an example', async () => {
    for (const event of [
      decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_UNSPECIFIED }),
      decided({ reviewId: '' }),
      decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED, correctedAnswer: ' ' }),
    ]) {
      const error = await recordReviewDecision(deps, event).catch((caught: unknown) => caught);
      expect(isKeelError(error) && error.retryable === false).toBe(true);
    }
    expect(await examples.count()).toBe(0);
  });

  it('lists a tenant dataset newest first, page by page', async () => {
    for (const id of ['rev-1', 'rev-2', 'rev-3']) await recordReviewDecision(deps, decided({ reviewId: id }));
    await recordReviewDecision(deps, decided({ reviewId: 'other', tenantId: 'globex' }));
    const first = await listExamples(examples, ACME, REVIEWED_ANSWERS_DATASET, { limit: 2 });
    expect(first.items.map((example) => example.id)).toEqual(['rev-3', 'rev-2']);
    const second = await listExamples(examples, ACME, REVIEWED_ANSWERS_DATASET, {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    expect(second.items.map((example) => example.id)).toEqual(['rev-1']);
    expect(second.nextCursor).toBeUndefined();
    const bad = await listExamples(examples, ACME, REVIEWED_ANSWERS_DATASET, { limit: 2, cursor: 'nope' }).catch(
      (error: unknown) => error,
    );
    expect(isKeelError(bad) && bad.httpStatus).toBe(400);
  });

  it('keeps, on the example, who may read it and the citations and contexts it was grounded on', async () => {
    const contexts: ContextChunk[] = [
      {
        chunkId: 'c-legal',
        documentId: 'd-legal',
        documentVersion: 'v1',
        text: 'Clause 7.',
        score: 1,
        aclGroups: ['legal'],
      },
      {
        chunkId: 'c-open',
        documentId: 'd-open',
        documentVersion: 'v1',
        text: 'Opening hours.',
        score: 1,
        aclGroups: [],
      },
    ];
    const citation = {
      documentId: 'd-legal',
      documentVersion: 'v1',
      chunkId: 'c-legal',
      title: 'Contract',
      source: 'contract.md',
      startOffset: 0,
      endOffset: 9,
      score: 1,
      quote: 'Clause 7.',
      marker: 1,
    };
    await recordReviewDecision(
      deps,
      decided({ readRequires: [{ anyOf: ['finance'] }], contexts, citations: [citation] }),
    );
    const example = await examples.get('rev-1');
    // The event's own requirement and the restricted context's, canonical order.
    expect(example?.readRequires).toEqual([{ anyOf: ['finance'] }, { anyOf: ['legal'] }]);
    expect(example?.contexts).toEqual(contexts);
    expect(example?.citations).toEqual([citation]);
    expect(example).toMatchObject({ complete: true, missing: [] });
  });

  it('shows an example derived from restricted chunks only to callers in their groups', async () => {
    const legalContext: ContextChunk = {
      chunkId: 'c-legal',
      documentId: 'd-legal',
      documentVersion: 'v1',
      text: 'Clause 7.',
      score: 1,
      aclGroups: ['legal'],
    };
    await recordReviewDecision(deps, decided({ reviewId: 'rev-open' }));
    await recordReviewDecision(deps, decided({ reviewId: 'rev-legal', contexts: [legalContext] }));
    await recordReviewDecision(deps, decided({ reviewId: 'rev-required', readRequires: [{ anyOf: ['legal'] }] }));
    const ids = async (aclGroups: string[]) =>
      (await listExamples(examples, { tenantId: 'acme', aclGroups }, REVIEWED_ANSWERS_DATASET, { limit: 10 })).items
        .map((example) => example.id)
        .sort();
    expect(await ids([])).toEqual(['rev-open']);
    expect(await ids(['sales'])).toEqual(['rev-open']);
    expect(await ids(['legal'])).toEqual(['rev-legal', 'rev-open', 'rev-required']);
    // Another tenant with the same group sees nothing of acme's.
    expect(
      (
        await listExamples(examples, { tenantId: 'globex', aclGroups: ['legal'] }, REVIEWED_ANSWERS_DATASET, {
          limit: 10,
        })
      ).items,
    ).toEqual([]);
  });

  describe('half an exchange (a policy escalation)', () => {
    it('records an approved input escalation (no answer) as incomplete, never as a complete example', async () => {
      await recordReviewDecision(deps, decided({ originalAnswer: '', missing: ['answer'] }));
      expect(await examples.get('rev-1')).toMatchObject({ answer: '', complete: false, missing: ['answer'] });
    });

    it('records a rejected output escalation (no question) as incomplete, even when corrected', async () => {
      await recordReviewDecision(
        deps,
        decided({
          reviewId: 'rev-out',
          question: '',
          missing: ['question'],
          outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED,
        }),
      );
      await recordReviewDecision(
        deps,
        decided({
          reviewId: 'rev-out-corrected',
          question: '',
          missing: ['question'],
          outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
          correctedAnswer: 'Within 30 days of delivery.',
        }),
      );
      expect(await examples.get('rev-out')).toMatchObject({ complete: false, missing: ['question'] });
      expect(await examples.get('rev-out-corrected')).toMatchObject({ complete: false, missing: ['question'] });
    });

    it('trusts the declaration when the producer sent the text anyway', async () => {
      // The item lacked the answer the model served; whatever text came along is not it.
      await recordReviewDecision(deps, decided({ missing: ['answer'] }));
      expect(await examples.get('rev-1')).toMatchObject({ complete: false, missing: ['answer'] });
    });

    it('is complete when the reviewer wrote the answer an input escalation lacked', async () => {
      await recordReviewDecision(
        deps,
        decided({
          originalAnswer: '',
          missing: ['answer'],
          outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
          correctedAnswer: 'Within 30 days of delivery.',
        }),
      );
      expect(await examples.get('rev-1')).toMatchObject({
        answer: 'Within 30 days of delivery.',
        complete: true,
        missing: [],
      });
    });

    it('finds a blank question or answer even when nothing was declared missing', async () => {
      await recordReviewDecision(deps, decided({ reviewId: 'rev-q', question: ' \u200b\u2060 ' }));
      await recordReviewDecision(deps, decided({ reviewId: 'rev-a', originalAnswer: '\ufeff\u200e' }));
      await recordReviewDecision(deps, decided({ reviewId: 'rev-both', question: '', originalAnswer: '' }));
      expect(await examples.get('rev-q')).toMatchObject({ complete: false, missing: ['question'] });
      expect(await examples.get('rev-a')).toMatchObject({ complete: false, missing: ['answer'] });
      expect(await examples.get('rev-both')).toMatchObject({ complete: false, missing: ['answer', 'question'] });
    });

    it('leaves incomplete examples out of the dataset unless they are asked for', async () => {
      await recordReviewDecision(deps, decided({ reviewId: 'rev-complete' }));
      await recordReviewDecision(deps, decided({ reviewId: 'rev-half', originalAnswer: '', missing: ['answer'] }));
      // An example stored before completeness was recorded: judged by its text.
      await examples.insert({
        ...exampleFromDecision(decided({ reviewId: 'rev-legacy', originalAnswer: '' }), 5_000),
        complete: undefined,
        missing: undefined,
      } as unknown as GoldenExample);
      const listed = async (includeIncomplete: boolean) =>
        (await listExamples(examples, ACME, REVIEWED_ANSWERS_DATASET, { limit: 10, includeIncomplete })).items.map(
          (example) => example.id,
        );
      expect(await listed(false)).toEqual(['rev-complete']);
      expect(await listed(true)).toEqual(['rev-legacy', 'rev-half', 'rev-complete']);
    });
  });

  describe('bounds', () => {
    async function refusal(event: ReviewDecided): Promise<string[]> {
      const error = await recordReviewDecision(deps, event).catch((caught: unknown) => caught);
      expect(isKeelError(error) && error.retryable).toBe(false);
      return isKeelError(error) ? (error.violations ?? []).map((violation) => violation.field) : [];
    }

    it('dead-letters a decision over a limit, naming the field, and records nothing', async () => {
      const context = (text: string): ContextChunk => ({
        chunkId: 'c',
        documentId: 'd',
        documentVersion: 'v1',
        text,
        score: 1,
        aclGroups: [],
      });
      expect(await refusal(decided({ question: 'q'.repeat(EVENT_LIMITS.questionLength + 1) }))).toEqual(['question']);
      expect(await refusal(decided({ originalAnswer: 'a'.repeat(EVENT_LIMITS.answerLength + 1) }))).toEqual([
        'originalAnswer',
      ]);
      expect(await refusal(decided({ comment: 'c'.repeat(EVENT_LIMITS.commentLength + 1) }))).toEqual(['comment']);
      expect(await refusal(decided({ reviewId: 'r'.repeat(EVENT_LIMITS.idLength + 1) }))).toEqual(['reviewId']);
      expect(
        await refusal(decided({ missing: Array.from({ length: EVENT_LIMITS.missing + 1 }, () => 'answer') })),
      ).toEqual(['missing']);
      expect(
        await refusal(decided({ contexts: Array.from({ length: EVENT_LIMITS.contexts + 1 }, () => context('x')) })),
      ).toEqual(['contexts']);
      expect(await refusal(decided({ contexts: [context('x'.repeat(EVENT_LIMITS.contextTextLength + 1))] }))).toEqual([
        'contexts.0.text',
      ]);
      const big = 'x'.repeat(EVENT_LIMITS.contextTextLength);
      const tooMuch = Math.floor(EVENT_LIMITS.contextsTotalLength / EVENT_LIMITS.contextTextLength) + 1;
      expect(await refusal(decided({ contexts: Array.from({ length: tooMuch }, () => context(big)) }))).toEqual([
        'contexts',
      ]);
      expect(
        await refusal(
          decided({
            readRequires: [{ anyOf: Array.from({ length: EVENT_LIMITS.aclGroups + 1 }, (_, index) => `g${index}`) }],
          }),
        ),
      ).toEqual(['readRequires.0.anyOf']);
      expect(
        await refusal(
          decided({
            readRequires: Array.from({ length: EVENT_LIMITS.readRequirements + 1 }, () => ({ anyOf: ['g'] })),
          }),
        ),
      ).toEqual(['readRequires']);
      expect(await examples.count()).toBe(0);
    });

    it('refuses a correction made only of invisible characters', async () => {
      expect(
        await refusal(decided({ outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED, correctedAnswer: '\u200b\u200b' })),
      ).toEqual(['correctedAnswer']);
    });
  });
});
