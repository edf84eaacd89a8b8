/**
 * The composition root: the only file of this app that constructs adapters. A configured
 * endpoint means the real adapter, unset means the embedded default (`@keel/adapters`); a launcher
 * running several services in one process passes the infrastructure they share in `shared`, which
 * this app then neither creates nor closes.
 */
import { chooseDocumentStore, chooseEmbedder, chooseEmbedderOf, chooseVectorIndex } from '@keel/adapters';
import type { Logger } from '@keel/platform';
import { callDependency } from '@keel/platform';
import {
  CHUNK_INDEX_GENERATION_ID,
  INDEX_GENERATIONS_COLLECTION,
  type IndexGenerationRecord,
} from '@keel/vector-store';
import type { RetrievalConfig } from './config.js';
import { createHttpReranker } from './outbound/http-reranker.js';
import type { RetrievalDeps } from './service.js';

export interface ComposedRetrieval extends RetrievalDeps {
  /** Closes the adapters composed here (the service does not own them). */
  close(): Promise<void>;
}

export type SharedInfrastructure = Partial<Pick<RetrievalDeps, 'vectors' | 'embedder' | 'reranker'>>;

export async function composeRetrieval(
  config: RetrievalConfig,
  logger: Logger,
  shared: SharedInfrastructure = {},
): Promise<ComposedRetrieval> {
  const vectors = shared.vectors ?? (await chooseVectorIndex({ qdrant: config.qdrant, dataDir: config.dataDir }));
  const embedder =
    shared.embedder ?? (await callDependency('embedder', () => chooseEmbedder({ embeddings: config.embeddings })));
  const reranker = shared.reranker ?? (config.rerank ? createHttpReranker(config.rerank) : undefined);
  // Ingestion's store (its database, or its file under KEEL_DATA_DIR): retrieval only reads the record.
  const store = await callDependency('document store', () =>
    chooseDocumentStore({ mongo: config.mongo, dataDir: config.dataDir, service: 'ingestion' }),
  );
  const records = await store.collection<IndexGenerationRecord>(INDEX_GENERATIONS_COLLECTION);
  return {
    vectors,
    embedder,
    generations: { get: () => records.get(CHUNK_INDEX_GENERATION_ID) },
    resolveEmbedder: (spec) => chooseEmbedderOf(spec, embedder, config.embeddings),
    ...(reranker ? { reranker } : {}),
    logger,
    close: async () => {
      await Promise.allSettled([shared.vectors ? undefined : vectors.close(), store.close()]);
    },
  };
}
