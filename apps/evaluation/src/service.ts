/**
 * Wires evaluation from the ports it is given: collections, the two consumers, the HTTP API and
 * readiness. Exported so that tests and the one-process launcher start it with their adapters.
 */
import type { DocumentStore } from '@keel/doc-store';
import { type EventBus, EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import {
  createStaticApiKeyResolver,
  type Logger,
  Readiness,
  type RunningService,
  ShutdownSequence,
  serveHttp,
} from '@keel/platform';
import type { EvaluationConfig } from './config.js';
import { datasetStoreOf } from './datasets/dataset-store.js';
import {
  GOLDEN_EXAMPLES_COLLECTION,
  type GoldenExample,
  goldenExamplesCollectionOptions,
} from './datasets/golden-example.js';
import {
  EVALUATIONS_COLLECTION,
  type EvaluationRecord,
  evaluationsCollectionOptions,
} from './evaluations/evaluation-record.js';
import { composeOnlineEvaluation } from './evaluations/online-evaluation.js';
import { datasetRoutes } from './inbound/dataset-routes.js';
import {
  startFeedbackConsumer,
  startInferenceConsumer,
  startLineageConsumers,
  startReviewDecisionConsumer,
} from './inbound/event-consumers.js';
import { evaluationRoutes } from './inbound/http-routes.js';
import { onlineStatsRoutes } from './inbound/online-stats-routes.js';
import { runRoutes } from './inbound/run-routes.js';
import { LINEAGE_COLLECTION, type LineageEntry, lineageCollectionOptions } from './lineage/lineage-entry.js';
import { RUNS_COLLECTION, type RunRecord, runsCollectionOptions } from './runs/run-record.js';
import { createScoringPool } from './scoring/scoring-pool.js';

export interface EvaluationDeps {
  bus: EventBus;
  store: DocumentStore;
  logger: Logger;
  /** Epoch milliseconds; tests pin it. */
  now?: () => number;
}

export type { EvaluationConfig } from './config.js';
export { loadEvaluationConfig } from './config.js';

export async function startEvaluationService(deps: EvaluationDeps, config: EvaluationConfig): Promise<RunningService> {
  const { bus, store, logger } = deps;
  const now = deps.now ?? Date.now;
  const shutdown = new ShutdownSequence({ logger });
  try {
    const readiness = new Readiness();
    readiness.register('event-bus', () => bus.health());
    readiness.register('doc-store', () => store.health());

    await ensureKeelTopics(bus);
    const evaluations = await store.collection<EvaluationRecord>(EVALUATIONS_COLLECTION, evaluationsCollectionOptions);
    const examples = await store.collection<GoldenExample>(GOLDEN_EXAMPLES_COLLECTION, goldenExamplesCollectionOptions);
    const lineage = await store.collection<LineageEntry>(LINEAGE_COLLECTION, lineageCollectionOptions);
    const datasetStore = await datasetStoreOf(store);
    const runs = await store.collection<RunRecord>(RUNS_COLLECTION, runsCollectionOptions);

    // Scoring is CPU work: worker threads keep it off the event loop every service shares under
    // `npm start`. Added before its users, so closed after they have drained.
    const scorer = createScoringPool();
    shutdown.add('scoring pool', () => scorer.close());

    const publisher = new EventPublisher(bus);
    // Sampling, drift and the optional LLM judge (evaluations/online-evaluation.ts).
    const online = await composeOnlineEvaluation(store, { publisher, logger, now }, config.online);
    const scoringDeps = { evaluations, scorer, publisher, policy: config.policy, logger, now, ...online };
    const inference = await startInferenceConsumer(bus, scoringDeps);
    shutdown.add('inference consumer', () => inference.stop());
    // User feedback is scored whatever the sample rate (evaluations/score-feedback.ts).
    const feedback = await startFeedbackConsumer(bus, scoringDeps);
    shutdown.add('feedback consumer', () => feedback.stop());
    const decisions = await startReviewDecisionConsumer(bus, { examples, logger, now });
    shutdown.add('review decision consumer', () => decisions.stop());
    const lineageConsumers = await startLineageConsumers(bus, { lineage, logger, now });
    shutdown.add('lineage consumers', async () => {
      await Promise.all(lineageConsumers.map((subscription) => subscription.stop()));
    });

    const apiKeys = createStaticApiKeyResolver(config.apiKeys);
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      ...config.http,
      handlers: [
        evaluationRoutes({ evaluations, examples, lineage, policy: config.policy, apiKeys, scorer }),
        datasetRoutes({ ...datasetStore, examples, apiKeys }),
        runRoutes({ runs, apiKeys, now }),
        onlineStatsRoutes({ online, apiKeys }),
      ],
    });
    // Added last, so stopped first: no new requests while the consumers drain.
    shutdown.add('http server', () => http.close());

    return { urls: { http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
