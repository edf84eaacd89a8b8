import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createRecordingPublisher, type RecordingPublisher } from '@keel/event-bus/testing';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluateCompletedInference } from '../evaluations/evaluate-completed-inference.js';
import {
  EVALUATIONS_COLLECTION,
  type EvaluationRecord,
  evaluationsCollectionOptions,
} from '../evaluations/evaluation-record.js';
import { reviewIdFor } from '../evaluations/review-id.js';
import type { DriftConfig } from './drift-config.js';
import {
  DRIFT_SAMPLES_COLLECTION,
  DRIFT_STATES_COLLECTION,
  type DriftSample,
  type DriftState,
  driftSamplesCollectionOptions,
} from './drift-state.js';
import { DriftTracker } from './drift-tracker.js';

const contexts: ContextChunk[] = [
  {
    chunkId: 'returns#0',
    documentId: 'returns',
    documentVersion: 'v1',
    text: 'Customers can return any robot within 30 days of delivery.',
    score: 0.9,
    aclGroups: ['support'],
  },
];
const GOOD = 'Customers can return any robot within 30 days of delivery. [1]';
const BAD = 'Robots may be returned for 90 days, no questions asked.';
const DECLINE = 'I could not find this in the indexed documents.';

function completed(requestId: string, answer: string, tenantId = 'acme'): InferenceCompleted {
  return {
    requestId,
    traceId: '',
    tenantId,
    endpoint: '/v1/answers',
    model: 'keel-extractive-v1',
    provider: 'embedded',
    usage: undefined,
    latencyMs: 10,
    question: 'Within how many days can I return a robot?',
    answer,
    contexts,
    citations: [],
    policy: [],
    completedAt: undefined,
    readRequires: [],
    subject: 'alice',
  };
}

const config: DriftConfig = {
  window: { kind: 'answers', answers: 20 },
  threshold: 0.1,
  minAnswers: 20,
  reviewSample: 3,
};

let dir: string;
let store: DocumentStore;
let publisher: RecordingPublisher;
let clock: number;

