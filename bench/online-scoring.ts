/**
 * Online scoring under a sustained stream (issue 7, "Measured"): `keel.inference.completed.v1`
 * events published on the bus and scored by evaluation's own consumer path (sampling, the
 * worker-thread scorer with the online metrics, the evaluation record in the document store,
 * `keel.evaluation.scored.v1`, drift windows), on the embedded bus and, when @keel/testing finds
 * one, on Kafka.
 *
 * For each bus, in the same run:
 * - baseline: a consumer that only decodes and acknowledges (no scoring, no store) at saturation,
 *   the ceiling the bus itself sets;
 * - scoring at saturation: every event published at once, throughput = events / (last scored -
 *   first published), lag = published -> scored event out, per event;
 * - scoring at a fixed offered rate (below saturation): the lag a steady stream sees;
 * - scoring at saturation with EVALUATION_SAMPLE_RATE 0.1: what sampling saves.
 *
 * Events are realistic RAG answers: 3-6 cited sentences over 5 contexts of about 800 characters
 * (synthetic-input.ts vocabulary), all for a handful of tenants.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { type EventBus, EventPublisher, subscribeToEvents } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import { createLogger } from '@keel/platform';
import { findKafka } from '@keel/testing';
import {
  DRIFT_SAMPLES_COLLECTION,
  DRIFT_STATES_COLLECTION,
  type DriftSample,
  type DriftState,
  driftSamplesCollectionOptions,
} from '../apps/evaluation/src/drift/drift-state.js';
import { DriftTracker } from '../apps/evaluation/src/drift/drift-tracker.js';
import {
  EVALUATIONS_COLLECTION,
  type EvaluationRecord,
  evaluationsCollectionOptions,
} from '../apps/evaluation/src/evaluations/evaluation-record.js';
import { scoreCompletion } from '../apps/evaluation/src/evaluations/score-completion.js';
import { parseSampleRates, type SampleRates } from '../apps/evaluation/src/sampling/sample-rates.js';
import { samplingDecision } from '../apps/evaluation/src/sampling/sampling-decision.js';
import { createScoringPool } from '../apps/evaluation/src/scoring/scoring-pool.js';
import { syntheticScoringInput } from '../apps/evaluation/src/scoring/testing/synthetic-input.js';
import { type Benchmark, type BenchmarkReport, integerSetting, percentile, type Row, skippedRow } from './harness.js';

const settings = {
  saturationEvents: integerSetting('BENCH_ONLINE_EVENTS', 1_500),
  offeredRate: integerSetting('BENCH_ONLINE_RATE', 40),
  offeredSeconds: integerSetting('BENCH_ONLINE_SECONDS', 20),
  tenants: 4,
  seed: 11,
  timeoutMs: 600_000,
};

const TOPIC = 'keel.inference.completed.v1';
const PUBLISH_CONCURRENCY = 50;

function rates(value: string): SampleRates {
  const parsed = parseSampleRates(value);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

/** A pool of distinct realistic events, reused round-robin with fresh request ids. */
function eventTemplates(count: number): Omit<InferenceCompleted, 'requestId' | 'tenantId'>[] {
  return Array.from({ length: count }, (_, index) => {
    const input = syntheticScoringInput({
      answerChars: 300 + (index % 4) * 120,
      contextChars: 4_000,
      contextSize: 800,
      seed: settings.seed + index,
    });
    return {
      traceId: '',
      endpoint: '/v1/answers',
      model: 'keel-extractive-v1',
      provider: 'embedded',
      usage: { promptTokens: 1_200, completionTokens: 120, totalTokens: 1_320, costUsd: 0.0004 },
      latencyMs: 350 + index,
      question: input.question,
      answer: input.answer,
      contexts: input.contexts.slice(0, 5).map((context) => ({
        chunkId: context.chunkId,
        documentId: context.chunkId.split('#')[0] ?? 'doc',
        documentVersion: 'v1',
        text: context.text,
        score: 0.8,
        aclGroups: [],
      })),
      citations: [],
      policy: [],
      completedAt: new Date(),
      readRequires: [],
      subject: 'bench',
      cost: 0.0004,
      currency: 'USD',
    };
  });
}

interface Measured {
  events: number;
  scored: number;
  wallMs: number;
  lags: number[];
}

