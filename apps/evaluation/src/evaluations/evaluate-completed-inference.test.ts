import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createRecordingPublisher, type RecordingPublisher } from '@keel/event-bus/testing';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EvaluateDeps, evaluateCompletedInference } from './evaluate-completed-inference.js';
import { getEvaluation, listEvaluations } from './evaluation-queries.js';
import { EVALUATIONS_COLLECTION, type EvaluationRecord, evaluationsCollectionOptions } from './evaluation-record.js';
import { EVENT_LIMITS } from './event-limits.js';
import { reviewIdFor } from './review-id.js';

const contexts: ContextChunk[] = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v1',
    text: 'Customers can return any robot within 30 days of delivery.',
    score: 0.9,
    aclGroups: [],
  },
];

function completed(overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId: 'req-1',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: undefined,
    latencyMs: 12,
    question: 'How long can I return a robot?',
    answer: 'Customers can return any robot within 30 days of delivery. [1]',
    contexts,
    citations: [],
    policy: [],
    completedAt: new Date('2026-01-02T03:04:05Z'),
    readRequires: [],
    subject: 'alice',
    ...overrides,
  };
}

let store: DocumentStore;
let evaluations: Collection<EvaluationRecord>;
let publisher: RecordingPublisher;
let deps: EvaluateDeps;
let clock: number;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
  publisher = createRecordingPublisher();
  clock = Date.parse('2026-01-02T03:04:06Z');
  deps = {
    evaluations,
    publisher,
    policy: { reviewThreshold: 0.7, claimThreshold: 0.7 },
    logger: createTestLogger().logger,
    now: () => clock++,
  };
});

afterEach(async () => {
  await store.close();
});

