/**
 * The online path through the running service on the embedded bus: per-tenant sampling, drift
 * alerts on the bus, and `GET /v1/evaluations:stats`; and the variables' validation.
 */
import type { EvaluationDriftDetected } from '@keel/contracts/events/v1/evaluation';
import type { ContextChunk, InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { recordEvents } from '@keel/event-bus/testing';
import { ConfigError, type RunningService } from '@keel/platform';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvaluationConfig } from '../config.js';
import { startEvaluationService } from '../service.js';

const ACME_KEY = 'acme-key';
const GLOBEX_KEY = 'globex-key';
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

function completed(tenantId: string, requestId: string, answer: string): InferenceCompleted {
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
    completedAt: new Date(),
    readRequires: [],
    subject: 'app',
  };
}

let bus: EventBus;
let store: DocumentStore;
let service: RunningService;
let drifts: EvaluationDriftDetected[];

const env = {
  HTTP_PORT: '0',
  HOST: '127.0.0.1',
  KEEL_API_KEYS: `${ACME_KEY}=acme,${GLOBEX_KEY}=globex`,
  EVALUATION_SAMPLE_RATE: '1,acme=0',
  EVALUATION_DRIFT_WINDOW: '5',
  EVALUATION_DRIFT_MIN_ANSWERS: '5',
  EVALUATION_DRIFT_REVIEW_SAMPLE: '2',
};

type StatsBody = {
  tenantId: string;
  sampling: { rate: number; since: string; scored: number; sampledOut: number; notScorable: number };
  drift: { recentAlerts: { metric: string }[] } & Record<string, unknown>;
  judge: unknown;
};