interface Subject {
  name: string;
  bus: EventBus;
  /** Runs get groups of their own; on a shared broker, new groups start at the end of the topic. */
  fromBeginning: boolean;
}

const templates = eventTemplates(64);

function makeEvent(run: string, index: number): InferenceCompleted {
  const template = templates[index % templates.length] as (typeof templates)[number];
  return { ...template, requestId: `${run}-${index}`, tenantId: `bench-${run}-${index % settings.tenants}` };
}

/**
 * Publishes `count` events (all at once, or `rate` per second) and waits until `done(requestId)`
 * was called for each that is expected; returns the per-event lag from publish to done.
 */
async function stream(
  subject: Subject,
  handlerFor: (done: (requestId: string) => void, run: string) => (event: InferenceCompleted) => Promise<void>,
  count: number,
  rate: number | undefined,
  expected: (event: InferenceCompleted) => boolean,
): Promise<Measured> {
  const run = randomUUID().slice(0, 8);
  const publishedAt = new Map<string, number>();
  const lags: number[] = [];
  let remaining = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  let publishing = true;
  const done = (requestId: string) => {
    const at = publishedAt.get(requestId);
    if (at === undefined) return;
    publishedAt.delete(requestId);
    lags.push(performance.now() - at);
    remaining--;
    if (remaining === 0 && !publishing) resolveAll();
  };
  const handle = handlerFor(done, run);
  const subscription = await subscribeToEvents(subject.bus, {
    groupId: `bench-online-${run}`,
    topic: TOPIC,
    fromBeginning: subject.fromBeginning,
    handle: async (event) => {
      if (!event.payload.requestId.startsWith(`${run}-`)) return;
      await handle(event.payload);
    },
  });
  // Kafka: give the group time to hold its partitions before the first event.
  await new Promise((resolve) => setTimeout(resolve, subject.fromBeginning ? 50 : 3_000));
  const publisher = new EventPublisher(subject.bus);
  const started = performance.now();
  const send = async (event: InferenceCompleted) => {
    if (expected(event)) {
      remaining++;
      publishedAt.set(event.requestId, performance.now());
    }
    await publisher.publish(TOPIC, event);
  };
  if (rate) {
    for (let index = 0; index < count; index++) {
      const wait = started + (index * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await send(makeEvent(run, index));
    }
  } else {
    // Saturation: the publisher is not the bottleneck (PUBLISH_CONCURRENCY sends in flight).
    for (let index = 0; index < count; index += PUBLISH_CONCURRENCY) {
      const chunk = Array.from({ length: Math.min(PUBLISH_CONCURRENCY, count - index) }, (_, offset) =>
        makeEvent(run, index + offset),
      );
      await Promise.all(chunk.map(send));
    }
  }
  publishing = false;
  if (remaining === 0) resolveAll();
  const timer = setTimeout(() => resolveAll(), settings.timeoutMs);
  await all;
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  await subscription.stop();
  return { events: count, scored: lags.length, wallMs, lags };
}

function row(subject: string, scenario: string, measured: Measured, offered?: number): Row {
  const sorted = [...measured.lags].sort((a, b) => a - b);
  return {
    subject,
    scenario,
    events: measured.events,
    handled: measured.scored,
    'offered ev/s': offered,
    'handled ev/s': (measured.scored * 1000) / measured.wallMs,
    'consumed ev/s': (measured.events * 1000) / measured.wallMs,
    'lag p50 ms': percentile(sorted, 0.5),
    'lag p99 ms': percentile(sorted, 0.99),
    'lag max ms': sorted.at(-1),
  };
}

async function measureSubject(subject: Subject, rows: Row[], notes: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-online-'));
  const store = createEmbeddedDocumentStore({ path: join(dir, 'evaluation.db') });
  const scorer = createScoringPool();
  const logger = createLogger('bench-online-scoring', { level: 'error' });
  try {
    const evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
    const states = await store.collection<DriftState>(DRIFT_STATES_COLLECTION);
    const samples = await store.collection<DriftSample>(DRIFT_SAMPLES_COLLECTION, driftSamplesCollectionOptions);
    const basePublisher = new EventPublisher(subject.bus);
    const driftConfig = {
      window: { kind: 'answers' as const, answers: 200 },
      threshold: 0.1,
      minAnswers: 20,
      reviewSample: 5,
    };

    // The scored event going out is the end of the path: the publisher tells the stream.
    const scoringHandler =
      (sampling: SampleRates, withDrift = true) =>
      (done: (requestId: string) => void) => {
        const publisher = {
          publish: (async (topic, payload, options) => {
            await basePublisher.publish(topic, payload, options);
            if (topic === 'keel.evaluation.scored.v1') done((payload as { requestId: string }).requestId);
          }) as EventPublisher['publish'],
        };
        const drift = new DriftTracker({ states, samples, publisher, config: driftConfig, logger });
        const deps = {
          evaluations,
          scorer,
          publisher,
          policy: { reviewThreshold: 0.7, claimThreshold: 0.7 },
          logger,
          sampling,
          ...(withDrift ? { drift } : {}),
        };
        return async (event: InferenceCompleted) => {
          await scoreCompletion(deps, event);
        };
      };
    const all = rates('1');
    const tenth = rates('0.1');
    const sampledIn = (event: InferenceCompleted) => samplingDecision(event, tenth).score;

    const baseline = await stream(
      subject,
      (done) => async (event) => done(event.requestId),
      settings.saturationEvents,
      undefined,
      () => true,
    );
    rows.push(row(subject.name, 'baseline: consume only, saturation', baseline));
    // Warm-up (JIT, worker threads, SQLite pages), not reported.
    await stream(subject, scoringHandler(all), 100, undefined, () => true);
    const saturated = await stream(subject, scoringHandler(all), settings.saturationEvents, undefined, () => true);
    rows.push(row(subject.name, 'scoring, saturation', saturated));
    const withoutDrift = await stream(
      subject,
      scoringHandler(all, false),
      settings.saturationEvents,
      undefined,
      () => true,
    );
    rows.push(row(subject.name, 'scoring without drift, saturation', withoutDrift));
    const offered = settings.offeredRate * settings.offeredSeconds;
    const steady = await stream(subject, scoringHandler(all), offered, settings.offeredRate, () => true);
    rows.push(row(subject.name, `scoring, ${settings.offeredRate} ev/s offered`, steady, settings.offeredRate));
    const sampled = await stream(subject, scoringHandler(tenth), settings.saturationEvents, undefined, sampledIn);
    rows.push(row(subject.name, 'scoring, sample rate 0.1, saturation', sampled));
    notes.push(
      `${subject.name}: scoring pool of ${scorer.threads} thread(s); with sampling 0.1, "handled" counts the scored events and "consumed ev/s" every event`,
    );
  } finally {
    await scorer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const onlineScoringBenchmark: Benchmark = {
  name: 'online-scoring',
  description:
    'evaluation consumer: throughput and publish→scored lag under a sustained completion stream, vs consume-only',
  async run(): Promise<BenchmarkReport> {
    const rows: Row[] = [];
    const notes: string[] = [];
    const embeddedDir = mkdtempSync(join(tmpdir(), 'keel-bench-online-bus-'));
    const embedded = createEmbeddedEventBus({ path: join(embeddedDir, 'bus.db') });
    try {
      await measureSubject({ name: 'embedded bus', bus: embedded, fromBeginning: true }, rows, notes);
    } finally {
      await embedded.close();
      rmSync(embeddedDir, { recursive: true, force: true });
    }
    const kafka = await findKafka();
    if (kafka.available) {
      const bus = createKafkaEventBus({ brokers: kafka.endpoint.brokers, clientId: 'keel-bench-online' });
      try {
        await bus.ensureTopics([{ name: TOPIC, partitions: 3 }]);
        await measureSubject({ name: 'Kafka', bus, fromBeginning: false }, rows, notes);
      } finally {
        await bus.close();
      }
    } else {
      rows.push(skippedRow('Kafka', kafka.reason));
      notes.push(`Kafka skipped: ${kafka.reason}`);
    }
    return {
      config: {
        saturationEvents: settings.saturationEvents,
        offeredRate: settings.offeredRate,
        offeredSeconds: settings.offeredSeconds,
        tenants: settings.tenants,
        contextsPerEvent: 5,
        driftWindow: 200,
      },
      tables: [{ title: 'online scoring: consume-only baseline vs the scoring consumer', rows }],
      notes,
    };
  },
};