async function open(driftConfig: DriftConfig = config) {
  store = createEmbeddedDocumentStore({ path: join(dir, 'evaluation.db') });
  const evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
  const states = await store.collection<DriftState>(DRIFT_STATES_COLLECTION);
  const samples = await store.collection<DriftSample>(DRIFT_SAMPLES_COLLECTION, driftSamplesCollectionOptions);
  const logger = createTestLogger().logger;
  const now = () => clock;
  const drift = new DriftTracker({ states, samples, publisher, config: driftConfig, logger, now });
  const deps = { evaluations, publisher, policy: { reviewThreshold: 0.7, claimThreshold: 0.7 }, logger, now, drift };
  return {
    drift,
    states,
    evaluate: (event: InferenceCompleted) => evaluateCompletedInference(deps, event),
    feed: async (prefix: string, count: number, answer: string, everyMs = 1_000) => {
      for (let index = 0; index < count; index++) {
        clock += everyMs;
        await evaluateCompletedInference(deps, completed(`${prefix}-${index}`, answer));
      }
    },
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keel-drift-'));
  publisher = createRecordingPublisher();
  // In the future: the store expires sampled exchanges by the real clock.
  clock = Date.parse('2031-03-01T00:00:00Z');
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('drift', () => {
  it('alerts once per drifted metric, with window stats, a metric event and reviews of a sample', async () => {
    const service = await open();
    await service.feed('good', 20, GOOD);
    expect(publisher.of('keel.evaluation.drift.v1')).toEqual([]);
    await service.feed('bad', 20, BAD);

    const alerts = publisher.of('keel.evaluation.drift.v1');
    expect(alerts.map((alert) => [alert.metric, alert.baseline?.value, alert.window?.value, alert.drop])).toEqual([
      ['groundedness', 1, 0, 1],
      ['citation_coverage', 1, 0, 1],
      ['refusal_correctness', 1, 0, 1],
    ]);
    const [first] = alerts;
    expect(first).toMatchObject({
      tenantId: 'acme',
      threshold: 0.1,
      window: { count: 20, start: new Date(clock - 19_000), end: new Date(clock) },
      baseline: { count: 20 },
      detectedAt: new Date(clock),
    });
    expect(first?.reviewIds).toHaveLength(3);

    const reviews = publisher
      .of('keel.review.requested.v1')
      .filter((review) => review.reason === ReviewReason.REVIEW_REASON_DRIFT);
    expect(reviews).toHaveLength(3);
    for (const review of reviews) {
      expect(review.requestId).toMatch(/^bad-/);
      expect(review.reviewId).toBe(reviewIdFor('acme', review.requestId, 'DRIFT'));
      expect(review).toMatchObject({ answer: BAD, contexts, requestedBy: 'evaluation' });
      expect(review.readRequires).toEqual([{ anyOf: ['support'] }]);
      expect(review.detail).toContain('groundedness 1 → 0');
    }
    expect(first?.reviewIds.sort()).toEqual(reviews.map((review) => review.reviewId).sort());
  });

  it('does not alert again while the drop lasts (the drifted window is the new baseline)', async () => {
    const service = await open();
    await service.feed('good', 20, GOOD);
    await service.feed('bad', 20, BAD);
    const raised = publisher.of('keel.evaluation.drift.v1').length;
    await service.feed('still-bad', 40, BAD);
    expect(publisher.of('keel.evaluation.drift.v1')).toHaveLength(raised);
  });

  it('alerts on a rise of the refusal rate, and ignores windows without a baseline', async () => {
    const service = await open({ ...config, threshold: 0.3 });
    await service.feed('good', 20, GOOD);
    await service.feed('decline', 20, DECLINE);
    // A decline here is wrong (the context covers the question): refusal_correctness falls too.
    expect(publisher.of('keel.evaluation.drift.v1').map((alert) => alert.metric)).toEqual([
      'refusal_correctness',
      'refusal_rate',
    ]);
  });

  it('counts a redelivered answer once', async () => {
    const service = await open();
    await service.feed('good', 5, GOOD);
    const event = completed('good-3', GOOD);
    await service.evaluate(event);
    // Even when the evaluation forgot that drift counted it (a crash between the two writes).
    const evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION);
    await evaluations.updateIf('good-4', {}, { driftObservedAt: null });
    await service.evaluate(completed('good-4', GOOD));
    expect((await service.drift.stateOf('acme'))?.current.count).toBe(5);
  });

  it('keeps its windows across a restart', async () => {
    let service = await open();
    await service.feed('good', 20, GOOD);
    await service.feed('bad', 10, BAD);
    await store.close();
    service = await open();
    expect((await service.drift.stateOf('acme'))?.current.count).toBe(10);
    await service.feed('bad-after-restart', 10, BAD);
    expect(publisher.of('keel.evaluation.drift.v1').map((alert) => alert.metric)).toContain('groundedness');
  });

  it('publishes an alert whose publication failed on the next observation, once', async () => {
    const service = await open();
    await service.feed('good', 20, GOOD);
    await service.feed('bad', 19, BAD);
    // The 20th answer's own events go out, then the review requests of the alert fail.
    const event = completed('bad-19', BAD);
    const original = publisher.publish;
    let calls = 0;
    publisher.publish = async (topic, payload, options) => {
      if (
        topic === 'keel.review.requested.v1' &&
        (payload as { reason: number }).reason === ReviewReason.REVIEW_REASON_DRIFT &&
        calls++ === 0
      ) {
        throw new Error('event bus unavailable');
      }
      return original(topic, payload, options);
    };
    await expect(service.evaluate(event)).rejects.toThrow('event bus unavailable');
    expect((await service.drift.stateOf('acme'))?.pending.length).toBeGreaterThan(0);
    // The bus redelivers the event: the answer is not counted again, the alert goes out.
    await service.evaluate(event);
    const state = await service.drift.stateOf('acme');
    expect(state?.pending).toEqual([]);
    expect(state?.baseline?.count).toBe(20);
    expect(publisher.of('keel.evaluation.drift.v1').filter((alert) => alert.metric === 'groundedness')).toHaveLength(1);
  });

  it('cuts time windows with the pinned clock, per tenant', async () => {
    const service = await open({
      window: { kind: 'time', ms: 10 * 60_000 },
      threshold: 0.1,
      minAnswers: 5,
      reviewSample: 2,
    });
    clock = Date.parse('2031-03-01T00:00:00Z');
    await service.feed('good', 8, GOOD, 60_000); // 00:01 … 00:08
    clock = Date.parse('2031-03-01T00:10:00Z');
    await service.feed('bad', 8, BAD, 60_000); // 00:11 … 00:18: the first closes window 0
    expect(publisher.of('keel.evaluation.drift.v1')).toEqual([]);
    clock = Date.parse('2031-03-01T00:20:00Z');
    await service.feed('later', 1, GOOD, 60_000); // 00:21 closes window 1
    const [alert] = publisher.of('keel.evaluation.drift.v1');
    expect(alert).toMatchObject({
      metric: 'groundedness',
      window: { count: 8, start: new Date('2031-03-01T00:11:00Z'), end: new Date('2031-03-01T00:18:00Z') },
      baseline: { count: 8, value: 1 },
    });
    expect(await service.drift.stateOf('globex')).toBeNull();
  });
});