async function stats(key: string): Promise<StatsBody> {
  const response = await fetch(`${service.urls.http}/v1/evaluations:stats`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as StatsBody;
}

beforeAll(async () => {
  bus = createEmbeddedEventBus();
  store = createEmbeddedDocumentStore({ path: ':memory:' });
  service = await startEvaluationService(
    { bus, store, logger: createTestLogger('evaluation').logger },
    loadEvaluationConfig(env),
  );
  drifts = (await recordEvents(bus, 'keel.evaluation.drift.v1', 'test-observer-drift')).payloads;
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await store?.close();
});

describe('online evaluation in the service', () => {
  it('samples per tenant, raises drift on the bus and reports both in the stats', async () => {
    const publisher = new EventPublisher(bus);
    for (let index = 0; index < 3; index++) {
      await publisher.publish(
        'keel.inference.completed.v1',
        completed('acme', `acme-${index}`, 'Customers can return any robot within 30 days of delivery. [1]'),
      );
    }
    for (let index = 0; index < 5; index++) {
      const answer = 'Customers can return any robot within 30 days of delivery. [1]';
      await publisher.publish('keel.inference.completed.v1', completed('globex', `globex-${index}`, answer));
    }
    // The first window closes before the second begins (partitions would interleave them).
    await waitFor('the first window', async () => ((await stats(GLOBEX_KEY)).sampling.scored === 5 ? true : undefined));
    for (let index = 5; index < 10; index++) {
      const answer = 'Robots may be returned for 90 days, no questions asked.';
      await publisher.publish('keel.inference.completed.v1', completed('globex', `globex-${index}`, answer));
    }
    await waitFor('the drift alert', () => drifts.find((alert) => alert.metric === 'groundedness'));
    expect(drifts.every((alert) => alert.tenantId === 'globex')).toBe(true);

    const acme = await waitFor('acme counted', async () => {
      const body = await stats(ACME_KEY);
      return body.sampling.sampledOut === 3 ? body : undefined;
    });
    expect(acme).toMatchObject({ tenantId: 'acme', sampling: { rate: 0, scored: 0, sampledOut: 3 }, judge: null });

    const globex = await waitFor('globex counted', async () => {
      const body = await stats(GLOBEX_KEY);
      return body.sampling.scored === 10 ? body : undefined;
    });
    expect(globex.sampling).toMatchObject({ rate: 1, sampledOut: 0, notScorable: 0 });
    expect(globex.drift).toMatchObject({
      window: { kind: 'answers', answers: 5 },
      threshold: 0.1,
      baseline: { index: 1, count: 5, values: { groundedness: 0, retrieval_hit_rate: 1 } },
      current: null,
    });
    expect(globex.drift.recentAlerts[0]).toMatchObject({ metric: expect.any(String), window: { index: 1, count: 5 } });
    expect(globex.drift.recentAlerts.map((alert) => alert.metric)).toContain('groundedness');
  });

  it('shows the online metrics and their details on a stored evaluation', async () => {
    const response = await fetch(`${service.urls.http}/v1/evaluations/globex-0`, {
      headers: { authorization: `Bearer ${GLOBEX_KEY}` },
    });
    const view = (await response.json()) as Record<string, unknown> & { scores: { metric: string; unit?: string }[] };
    expect(view.scores.map((score) => score.metric)).toEqual([
      'groundedness',
      'citation_coverage',
      'citation_validity',
      'answer_relevance',
      'refusal_correctness',
      'latency_ms',
    ]);
    expect(view).toMatchObject({
      onlineMetricsVersion: 'lexical-online/1',
      judge: null,
      contextCount: 1,
      latencyMs: 10,
      cost: null,
    });
    expect(view.citationChecks).toEqual([expect.objectContaining({ marker: 1, chunkId: 'returns#0', valid: true })]);
  });

  it('answers 401 without a key', async () => {
    expect((await fetch(`${service.urls.http}/v1/evaluations:stats`)).status).toBe(401);
  });
});

describe('online variables', () => {
  it.each([
    [{ EVALUATION_SAMPLE_RATE: '2' }, 'EVALUATION_SAMPLE_RATE'],
    [{ EVALUATION_SAMPLE_RATE: 'acme=x' }, 'EVALUATION_SAMPLE_RATE'],
    [{ EVALUATION_DRIFT_WINDOW: '10 days' }, 'EVALUATION_DRIFT_WINDOW'],
    [{ EVALUATION_DRIFT_THRESHOLD: '0' }, 'EVALUATION_DRIFT_THRESHOLD'],
    [{ EVALUATION_JUDGE_MODEL: 'gpt-4o-mini' }, 'EVALUATION_JUDGE_API_KEY'],
    [
      { EVALUATION_JUDGE_SAMPLES: '0', EVALUATION_JUDGE_MODEL: 'm', EVALUATION_JUDGE_API_KEY: 'k' },
      'EVALUATION_JUDGE_SAMPLES',
    ],
  ])('rejects %o naming %s', (overrides, variable) => {
    expect(() => loadEvaluationConfig({ ...env, ...overrides })).toThrow(ConfigError);
    expect(() => loadEvaluationConfig({ ...env, ...overrides })).toThrow(variable);
  });

  it('defaults: everything scored, drift on 200 answers, judge off', () => {
    const { online } = loadEvaluationConfig({ KEEL_API_KEYS: 'k=t' });
    expect(online.sampling.defaultRate).toBe(1);
    expect(online.drift).toEqual({
      window: { kind: 'answers', answers: 200 },
      threshold: 0.1,
      minAnswers: 20,
      reviewSample: 5,
    });
    expect(online.judge).toBeUndefined();
    expect(loadEvaluationConfig({ KEEL_API_KEYS: 'k=t', EVALUATION_DRIFT_WINDOW: '0' }).online.drift).toBeUndefined();
    expect(loadEvaluationConfig({ KEEL_API_KEYS: 'k=t', EVALUATION_DRIFT_WINDOW: '30m' }).online.drift?.window).toEqual(
      { kind: 'time', ms: 1_800_000 },
    );
  });
});
