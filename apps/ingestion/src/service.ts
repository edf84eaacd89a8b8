/**
 * Wires ingestion from the ports it is given: records, pipeline, the topic consumer, the HTTP API
 * and readiness. Exported so that tests and the one-process launcher start it with their adapters.
 *
 * Start: consumers first (requests left on the bus by the previous run flow again), then every
 * unfinished job is accounted for (resume-jobs.ts), then the HTTP API opens. Stop, in reverse:
 * the HTTP API stops accepting (in-flight requests finish), then the consumers drain what they
 * are processing and commit it; whatever is left stays on the bus (and on its job) for the next run.
 */

import { randomUUID } from 'node:crypto';
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
import { FileParser } from '@keel/text/formats';
import type { EmbedderSpec, VectorIndex } from '@keel/vector-store';
import type { IngestionConfig } from './config.js';
import { governanceRoutes } from './inbound/governance-routes.js';
import { ingestionRoutes } from './inbound/http-routes.js';
import { indexRoutes } from './inbound/index-routes.js';
import { startDeadLetterWatcher, startIngestConsumer } from './inbound/ingest-consumer.js';
import { BlobStore } from './indexing/blob-store.js';
import { createDocumentFiles } from './indexing/document-files.js';
import { createIngestion } from './indexing/ingestion.js';
import { openIngestionRecords } from './indexing/records.js';
import { type DocumentScanner, scanningDisabled } from './policy/document-scanner.js';
import { createGrpcPolicyScanner } from './policy/grpc-policy-scanner.js';
import type { EmbedderResolver } from './reindexing/generation-targets.js';
import { setUpIndexGenerations } from './reindexing/index-setup.js';

export interface IngestionDeps {
  bus: EventBus;
  store: DocumentStore;
  vectors: VectorIndex;
  embedder: Embedder;
  /**
   * Builds the embedder of another index generation (the previous model, during a change).
   * Absent: only the configured embedder is known, and writes reach only its generation.
   */
  resolveEmbedder?: EmbedderResolver;
  logger: Logger;
}

/** The configured embedder as the index generation record names it (its endpoint, never its key). */
export function embedderSpecOf(embedder: Embedder, config: Pick<IngestionConfig, 'embeddings'>): EmbedderSpec {
  const endpoint = config.embeddings ? { baseUrl: config.embeddings.baseUrl, model: config.embeddings.model } : null;
  return { id: embedder.id, dimensions: embedder.dimensions, endpoint };
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
    const records = await callDependency('document store', () => openIngestionRecords(store));
    const spec = embedderSpecOf(embedder, config);
    const index = await callDependency('index generations', () =>
      setUpIndexGenerations({
        store,
        records,
        vectors,
        configured: { spec, embedder },
        resolve: deps.resolveEmbedder ?? (async (wanted) => (wanted.id === spec.id ? embedder : null)),
        logger,
        owner: `${config.service}-${randomUUID()}`,
        settings: config.reindex,
      }),
    );
    const collection = index.targets.collection;
    readiness.register('index', async () => {
      const unreachable = index.targets.unreachable();
      const { active, building } = index.targets.current;
      // Informational: this replica still indexes; what it cannot reach the re-index catches up on.
      return {
        ok: true,
        detail:
          `writes ${collection}; active ${active.collection}` +
          (building ? `; building ${building.collection} (pass ${building.progress.pass})` : '') +
          (unreachable.length > 0 ? `; cannot embed for ${unreachable.join(', ')}` : ''),
      };
    });
    const blobs = await callDependency('document store', () => BlobStore.open(store));
    // Closed after the consumer (shutdown runs in reverse): a document being parsed finishes first.
    const fileParser = new FileParser({
      concurrency: config.files.parseWorkers,
      limits: {
        maxBytes: config.files.maxBytes,
        maxPdfPages: config.files.maxPdfPages,
        timeoutMs: config.files.parseTimeoutMs,
      },
    });
    shutdown.add('file parser', () => fileParser.close());
    const files = createDocumentFiles({
      blobs,
      parser: fileParser,
      fetch: {
        ...(config.files.fileRoot ? { fileRoot: config.files.fileRoot } : {}),
        hosts: config.files.fetchHosts,
        maxBytes: config.files.maxBytes,
        timeoutMs: config.files.fetchTimeoutMs,
      },
    });
    const ingestion = createIngestion({
      files,
      records,
      vectors,
      collection,
      embedder,
      index: index.targets,
      scanner,
      // Outcome events of a batch's documents go to the bus together.
      publisher: new EventPublisher(bus, { coalesce: true }),
      logger,
      embedBatchSize: config.embedBatchSize,
      concurrency: config.concurrency,
      chunking: config.chunking,
      maxTextBytes: config.maxTextBytes,
    });

    const deadLetters = await startDeadLetterWatcher(bus, ingestion, logger, { groupId: config.consumerGroup });
    shutdown.add('dead-letter watcher', () => deadLetters.stop());
    const consumer = await startIngestConsumer(bus, ingestion, {
      retry: config.retry,
      groupId: config.consumerGroup,
      batchSize: config.batchSize,
    });
    shutdown.add('ingest consumer', () => consumer.stop());
    await callDependency('document store', () => ingestion.resumeUnfinishedJobs());
    index.reindexer.start();
    shutdown.add('reindexer', () => index.reindexer.stop());

    const apiKeys = createStaticApiKeyResolver(config.apiKeys);
    const http = await serveHttp({
      serviceName: config.service,
      logger,
      readiness,
      ...config.http,
      handlers: [
        governanceRoutes(ingestion, apiKeys),
        indexRoutes(() => index.status(), apiKeys),
        ingestionRoutes(
          ingestion,
          apiKeys,
          { maxTextBytes: config.maxTextBytes },
          { blobs, parser: fileParser, maxFileBytes: config.files.maxBytes, maxBatch: config.files.maxBatch },
        ),
      ],
    });
    // Added last, so stopped first: no new submissions while the consumer drains.
    shutdown.add('http server', () => http.close());

    return { urls: { http: http.url }, stop: () => shutdown.run() };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
