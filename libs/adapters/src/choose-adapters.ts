/**
 * Adapter choice by configuration, written once for every service: `KAFKA_BROKERS`,
 * `MONGODB_URL`, `QDRANT_URL` and `EMBEDDINGS_*` set mean the real thing; unset means the embedded
 * default under `KEEL_DATA_DIR`. Each app's compose.ts calls these and nothing else constructs
 * adapters, so the same service code runs on a laptop and in a cluster.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import type { Logger } from '@keel/platform';
import type { Embedder } from '@keel/text';
import { loadWordVectorEmbedder } from '@keel/text/embedded';
import { createOpenAiCompatibleEmbedder } from '@keel/text/openai';
import type { EmbedderSpec, VectorIndex } from '@keel/vector-store';
import { createEmbeddedVectorIndex } from '@keel/vector-store/embedded';
import { createQdrantVectorIndex } from '@keel/vector-store/qdrant';

export interface EventBusChoice {
  kafka?: { brokers: string[] } | undefined;
  /** The Kafka client id, `keel-<service>`. */
  service: string;
  logger: Logger;
  /**
   * Where the embedded bus keeps its log, `<dataDir>/<service>.event-bus.db`, so that what was published
   * and not yet handled survives a restart. Without it (a service with no data directory) the
   * embedded bus is memory only.
   */
  dataDir?: string | undefined;
}

/**
 * Embedded: the durable bus at `<dataDir>/<service>.event-bus.db`, this process's own log (one process per
 * file: a second process on the same data directory fails with `EventLogInUseError`).
 */
export function chooseEventBus({ kafka, service, logger, dataDir }: EventBusChoice): EventBus {
  if (kafka) return createKafkaEventBus({ brokers: kafka.brokers, clientId: `keel-${service}`, logger });
  return dataDir === undefined
    ? createEmbeddedEventBus({ logger })
    : createEmbeddedEventBus({ logger, path: join(dataDir, `${service}.event-bus.db`) });
}

export interface DocumentStoreChoice {
  mongo?: { url: string; database: string } | undefined;
  dataDir: string;
  service: string;
}

/** Embedded: one SQLite file per service, `<dataDir>/<service>.db`. */
export async function chooseDocumentStore({ mongo, dataDir, service }: DocumentStoreChoice): Promise<DocumentStore> {
  if (mongo) return createMongoDocumentStore(mongo);
  mkdirSync(dataDir, { recursive: true });
  return createEmbeddedDocumentStore({ path: join(dataDir, `${service}.db`) });
}

export interface VectorIndexChoice {
  qdrant?: { url: string; apiKey?: string | undefined } | undefined;
  dataDir: string;
}

/** Embedded: `<dataDir>/vectors`, shared by ingestion (writer) and retrieval (reader) on one machine. */
export async function chooseVectorIndex({ qdrant, dataDir }: VectorIndexChoice): Promise<VectorIndex> {
  if (qdrant) return createQdrantVectorIndex(qdrant);
  mkdirSync(dataDir, { recursive: true });
  return createEmbeddedVectorIndex({ directory: join(dataDir, 'vectors') });
}

export interface EmbedderChoice {
  embeddings?: { baseUrl: string; model: string; dimensions: number; apiKey?: string | undefined } | undefined;
}

export async function chooseEmbedder({ embeddings }: EmbedderChoice): Promise<Embedder> {
  return embeddings ? createOpenAiCompatibleEmbedder(embeddings) : loadWordVectorEmbedder();
}

/**
 * The embedder an index generation names (the previous model, during a model change): the
 * configured one, the embedded default, or the remote endpoint the record names, given the
 * configured key only when it is the configured endpoint (a key is never sent where the
 * configuration did not send it). Null when what can be built is not the model the record names.
 */
export async function chooseEmbedderOf(
  spec: EmbedderSpec,
  configured: Embedder,
  endpoint: EmbedderChoice['embeddings'],
): Promise<Embedder | null> {
  if (spec.id === configured.id && spec.dimensions === configured.dimensions) return configured;
  const apiKey = endpoint && spec.endpoint?.baseUrl === endpoint.baseUrl ? endpoint.apiKey : undefined;
  const built = await chooseEmbedder({
    embeddings: spec.endpoint ? { ...spec.endpoint, dimensions: spec.dimensions, apiKey } : undefined,
  });
  return built.id === spec.id && built.dimensions === spec.dimensions ? built : null;
}

export interface BusAndStore {
  bus: EventBus;
  store: DocumentStore;
  /** Closes what was created here; a shared bus belongs to whoever shared it. */
  close(): Promise<void>;
}

/** The infrastructure of a service that consumes and publishes events and keeps documents. */
export async function chooseBusAndStore(
  choice: Omit<EventBusChoice, 'service'> & DocumentStoreChoice & { sharedBus?: EventBus | undefined },
): Promise<BusAndStore> {
  const bus = choice.sharedBus ?? chooseEventBus(choice);
  let store: DocumentStore;
  try {
    store = await chooseDocumentStore(choice);
  } catch (error) {
    // The durable embedded bus holds its file until closed.
    if (!choice.sharedBus) await bus.close();
    throw error;
  }
  return {
    bus,
    store,
    async close() {
      await Promise.allSettled([choice.sharedBus ? undefined : bus.close(), store.close()]);
    },
  };
}
