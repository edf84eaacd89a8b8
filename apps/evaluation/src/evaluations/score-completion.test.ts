import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createRecordingPublisher, type RecordingPublisher } from '@keel/event-bus/testing';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JUDGE_MARKER } from '../judge/judge-prompt.js';
import type { Judge, JudgeOutcome } from '../judge/llm-judge.js';
import { parseSampleRates, type SampleRates } from '../sampling/sample-rates.js';
import { SamplingCounters } from '../sampling/sampling-counters.js';
import { EVALUATIONS_COLLECTION, type EvaluationRecord, evaluationsCollectionOptions } from './evaluation-record.js';
import { type ScoreCompletionDeps, scoreCompletion } from './score-completion.js';

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

function completed(requestId: string, overrides: Partial<InferenceCompleted> = {}): InferenceCompleted {
  return {
    requestId,
    traceId: '',
    tenantId: 'acme',
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: undefined,
    latencyMs: 5,
    question: 'How long can I return a robot?',
    answer: 'Customers can return any robot within 30 days of delivery. [1]',
    contexts,
    citations: [],
    policy: [],
    completedAt: undefined,
    readRequires: [],
    subject: 'alice',
    ...overrides,
  };
}

function rates(value: string): SampleRates {
  const parsed = parseSampleRates(value);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

type Outcome<T> = T extends unknown ? Omit<T, 'promptVersion' | 'model' | 'calls'> : never;

function fixedJudge(outcome: Outcome<JudgeOutcome>): Judge & { judged: number } {
  const judge = {
    model: 'gpt-judge',
    promptVersion: 'answer-quality/1#abc',
    judged: 0,
    async judge() {
      judge.judged++;
      return { ...outcome, promptVersion: 'answer-quality/1#abc', model: 'gpt-judge', calls: 3 } as JudgeOutcome;
    },
  };
  return judge;
}

let store: DocumentStore;
let evaluations: Collection<EvaluationRecord>;
let publisher: RecordingPublisher;
let deps: ScoreCompletionDeps;
let counters: SamplingCounters;

beforeEach(async () => {
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
  publisher = createRecordingPublisher();
  counters = new SamplingCounters();
  deps = {
    evaluations,
    publisher,
    policy: { reviewThreshold: 0.7, claimThreshold: 0.7 },
    logger: createTestLogger().logger,
    counters,
  };
});

afterEach(async () => {
  await store.close();
});

describe('scoreCompletion', () => {
  it('scores the tenant share of traffic, counts the rest, and always scores a policy escalation', async () => {
    deps.sampling = rates('acme=0.2');
    const results: string[] = [];
    for (let index = 0; index < 200; index++) results.push(await scoreCompletion(deps, completed(`req-${index}`)));
    const scored = results.filter((result) => result === 'scored').length;
    expect(scored).toBeGreaterThan(20);
    expect(scored).toBeLessThan(60);
    expect(await evaluations.count({ tenantId: 'acme' })).toBe(scored);
    expect(counters.of('acme')).toEqual({ scored, sampledOut: 200 - scored, notScorable: 0 });

    deps.sampling = rates('0');
    const escalated = completed('req-escalated', {
      policy: [{ stage: 'output', decision: 'ESCALATE', decisionId: 'd-1', findingTypes: ['pii'] }],
    });
    expect(await scoreCompletion(deps, escalated)).toBe('scored');
    expect(await scoreCompletion(deps, completed('req-other'))).toBe('sampled-out');
    // Deterministic: the same request is sampled the same way on redelivery.
    deps.sampling = rates('acme=0.2');
    for (let index = 0; index < 20; index++) {
      expect(await scoreCompletion(deps, completed(`req-${index}`))).toBe(results[index]);
    }
  });

  it('never scores (nor judges) the judge’s own completions, nor failed requests', async () => {
    const judge = fixedJudge({ ok: true, score: 1, stddev: 0, min: 1, max: 1, samples: 3, ratings: [] });
    deps.judge = judge;
    expect(await scoreCompletion(deps, completed('req-judge', { question: `Rate it. ${JUDGE_MARKER}` }))).toBe(
      'not-scorable',
    );
    expect(await scoreCompletion(deps, completed('req-failed', { errorCode: 'MODEL.TIMEOUT' }))).toBe('not-scorable');
    expect(judge.judged).toBe(0);
    expect(counters.of('acme').notScorable).toBe(2);
  });

  it('never scores an embeddings request, nor asks a review for it: it has no answer', async () => {
    const judge = fixedJudge({ ok: true, score: 1, stddev: 0, min: 1, max: 1, samples: 3, ratings: [] });
    deps.judge = judge;
    const embeddings = completed('req-embed', {
      endpoint: '/v1/embeddings',
      operation: 'embeddings',
      question: '',
      answer: '',
      contexts: [],
      citations: [],
    });
    expect(await scoreCompletion(deps, embeddings)).toBe('not-scorable');
    expect(judge.judged).toBe(0);
    expect(publisher.of('keel.evaluation.scored.v1')).toEqual([]);
    expect(publisher.of('keel.review.requested.v1')).toEqual([]);
    expect(await evaluations.get('req-embed')).toBeNull();
    expect(counters.of('acme').notScorable).toBe(1);
  });

  it('adds the judge score with its spread, or records the judge error without a score', async () => {
    deps.judge = fixedJudge({ ok: true, score: 0.75, stddev: 0.2, min: 0.5, max: 1, samples: 3, ratings: [] });
    await scoreCompletion(deps, completed('req-judged'));
    const judged = await evaluations.get('req-judged');
    expect(judged?.scores.find((score) => score.metric === 'judge')).toEqual({
      metric: 'judge',
      value: 0.75,
      explanation: 'mean of 3 ratings by gpt-judge (stddev 0.2, min 0.5, max 1); prompt answer-quality/1#abc',
    });
    expect(publisher.of('keel.evaluation.scored.v1')[0]?.scores.map((score) => score.metric)).toContain('judge');

    deps.judge = fixedJudge({
      ok: false,
      error: 'sample 1 of 3: no valid rating after 3 calls: no JSON object in the reply',
    });
    expect(await scoreCompletion(deps, completed('req-garbage'))).toBe('scored');
    const garbage = await evaluations.get('req-garbage');
    expect(garbage?.scores.map((score) => score.metric)).not.toContain('judge');
    expect(garbage?.judge).toMatchObject({
      ok: false,
      error: expect.stringContaining('no valid rating'),
      promptVersion: 'answer-quality/1#abc',
    });
    expect(garbage?.groundedness).toBe(1);
  });
});
