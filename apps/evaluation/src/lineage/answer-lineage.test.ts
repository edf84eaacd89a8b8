import type { EvaluationScored } from '@keel/contracts/events/v1/evaluation';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { isKeelError } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAnswerLineage } from './answer-lineage.js';
import { LINEAGE_COLLECTION, type LineageEntry, lineageCollectionOptions } from './lineage-entry.js';
import {
  completionEntry,
  evaluationEntry,
  policyEntry,
  type RecordLineageDeps,
  recordLineageEntry,
  reviewEntry,
  traceIdOfTraceparent,
} from './record-lineage.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const TRACE = 'a'.repeat(32);
const REVIEW_TRACE = 'b'.repeat(32);

function completed(overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId: 'req-1',
    traceId: TRACE,
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'gpt-4o-mini',
    provider: 'openai',
    usage: { promptTokens: 120, completionTokens: 30, totalTokens: 150, costUsd: 0.0021 },
    latencyMs: 840,
    question: 'How long can I return a robot?',
    answer: 'Within 30 days of delivery. [1]',
    contexts: [
      {
        chunkId: 'returns#0',
        documentId: 'returns',
        documentVersion: 'v3',
        text: 'Customers can return any robot within 30 days of delivery.',
        score: 0.9,
        aclGroups: ['support'],
      },
    ],
    citations: [
      {
        documentId: 'returns',
        documentVersion: 'v3',
        chunkId: 'returns#0',
        title: 'Returns',
        source: 'policies/returns.md',
        startOffset: 0,
        endOffset: 58,
        score: 0.9,
        quote: 'Customers can return any robot within 30 days of delivery.',
        marker: 1,
      },
    ],
    policy: [
      { stage: 'input', decision: 'ALLOW', decisionId: 'dec-in', findingTypes: [] },
      { stage: 'output', decision: 'REDACT', decisionId: 'dec-out', findingTypes: ['EMAIL'] },
    ],
    completedAt: new Date(T0 + 900),
    readRequires: [],
    subject: 'app',
    attempts: 2,
    cost: 0.0019,
    currency: 'EUR',
    priced: true,
    cacheHit: false,
    passagesDropped: 1,
    ...overrides,
  };
}

function decided(stage: 'input' | 'output', overrides: Partial<PolicyDecided> = {}): PolicyDecided {
  return {
    decisionId: stage === 'input' ? 'dec-in' : 'dec-out',
    tenantId: 'acme',
    requestId: 'req-1',
    stage,
    decision: stage === 'input' ? 'ALLOW' : 'REDACT',
    findingTypes: stage === 'input' ? [] : ['EMAIL'],
    reason: '',
    policyVersion: 'acme@v4',
    decidedAt: new Date(stage === 'input' ? T0 + 10 : T0 + 880),
    rulesFired: stage === 'input' ? [] : ['redact-emails'],
    findingCount: stage === 'input' ? 0 : 1,
    decidedBy: 'inference-gateway',
    ...overrides,
  };
}

function scored(overrides: Partial<EvaluationScored> = {}): EvaluationScored {
  return {
    requestId: 'req-1',
    tenantId: 'acme',
    traceId: TRACE,
    scores: [{ metric: 'groundedness', value: 0.5, explanation: '1 of 2 claims supported' }],
    verdicts: [{ claim: 'Within 30 days of delivery', supported: true, supportingChunkId: 'returns#0', support: 1 }],
    threshold: 0.7,
    passed: false,
    evaluatorVersion: 'lexical-groundedness/2',
    scoredAt: new Date(T0 + 1_000),
    readRequires: [{ anyOf: ['support'] }],
    ...overrides,
  };
}

function reviewed(overrides: Partial<ReviewDecided> = {}): ReviewDecided {
  return {
    reviewId: 'rev-1',
    tenantId: 'acme',
    requestId: 'req-1',
    traceId: REVIEW_TRACE,
    outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
    question: 'How long can I return a robot?',
    originalAnswer: 'Within 30 days of delivery. [1]',
    correctedAnswer: 'Within 30 days of delivery, in its original packaging. [1]',
    reviewer: 'alice',
    comment: 'packaging matters',
    decidedAt: new Date(T0 + 60_000),
    readRequires: [{ anyOf: ['support'] }],
    missing: [],
    citations: [],
    contexts: [],
    ...overrides,
  };
}

