/**
 * Wires ingestion from the ports it is given: records, pipeline, the topic consumer, the HTTP API
 * and readiness. Exported so that tests and the one-process launcher start it with their adapters.
 *
 * Start: consumers first (requests left on the bus by the previous run flow again), then every
 * unfinished job is accounted for (resume-jobs.ts), then the HTTP API opens. Stop, in reverse:
 * the HTTP API stops accepting (in-flight requests finish), then the consumers drain what they
 * are processing and commit it; whatever is left stays on the bus (and on its job) for the next run.
 */

import type { DocumentStore } from '@keel/doc-store';
import { type EventBus, EventPublisher, ensureKeelTopics } from '@keel/event-bus';
import {
  callDependency,
  createStaticApiKeyResolver,
  grpcHealthCheck,
  type Logger,
  Readiness,
  type RunningService,
  ShutdownSequence,
  serveHttp,
} from '@keel/platform';
import type { Embedder } from '@keel/text';
import { chunkCollectionName, type VectorIndex } from '@keel/vector-store';
import type { IngestionConfig } from './config.js';
import { ingestionRoutes } from './inbound/http-routes.js';
import { startDeadLetterWatcher, startIngestConsumer } from './inbound/ingest-consumer.js';
import { createIngestion } from './indexing/ingestion.js';
import { openIngestionRecords } from './indexing/records.js';
import { type DocumentScanner, scanningDisabled } from './policy/document-scanner.js';
import { createGrpcPolicyScanner } from './policy/grpc-policy-scanner.js';

export interface IngestionDeps {
  bus: EventBus;
  store: DocumentStore;
  vectors: VectorIndex;
  embedder: Embedder;
  logger: Logger;
}

export type { IngestionConfig } from './config.js';
export { loadIngestionConfig } from './config.js';

export async function startIngestionService(deps: IngestionDeps, config: IngestionConfig): Promise<RunningService> {
  const { bus, store, vectors, embedder, logger } = deps;
  const shutdown = new ShutdownSequence({ logger });
  try {
    const readiness = new Readiness();
    readiness.register('event-bus', () => bus.health());
    readiness.register('doc-store', () => store.health());
    readiness.register('vector-index', () => vectors.health());

    let scanner: DocumentScanner = scanningDisabled;
    if (config.policy.scan) {
      const policy = createGrpcPolicyScanner(config.policy);
      shutdown.add('policy client', async () => policy.close());
      const policyHealth = grpcHealthCheck(config.policy.address, { auth: config.policy.auth });
      shutdown.add('policy health check', async () => policyHealth.close());
      readiness.register('policy', policyHealth);
      scanner = policy;
    } else {
      logger.warn('POLICY_SCAN=off: documents are indexed without a policy scan');
    }

    await callDependency('event bus', () => ensureKeelTopics(bus));
    const collection = chunkCollectionName(embedder.dimensions);
    await callDependency('vector index', () =>
      vectors.ensureCollection({ name: collection, dimensions: embedder.dimensions }),
    );
    const records = await callDependency('document store', () => openIngestionRecords(store));
    const ingestion = createIngestion({
      records,
      vectors,
      collection,
      embedder,
      scanner,
      publisher: new EventPublisher(bus),
      logger,
      embedBatchSize: config.embedBatchSize,
      chunking: config.chunking,
      maxTextBytes: config.maxTextBytes,
    });

    const deadLetters = await startDeadLetterWatcher(bus, ingestion, logger, { groupId: config.consumerGroup });
    shutdown.add('dead-letter watcher', () => deadLetters.stop());
    const consumer = await startIngestConsumer(bus, ingestion, {
      retry: config.retry,
      groupId: config.consumerGroup,
    });
    shutdown.add('ingest consumer', () => consumer.stop());
    await callDependency('document store', () => ingestion.resumeUnfinishedJobs());

    const apiKeys = createStaticApiKeyResolver(config.apiKeys);
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      ...config.http,
      handlers: [ingestionRoutes(ingestion, apiKeys, { maxTextBytes: config.maxTextBytes })],
    });
    // Added last, so stopped first: no new submissions while the consumer drains.
    shutdown.add('http server', () => http.close());

    return { urls: { http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