describe('evaluateCompletedInference', () => {
  it('stores a passing evaluation and announces it without asking for review', async () => {
    const record = await evaluateCompletedInference(deps, completed());
    expect(record).toMatchObject({ id: 'req-1', groundedness: 1, passed: true, reviewId: null });
    expect(record.publishedAt).not.toBeNull();
    expect(await evaluations.get('req-1')).toMatchObject({ tenantId: 'acme', passed: true });
    expect(publisher.of('keel.review.requested.v1')).toEqual([]);
    const [scored] = publisher.of('keel.evaluation.scored.v1');
    expect(scored).toMatchObject({
      requestId: 'req-1',
      tenantId: 'acme',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      threshold: 0.7,
      passed: true,
    });
    expect(scored?.scores.map((score) => [score.metric, score.value, score.unit])).toEqual([
      ['groundedness', 1, undefined],
      ['citation_coverage', 1, undefined],
      ['citation_validity', 1, undefined],
      ['answer_relevance', 1, undefined],
      ['refusal_correctness', 1, undefined],
      ['latency_ms', 12, 'ms'],
    ]);
  });

  it('records the online metrics, latency and cost on the evaluation and in the scored event', async () => {
    const event = completed({
      requestId: 'req-online',
      // Cites the second context, which does not say it: valid groundedness, invalid citation.
      answer: 'Customers can return any robot within 30 days of delivery. [2]',
      contexts: [
        ...contexts,
        { ...contexts[0], chunkId: 'wifi#0', text: 'The robot needs a 2.4 GHz Wi-Fi network.' } as ContextChunk,
      ],
      citations: [
        {
          documentId: 'returns',
          documentVersion: 'v1',
          chunkId: 'wifi#0',
          title: '',
          source: '',
          startOffset: 0,
          endOffset: 0,
          score: 1,
          quote: '',
          marker: 2,
        },
      ],
      latencyMs: 640,
      cost: 0.0031,
      currency: 'EUR',
      priced: true,
    });
    const record = await evaluateCompletedInference(deps, event);
    const value = (metric: string) => record.scores.find((score) => score.metric === metric);
    expect(record.groundedness).toBe(1);
    expect(value('citation_validity')?.value).toBe(0);
    expect(record.citationChecks).toEqual([expect.objectContaining({ marker: 2, chunkId: 'wifi#0', valid: false })]);
    expect(value('cost')).toMatchObject({ value: 0.0031, unit: 'EUR' });
    expect(record).toMatchObject({ latencyMs: 640, cost: 0.0031, currency: 'EUR', contextCount: 2, judge: null });
    expect(record.onlineMetricsVersion).toMatch(/^lexical-online\//);
    const [scored] = publisher.of('keel.evaluation.scored.v1');
    expect(scored?.scores.find((score) => score.metric === 'latency_ms')).toMatchObject({ value: 640, unit: 'ms' });
  });

  it('asks for a review, with a deterministic id, when groundedness is below the threshold', async () => {
    await evaluateCompletedInference(deps, completed({ answer: 'Robots may be returned for 90 days, no questions.' }));
    const [request] = publisher.of('keel.review.requested.v1');
    expect(request).toMatchObject({
      reviewId: reviewIdFor('acme', 'req-1', 'LOW_SCORE'),
      reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
      requestedBy: 'evaluation',
      score: 0,
      question: 'How long can I return a robot?',
      contexts,
    });
    expect(request?.detail).toContain('below 0.7');
    expect(publisher.published.find((event) => event.topic === 'keel.review.requested.v1')?.options).toEqual({
      idempotencyKey: request?.reviewId,
    });
    expect(publisher.of('keel.evaluation.scored.v1')[0]?.passed).toBe(false);
  });

  it('does nothing on a redelivery of an event it fully handled', async () => {
    const event = completed({ answer: 'Robots may be returned for 90 days.' });
    await evaluateCompletedInference(deps, event);
    const published = publisher.published.length;
    await evaluateCompletedInference(deps, event);
    expect(publisher.published).toHaveLength(published);
    expect(await evaluations.count()).toBe(1);
  });

  it('publishes on redelivery when the first attempt stored but could not publish', async () => {
    publisher.failNext();
    await expect(evaluateCompletedInference(deps, completed())).rejects.toThrow('event bus unavailable');
    expect((await evaluations.get('req-1'))?.publishedAt).toBeNull();
    await evaluateCompletedInference(deps, completed());
    expect(publisher.of('keel.evaluation.scored.v1')).toHaveLength(1);
    expect((await evaluations.get('req-1'))?.publishedAt).not.toBeNull();
  });

  it('falls back to the current trace when the event carries no trace id', async () => {
    const record = await evaluateCompletedInference(deps, completed({ traceId: '' }));
    // No active span in this test: the fallback is empty rather than invented.
    expect(record.traceId).toBe('');
  });

  it('refuses, without retry, an event without a request id or one clashing with another tenant', async () => {
    const missing = await evaluateCompletedInference(deps, completed({ requestId: '' })).catch((error) => error);
    expect(isKeelError(missing) && missing.retryable).toBe(false);
    await evaluateCompletedInference(deps, completed());
    const clash = await evaluateCompletedInference(deps, completed({ tenantId: 'globex' })).catch((error) => error);
    expect(isKeelError(clash) && clash.code).toBe('EVALUATION.REQUEST_ID_CLASH');
    expect(isKeelError(clash) && clash.retryable).toBe(false);
  });

  describe('read access', () => {
    const legalContext: ContextChunk = {
      chunkId: 'contract#7',
      documentId: 'contract',
      documentVersion: 'v3',
      text: 'Robots leased under the enterprise contract may be returned within 90 days.',
      score: 0.8,
      aclGroups: ['legal', 'management'],
    };

    it('stores and announces who may read the exchange: its own requirements and its contexts’ groups', async () => {
      const record = await evaluateCompletedInference(
        deps,
        completed({
          answer: 'Robots can be returned within 90 days, and refunds come in cash.',
          contexts: [...contexts, legalContext],
          readRequires: [{ anyOf: ['finance'] }],
        }),
      );
      const expected = [{ anyOf: ['finance'] }, { anyOf: ['legal', 'management'] }];
      expect(record.readRequires).toEqual(expected);
      expect((await evaluations.get('req-1'))?.readRequires).toEqual(expected);
      expect(publisher.of('keel.evaluation.scored.v1')[0]?.readRequires).toEqual(expected);
      const [request] = publisher.of('keel.review.requested.v1');
      expect(request?.readRequires).toEqual(expected);
      // Each context keeps its own groups.
      expect(request?.contexts.map((context) => context.aclGroups)).toEqual([[], ['legal', 'management']]);
    });

    it('lets an unrestricted exchange be read by the whole tenant', async () => {
      const record = await evaluateCompletedInference(deps, completed());
      expect(record.readRequires).toEqual([]);
      expect(publisher.of('keel.evaluation.scored.v1')[0]?.readRequires).toEqual([]);
    });

    it('answers 404 and lists nothing to a caller outside the groups the evaluation was derived from', async () => {
      await evaluateCompletedInference(deps, completed({ requestId: 'req-open' }));
      await evaluateCompletedInference(deps, completed({ requestId: 'req-legal', contexts: [legalContext] }));
      const outsider = { tenantId: 'acme', aclGroups: ['sales'] };
      const lawyer = { tenantId: 'acme', aclGroups: ['legal'] };
      const hidden = await getEvaluation(evaluations, outsider, 'req-legal').catch((error: unknown) => error);
      expect(isKeelError(hidden) && [hidden.httpStatus, hidden.code]).toEqual([404, 'EVALUATION.NOT_FOUND']);
      expect((await getEvaluation(evaluations, lawyer, 'req-legal')).requestId).toBe('req-legal');
      const listed = async (reader: { tenantId: string; aclGroups: string[] }) =>
        (await listEvaluations(evaluations, reader, { limit: 10 })).items.map((record) => record.requestId).sort();
      expect(await listed(outsider)).toEqual(['req-open']);
      expect(await listed(lawyer)).toEqual(['req-legal', 'req-open']);
      expect(await listed({ tenantId: 'globex', aclGroups: ['legal'] })).toEqual([]);
    });

    it('pages past evaluations the caller may not read without losing any it may', async () => {
      for (let index = 0; index < 5; index++) {
        await evaluateCompletedInference(deps, completed({ requestId: `open-${index}` }));
        await evaluateCompletedInference(deps, completed({ requestId: `legal-${index}`, contexts: [legalContext] }));
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listEvaluations(
          evaluations,
          { tenantId: 'acme', aclGroups: [] },
          { limit: 2, ...(cursor ? { cursor } : {}) },
        );
        seen.push(...page.items.map((record) => record.requestId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['open-4', 'open-3', 'open-2', 'open-1', 'open-0']);
    });
  });

  describe('bounds', () => {
    async function refusal(event: InferenceCompleted): Promise<string[]> {
      const error = await evaluateCompletedInference(deps, event).catch((caught: unknown) => caught);
      expect(isKeelError(error) && error.retryable).toBe(false);
      return isKeelError(error) ? (error.violations ?? []).map((violation) => violation.field) : [];
    }
    const context = (text: string, aclGroups: string[] = []): ContextChunk => ({
      chunkId: 'c',
      documentId: 'd',
      documentVersion: 'v1',
      text,
      score: 1,
      aclGroups,
    });

    it('dead-letters an event over a limit, naming the field, before scoring or storing anything', async () => {
      expect(await refusal(completed({ answer: 'a '.repeat(EVENT_LIMITS.answerLength) }))).toEqual(['answer']);
      expect(await refusal(completed({ question: 'q'.repeat(EVENT_LIMITS.questionLength + 1) }))).toEqual(['question']);
      expect(await refusal(completed({ requestId: 'r'.repeat(EVENT_LIMITS.idLength + 1) }))).toEqual(['requestId']);
      expect(
        await refusal(completed({ contexts: Array.from({ length: EVENT_LIMITS.contexts + 1 }, () => context('x')) })),
      ).toEqual(['contexts']);
      expect(
        await refusal(completed({ contexts: [context('x'), context('y'.repeat(EVENT_LIMITS.contextTextLength + 1))] })),
      ).toEqual(['contexts.1.text']);
      const big = 'x'.repeat(EVENT_LIMITS.contextTextLength);
      const tooMuch = Math.floor(EVENT_LIMITS.contextsTotalLength / EVENT_LIMITS.contextTextLength) + 1;
      expect(await refusal(completed({ contexts: Array.from({ length: tooMuch }, () => context(big)) }))).toEqual([
        'contexts',
      ]);
      const manyGroups = Array.from({ length: EVENT_LIMITS.aclGroups + 1 }, (_, index) => `g${index}`);
      expect(await refusal(completed({ contexts: [context('x', manyGroups)] }))).toEqual(['contexts.0.aclGroups']);
      expect(
        await refusal(completed({ contexts: [context('x', ['g'.repeat(EVENT_LIMITS.aclGroupLength + 1)])] })),
      ).toEqual(['contexts.0.aclGroups.0']);
      expect(
        await refusal(
          completed({
            readRequires: Array.from({ length: EVENT_LIMITS.readRequirements + 1 }, () => ({ anyOf: ['g'] })),
          }),
        ),
      ).toEqual(['readRequires']);
      expect(
        await refusal(
          completed({
            citations: Array.from({ length: EVENT_LIMITS.citations + 1 }, () => ({
              documentId: 'd',
              documentVersion: 'v1',
              chunkId: 'c',
              title: '',
              source: '',
              startOffset: 0,
              endOffset: 0,
              score: 0,
              quote: '',
              marker: 0,
            })),
          }),
        ),
      ).toEqual(['citations']);
      expect(
        await refusal(
          completed({
            policy: [
              {
                stage: 'output',
                decision: 'REDACT',
                decisionId: 'p',
                findingTypes: Array.from({ length: EVENT_LIMITS.findingTypes + 1 }, () => 'EMAIL'),
              },
            ],
          }),
        ),
      ).toEqual(['policy.0.findingTypes']);
      expect(await evaluations.count()).toBe(0);
      expect(publisher.published).toEqual([]);
    });

    it('accepts an event at every limit', async () => {
      const record = await evaluateCompletedInference(
        deps,
        completed({
          question: 'q'.repeat(EVENT_LIMITS.questionLength),
          answer: `${'Customers can return any robot within 30 days of delivery. '.repeat(1000)}`.slice(
            0,
            EVENT_LIMITS.answerLength,
          ),
          contexts: Array.from({ length: EVENT_LIMITS.contexts }, (_, index) =>
            context(index === 0 ? (contexts[0]?.text ?? '') : 'Robots ship in two days.'),
          ),
        }),
      );
      expect(record.requestId).toBe('req-1');
    });
  });
});