const SUPPORT = { tenantId: 'acme', aclGroups: ['support'] };

let store: DocumentStore;
let lineage: Collection<LineageEntry>;
let deps: RecordLineageDeps;
let clock: number;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  lineage = await store.collection<LineageEntry>(LINEAGE_COLLECTION, lineageCollectionOptions);
  clock = T0 + 100_000;
  deps = { lineage, logger: createTestLogger().logger, now: () => clock++ };
});

afterEach(async () => {
  await store.close();
});

const origin = (eventId: string) => ({ eventId });

/** Every fact of req-1 as the entry builders make them, keyed by a name for ordering. */
function allEntries(receivedAt: number): Record<string, LineageEntry> {
  return {
    completion: completionEntry(completed(), origin('e-completion'), receivedAt),
    input: policyEntry(decided('input'), origin('e-input'), receivedAt),
    output: policyEntry(decided('output'), origin('e-output'), receivedAt),
    scored: evaluationEntry(scored(), origin('e-scored'), receivedAt),
    review: reviewEntry(reviewed(), origin('e-review'), receivedAt),
  };
}

async function notFoundFor(reader: { tenantId: string; aclGroups: string[] }, requestId = 'req-1'): Promise<boolean> {
  const error = await getAnswerLineage(lineage, reader, requestId).catch((caught: unknown) => caught);
  return isKeelError(error) && error.httpStatus === 404;
}

describe('answer lineage', () => {
  it.each([
    ['in the order they happened', ['input', 'output', 'completion', 'scored', 'review']],
    ['scored and reviewed before the completion arrived', ['review', 'scored', 'completion', 'output', 'input']],
    ['decisions after everything else', ['completion', 'scored', 'review', 'output', 'input']],
  ])('assembles the same view from events arriving %s', async (_, order) => {
    const entries = allEntries(T0 + 100_000);
    for (const name of order) await recordLineageEntry(deps, entries[name] as LineageEntry);
    const view = await getAnswerLineage(lineage, SUPPORT, 'req-1');
    expect(view).toMatchObject({
      requestId: 'req-1',
      question: 'How long can I return a robot?',
      answer: 'Within 30 days of delivery. [1]',
      model: 'gpt-4o-mini',
      provider: 'openai',
      usage: { promptTokens: 120, completionTokens: 30, totalTokens: 150 },
      cost: { amount: 0.0019, currency: 'EUR', priced: true },
      attempts: 2,
      passagesDropped: 1,
      citations: [
        {
          marker: 1,
          chunkId: 'returns#0',
          documentId: 'returns',
          documentVersion: 'v3',
          source: 'policies/returns.md',
        },
      ],
      evaluation: { passed: false, evaluatorVersion: 'lexical-groundedness/2', traceId: TRACE },
      reviews: [{ reviewId: 'rev-1', outcome: 'corrected', reviewer: 'alice', traceId: REVIEW_TRACE }],
      received: { completion: true, policyDecisions: true, evaluation: true, reviews: 1 },
    });
    expect(view.policyDecisions.map((d) => [d.stage, d.decision, d.policyVersion, d.rulesFired])).toEqual([
      ['input', 'ALLOW', 'acme@v4', []],
      ['output', 'REDACT', 'acme@v4', ['redact-emails']],
    ]);
    // Time order, whatever the arrival order.
    expect(view.timeline.map((item) => [item.kind, item.id])).toEqual([
      ['policy', 'dec-in'],
      ['policy', 'dec-out'],
      ['completion', 'req-1'],
      ['evaluation', 'req-1'],
      ['review', 'rev-1'],
    ]);
    expect(view.timeline.map((item) => item.at)).toEqual([...view.timeline.map((item) => item.at)].sort());
    expect(view.traceIds).toEqual([TRACE, REVIEW_TRACE]);
  });

  it('shows what it has while events are missing, and the outcomes the completion reported', async () => {
    await recordLineageEntry(deps, completionEntry(completed(), origin('e-1'), T0));
    const view = await getAnswerLineage(lineage, SUPPORT, 'req-1');
    expect(view.evaluation).toBeNull();
    expect(view.reviews).toEqual([]);
    // The decisions' own events have not arrived: stage and outcome are known, the version is not.
    expect(view.policyDecisions.map((d) => [d.decisionId, d.decision, d.policyVersion])).toEqual([
      ['dec-in', 'ALLOW', ''],
      ['dec-out', 'REDACT', ''],
    ]);
    expect(view.received).toEqual({ completion: true, policyDecisions: false, evaluation: false, reviews: 0 });
  });

  it('counts a redelivered or republished event once', async () => {
    expect(await recordLineageEntry(deps, policyEntry(decided('input'), origin('e-1'), T0))).toBe(true);
    expect(await recordLineageEntry(deps, policyEntry(decided('input'), origin('e-1'), T0))).toBe(false);
    // Republished after a producer crash: a new event id, the same decision.
    expect(await recordLineageEntry(deps, policyEntry(decided('input'), origin('e-2'), T0))).toBe(false);
    expect(await recordLineageEntry(deps, reviewEntry(reviewed(), origin('e-3'), T0))).toBe(true);
    expect(await recordLineageEntry(deps, reviewEntry(reviewed(), origin('e-4'), T0))).toBe(false);
    expect(await lineage.count()).toBe(2);
    const view = await getAnswerLineage(lineage, SUPPORT, 'req-1');
    expect(view.policyDecisions).toHaveLength(1);
    expect(view.reviews).toHaveLength(1);
  });

  it('answers 404 to a caller without the groups, to another tenant and for an unknown request', async () => {
    for (const entry of Object.values(allEntries(T0))) await recordLineageEntry(deps, entry);
    expect(await notFoundFor({ tenantId: 'acme', aclGroups: [] })).toBe(true);
    expect(await notFoundFor({ tenantId: 'acme', aclGroups: ['sales'] })).toBe(true);
    expect(await notFoundFor({ tenantId: 'globex', aclGroups: ['support'] })).toBe(true);
    expect(await notFoundFor(SUPPORT, 'req-unknown')).toBe(true);
    expect(await notFoundFor(SUPPORT)).toBe(false);
  });

  it('keeps the same request id of two tenants apart', async () => {
    await recordLineageEntry(deps, completionEntry(completed({ contexts: [] }), origin('e-1'), T0));
    await recordLineageEntry(
      deps,
      completionEntry(completed({ tenantId: 'globex', model: 'other', contexts: [] }), origin('e-2'), T0),
    );
    expect((await getAnswerLineage(lineage, { tenantId: 'acme', aclGroups: [] }, 'req-1')).model).toBe('gpt-4o-mini');
    expect((await getAnswerLineage(lineage, { tenantId: 'globex', aclGroups: [] }, 'req-1')).model).toBe('other');
  });

  it('refuses malformed events with a non-retryable error naming the field', () => {
    const attempts = [
      () => policyEntry(decided('input', { decisionId: '' }), origin('e'), T0),
      () => policyEntry(decided('input', { rulesFired: Array.from({ length: 300 }, () => 'r') }), origin('e'), T0),
      () => completionEntry(completed({ requestId: '' }), origin('e'), T0),
      () => evaluationEntry(scored({ evaluatorVersion: 'v'.repeat(600) }), origin('e'), T0),
      () =>
        evaluationEntry(
          scored({
            verdicts: Array.from({ length: 3 }, () => ({
              claim: 'c'.repeat(100_000),
              supported: false,
              supportingChunkId: '',
              support: 0,
            })),
          }),
          origin('e'),
          T0,
        ),
      () => reviewEntry(reviewed({ outcome: ReviewOutcome.REVIEW_OUTCOME_UNSPECIFIED }), origin('e'), T0),
      () => reviewEntry(reviewed({ reviewId: '' }), origin('e'), T0),
    ];
    for (const attempt of attempts) {
      let error: unknown;
      try {
        attempt();
      } catch (caught) {
        error = caught;
      }
      expect(isKeelError(error) && error.retryable === false && error.httpStatus === 400).toBe(true);
    }
  });

  it('takes the trace id of a decision from the envelope', () => {
    const traceparent = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    expect(traceIdOfTraceparent(traceparent)).toBe('c'.repeat(32));
    expect(traceIdOfTraceparent('garbage')).toBe('');
    expect(policyEntry(decided('input'), { eventId: 'e', traceparent }, T0).traceId).toBe('c'.repeat(32));
  });
});
